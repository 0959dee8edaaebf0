using Dvs.Configuration;

namespace Dvs.Tests.Configuration;

/// <summary>
/// Every kind of mistake in a node ini file is reported at its file, line and key. Each case edits
/// <see cref="ConfigDir.ValidIni"/> (line numbers in the comments of that file) and checks the one
/// error it must give, so a check that fires for the wrong reason or at the wrong place fails too.
/// </summary>
[TestFixture]
public class NodeConfigErrorTests
{
    private const string Append = "";

    private static IEnumerable<TestCaseData> Cases()
    {
        // (find, replace with; Append adds at the end), line, section, key, message start
        yield return Case("unknown key", "port = 7100", "port = 7100\ncolour = blue",
            6, "node", "colour", "unknown key (known keys: id, name, address, port, transport, interface, mtu, migration_timeout_ms)");
        yield return Case("unknown section", Append, "[things]\na = 1\n",
            28, "things", null, "unknown section");
        yield return Case("bad number", "port = 7100", "port = 71o0", 5, "node", "port", "'71o0' is not a whole number");
        yield return Case("out of range", "nr_tasks = 20", "nr_tasks = 40", 20, "dc.web", "nr_tasks", "40 is out of range (0..35)");
        yield return Case("dcid out of range", "dcid = 3", "dcid = 32", 17, "dc.web", "dcid", "32 is out of range (0..31)");
        yield return Case("node id out of range", "id = 0", "id = -1", 2, "node", "id", "-1 is out of range (0..31)");
        yield return Case("missing key", "port = 7101\n", "", 11, "peer.beta", "port", "required key is missing");
        yield return Case("empty value", "name = alpha", "name =", 3, "node", "name", "value is empty");
        yield return Case("missing section", "[cluster]\nname = test\nkey_file = cluster.key\n\n", "",
            23, "cluster", null, "required section is missing");
        yield return Case("duplicate peer id", Append, "[peer.gamma]\nid = 1\naddress = 127.0.0.1\nport = 7102\n",
            29, "peer.gamma", "id", "1 is already the id of [peer.beta]");
        yield return Case("peer id of this node", "id = 1", "id = 0", 12, "peer.beta", "id", "0 is already the id of [node]",
            only: false); // the DC's "1" then names no node: a second, true error

        yield return Case("peer at this node's address", "port = 7101", "port = 7100",
            14, "peer.beta", "port", "127.0.0.1:7100 is already the address of [node]");
        yield return Case("peer named as this node", "[peer.beta]", "[peer.alpha]",
            11, "peer.alpha", null, "'alpha' is this node's own name", only: false);
        yield return Case("duplicate key", "dcid = 3", "dcid = 3\ndcid = 4", 18, "dc.web", "dcid", "duplicate key (first set on line 17)");
        yield return Case("section written twice", Append, "[peer.BETA]\n", 28, "peer.BETA", null, "section written twice (first on line 11)");
        yield return Case("line without =", "port = 7100", "port 7100", 5, "node", null, "'port 7100' is not 'key = value'");
        yield return Case("key outside a section", "[node]\n", "id = 9\n[node]\n", 1, "", "id", "key outside any [section]");
        yield return Case("missing key file", "key_file = cluster.key", "key_file = nope.key", 9, "cluster", "key_file", "/nope.key does not exist");
        // Found by fuzzing (tests/Dvs.Fuzz, target ini): a NUL made Path.GetFullPath throw ArgumentException.
        yield return Case("key file path with a NUL", "key_file = cluster.key", "key_file = clu\0ster.key", 9, "cluster", "key_file",
            "is not a valid path (it holds a NUL character)");
        yield return Case("DC names an unknown node", "nodes = alpha, 1", "nodes = alpha, gamma",
            18, "dc.web", "nodes", "'gamma' is neither this node nor a [peer.<name>]");
        yield return Case("DC names an unknown node id", "nodes = alpha, 1", "nodes = 0, 7",
            18, "dc.web", "nodes", "'7' is neither this node nor a [peer.<name>]");
        yield return Case("DC names a node twice", "nodes = alpha, 1", "nodes = alpha, 0",
            18, "dc.web", "nodes", "'0' names node 0 a second time");
        yield return Case("dcid used twice", Append, "[dc.db]\ndcid = 3\nnodes = 0\n", 29, "dc.db", "dcid", "3 is already the dcid of [dc.web]");
        yield return Case("more sysprocs than slots", "nr_sysprocs = 30", "nr_sysprocs = 121",
            21, "dc.web", "nr_sysprocs", "121 is more than nr_tasks + nr_procs (120)");
        yield return Case("default sysprocs more than slots", "nr_procs = 100\nnr_tasks = 20\nnr_sysprocs = 30", "nr_procs = 10\nnr_tasks = 20",
            16, "dc.web", "nr_sysprocs", "64 (the default) is more than nr_tasks + nr_procs (30)");
        yield return Case("IPv6 node address", "address = 127.0.0.1\nport = 7100", "address = ::1\nport = 7100",
            4, "node", "address", "'::1' is an IPv6 address; the udp and tcp transports are IPv4 only");
        yield return Case("IPv6 peer address", "address = 127.0.0.1\nport = 7101", "address = ::1\nport = 7101",
            13, "peer.beta", "address", "'::1' is an IPv6 address; the udp and tcp transports are IPv4 only");
        yield return Case("ring larger than a node host takes", Append, "[ipc]\nring_capacity = 1048576\n",
            29, "ipc", "ring_capacity", "1048576 is out of range (2..65536)");
        yield return Case("fewer sysprocs than tasks", "nr_sysprocs = 30", "nr_sysprocs = 10",
            21, "dc.web", "nr_sysprocs", "10 is less than nr_tasks (20): every task slot is privileged in DVS");
        yield return Case("more than 4096 slots", "nr_procs = 100", "nr_procs = 4090",
            19, "dc.web", "nr_procs", "nr_tasks + nr_procs = 4110 is more than 4096");
        yield return Case("service endpoint outside its DC", "endpoint = 5", "endpoint = 100",
            25, "service.echo", "endpoint", "100 is out of range (-20..99)");
        yield return Case("service in an unknown DC", "dc = web", "dc = db", 24, "service.echo", "dc", "'db' names no [dc.<name>] section");
        yield return Case("unknown transport", "port = 7100", "port = 7100\ntransport = pigeon",
            6, "node", "transport", "'pigeon' is not one of udp, tcp, raw");
        yield return Case("raw transport without interface", "port = 7100", "port = 7100\ntransport = raw",
            1, "node", "interface", "required key is missing", only: false);
        int min = LocalNodeConfig.MinMtu;   // one message per frame: header, one entry, HMAC
        yield return Case("mtu too small for one message", "port = 7100", $"port = 7100\nmtu = {min - 1}",
            6, "node", "mtu", $"{min - 1} is out of range ({min}..65507)");
        yield return Case("mtu above the largest UDP payload", "port = 7100", "port = 7100\nmtu = 65508",
            6, "node", "mtu", $"65508 is out of range ({min}..65507)");
        yield return Case("mtu not a number", "port = 7100", "port = 7100\nmtu = 9k",
            6, "node", "mtu", "'9k' is not a whole number");
        yield return Case("ring capacity not a power of two", Append, "[ipc]\nring_capacity = 300\n",
            29, "ipc", "ring_capacity", "300 is not a power of two");
        yield return Case("peer down not after heartbeat", "name = test", "name = test\nheartbeat_ms = 500\npeer_down_ms = 500",
            10, "cluster", "peer_down_ms", "500 must be more than heartbeat_ms (500)");
        yield return Case("bad node name", "name = alpha", "name = al/pha", 3, "node", "name", "'al/pha' is not a valid name", only: false);
        yield return Case("bad address", "address = 127.0.0.1\nport = 7100", "address = 127.0.0.1:7100\nport = 7100",
            4, "node", "address", "'127.0.0.1:7100' is not an IP address or a host name");
    }

    private static TestCaseData Case(string name, string find, string replace, int line, string section, string? key,
        string message, bool only = true) =>
        new TestCaseData(find, replace, line, section, key, message, only).SetName($"ConfigError: {name}");

    [TestCaseSource(nameof(Cases))]
    public void EachMistakeIsReportedAtItsFileLineAndKey(string find, string replace, int line, string section,
        string? key, string message, bool only)
    {
        using var dir = new ConfigDir();
        Assert.That(find == Append || ConfigDir.ValidIni.Contains(find), "the case edits text that exists");
        string text = find == Append ? ConfigDir.ValidIni + replace : ReplaceFirst(ConfigDir.ValidIni, find, replace);

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(text, "node0.ini", dir.Path))!;

        ConfigDiagnostic? match = e.Errors.FirstOrDefault(d => d.Section == section && d.Key == key && d.Message.Contains(message));
        Assert.That(match, Is.Not.Null, $"expected [{section}] {key}: {message}; got:\n{e.Message}");
        Assert.That(match!.File, Is.EqualTo("node0.ini"));
        Assert.That(match.Line, Is.EqualTo(line), e.Message);

        string where = key is null ? $"[{section}]:" : section.Length == 0 ? $"{key}:" : $"[{section}] {key}:";
        Assert.That(match.ToString(), Does.StartWith($"node0.ini:{match.Line}: {where} "));
        Assert.That(e.Message, Does.Contain(match.ToString()));
        if (only)
        {
            Assert.That(e.Errors, Has.Count.EqualTo(1), e.Message);
        }
    }

    [Test]
    public void TheMessageHasTheDocumentedForm()
    {
        using var dir = new ConfigDir();
        string text = ConfigDir.ValidIni.Replace("nr_tasks = 20", "nr_tasks = 40");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(text, "node0.ini", dir.Path))!;

        Assert.That(e.Message, Is.EqualTo("node0.ini:20: [dc.web] nr_tasks: 40 is out of range (0..35)"));
    }

    [Test]
    public void EveryErrorOfAFileIsReportedInLineOrder()
    {
        using var dir = new ConfigDir();
        string text = ConfigDir.ValidIni
            .Replace("nr_tasks = 20", "nr_tasks = 40")
            .Replace("port = 7100", "port = x")
            .Replace("kind = echo", "kind = echo\nshape = round");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(text, "node0.ini", dir.Path))!;

        Assert.That(e.Errors.Select(d => (d.Line, d.Key)), Is.EqualTo(new (int, string?)[]
        {
            (5, "port"), (20, "nr_tasks"), (27, "shape"),
        }));
    }

    [Test]
    public void AFileThatDoesNotExistIsAConfigErrorNamingIt()
    {
        using var dir = new ConfigDir();
        string path = Path.Combine(dir.Path, "absent.ini");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Load(path))!;

        Assert.That(e.Message, Is.EqualTo($"{path}: cannot read the configuration: no such file"));
    }

    [Test]
    public void LoadNamesTheFileAsTheCallerDid()
    {
        using var dir = new ConfigDir();
        dir.Write("node0.ini", ConfigDir.ValidIni.Replace("port = 7100", "port = 0"));
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.Combine(dir.Path, "node0.ini"));

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Load(relative))!;

        Assert.That(e.Message, Is.EqualTo($"{relative}:5: [node] port: 0 is out of range (1..65535)"));
    }

    private static string ReplaceFirst(string text, string find, string replace)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return text[..at] + replace + text[(at + find.Length)..];
    }
}
