using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Stack.Apps.Services;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// A multi-queue TAP (tap-setup --queues 2) with one event loop per queue: `stack serve --queues 2` against the
/// kernel's pings and sockets (one pcap trace for both shards), and <see cref="StackShards"/> in process for what serve does not do (a listener on one
/// shard only, connections the stack opens from either shard).
/// </summary>
public sealed partial class MultiQueueInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// 24 connections from the kernel, over IPv4 and IPv6: 64 KiB of random bytes through echo, 1 MiB into
    /// discard, 8 KiB of chargen checked line by line (each RFC 864 line is the one before shifted by a character).
    /// </summary>
    private const string Clients = """
        import os, socket, sys
        def conn(host, port):
            s = socket.create_connection((host, port), timeout=10)
            return s
        def echo(host):
            s = conn(host, 7); data = os.urandom(65536); got = b''
            s.sendall(data); s.shutdown(socket.SHUT_WR)
            while True:
                b = s.recv(65536)
                if not b: break
                got += b
            s.close(); assert got == data, 'echo differs'
        def discard(host):
            s = conn(host, 9); s.sendall(os.urandom(1 << 20)); s.shutdown(socket.SHUT_WR)
            assert s.recv(1) == b'', 'discard answered'; s.close()
        def chargen(host):
            s = conn(host, 19); got = b''
            while len(got) < 8192: got += s.recv(65536)
            s.close()
            lines = got.split(b'\r\n')[:-1]
            assert len(lines) > 50 and all(len(l) == 72 for l in lines), 'chargen lines'
            assert all(a[1:] == b[:-1] for a, b in zip(lines, lines[1:])), 'chargen pattern'
        n = 0
        for host in ['192.0.2.2', '2001:db8::2']:
            for _ in range(4):
                echo(host); discard(host); chargen(host); n += 3
        print('ok', n)
        """;

    [GeneratedRegex(@"(?m)^q(?<shard>\d)\.tcp\.Accepted=(?<n>\d+)$")]
    private static partial Regex AcceptedByShard();

    [SkippableFact]
    public void Serve_with_two_queues_answers_pings_and_serves_echo_discard_and_chargen_from_both_shards()
    {
        TapRequirement.Check("ping", "python3");
        using var ns = TestNamespace.Create(taps: 1, queues: 2);
        var control = Directory.CreateTempSubdirectory("stack-mq-");
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            using var serve = ns.StartBackground(
                $"exec dotnet {stack} serve --tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64 --queues 2 --control {control.FullName}/s.sock --pcap {control.FullName}/t.pcap");
            ns.WaitUntilAnswering("192.0.2.2", serve);
            foreach (var ping in new[] { "ping -c 3 -i 0.2 -W 2 192.0.2.2", "ping -6 -c 3 -i 0.2 -W 2 2001:db8::2" })
            {
                var (code, text, _) = ns.Exec(ping, TimeSpan.FromSeconds(10));
                Assert.True(code == 0, text);
            }
            var script = Path.Combine(control.FullName, "clients.py");
            File.WriteAllText(script, Clients);
            var (rc, stdout, stderr) = ns.Exec($"timeout 60 python3 {script}", TimeSpan.FromSeconds(70));
            output.WriteLine(stdout + stderr);
            Assert.True(rc == 0, stdout + stderr);
            Assert.Contains("ok 24", stdout, StringComparison.Ordinal);

            serve.Signal("TERM");
            Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(15)), "stack serve did not stop on SIGTERM");
            output.WriteLine(serve.StdErr);
            Assert.Equal(0, serve.ExitCode);
            // Each shard took some of the 24 connections (all on one: a chance of 2^-23), and the sums add up.
            var accepted = AcceptedByShard().Matches(serve.StdErr).ToDictionary(m => m.Groups["shard"].Value, m => int.Parse(m.Groups["n"].Value));
            Assert.Equal(2, accepted.Count);
            Assert.All(accepted.Values, n => Assert.True(n > 0, $"a shard accepted nothing: {string.Join(", ", accepted)}"));
            Assert.Matches($@"(?m)^tcp\.Accepted={accepted["0"] + accepted["1"]}$", serve.StdErr);
            // One trace holds both shards' frames: at least the 24 connections' SYNs and the pings, whole records.
            var trace = File.ReadAllBytes(Path.Combine(control.FullName, "t.pcap"));
            int records = 0, end = 24;
            for (; end + 16 <= trace.Length; records++) end += 16 + BitConverter.ToInt32(trace, end + 8);
            output.WriteLine($"trace: {records} frames, {trace.Length} bytes");
            Assert.Equal(trace.Length, end); // no record torn by the two loops writing at once
            Assert.True(records > 24 * 3 + 12, $"{records} frames in the trace");
        }
        finally
        {
            control.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task A_listener_on_one_shard_gets_every_connection_and_both_shards_connect_out()
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1, queues: 2);
        var services = new List<ServiceHost>();
        using var shards = StackShards.Start(new StackOptions
        {
            Link = StackLink.Tap("tap0", ns.Name),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
            Mac = new MacAddress(0x0200_5354_0077UL),
        }, queues: 2, configure: s =>
        {
            if (s.Name.EndsWith(".q0", StringComparison.Ordinal)) services.Add(ServiceHost.Start(s, ["echo"]));
        });
        ns.WaitUntilForwarding("tap0");
        try
        {
            // Echo listens on shard 0 only: SYNs the kernel steers to queue 1 are handed over, not refused.
            var (rc, text, err) = ns.Exec("""
                timeout 30 python3 -c "
                import socket
                for i in range(12):
                    s = socket.create_connection(('192.0.2.2', 7), timeout=5); s.sendall(b'x%d' % i)
                    assert s.recv(10) == b'x%d' % i; s.close()
                print('ok')"
                """, TimeSpan.FromSeconds(40));
            Assert.True(rc == 0, text + err);
            var stats = await Task.WhenAll(shards.Shards.Select(s => s.Loop.InvokeAsync(_ => (s.Tcp.Statistics.Accepted, s.Tcp.Statistics.HandedOff))));
            output.WriteLine($"accepted {stats[0].Accepted} + {stats[1].Accepted}, handed off {stats[0].HandedOff} + {stats[1].HandedOff}");
            Assert.Equal(12, stats[0].Accepted);
            Assert.Equal(0, stats[1].Accepted);
            Assert.True(stats[1].HandedOff > 0, "no SYN landed on queue 1 (a chance of 2^-12)");

            // Each shard connects out to a kernel echo server: the answers come back to the shard that connected
            // (the driver steers the flow to the queue it was written on), ARP shared whichever queue the reply took.
            using var server = ns.StartBackground("""
                exec python3 -c "
                import socket
                l = socket.create_server(('192.0.2.1', 7007)); print('listening', flush=True)
                while True:
                    c, _ = l.accept(); d = c.recv(100); c.sendall(d); c.close()"
                """);
            server.WaitForOutput("listening");
            foreach (var shard in shards.Shards)
            {
                using var socket = StackSocket.Create(shard, AddressFamily.InterNetwork, SocketType.Stream);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 7007), timeout.Token);
                await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes("from " + shard.Name), timeout.Token);
                var buffer = new byte[100];
                int n = await socket.ReceiveAsync(buffer, timeout.Token);
                Assert.Equal("from " + shard.Name, System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        finally
        {
            foreach (var s in services) s.Dispose();
        }
    }

    [SkippableFact]
    public async Task Udp_replies_to_shard_1_s_clients_reach_them_on_whichever_queue_they_land()
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1, queues: 2);
        using var shards = StackShards.Start(new StackOptions
        {
            Link = StackLink.Tap("tap0", ns.Name),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
            Mac = new MacAddress(0x0200_5354_0078UL),
        }, queues: 2);
        ns.WaitUntilForwarding("tap0");
        // The kernel's server waits until the tun driver's flow entries (made when shard 1 wrote each flow on queue 1)
        // have aged out, about 3 s, then answers: the flow hash alone picks each reply's queue, so about half land on
        // queue 0 and are handed round to shard 1.
        const int Clients = 12;
        using var server = ns.StartBackground($$"""
            exec python3 -c "
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('192.0.2.1', 7009)); print('listening', flush=True)
            peers = [s.recvfrom(100) for _ in range({{Clients}})]
            time.sleep(7)
            for d, a in peers: s.sendto(d, a)
            print('sent', flush=True); time.sleep(30)"
            """);
        server.WaitForOutput("listening");
        var shard1 = shards.Shards[1];
        var clients = Enumerable.Range(0, Clients).Select(_ => StackSocket.Create(shard1, AddressFamily.InterNetwork, SocketType.Dgram)).ToList();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var target = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 7009);
            for (int i = 0; i < Clients; i++) await clients[i].SendToAsync(System.Text.Encoding.ASCII.GetBytes($"c{i}"), target, timeout.Token);
            var buffer = new byte[100];
            for (int i = 0; i < Clients; i++)
            {
                var got = await clients[i].ReceiveFromAsync(buffer, timeout.Token);
                Assert.Equal($"c{i}", System.Text.Encoding.ASCII.GetString(buffer, 0, got.ReceivedBytes));
            }
            var stats = await Task.WhenAll(shards.Shards.Select(s => s.Loop.InvokeAsync(_ => (s.Udp.Statistics.HandedOff, s.Udp.Statistics.NoPorts, s.Udp.Statistics.DatagramsReceived))));
            output.WriteLine($"shard 0: handed off {stats[0].HandedOff}, no port {stats[0].NoPorts}; shard 1: received {stats[1].DatagramsReceived}");
            Assert.True(stats[0].HandedOff > 0, "no reply landed on queue 0 (a chance of 2^-12)");
            Assert.Equal(0, stats[0].NoPorts + stats[1].NoPorts);
            Assert.Equal(Clients, stats[1].DatagramsReceived);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
