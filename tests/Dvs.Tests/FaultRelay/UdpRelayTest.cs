using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dvs.FaultRelay;
using NUnit.Framework;

namespace Dvs.Tests.FaultRelay;

public sealed class UdpRelayTest
{
    [Test]
    public void SameSeedGivesTheSameFatesAndTheRatesAreTheAskedOnes()
    {
        var options = new FaultOptions(0.10, 0.10, 0.25, Seed: 7);
        var first = new FaultPlan(options, 0);
        var again = new FaultPlan(options, 0);
        var other = new FaultPlan(options, 1);
        const int n = 100_000;
        int drops = 0, dups = 0, reorders = 0, differ = 0;
        for (int i = 0; i < n; i++)
        {
            FaultAction x = first.Next();
            Assert.That(again.Next(), Is.EqualTo(x));
            differ += other.Next() == x ? 0 : 1;
            drops += x.Drop ? 1 : 0;
            dups += x.Duplicate ? 1 : 0;
            reorders += x.Reorder ? 1 : 0;
            Assert.That(x.HoldFor, Is.InRange(0, 3));
        }
        Assert.That(differ, Is.GreaterThan(n / 4), "the two directions draw independently");
        Assert.That(drops / (double)n, Is.InRange(0.09, 0.11));
        Assert.That(dups / (double)n, Is.InRange(0.09, 0.11));
        Assert.That(reorders / (double)n, Is.InRange(0.24, 0.26));
    }

    [Test]
    public void ProbabilitiesOutOfRangeAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultOptions(1.5, 0, 0, 1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultOptions(0, -0.1, 0, 1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultOptions(0, 0, double.NaN, 1).Validate());
    }

    [Test]
    public void WithoutFaultsEveryDatagramIsForwardedBothWays()
    {
        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var relay = new UdpRelay((IPEndPoint)a.Client.LocalEndPoint!,
            (IPEndPoint)b.Client.LocalEndPoint!, new FaultOptions(0, 0, 0, 1));
        relay.Start();
        a.Client.ReceiveTimeout = b.Client.ReceiveTimeout = 5000;

        for (byte i = 0; i < 20; i++)
        {
            a.Send([i], relay.ForA);
        }
        var remote = new IPEndPoint(IPAddress.Any, 0);
        var got = Enumerable.Range(0, 20).Select(_ => b.Receive(ref remote)[0]).ToArray();
        Assert.That(got, Is.EqualTo(Enumerable.Range(0, 20).Select(i => (byte)i)));
        Assert.That(remote, Is.EqualTo(relay.ForB), "B sees the relay's B side as A's address");

        b.Send([99], relay.ForB);
        Assert.That(a.Receive(ref remote), Is.EqualTo(new byte[] { 99 }));
        Assert.That(remote, Is.EqualTo(relay.ForA));
        Assert.That(relay.AToB.Forwarded, Is.EqualTo(20));
        Assert.That(relay.BToA.Received, Is.EqualTo(1));
    }

    [Test]
    public void TheRelayProgramForwardsAndStopsWhenItsInputCloses()
    {
        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        b.Client.ReceiveTimeout = 10_000;
        string dll = Path.Combine(AppContext.BaseDirectory, "dvs-fault-relay.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { dll, "--a", a.Client.LocalEndPoint!.ToString()!, "--b",
                     b.Client.LocalEndPoint!.ToString()!, "--drop", "0", "--seed", "3" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        try
        {
            string? ready = process.StandardOutput.ReadLine();
            if (ready is null || !ready.StartsWith("relay ", StringComparison.Ordinal))
            {
                process.Kill();
                Assert.Fail($"no ready line: '{ready}' {process.StandardError.ReadToEnd()}");
            }
            IPEndPoint forA = IPEndPoint.Parse(ready!.Split(' ')[1]);

            a.Send([7, 8, 9], forA);
            var remote = new IPEndPoint(IPAddress.Any, 0);
            Assert.That(b.Receive(ref remote), Is.EqualTo(new byte[] { 7, 8, 9 }));

            process.StandardInput.Close();
            Assert.That(process.WaitForExit(30_000), Is.True, "exits when stdin closes");
            Assert.That(process.ExitCode, Is.Zero);
            Assert.That(process.StandardOutput.ReadToEnd(), Does.Contain("a->b received=1 forwarded=1"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
    }

    [Test]
    public void TheRelayProgramRejectsUnknownOptions()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "dvs-fault-relay.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--a");
        start.ArgumentList.Add("127.0.0.1:1");
        start.ArgumentList.Add("--bogus");
        start.ArgumentList.Add("1");
        using var process = Process.Start(start)!;
        try
        {
            string error = process.StandardError.ReadToEnd();
            Assert.That(process.WaitForExit(30_000), Is.True);
            Assert.That(process.ExitCode, Is.EqualTo(2));
            Assert.That(error, Does.Contain("unknown option --bogus"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
    }
}
