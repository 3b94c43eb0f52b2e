using System.Globalization;
using Stack.Apps.Services;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// The stack sending through a TAP with offloads: its full-MSS segments leave as GSO super-frames the kernel takes
/// (TcpSegmentCoalescer), and the kernel's reader gets the exact RFC 864 pattern of the stack's chargen, 64 MiB of
/// it. Without offloads every segment is a frame of its own. With the kernel's input dropping some of the
/// stack's packets (nftables in the namespace: a super-frame is one packet there, so a drop loses all its
/// segments), the stack resends single segments of sent super-frames and the stream still arrives whole.
/// </summary>
public sealed class TapSegmentationInteropTests(ITestOutputHelper output)
{
    // Reads BYTES from HOST:PORT and checks them against chargen's rotation (95 lines of 72 characters and CR LF,
    // each line one character further on): prints the bytes read and the offset of the first wrong byte, or -1.
    private const string ChargenReader = """
        import socket, sys
        block = b"".join(bytes(32 + (line + c) % 95 for c in range(72)) + b"\r\n" for line in range(95))
        total = int(sys.argv[3])
        big = block * ((1 << 20) // len(block) + 2)
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        got, bad = 0, -1
        while got < total:
            n = s.recv_into(buf, min(len(buf), total - got))
            if n == 0:
                break
            off = got % len(block)
            if view[:n] != big[off:off + n]:
                bad = got + next(i for i in range(n) if buf[i] != big[off + i])
                break
            got += n
        s.close()
        print(got, bad)
        """;

    [SkippableTheory]
    [InlineData("192.0.2.2", true)]
    [InlineData("2001:db8::2", true)]
    [InlineData("192.0.2.2", false)]
    public void Kernel_reads_64_MiB_of_the_stack_chargen_exactly(string address, bool offload)
    {
        var (tap, retransmissions) = ReadChargen(address, offload, 64 << 20, drop: null);
        if (offload) Assert.True(tap.GsoFramesSent > 0, "a burst of full segments should leave as GSO super-frames");
        else Assert.Equal(0, tap.GsoFramesSent);
        output.WriteLine($"retransmissions {retransmissions}");
    }

    [SkippableFact]
    public void Segments_of_super_frames_the_kernel_dropped_are_resent_and_the_stream_arrives_whole()
    {
        // Every 97th packet from the stack's chargen, super-frame or not, dropped at the kernel's input.
        const string Drop = "nft add table inet tso && nft add chain inet tso in '{ type filter hook input priority 0; }' " +
            "&& nft add rule inet tso in tcp sport 19 numgen inc mod 97 == 0 drop";
        var (tap, retransmissions) = ReadChargen("192.0.2.2", offload: true, 16 << 20, Drop);
        Assert.True(tap.GsoFramesSent > 0, "a burst of full segments should leave as GSO super-frames");
        Assert.True(retransmissions > 0, "the dropped packets' segments should have been resent");
    }

    private (TapDevice Tap, long Retransmissions) ReadChargen(string address, bool offload, int bytes, string? drop)
    {
        TapRequirement.Check(drop is null ? ["python3"] : ["python3", "nft"]);
        using var ns = TestNamespace.Create(taps: 1);
        var script = UdpInteropTests.WriteScript("chargen-reader.py", ChargenReader);
        try
        {
            if (drop is not null) ns.ExecOk(drop);
            var tap = TapDevice.Open("tap0", netns: ns.Name, offload: offload);
            var options = new IpHostOptions
            {
                Mac = new MacAddress(0x0200_5354_0002UL),
                Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
            };
            ServiceHost? started = null;
            using var stack = StackInstance.Start("tap0", tap, options, configure: s => started = ServiceHost.Start(s, ["chargen"]));
            using var services = started!;
            ns.WaitUntilForwarding("tap0");

            var (code, text, err) = ns.Exec($"timeout 100 python3 {script} {address} 19 {bytes}", TimeSpan.FromSeconds(110));
            output.WriteLine($"exit {code}: {text}{err}");
            output.WriteLine($"offload {offload}: {tap.FramesSent} frames sent, {tap.GsoFramesSent} of them GSO; " +
                $"TCP segments {stack.Tcp.Statistics.SegmentsSent}, retransmissions {stack.Tcp.Statistics.Retransmissions}");
            Assert.Equal(0, code);
            var f = text.Trim().Split(' ');
            Assert.Equal("-1", f[1]); // no byte differed from the pattern
            Assert.Equal(bytes.ToString(CultureInfo.InvariantCulture), f[0]);
            Assert.Equal(0, tap.TransmitErrors);
            return (tap, stack.Tcp.Statistics.Retransmissions);
        }
        finally
        {
            File.Delete(script);
        }
    }
}
