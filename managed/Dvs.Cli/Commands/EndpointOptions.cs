using System.CommandLine;

namespace Dvs.Cli.Commands;

/// <summary>The options every endpoint command shares: which node to attach to, which DC and endpoint to bind.</summary>
internal sealed class EndpointOptions
{
    public readonly Option<string> Node = new("--node") { Description = "The node to attach to (its host must run)", Required = true };
    public readonly Option<int> Dc = new("--dc") { Description = "DC id", DefaultValueFactory = _ => 0 };
    public readonly Option<int> Endpoint;
    public readonly Option<string> Wait = new("--wait")
    {
        Description = "How to wait: default (spin 50 us, then sleep), spin, blocking",
        DefaultValueFactory = _ => "default",
    };

    public EndpointOptions(int defaultEndpoint)
    {
        Endpoint = new Option<int>("--endpoint") { Description = "The endpoint to bind", DefaultValueFactory = _ => defaultEndpoint };
        Wait.AcceptOnlyFromAmong("default", "spin", "blocking");
    }

    public void AddTo(Command command)
    {
        command.Add(Node);
        command.Add(Dc);
        command.Add(Endpoint);
        command.Add(Wait);
    }

    public WaitStrategy Strategy(ParseResult parse) => parse.GetValue(Wait) switch
    {
        "spin" => WaitStrategy.Spinning,
        "blocking" => WaitStrategy.Blocking,
        _ => WaitStrategy.Default,
    };
}
