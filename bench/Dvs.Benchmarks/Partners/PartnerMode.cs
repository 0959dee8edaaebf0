namespace Dvs.Benchmarks.Partners;

/// <summary>
/// The child-process side of the benchmarks: `--echo uds|dvs ...` and `--sink dvs ...`. A
/// partner tells its parent it is ready with one line on stdout, and exits when stdin reaches
/// end of file (its parent is gone), whatever its main loop is doing.
/// </summary>
internal static class PartnerMode
{
    internal const string Usage =
        "partner modes:\n" +
        "  --echo uds <path> <cpu> poll|block\n" +
        "  --echo dvs <node> <dc> <endpoint> <cpu> spin|block\n" +
        "  --sink dvs <node> <dc> <endpoint> <cpu> spin|block";

    internal static int Run(string[] args)
    {
        WatchParent();
        try
        {
            return args switch
            {
                ["--echo", "uds", var path, var cpu, var wait] =>
                    UdsEcho.Run(path, int.Parse(cpu), ParseWait(wait, "poll")),
                ["--echo", "dvs", var node, var dc, var ep, var cpu, var wait] =>
                    DvsEcho.Run(node, int.Parse(dc), int.Parse(ep), int.Parse(cpu), ParseWait(wait, "spin")),
                ["--sink", "dvs", var node, var dc, var ep, var cpu, var wait] =>
                    DvsSink.Run(node, int.Parse(dc), int.Parse(ep), int.Parse(cpu), ParseWait(wait, "spin")),
                _ => Fail(),
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"partner {string.Join(' ', args)}: {e}");
            return 1;
        }
    }

    internal static void SignalReady()
    {
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
    }

    private static bool ParseWait(string wait, string spinning) => wait == spinning;

    private static int Fail()
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static void WatchParent()
    {
        var watcher = new Thread(() =>
        {
            var input = Console.OpenStandardInput();
            var buffer = new byte[64];
            while (input.Read(buffer) > 0)
            {
            }
            Environment.Exit(0);
        })
        {
            IsBackground = true,
            Name = "parent watcher",
        };
        watcher.Start();
    }
}
