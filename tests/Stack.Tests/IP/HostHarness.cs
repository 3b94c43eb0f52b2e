using System.Net;
using PacketDotNet;
using Stack.IP;
using Stack.IP.Multicast;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.Tests.IP;

/// <summary>
/// Drives an <see cref="IpHost"/> directly, sans-I/O: frames in with a virtual time, frames out collected and
/// dissected by PacketDotNet (an independent parser), so a test reads like a packet trace.
/// </summary>
internal sealed class HostHarness : IFrameTransmitter
{
    public static readonly MacAddress OurMac = new(0x0200_0000_0002UL);
    public static readonly MacAddress PeerMac = new(0x0200_0000_0001UL);
    public static readonly Ipv4Address Our4 = Ipv4Address.Parse("192.0.2.2");
    public static readonly Ipv4Address Peer4 = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv6Address Our6 = Ipv6Address.Parse("2001:db8::2");
    public static readonly Ipv6Address Peer6 = Ipv6Address.Parse("2001:db8::1");

    private readonly Queue<byte[]> _sent = new();

    /// <param name="start">Start the host (its announcements are then dropped from what it sent).</param>
    /// <param name="membership">
    /// MLD and IGMP; silent unless a test asks, so that other tests' traces hold no reports.
    /// </param>
    /// <param name="configure">Changes to the options before the host is built (autoconfiguration, a gateway).</param>
    /// <param name="checksumOffload">Build the host over a link that finishes TCP checksums (as a TAP with offloads).</param>
    public HostHarness(bool start = true, MembershipOptions? membership = null, Func<IpHostOptions, IpHostOptions>? configure = null,
        bool checksumOffload = false)
    {
        var a4 = InterfaceAddress.Parse("192.0.2.2/24");
        var a6 = InterfaceAddress.Parse("2001:db8::2/64");
        var options = new IpHostOptions
        {
            Mac = OurMac,
            Addresses = [a4, a6],
            Random = new Random(7),
            Membership = membership ?? MembershipOptions.Silent,
        };
        Host = new IpHost(configure?.Invoke(options) ?? options, checksumOffload ? new OffloadingLink(this) : this);
        if (start)
        {
            Host.Start(Now);
            _sent.Clear();
        }
    }

    public IpHost Host { get; }
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);
    public int SentCount => _sent.Count;

    public void Transmit(ReadOnlySpan<byte> frame) => _sent.Enqueue(frame.ToArray());

    public void Advance(TimeSpan by)
    {
        Now += by;
        if (Host.NextDeadline <= Now) Host.OnTimer(Now);
    }

    /// <summary>Lets <paramref name="span"/> of virtual time pass, running each timer when it is due.</summary>
    public void Run(TimeSpan span)
    {
        var end = Now + span;
        while (Host.NextDeadline <= end)
        {
            Now = Instant.Max(Now, Host.NextDeadline);
            Host.OnTimer(Now);
        }
        Now = end;
    }

    /// <summary>Everything the host sent so far, raw, oldest first; the queue is emptied.</summary>
    public List<byte[]> Drain()
    {
        var all = _sent.ToList();
        _sent.Clear();
        return all;
    }

    public void Inject(byte[] frame) => Host.OnFrame(frame, Now);

    /// <summary>The next frame the host sent, dissected.</summary>
    public EthernetPacket Next()
    {
        Assert.True(_sent.Count > 0, "expected the host to send a frame, but it sent nothing");
        return (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, _sent.Dequeue());
    }

    public byte[] NextRaw() => _sent.Dequeue();

    public void ExpectNothing() => Assert.True(_sent.Count == 0, $"expected silence, but the host sent {_sent.Count} frame(s)");

    public static byte[] Ethernet(MacAddress src, MacAddress dst, EtherType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[EthernetFrame.HeaderLength + payload.Length];
        EthernetFrame.WriteHeader(frame, dst, src, type);
        payload.CopyTo(frame.AsSpan(EthernetFrame.HeaderLength));
        return frame;
    }

    public static System.Net.NetworkInformation.PhysicalAddress Phys(MacAddress mac) =>
        System.Net.NetworkInformation.PhysicalAddress.Parse(mac.ToString().Replace(':', '-'));

    /// <summary>A link that takes TCP segments with partial checksums, handing the frames to the harness.</summary>
    private sealed class OffloadingLink(HostHarness harness) : ILinkDevice
    {
        public string Name => "offload";
        public int Mtu => 1500;
        public void Start(IFrameSink sink) { }
        public void Transmit(ReadOnlySpan<byte> frame) => harness.Transmit(frame);
        public bool TryEnableChecksumOffload() => true;
        public void Dispose() { }
    }

    public static IPAddress Ip(Ipv4Address a) => a.ToIPAddress();
    public static IPAddress Ip(Ipv6Address a) => a.ToIPAddress();
}
