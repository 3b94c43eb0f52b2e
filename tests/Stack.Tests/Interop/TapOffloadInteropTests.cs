using System.Globalization;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Tap;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// The TAP with offloads, against the kernel: its TCP hands the stack GSO super-frames (tens of KiB in one read,
/// the checksum left for us to finish), the polling loop takes them in place, and what the stack's echo sends
/// back hashes the same as what the kernel sent. Without offloads the same run sees no super-frame.
/// </summary>
public sealed class TapOffloadInteropTests(ITestOutputHelper output)
{
    private const int Bytes = 4 << 20;

    [SkippableTheory]
    [InlineData("192.0.2.2", true)]
    [InlineData("2001:db8::2", true)]
    [InlineData("192.0.2.2", false)]
    public void Kernel_sends_4_MiB_to_the_stack_echo_and_gets_it_back_whole(string address, bool offload)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        var script = UdpInteropTests.WriteScript("offload-echo.py", TcpInteropTests.BulkEchoScript);
        try
        {
            var tap = TapDevice.Open("tap0", netns: ns.Name, offload: offload);
            var options = new IpHostOptions
            {
                Mac = new MacAddress(0x0200_5354_0002UL),
                Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
            };
            ServiceHost? started = null;
            using var stack = StackInstance.Start("tap0", tap, options, configure: s => started = ServiceHost.Start(s, ["echo"]));
            using var services = started!;
            ns.WaitUntilForwarding("tap0");
            Assert.True(stack.Loop.IsPolling, "a TAP on the system clock should be polled by the loop");

            var (code, text, err) = ns.Exec($"timeout 60 python3 {script} {address} 7 {Bytes}", TimeSpan.FromSeconds(70));
            output.WriteLine($"exit {code}: {text}{err}");
            Assert.Equal(0, code);
            var f = text.Trim().Split(' ');
            Assert.Equal(f[0], f[1]); // SHA-256 of what was sent and of what came back
            Assert.Equal(Bytes.ToString(CultureInfo.InvariantCulture), f[2]);

            output.WriteLine($"offload {offload}: {tap.FramesReceived} frames received, {tap.GsoFramesReceived} of them GSO; " +
                $"TCP segments {stack.Tcp.Statistics.SegmentsReceived}, retransmissions {stack.Tcp.Statistics.Retransmissions}");
            Assert.Equal(0, tap.Rejects.Total(Layer.VirtioNet));
            Assert.Equal(0, stack.Host.Rejects[Layer.Tcp, RejectReason.BadChecksum]);
            Assert.Equal(0, stack.Host.Rejects[Layer.Ipv4, RejectReason.BadTotalLength]);
            if (offload) Assert.True(tap.GsoFramesReceived > 0, "the kernel should have sent GSO super-frames to a TAP with TSO");
            else Assert.Equal(0, tap.GsoFramesReceived);
        }
        finally
        {
            File.Delete(script);
        }
    }
}
