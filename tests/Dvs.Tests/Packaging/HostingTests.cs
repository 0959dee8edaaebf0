using Dvs.Hosting;
using Dvs.Services;
using Dvs.Tests.Cli;
using Dvs.Tests.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dvs.Tests.Packaging;

/// <summary>
/// Dvs.Hosting in this process: a node host from a configuration section or an ini file, a service
/// created through DI, the health check, attaching to a node host running elsewhere; and the bad
/// inputs (a missing section, an unreadable or invalid ini) stopping start-up with the message of
/// <c>dvs config check</c>, leaving nothing in /dev/shm.
/// </summary>
[TestFixture]
public class HostingTests
{
    private static readonly DvsTimeout Wait = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public async Task ANodeHostFromAConfigurationSectionServesAServiceCreatedThroughDi()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        HostApplicationBuilder builder = Builder(Section(dir, name));
        builder.Services.AddDvsNodeHost(builder.Configuration.GetSection("Dvs"));
        builder.Services.AddSingleton(new Increment(7));
        builder.Services.AddDvsService<AddingService>(dcid: 0, endpoint: 5, kind: "adding");
        builder.Services.AddHealthChecks().AddDvs();
        using IHost host = builder.Build();

        await host.StartAsync();
        DvsNode dvs = host.Services.GetRequiredService<DvsNode>();
        Assert.That(dvs.Host, Is.Not.Null);
        Assert.That(File.Exists(Segment(name)), Is.True);
        using (Endpoint client = dvs.Node.Bind(0, 6))
        {
            for (int i = 0; i < 1000; i++)
            {
                var m = new Message(1) { [0] = i };
                Assert.That(client.SendRec(5, ref m, Wait), Is.EqualTo(DvsError.Ok));
                Assert.That(m[0], Is.EqualTo(i + 7), $"reply {i}");
            }
        }
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.That(health.Status, Is.EqualTo(HealthStatus.Healthy), health.Entries["dvs"].Description);
        Assert.That(health.Entries["dvs"].Description, Does.Contain(name));

        await host.StopAsync();
        Assert.That(File.Exists(Segment(name)), Is.False, "the segment is removed at stop");
        Assert.That(dvs.IsStarted, Is.False);
    }

    [Test]
    public async Task AnApplicationAttachedToANodeHostRunningElsewhereServesFromItsOwnProcess()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        using NodeHost nodeHost = NodeHost.Start(new NodeHostOptions { NodeName = name });
        HostApplicationBuilder builder = Builder([]);
        builder.Services.AddDvsNode(name);
        builder.Services.AddSingleton(new Increment(1));
        builder.Services.AddDvsService<AddingService>(dcid: 0, endpoint: 5, kind: "adding");
        using IHost host = builder.Build();

        await host.StartAsync();
        Assert.That(host.Services.GetRequiredService<DvsNode>().Host, Is.Null);
        using (Node node = nodeHost.Attach())
        using (Endpoint client = node.Bind(0, 6))
        {
            var m = new Message(1) { [0] = 41 };
            Assert.That(client.SendRec(5, ref m, Wait), Is.EqualTo(DvsError.Ok));
            Assert.That(m[0], Is.EqualTo(42));
        }
        await host.StopAsync();
        using Node after = nodeHost.Attach();
        Assert.That(after.GetEndpointInfo(0, 5) is null or { State: "free" }, Is.True, "the service's endpoint is unbound at stop");
    }

    [Test]
    public async Task AttachingToANodeHostThatDoesNotRunFailsStartUp()
    {
        string name = ConfigDir.UniqueNodeName();
        HostApplicationBuilder builder = Builder([]);
        builder.Services.AddDvsNode(name, o => o.AttachTimeout = TimeSpan.Zero);
        using IHost host = builder.Build();

        var e = (await Assert.ThrowsAsync<DvsException>(() => host.StartAsync()))!;
        Assert.That(e.Message, Does.Contain(name));
    }

    [Test]
    public async Task AttachingToANodeHostOfAnotherLayoutVersionFailsStartUpWithTheClearError()
    {
        string name = ConfigDir.UniqueNodeName();
        using NodeHost nodeHost = NodeHost.Start(new NodeHostOptions { NodeName = name });
        using Node raw = nodeHost.Attach();
        // Simulate a host built against another layout: bump the version in the live header.
        uint saved = SwapLayoutVersion(raw, v => v + 1);
        try
        {
            HostApplicationBuilder builder = Builder([]);
            builder.Services.AddDvsNode(name, o => o.AttachTimeout = TimeSpan.Zero);
            using IHost host = builder.Build();

            var e = (await Assert.ThrowsAsync<DvsException>(() => host.StartAsync()))!;
            Assert.That(e.Message, Does.Contain("layout version " + (saved + 1)).And.Contain("this build uses " + saved));
        }
        finally
        {
            SwapLayoutVersion(raw, _ => saved);
        }
    }

    [Test]
    public async Task AMissingSectionStopsStartUpAndLeavesNothing()
    {
        string name = ConfigDir.UniqueNodeName();
        HostApplicationBuilder builder = Builder([]);
        builder.Services.AddDvsNodeHost(builder.Configuration.GetSection("Dvs"));
        using IHost host = builder.Build();

        var e = (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
        Assert.That(e.Message, Is.EqualTo("Dvs: the configuration section is missing or empty (it needs at least [node], [cluster] and a [dc.*], as a node ini file does)"));
        Assert.That(Leftovers(name), Is.Empty, "nothing in /dev/shm");
    }

    [Test]
    public async Task AnUnreadableIniStopsStartUpWithTheMessageOfConfigCheck()
    {
        using var dir = new ConfigDir();
        string ini = Path.Combine(dir.Path, "absent.ini");
        HostApplicationBuilder builder = Builder([]);
        builder.Services.AddDvsNodeHost(ini);
        using IHost host = builder.Build();

        var e = (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
        Assert.That(e.Message, Is.EqualTo(ConfigCheckErrors(ini)));
        Assert.That(e.Message, Does.Contain("cannot read the configuration"));
    }

    [Test]
    public async Task AnIniThatConfigCheckRefusesStopsStartUpWithItsMessageAndLeavesNothing()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string ini = dir.Write("node.ini", ConfigDir.RunnableIni(name).Replace("nr_tasks = 20", "nr_tasks = 999"));
        HostApplicationBuilder builder = Builder([]);
        builder.Services.AddDvsNodeHost(ini);
        using IHost host = builder.Build();

        var e = (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
        Assert.That(e.Message, Is.EqualTo(ConfigCheckErrors(ini)));
        Assert.That(e.Message, Does.Contain("[dc.web] nr_tasks: 999 is out of range"));
        Assert.That(Leftovers(name), Is.Empty, "nothing in /dev/shm");
    }

    [Test]
    public async Task ABadValueInTheSectionIsNamedByItsConfigurationPath()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        Dictionary<string, string?> section = Section(dir, name);
        section["Dvs:dc.dc0:nr_tasks"] = "999";
        HostApplicationBuilder builder = Builder(section);
        builder.Services.AddDvsNodeHost(builder.Configuration.GetSection("Dvs"));
        using IHost host = builder.Build();

        var e = (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
        Assert.That(e.Message, Is.EqualTo("Dvs:dc.dc0:nr_tasks: 999 is out of range (0..35)"));
        Assert.That(Leftovers(name), Is.Empty, "nothing in /dev/shm");
    }

    [Test]
    public async Task AServiceKindNeitherBuiltInNorRegisteredStopsStartUp()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string ini = dir.Write("node.ini", ConfigDir.RunnableIni(name).Replace("kind = echo", "kind = nosuch"));
        HostApplicationBuilder builder = Builder([]);
        builder.Services.AddDvsNodeHost(ini);
        using IHost host = builder.Build();

        var e = (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
        Assert.That(e.Message, Does.Contain("[service.echo] kind: 'nosuch' is not a service kind this host can start"));
        Assert.That(Leftovers(name), Is.Empty, "nothing in /dev/shm");
    }

    /// <summary>A configuration section of a one-node cluster, in the shape of a node ini file.</summary>
    internal static Dictionary<string, string?> Section(ConfigDir dir, string name) => new()
    {
        ["Dvs:node:id"] = "0",
        ["Dvs:node:name"] = name,
        ["Dvs:node:address"] = "127.0.0.1",
        ["Dvs:node:port"] = ConfigDir.FreeUdpPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Dvs:cluster:name"] = "test",
        ["Dvs:cluster:key_file"] = dir.KeyFile,
        ["Dvs:dc.dc0:dcid"] = "0",
        ["Dvs:dc.dc0:nodes"] = name,
    };

    internal static string Segment(string nodeName) => $"/dev/shm/dvs-{nodeName}";

    // Whatever a node host of this name would have made in /dev/shm (segment, epochs, incarnation).
    private static string[] Leftovers(string nodeName) =>
        Directory.GetFiles("/dev/shm", $"dvs-{nodeName}.*").Append(Segment(nodeName)).Where(File.Exists).ToArray();

    // Sets the layout version in a live segment's header; returns the one it had.
    private static unsafe uint SwapLayoutVersion(Node node, Func<uint, uint> change)
    {
        Dvs.Layout.SegmentHeader* header = node.Segment.Header;
        uint before = header->LayoutVersion;
        header->LayoutVersion = change(before);
        return before;
    }

    private static HostApplicationBuilder Builder(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        return builder;
    }

    // What `dvs config check` prints on stderr before its count of errors.
    private static string ConfigCheckErrors(string ini)
    {
        CliResult r = CliRun.Run("config", "check", ini);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        string[] lines = r.Error.TrimEnd().Split('\n');
        return string.Join(Environment.NewLine, lines[..^1]).TrimEnd('\r');
    }

    /// <summary>A dependency injected into <see cref="AddingService"/>.</summary>
    internal sealed record Increment(int By);

    /// <summary>Replies with the request's first word plus the injected increment.</summary>
    internal sealed class AddingService(Increment increment) : IMigratableService
    {
        public Message Execute(in Message request)
        {
            Message reply = request;
            reply[0] = request[0] + increment.By;
            return reply;
        }

        public byte[] Snapshot() => [];

        public void Restore(ReadOnlySpan<byte> snapshot)
        {
        }
    }
}
