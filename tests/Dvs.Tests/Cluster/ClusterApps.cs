using Dvs.Tests.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>
/// Application processes of the cluster tests (Dvs.TestChild roles, see its Program.cs) and what
/// their result lines must say. Thread-safe (no state).
/// </summary>
internal static class ClusterApps
{
    /// <summary>A server bound on <paramref name="nodeName"/>, ready when this returns. Its replies carry <paramref name="tag"/>.</summary>
    public static ChildProcess Server(string nodeName, int dc, int endpoint, long tag)
    {
        var server = new ChildProcess("server", nodeName, Str(dc), Str(endpoint), Str(tag));
        server.ExpectLine("ready");
        return server;
    }

    /// <summary><paramref name="threads"/> callers (endpoints firstEp..) on <paramref name="nodeName"/>;
    /// ready (the server visible there) when this returns.</summary>
    public static ChildProcess Clients(string nodeName, int dc, int firstEp, int threads, int server, long countEach, long tag)
    {
        var clients = new ChildProcess("rclient", nodeName, Str(dc), Str(firstEp), Str(threads), Str(server), Str(countEach), Str(tag));
        clients.ExpectLine("ready");
        return clients;
    }

    /// <summary>Waits for the clients' result line and checks it: every call made, every reply the right one.</summary>
    public static void ExpectDone(ChildProcess clients, int threads, long countEach)
    {
        clients.ExpectLine($"done {threads * countEach} checksum {Checksum(threads, countEach)}");
        Assert.That(clients.WaitForExit(), Is.EqualTo(0), "client process exit code");
    }

    /// <summary>The checksum line of the rclient role when every reply i was 3i+1 with type (i &amp; 0xFFFF) + 1.</summary>
    public static ulong Checksum(int threads, long countEach)
    {
        ulong one = 0;
        for (long i = 0; i < countEach; i++)
        {
            one = unchecked(one + (ulong)(i * 3 + 1) + (ulong)((i & 0xFFFF) + 1));
        }
        return unchecked(one * (ulong)threads);
    }

    /// <summary>
    /// Stops a server with a request of type -1 from <paramref name="stopper"/> (an endpoint of this
    /// process on the server's node) and returns how many requests it executed; checks that it exits 0.
    /// </summary>
    public static long StopServer(ChildProcess server, Endpoint stopper, int serverEndpoint)
    {
        var stop = new Message(-1);
        Assert.That(stopper.SendRec(serverEndpoint, ref stop, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok), "stop request");
        server.ExpectLine($"executed {stop[0]}");
        return stop[0];
    }

    private static string Str(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
