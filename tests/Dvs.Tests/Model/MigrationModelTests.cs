namespace Dvs.Tests.Model;

/// <summary>
/// The Promela model of the migration protocol (tests/model/migration.pml, issue 12.5), checked by
/// spin through tests/model/check.sh: one case per property. The checks share one run of the
/// script (it builds the verifier once per kind of check). spin is a tool of the test run
/// (.ci/run installs it): without it every case fails, none is skipped.
/// </summary>
[TestFixture]
public class MigrationModelTests
{
    private static readonly Lazy<(int ExitCode, string Output)> AllProperties = new(() => ModelCheck.Run());

    [TestCase("no_loss")]
    [TestCase("no_duplicate")]
    [TestCase("order")]
    [TestCase("one_server")]
    [TestCase("epochs")]
    [TestCase("lost_after_confirm")]
    [TestCase("migration_ends")]
    [TestCase("clients_answered")]
    [TestCase("fence_fifo")]
    public void PropertyHolds(string property)
    {
        ModelCheck.ExpectPassed(AllProperties.Value, property);
    }

    /// <summary>
    /// The model can fail: the protocol as the code had it (the source commits and drops the state
    /// as soon as the target said PREPARED) loses the service when the target dies before it
    /// serves, and spin finds that run.
    /// </summary>
    [Test]
    public void CommittingOnPreparedLosesTheService()
    {
        ModelCheck.ExpectFailed(ModelCheck.Run("--current-commit", "lost_after_confirm"), "lost_after_confirm (current commit)");
    }

    /// <summary>
    /// The FENCE model can fail: without the fence, a third node's one-way messages that switch
    /// from the old owner's path to the new owner's overtake each other, and spin finds that run.
    /// </summary>
    [Test]
    public void WithoutTheFenceOneWayMessagesAreReordered()
    {
        ModelCheck.ExpectFailed(ModelCheck.Run("--no-fence", "fence_fifo"), "fence_fifo (no fence)");
    }
}
