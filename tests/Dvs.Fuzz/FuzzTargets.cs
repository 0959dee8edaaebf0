namespace Dvs.Fuzz;

/// <summary>The fuzz targets by name (the program's first argument; the corpus folder's name).</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = ["frame", "frame-mac", "ini", "control"];

    /// <summary>Runs target <paramref name="name"/> on one input. Any exception it lets out is a bug
    /// (a crash for the fuzzer); so is not returning (a hang).</summary>
    public static void Run(string name, ReadOnlySpan<byte> input)
    {
        switch (name)
        {
            case "frame":
                FrameTarget.Run(input);
                break;
            case "frame-mac":
                FrameMacTarget.Run(input);
                break;
            case "ini":
                IniTarget.Run(input);
                break;
            case "control":
                ControlTarget.Run(input);
                break;
            default:
                throw new ArgumentException($"unknown target '{name}' (targets: {string.Join(", ", Names)})", nameof(name));
        }
    }

    /// <summary>A counter of the node host behind target "frame-mac".</summary>
    public static long FrameMacCounter(NodeCounter counter) => FrameMacTarget.Counter(counter);

    /// <summary>Stops what the targets started in this process (node hosts, temporary folders).</summary>
    public static void Stop()
    {
        FrameMacTarget.Stop();
        ControlTarget.Stop();
        IniTarget.Stop();
    }
}
