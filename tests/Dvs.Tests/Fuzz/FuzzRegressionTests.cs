using Dvs.Fuzz;

namespace Dvs.Tests.Fuzz;

/// <summary>
/// The fuzz targets of tests/Dvs.Fuzz on every committed input: the seed corpus of each target
/// (tests/Dvs.Fuzz/corpus/TARGET) and every input that once crashed or hung a target
/// (Regressions/TARGET here, named after what it found). Each must run through without an exception
/// and return: a parser that fails one again fails here, without afl.
/// </summary>
[TestFixture]
[NonParallelizable]
public class FuzzRegressionTests
{
    private static string InputRoot => Path.Combine(TestContext.CurrentContext.TestDirectory, "FuzzInputs");

    private static IEnumerable<TestCaseData> Inputs()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "FuzzInputs");
        foreach (string kind in new[] { "corpus", "regressions" })
        {
            foreach (string target in FuzzTargets.Names)
            {
                string dir = Path.Combine(root, kind, target);
                if (!Directory.Exists(dir))
                {
                    continue;
                }
                foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                {
                    yield return new TestCaseData(target, Path.GetRelativePath(root, file))
                        .SetName($"Fuzz {kind} {target}: {Path.GetFileName(file)}");
                }
            }
        }
    }

    [OneTimeTearDown]
    public void StopTargets() => FuzzTargets.Stop();

    [Test]
    public void EveryTargetHasSeeds()
    {
        foreach (string target in FuzzTargets.Names)
        {
            string dir = Path.Combine(InputRoot, "corpus", target);
            Assert.That(Directory.Exists(dir) && Directory.GetFiles(dir).Length > 0, Is.True, $"seeds of {target} in {dir}");
        }
    }

    [Test]
    public void FrameMacSeedsGetPastTheHmacIntoTheNode()
    {
        long frames = FuzzTargets.FrameMacCounter(NodeCounter.FramesReceived);
        long messages = FuzzTargets.FrameMacCounter(NodeCounter.MessagesReceived);
        long badHmac = FuzzTargets.FrameMacCounter(NodeCounter.DropBadHmac);
        FuzzTargets.Run("frame-mac", File.ReadAllBytes(Path.Combine(InputRoot, "corpus", "frame-mac", "hello-then-send")));
        Assert.That(FuzzTargets.FrameMacCounter(NodeCounter.FramesReceived) - frames, Is.EqualTo(2), "hello and data frame accepted");
        Assert.That(FuzzTargets.FrameMacCounter(NodeCounter.MessagesReceived) - messages, Is.EqualTo(1), "the message delivered");
        Assert.That(FuzzTargets.FrameMacCounter(NodeCounter.DropBadHmac), Is.EqualTo(badHmac));
    }

    [TestCaseSource(nameof(Inputs))]
    public void TheTargetTakesTheInput(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(InputRoot, file));
        Task run = Task.Run(() => FuzzTargets.Run(target, input));
        Assert.That(run.Wait(TimeSpan.FromSeconds(60)), Is.True, "the target returns (no hang)");
    }
}
