using Dvs.Cli.Demo;

namespace Dvs.Tests.Cli;

/// <summary>
/// The demo's plot keeps p50 and p99 readable next to a migration's spike (issue 11: on a linear
/// axis one 60 ms spike flattened a 20 µs p50 onto the floor line).
/// </summary>
[TestFixture]
public class LatencyPlotTests
{
    [Test]
    public void ASpikeLeavesTheMedianWellAboveTheFloor()
    {
        var timeline = new List<(double At, double P50, double P99, double Max)>();
        for (int i = 0; i < 50; i++)
        {
            timeline.Add((i * 0.2, 20, 45, i == 25 ? 60_000 : 90));
        }

        ScottPlot.Plot plot = LatencyPlot.Create(timeline, [(5.0, "0->1")], 10);

        ScottPlot.AxisLimits limits = plot.Axes.GetLimits();
        double Height(double micros) => (LatencyPlot.ToAxis(micros) - limits.Bottom) / (limits.Top - limits.Bottom);
        Assert.That(Height(20), Is.GreaterThan(0.15), "p50 must not lie on the floor line");
        Assert.That(Height(45) - Height(20), Is.GreaterThan(0.05), "p99 must be told apart from p50");
        Assert.That(Height(60_000), Is.LessThanOrEqualTo(1.0), "the spike stays in the picture");
    }
}
