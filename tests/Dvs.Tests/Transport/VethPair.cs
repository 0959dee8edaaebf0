using System.Diagnostics;
using System.Net.NetworkInformation;

namespace Dvs.Tests.Transport;

/// <summary>
/// A veth pair (two Ethernet interfaces joined by a virtual cable) with known MAC addresses, made
/// with ip(8) for one test: both ends in this network namespace, or each end in a network namespace
/// of its own. Names are unique per run. Everything is deleted on dispose, also after a failure
/// half-way. Not thread-safe.
/// </summary>
internal sealed class VethPair : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);
    private readonly List<string> _namespaces = [];
    private bool _linkCreated;

    private VethPair(string id)
    {
        NameA = $"dvs{id}a";
        NameB = $"dvs{id}b";
        // Locally administered unicast addresses (02:...), unique per run.
        MacA = PhysicalAddress.Parse($"02:64:{id[..2]}:{id[2..4]}:{id[4..6]}:0a");
        MacB = PhysicalAddress.Parse($"02:64:{id[..2]}:{id[2..4]}:{id[4..6]}:0b");
    }

    public string NameA { get; }

    public string NameB { get; }

    public PhysicalAddress MacA { get; }

    public PhysicalAddress MacB { get; }

    /// <summary>The namespace of end A (null: this process's).</summary>
    public string? NamespaceA { get; private set; }

    /// <summary>The namespace of end B (null: this process's).</summary>
    public string? NamespaceB { get; private set; }

    /// <summary>The MAC as the ini files write it.</summary>
    public static string Text(PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// Creates the pair (in two new namespaces when <paramref name="inNamespaces"/>), both ends up.
    /// When the host does not allow it (no CAP_NET_ADMIN, no veth, no ip(8)) the test is ignored
    /// with the reason.
    /// </summary>
    public static VethPair Create(bool inNamespaces)
    {
        var pair = new VethPair(Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string? failure = pair.TrySetUp(inNamespaces);
            if (failure is not null)
            {
                pair.Dispose();
                Assert.Ignore($"this host does not allow a veth pair{(inNamespaces ? " in network namespaces" : "")}: {failure}");
            }
            return pair;
        }
        catch (Exception e) when (e is not IgnoreException)
        {
            pair.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_linkCreated && NamespaceA is null)
        {
            Ip(null, "link", "del", NameA); // deletes both ends
        }
        foreach (string ns in _namespaces)
        {
            Ip(null, "netns", "del", ns); // deletes the ends inside it
        }
        _namespaces.Clear();
        _linkCreated = false;
    }

    private string? TrySetUp(bool inNamespaces)
    {
        if (inNamespaces)
        {
            foreach (string ns in new[] { NameA, NameB })
            {
                if (Ip(null, "netns", "add", ns) is { } e)
                {
                    return e;
                }
                _namespaces.Add(ns);
            }
        }
        if (Ip(null, "link", "add", NameA, "address", Text(MacA), "type", "veth", "peer", "name", NameB, "address", Text(MacB)) is { } failure)
        {
            return failure;
        }
        _linkCreated = true;
        if (inNamespaces)
        {
            string? moveFailure = Ip(null, "link", "set", NameA, "netns", NameA) ?? Ip(null, "link", "set", NameB, "netns", NameB);
            if (moveFailure is not null)
            {
                return moveFailure;
            }
            NamespaceA = NameA;
            NamespaceB = NameB;
        }
        return Ip(NamespaceA, "link", "set", NameA, "up") ?? Ip(NamespaceB, "link", "set", NameB, "up");
    }

    /// <summary>Runs ip(8) (in namespace <paramref name="ns"/> when given); null on success, else what it said.</summary>
    private static string? Ip(string? ns, params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ns is not null)
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(ns);
        }
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"ip: {e.Message}";
        }
        using (process)
        {
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                process.Kill();
                process.WaitForExit();
                return $"ip {string.Join(' ', args)}: no answer within {CommandTimeout}";
            }
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"ip {string.Join(' ', args)}: exit {process.ExitCode}: {stderr.Result.Trim()}{stdout.Result.Trim()}";
        }
    }
}
