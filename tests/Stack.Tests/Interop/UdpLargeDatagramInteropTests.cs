using Stack.Apps.Services;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>An 8,000-byte datagram (six fragments at MTU 1500) from a kernel socket to the stack's echo service.</summary>
public sealed class UdpLargeDatagramInteropTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("192.0.2.2")]
    [InlineData("2001:db8::2")]
    public void An_8000_byte_datagram_comes_back_from_port_7_identical(string address)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        ServiceHost? started = null;
        using var stack = UdpInteropTests.StartStack(ns, s => started = ServiceHost.Start(s, ["echo"]));
        using var services = started!;
        var script = UdpInteropTests.WriteScript("large.py", """
            import os, socket, sys
            family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.settimeout(2)
            data = os.urandom(8000)
            for attempt in range(3):
                s.sendto(data, (sys.argv[1], 7))
                try:
                    reply, peer = s.recvfrom(65535)
                except socket.timeout:
                    print("timeout")
                    continue
                print("identical" if reply == data else f"different: {len(reply)} bytes")
                break
            """);
        try
        {
            var (code, stdout, stderr) = ns.Exec($"timeout 15 python3 {script} {address}", TimeSpan.FromSeconds(30));
            output.WriteLine($"exit {code}\n{stdout}{stderr}");
            Assert.Equal(0, code);
            Assert.EndsWith("identical\n", stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(script);
        }
    }
}
