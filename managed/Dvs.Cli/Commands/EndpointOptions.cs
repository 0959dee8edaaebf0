using System.CommandLine;

namespace Dvs.Cli.Commands;

/// <summary>The options every endpoint command shares: which node to attach to, which DC and endpoint to bind.</summary>
internal sealed class EndpointOptions
{
    public readonly Option<string> Node = CheckedOption.Node("The node to attach to (its host must run)");
    public readonly Option<int> Dc = CheckedOption.Dc();
    public readonly Option<int> Endpoint;
    public readonly Option<string> Wait = new("--wait")
    {
        Description = "How to wait: default (spin 50 us, then sleep), spin, blocking",
        DefaultValueFactory = _ => "default",
    };

    public EndpointOptions(int defaultEndpoint)
    {
        Endpoint = EndpointNumber("--endpoint", "The endpoint to bind", defaultEndpoint);
        Wait.AcceptOnlyFromAmong("default", "spin", "blocking");
    }

    /// <summary>An endpoint number: -nr_tasks (at most 35) up to the largest slot.</summary>
    public static Option<int> EndpointNumber(string name, string description, int? defaultValue) =>
        CheckedOption.Int(name, description, -Configuration.DcConfig.MaxNrTasks, Configuration.DcConfig.MaxSlots - 1, defaultValue);

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
