using System.Net;
using System.Net.Sockets;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// The stack's client coming back, port after port, to a kernel server that closes first and so holds each old
/// connection in TIME-WAIT. Linux takes a SYN on such a tuple only when its timestamp is newer than the record's
/// (tcp_timewait_state_process, RFC 6191; an older one fails PAWS whatever its sequence number): with one
/// timestamp offset per pair of addresses every reuse connects at once, where an offset drawn per connection made
/// about half of them wait a 1 s SYN retransmission. A local port range of 8 (StackOptions.LocalPortRange, Linux's
/// ip_local_port_range) makes 32 connections reuse each port three times.
/// </summary>
public sealed class TimeWaitReuseInteropTests(ITestOutputHelper output)
{
    private const string CloserScript = """
        import socket, sys
        family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        l = socket.socket(family, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((sys.argv[1], int(sys.argv[2])))
        l.listen(64)
        l.settimeout(60)
        print("ready", flush=True)
        for _ in range(int(sys.argv[3])):
            c, _ = l.accept()
            c.sendall(b"bye\n")
            c.close()
        print("served", flush=True)
        """;

    [SkippableTheory]
    [InlineData("192.0.2.1")]
    [InlineData("2001:db8::1")]
    public void Reusing_ports_the_kernel_holds_in_TIME_WAIT_connects_without_a_retransmission(string kernel)
    {
        TapRequirement.Check("python3", "ss");
        using var ns = TestNamespace.Create(taps: 1);
        var script = UdpInteropTests.WriteScript("closer.py", CloserScript);
        const int connections = 32;
        try
        {
            using var stack = StackInstance.Start(new StackOptions
            {
                Link = StackLink.Tap("tap0", ns.Name),
                Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
                Mac = new MacAddress(0x0200_5354_0012UL),
                Autoconf = null,
                LocalPortRange = (50000, 50007),
            });
            ns.WaitUntilForwarding("tap0");
            using var server = ns.StartBackground($"timeout 60 python3 {script} {kernel} 7070 {connections}");
            server.WaitForOutput("ready");

            var ip = IPAddress.Parse(kernel);
            var ports = new List<int>();
            var buffer = new byte[16];
            for (int i = 0; i < connections; i++)
            {
                using var socket = StackSocket.Create(stack, ip.AddressFamily, SocketType.Stream);
                socket.ReceiveTimeout = 10_000;
                socket.Connect(new IPEndPoint(ip, 7070));
                ports.Add(socket.LocalEndPoint!.Port);
                while (socket.Receive(buffer) > 0)
                {
                }
            }
            server.WaitForOutput("served");
            var (_, timeWait, _) = ns.Exec("ss -Htan state time-wait sport = :7070", TimeSpan.FromSeconds(10));
            output.WriteLine($"ports {string.Join(' ', ports)}\nkernel TIME-WAIT:\n{timeWait}");
            long retransmissions = stack.Loop.InvokeAsync(_ => stack.Tcp.Statistics.Retransmissions).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

            Assert.All(ports, p => Assert.InRange(p, 50000, 50007));
            Assert.True(ports.Count - ports.Distinct().Count() >= connections - 8, "the ports were not reused");
            Assert.Equal(0, retransmissions);
        }
        finally
        {
            File.Delete(script);
        }
    }
}
