using System.Text.RegularExpressions;
using Stack.Sockets.Hosting;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Devices.Pcap;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// The stack on tap0 in a namespace this test creates, against the Linux kernel on br0 (192.0.2.1, 2001:db8::1).
/// </summary>
public sealed partial class PingInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);

    private static StackInstance StartStack(TestNamespace ns, string pcapPath)
    {
        var a4 = InterfaceAddress.Parse("192.0.2.2/24");
        var a6 = InterfaceAddress.Parse("2001:db8::2/64");
        ILinkDevice tap = TapDevice.Open("tap0", netns: ns.Name);
        var traced = new TracingDevice(tap, new PcapWriter(File.Create(pcapPath)), TimeProvider.System);
        return StackInstance.Start("tap0", traced, new IpHostOptions { Mac = StackMac, Addresses = [a4, a6] });
    }

    private (int Code, string Out) Run(TestNamespace ns, string command, int seconds = 30)
    {
        var (code, stdout, stderr) = ns.Exec(command, TimeSpan.FromSeconds(seconds));
        output.WriteLine($"$ {command}  (exit {code})\n{stdout}{stderr}");
        return (code, stdout);
    }

    [SkippableFact]
    public void Kernel_pings_reach_the_stack_in_both_families_and_the_trace_is_clean()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create(taps: 1);
        var pcap = Path.Combine(Path.GetTempPath(), $"stack-ping-{Environment.ProcessId}.pcap");
        try
        {
            PingAndCheckTrace(ns, pcap);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    private void PingAndCheckTrace(TestNamespace ns, string pcap)
    {
        using (var stack = StartStack(ns, pcap))
        {
            var (code, text) = Run(ns, "ping -c 5 -i 0.2 -W 2 192.0.2.2");
            Assert.Equal(0, code);
            Assert.Contains("5 received", text, StringComparison.Ordinal);

            (code, text) = Run(ns, "ping -c 5 -i 0.2 -W 2 -s 1400 192.0.2.2");
            Assert.Equal(0, code);
            Assert.Contains("5 received", text, StringComparison.Ordinal);
            Assert.Contains("1408 bytes from 192.0.2.2", text, StringComparison.Ordinal);

            (code, text) = Run(ns, "ping -6 -c 5 -i 0.2 -W 2 2001:db8::2");
            Assert.Equal(0, code);
            Assert.Contains("5 received", text, StringComparison.Ordinal);

            // Seed section 2.11: the kernel fragments the request, the stack reassembles it and fragments the reply.
            (code, text) = Run(ns, "ping -c 3 -i 0.2 -W 2 -s 4000 192.0.2.2");
            Assert.Equal(0, code);
            Assert.Contains("4008 bytes from 192.0.2.2", text, StringComparison.Ordinal);

            (code, text) = Run(ns, "ping -6 -c 3 -i 0.2 -W 2 -s 4000 2001:db8::2");
            Assert.Equal(0, code);
            Assert.Contains("4008 bytes from 2001:db8::2", text, StringComparison.Ordinal);
            Assert.True(stack.Host.Statistics.DatagramsReassembled >= 6);

            (_, text) = Run(ns, "ip neigh show dev br0");
            var mac = StackMac.ToString();
            Assert.Matches(new Regex($@"192\.0\.2\.2 lladdr {mac} (REACHABLE|STALE|DELAY)"), text);
            Assert.Matches(new Regex($@"2001:db8::2 lladdr {mac} (router )?(REACHABLE|STALE|DELAY)"), text);
        }

        if (Tools.Has("tshark"))
        {
            var (code, text) = Tools.Run($"tshark -r {pcap} -o ip.check_checksum:TRUE -Y \"_ws.malformed || _ws.expert.severity >= warning\" -T fields -e frame.number -e _ws.expert.message");
            Assert.Equal(0, code);
            Assert.True(string.IsNullOrWhiteSpace(text), $"tshark found problems in the trace:\n{text}");
            var (_, count) = Tools.Run($"tshark -r {pcap} -T fields -e frame.number");
            Assert.True(count.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 30, "the trace should hold every ping");
        }
        else
        {
            Assert.False(TapRequirement.IsCi, "tshark must be installed in CI (scripts/install-deps)");
        }
    }
}
