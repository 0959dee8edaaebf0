namespace Dvs.Cli.Demo;

/// <summary>
/// The demo's latency-over-time plot: p50, p99 and max per interval on a logarithmic axis, each
/// migration marked. Logarithmic because one migration's pause (tens of ms) next to round trips of
/// tens of µs flattens p50 and p99 onto the floor of a linear axis, hiding what a migration costs.
/// </summary>
internal static class LatencyPlot
{
    /// <summary>Where a latency in µs lies on the plot's Y axis (log10; below 1 µs counts as 1).</summary>
    public static double ToAxis(double micros) => Math.Log10(Math.Max(1, micros));

    /// <summary>The plot of <paramref name="timeline"/> (µs) over <paramref name="seconds"/>, with a dashed line per migration.</summary>
    public static ScottPlot.Plot Create(IReadOnlyList<(double At, double P50, double P99, double Max)> timeline,
        IEnumerable<(double At, string Label)> migrations, double seconds)
    {
        var plot = new ScottPlot.Plot();
        double[] xs = timeline.Select(t => t.At).ToArray();
        var p99 = plot.Add.Scatter(xs, timeline.Select(t => ToAxis(t.P99)).ToArray());
        p99.LegendText = "p99";
        var p50 = plot.Add.Scatter(xs, timeline.Select(t => ToAxis(t.P50)).ToArray());
        p50.LegendText = "p50";
        var max = plot.Add.Scatter(xs, timeline.Select(t => ToAxis(t.Max)).ToArray());
        max.LegendText = "max";
        foreach ((double at, string label) in migrations)
        {
            var line = plot.Add.VerticalLine(at);
            line.Text = label;
            line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        // Decades as labels (1, 10, 100, ... µs), minor ticks in between.
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("#,##0.###", System.Globalization.CultureInfo.InvariantCulture),
        };
        double top = timeline.Count == 0 ? 1 : ToAxis(timeline.Max(t => t.Max));
        // At least half a decade under the lowest p50, so that it never lies on the floor line.
        double bottom = Math.Floor((timeline.Count == 0 ? 0 : ToAxis(timeline.Min(t => t.P50))) - 0.5);
        plot.Axes.SetLimitsY(bottom, Math.Max(bottom + 1, Math.Ceiling(top + 0.1)));
        plot.Axes.SetLimitsX(0, seconds);
        plot.Title("Dvs: SendRec latency while the server migrates (3 nodes, loopback)");
        plot.XLabel("time (s)");
        plot.YLabel("round trip (µs, log scale), per 200 ms");
        plot.ShowLegend();
        return plot;
    }
}
