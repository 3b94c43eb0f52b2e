using System.Text.RegularExpressions;
using Stack.Tests.Support;

namespace Stack.Tests.Interop;

// `stack serve --queues 2` with DHCP from dnsmasq, or SLAAC from radvd, on the namespace's bridge: shard 0 runs the
// client and autoconfiguration, whichever queue the server's and router's messages land on, and both shards answer
// for the address they give.
public sealed partial class MultiQueueInteropTests
{
    /// <summary>16 connections from 16 source ports to echo on ADDRESS: the kernel's flow hash spreads them over both queues.</summary>
    private const string EchoClients = """
        timeout 20 python3 -c "
        import socket
        for i in range(16):
            s = socket.create_connection(('ADDRESS', 7), timeout=5); s.sendall(b'x%d' % i)
            assert s.recv(10) == b'x%d' % i; s.close()
        print('ok')"
        """;

    /// <summary>Stops serve and checks that each shard accepted some of the 16 connections.</summary>
    private void AssertBothShardsAccepted(BackgroundProcess serve)
    {
        serve.Signal("TERM");
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(15)), "stack serve did not stop on SIGTERM");
        output.WriteLine(serve.StdOut + serve.StdErr);
        var accepted = AcceptedByShard().Matches(serve.StdErr).ToDictionary(m => m.Groups["shard"].Value, m => int.Parse(m.Groups["n"].Value));
        Assert.Equal(2, accepted.Count);
        Assert.Equal(16, accepted.Values.Sum());
        Assert.All(accepted.Values, n => Assert.True(n > 0, $"a shard accepted nothing (a chance of 2^-15): {string.Join(", ", accepted)}"));
    }

    [GeneratedRegex(@"dhcp bound (?<address>192\.0\.2\.\d+)/24 router 192\.0\.2\.1")]
    private static partial Regex DhcpBound();

    [SkippableFact]
    public void Serve_with_two_queues_and_dhcp_leases_answers_pings_and_accepts_on_both_shards()
    {
        TapRequirement.Check("dnsmasq", "ping", "python3");
        using var ns = TestNamespace.Create(taps: 1, queues: 2);
        var leases = Path.Combine(Path.GetTempPath(), $"dnsmasq-{ns.Name}.leases");
        File.Delete(leases);
        using var dnsmasq = ns.StartBackground(
            "exec dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=br0 --bind-interfaces --no-ping --log-dhcp " +
            "--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m --dhcp-option=3,192.0.2.1 --dhcp-option=6,192.0.2.1 " +
            $"--dhcp-leasefile={leases}");
        dnsmasq.WaitForError("DHCP, IP range", 10);
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            // One RFC 5227 probe: its answer, were there one, could land on either queue too.
            using var serve = ns.StartBackground($"exec dotnet {stack} serve --tap tap0 --dhcp --dhcp-probes 1 --queues 2 --services echo");
            serve.WaitForOutput("dhcp bound", 15);
            var address = DhcpBound().Match(serve.StdOut).Groups["address"].Value;
            Assert.False(string.IsNullOrEmpty(address), serve.StdOut);
            var (code, text, _) = ns.Exec($"ping -c 3 -i 0.2 -W 2 {address}", TimeSpan.FromSeconds(10));
            Assert.True(code == 0, text);
            // Each shard, following shard 0's lease, accepts and answers the connections that land on it.
            var (rc, stdout, stderr) = ns.Exec(EchoClients.Replace("ADDRESS", address, StringComparison.Ordinal), TimeSpan.FromSeconds(25));
            Assert.True(rc == 0, stdout + stderr + serve.StdErr);
            AssertBothShardsAccepted(serve);
            Assert.Contains($"DHCPACK(br0) {address}", dnsmasq.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(leases);
        }
    }

    [SkippableFact]
    public void Serve_with_two_queues_takes_a_slaac_address_from_radvd_answers_pings_and_accepts_on_both_shards()
    {
        TapRequirement.Check("radvd", "ping", "python3");
        using var ns = TestNamespace.Create(taps: 1, queues: 2);
        var dir = Directory.CreateTempSubdirectory("stack-mq-radvd-");
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            using var serve = ns.StartBackground($"exec dotnet {stack} serve --tap tap0 --autoconf on --queues 2 --services echo");
            serve.WaitForError("stack up on tap0", seconds: 15);
            ns.WaitUntilForwarding("tap0");
            using var radvd = AutoconfInteropTests.StartRadvd(ns, dir.FullName);
            serve.WaitForError("assigned (SLAAC)", seconds: 15);
            var address = Regex.Match(serve.StdErr, @"address (2001:db8::[0-9a-f:]+)/64 assigned").Groups[1].Value;
            var (code, text, _) = ns.Exec($"ping -6 -c 3 -i 0.2 -W 2 {address}", TimeSpan.FromSeconds(10));
            Assert.True(code == 0, text + serve.StdErr);
            var (rc, stdout, stderr) = ns.Exec(EchoClients.Replace("ADDRESS", address, StringComparison.Ordinal), TimeSpan.FromSeconds(25));
            Assert.True(rc == 0, stdout + stderr + serve.StdErr);
            AssertBothShardsAccepted(serve);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
