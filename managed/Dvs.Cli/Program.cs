using Dvs;
using Dvs.Cli;
using Dvs.Cli.Demo;

// Interim entry point until the command-line tree lands: `dvs demo [--seconds N] [--wait spin|default|blocking]`.
string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
string waitName = Arg("--wait", "default");
WaitStrategy wait = waitName switch { "spin" => WaitStrategy.Spinning, "blocking" => WaitStrategy.Blocking, _ => WaitStrategy.Default };
if (args.Length > 0 && args[0] == "demo")
{
    string serve = Arg("--serve", "");
    if (serve.Length > 0)
    {
        return DemoServer.Run(serve, wait, Console.Out);
    }
    var options = new DemoOptions(TimeSpan.FromSeconds(int.Parse(Arg("--seconds", "10"))), wait, waitName,
        Live: !Console.IsOutputRedirected);
    return PingPongDemo.Run(options, Console.Out, CancellationToken.None);
}
Console.Error.WriteLine("usage: dvs demo [--seconds N] [--wait spin|default|blocking]");
return 2;
