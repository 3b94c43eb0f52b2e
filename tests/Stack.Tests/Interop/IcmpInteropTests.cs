using System.Globalization;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Devices;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// RFC 5927 against the kernel: the stack's chargen streams to a kernel reader while the test writes an ICMP
/// fragmentation-needed (IPv4) or packet-too-big (IPv6) quoting a segment in flight, through a second TAP. Whether
/// the path really shrank (nftables in the namespace drops the large segments) or not (a late or forged error),
/// bytes keep reaching the reader.
/// </summary>
public sealed class IcmpInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);
    private static readonly MacAddress AttackerMac = new(0x0200_5354_00EEUL);
    private const string Table = "stkpmtu";

    [SkippableTheory]
    [InlineData("192.0.2.2", false)]
    [InlineData("192.0.2.2", true)]
    [InlineData("2001:db8::2", false)]
    [InlineData("2001:db8::2", true)]
    public async Task Too_big_error_quoting_a_segment_in_flight_leaves_the_transfer_going(string address, bool dropLarge)
    {
        TapRequirement.Check("python3", "nft");
        using var ns = TestNamespace.Create(taps: 2);
        bool v6 = address.Contains(':', StringComparison.Ordinal);
        int mtu = v6 ? 1280 : 1000;
        var watched = new LastDataSegment(TapDevice.Open("tap0", netns: ns.Name), ChargenService.WellKnownPort);
        using var stack = StackInstance.Start("tap0", watched, new IpHostOptions
        {
            Mac = StackMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
        });
        using var attacker = TapDevice.Open("tap1", netns: ns.Name);
        ns.WaitUntilForwarding("tap0");
        ns.WaitUntilForwarding("tap1");
        TcpConnection? connection = null;
        stack.Tcp.ConnectionCreated += c => connection = c;
        var script = UdpInteropTests.WriteScript("pmtu-reader.py", ReaderScript);
        try
        {
            using (ServiceHost.Start(stack, ["chargen"]))
            using (var reader = ns.StartBackground($"timeout 20 python3 {script} {address} 8"))
            {
                reader.WaitForOutput("connected");
                Thread.Sleep(500);
                if (dropLarge)
                {
                    // The path really shrinks: the kernel drops what is larger than the MTU the error will report.
                    ns.ExecOk($"nft add table inet {Table}");
                    ns.ExecOk($"nft add chain inet {Table} in '{{ type filter hook input priority 0; policy accept; }}'");
                    ns.ExecOk($"nft add rule inet {Table} in meta l4proto tcp tcp sport 19 meta length gt {mtu} counter drop");
                }
                // The segment quoted must still be in flight when the error arrives, or the stack rightly ignores it
                // (RFC 5927 §4.1); the kernel acknowledges fast, so try again until one lands.
                int expected = mtu - (v6 ? 40 : 20) - 20 - 12;
                int tries = 0;
                long before = 0;
                for (; tries < 50 && await stack.InvokeAsync((_, _) => connection!.EffectiveMss) != expected; tries++)
                {
                    before = Read(reader);
                    byte[] quoted = watched.Latest ?? throw new InvalidOperationException("the stack sent no data segment");
                    attacker.Transmit(TooBig(quoted, mtu));
                    Thread.Sleep(20);
                }
                Thread.Sleep(TimeSpan.FromSeconds(2));
                long after = Read(reader);
                int mss = await stack.InvokeAsync((_, _) => connection!.EffectiveMss);
                string drops = dropLarge ? ns.ExecOk($"nft list table inet {Table}") : "";
                output.WriteLine($"{address}, ICMP MTU {mtu}, large segments {(dropLarge ? "dropped" : "delivered")}: " +
                    $"{after - before} bytes read in the 2 s after the error ({tries} sent); MSS now {mss}\n{drops}");
                Assert.True(after - before > 1 << 20, $"only {after - before} bytes reached the reader in 2 s after the error");
                Assert.Equal(expected, mss);
            }
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The reader's running total: the last number it printed.</summary>
    private static long Read(BackgroundProcess reader)
    {
        var lines = reader.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? 0 : long.TryParse(lines[^1], CultureInfo.InvariantCulture, out long n) ? n : 0;
    }

    /// <summary>
    /// An ICMPv4 fragmentation-needed or ICMPv6 packet-too-big from the kernel's address (a router on the path
    /// would send the same), quoting <paramref name="frame"/>, one of the stack's.
    /// </summary>
    private static byte[] TooBig(byte[] frame, int mtu)
    {
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        bool v6 = ip[0] >> 4 == 6;
        int quote = Math.Min(ip.Length, v6 ? 1280 - 48 : 28 + 20);
        var packet = new byte[EthernetFrame.HeaderLength + (v6 ? 40 : 20) + 8 + quote];
        EthernetFrame.WriteHeader(packet, StackMac, AttackerMac, v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var body = packet.AsSpan(EthernetFrame.HeaderLength + (v6 ? 40 : 20));
        if (v6)
        {
            var kernel = Ipv6Address.Parse("2001:db8::1");
            var stack = Ipv6Address.Read(ip[8..]);
            int len = Icmpv6Message.WriteError(body, kernel, stack, Icmpv6Type.PacketTooBig, 0, (uint)mtu, ip[..quote]);
            new Ipv6Repr(kernel, stack, IpProtocol.Icmpv6, len, 64).Write(packet.AsSpan(EthernetFrame.HeaderLength));
        }
        else
        {
            var kernel = Ipv4Address.Parse("192.0.2.1");
            var stack = Ipv4Address.Parse("192.0.2.2");
            int len = Icmpv4Message.WriteError(body, Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded, (uint)mtu, ip[..quote]);
            new Ipv4Repr(kernel, stack, IpProtocol.Icmp, len, 64, 1).Write(packet.AsSpan(EthernetFrame.HeaderLength));
        }
        return packet;
    }

    /// <summary>Kernel reader: connects to argv[1] port 19, reads for argv[2] seconds and prints its running total every 50 ms.</summary>
    private const string ReaderScript = """
        import socket, sys, time
        c = socket.create_connection((sys.argv[1], 19), timeout=5)
        c.settimeout(0.05)
        print("connected", flush=True)
        n, end, tick = 0, time.time() + float(sys.argv[2]), time.time()
        while time.time() < end:
            try:
                b = c.recv(1 << 20)
                if not b:
                    break
                n += len(b)
            except socket.timeout:
                pass
            if time.time() >= tick:
                print(n, flush=True)
                tick += 0.05
        print(n, flush=True)
        """;

    /// <summary>Passes frames through, keeping a copy of the last TCP segment with data the stack sent from <c>port</c>.</summary>
    private sealed class LastDataSegment(ILinkDevice inner, ushort port) : ILinkDevice
    {
        private byte[]? _latest;

        public byte[]? Latest => Volatile.Read(ref _latest);
        public string Name => inner.Name;
        public int Mtu => inner.Mtu;
        public void Start(IFrameSink sink) => inner.Start(sink);
        public void Dispose() => inner.Dispose();

        public void Transmit(ReadOnlySpan<byte> frame)
        {
            if (IsDataFrom(frame)) Volatile.Write(ref _latest, frame.ToArray());
            inner.Transmit(frame);
        }

        private bool IsDataFrom(ReadOnlySpan<byte> frame)
        {
            if (frame.Length < EthernetFrame.HeaderLength + 40) return false;
            var ip = frame[EthernetFrame.HeaderLength..];
            int header;
            if (ip[0] >> 4 == 4 && ip[9] == (byte)IpProtocol.Tcp) header = (ip[0] & 0xF) * 4;
            else if (ip[0] >> 4 == 6 && ip[6] == (byte)IpProtocol.Tcp) header = 40;
            else return false;
            if (ip.Length < header + 20) return false;
            var tcp = ip[header..];
            int sourcePort = tcp[0] << 8 | tcp[1];
            return sourcePort == port && tcp.Length > (tcp[12] >> 4) * 4;
        }
    }
}
