namespace Dvs.Tests.Model;

/// <summary>
/// The Promela model of the replication protocol (tests/model/replication.pml, issue 13; the
/// protocol in words: docs/replication.md), checked by spin through tests/model/check.sh: one case
/// per property in the default configuration, one per further configuration (every safety
/// property in one search), and one per rule of the protocol, with a variant that breaks that rule
/// and must fail. Those show that the model can find the bugs the rules prevent. spin is a tool of
/// the test run (.ci/run installs it): without it every case fails, none is skipped.
/// </summary>
[TestFixture]
public class ReplicationModelTests
{
    private static readonly Lazy<(int ExitCode, string Output)> AllProperties = new(() => ModelCheck.Run("--model", "replication"));

    [TestCase("no_loss")]
    [TestCase("no_duplicate")]
    [TestCase("order")]
    [TestCase("one_primary")]
    [TestCase("no_stale_primary")]
    [TestCase("failover_ends")]
    [TestCase("clients_answered")]
    public void PropertyHolds(string property)
    {
        ModelCheck.ExpectPassed(AllProperties.Value, property);
    }

    /// <summary>
    /// The configurations the default one leaves out, for time, each without the node crash (the
    /// timers' false suspicions still make every failover): two backups (MEMBERS=7, one
    /// configuration change), dropping backups (RECONFIG=1), the planned switch-over
    /// (SWITCHOVER=1), a duplicating network (DUPS=1). Every safety property holds in each (one
    /// search for all of them).
    /// </summary>
    /// <param name="configuration">The -D flags, space-separated.</param>
    [TestCase("MEMBERS=7 CRASHES=0 MAXEP=2")]
    [TestCase("RECONFIG=1 CRASHES=0")]
    [TestCase("SWITCHOVER=1 CRASHES=0")]
    [TestCase("DUPS=1 CRASHES=0")]
    public void SafetyHoldsIn(string configuration)
    {
        (int ExitCode, string Output) run = ModelCheck.Run(["--model", "replication", .. Variants(configuration), "safety"]);
        ModelCheck.ExpectPassed(run, $"safety{Label(configuration)}");
        Assert.That(run.ExitCode, Is.Zero, () => run.Output);
    }

    /// <summary>
    /// Each rule of docs/replication.md, broken by its flag, lets spin find the violation of the
    /// property the rule is for (with the counterexample replayed). The configuration is the
    /// one where the bug shows, small: a second backup for two candidates of one epoch, dropping
    /// backups, the switch-over, a duplicating network, or a network that loses nothing (but
    /// sends into a full bag) for a short search.
    /// </summary>
    /// <param name="rule">The flag that breaks the rule (-D).</param>
    /// <param name="property">The property that must then fail.</param>
    /// <param name="configuration">Further -D flags, space-separated (may be empty).</param>
    [TestCase("ASYNC", "no_loss", "", TestName = "R1 ack = primary (asynchronous) loses acknowledged requests")]
    [TestCase("ONE_GRANT", "one_primary", "MEMBERS=7", TestName = "R2 a candidate promoted on its own grant makes two primaries")]
    [TestCase("GRANT_SAME", "one_primary", "MEMBERS=7", TestName = "R3 granting an epoch twice makes two primaries")]
    [TestCase("VOLATILE_GRANTS", "no_stale_primary", "LOSSES=0", TestName = "R4 grants not persisted let a deposed primary answer")]
    [TestCase("NO_MEMBER_CHECK", "no_loss", "RECONFIG=1 LOSSES=0", TestName = "R5 granting to a dropped backup loses acknowledged requests")]
    [TestCase("NO_TABLE", "no_duplicate", "", TestName = "R6 updates without the exactly-once entry execute a replay twice")]
    [TestCase("SNAP_BACK", "no_loss", "DUPS=1 CRASHES=0", TestName = "R12 a duplicated snapshot rolling a backup back loses acknowledged requests")]
    [TestCase("RECORD_NEWER", "no_loss", "RECONFIG=1 CRASHES=0", TestName = "R13 recording EPOCH-NEWER as granted loses acknowledged requests")]
    [TestCase("LOOSE_HANDOVER", "no_stale_primary", "SWITCHOVER=1 CRASHES=0", TestName = "R14 a late HANDOVER over a candidacy makes a stale primary answer")]
    public void BrokenRuleFails(string rule, string property, string configuration)
    {
        ModelCheck.ExpectFailed(ModelCheck.Run(["--model", "replication", .. Variants(rule), .. Variants(configuration), property]),
            $"{property}{Label(rule)}{Label(configuration)}");
    }

    /// <summary>check.sh's options for space-separated -D flags.</summary>
    private static string[] Variants(string flags) =>
        [.. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).SelectMany(f => new[] { "--variant", f })];

    /// <summary>The label check.sh appends for those flags: " (A) (B)".</summary>
    private static string Label(string flags) =>
        string.Concat(flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => $" ({f})"));
}
