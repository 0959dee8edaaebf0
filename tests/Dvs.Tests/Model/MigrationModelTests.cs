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
        (int exitCode, string output) = AllProperties.Value;
        string? line = ModelCheck.LineOf(output, property);
        Assert.That(line, Is.Not.Null, () => $"check.sh reported nothing for {property} (exit code {exitCode}):\n{output}");
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.StartWith($"model: {property} passed"), () => $"spin found a violation of {property}:\n{output}");
    }

    /// <summary>
    /// The model can fail: the protocol as the code had it (the source commits and drops the state
    /// as soon as the target said PREPARED) loses the service when the target dies before it
    /// serves, and spin finds that run.
    /// </summary>
    [Test]
    public void CommittingOnPreparedLosesTheService()
    {
        (int exitCode, string output) = ModelCheck.Run("--current-commit", "lost_after_confirm");
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("model: lost_after_confirm (current commit) failed"), () => output);
        Assert.That(exitCode, Is.EqualTo(1), () => output);
        Assert.That(output, Does.Contain("counterexample"), () => $"no trail replayed:\n{output}");
    }

    /// <summary>
    /// The FENCE model can fail: without the fence, a third node's one-way messages that switch
    /// from the old owner's path to the new owner's overtake each other, and spin finds that run.
    /// </summary>
    [Test]
    public void WithoutTheFenceOneWayMessagesAreReordered()
    {
        (int exitCode, string output) = ModelCheck.Run("--no-fence", "fence_fifo");
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("model: fence_fifo (no fence) failed"), () => output);
        Assert.That(exitCode, Is.EqualTo(1), () => output);
        Assert.That(output, Does.Contain("counterexample"), () => $"no trail replayed:\n{output}");
    }
}
