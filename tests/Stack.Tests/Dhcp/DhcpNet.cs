using System.Buffers.Binary;
using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp;
using Stack.Udp;

namespace Stack.Tests.Dhcp;

/// <summary>
/// A stack with a DHCP client and a small fake DHCP server (192.0.2.1) on one in-memory wire, on a virtual
/// clock: frames are carried between them synchronously by <see cref="Pump"/>, timers run by <see cref="Advance"/>.
/// </summary>
internal sealed class DhcpNet
{
    public static readonly MacAddress ClientMac = new(0x0200_0000_0002UL);
    public static readonly MacAddress ServerMac = new(0x0200_0000_0001UL);
    public static readonly Ipv4Address ServerIp = Ipv4Address.Parse("192.0.2.1");

    private readonly Queue<(bool ToClient, byte[] Frame)> _wire = new();
    private readonly UdpEndpoint _server;
    private bool _serverReadable;

    public DhcpNet(DhcpClientOptions? options = null)
    {
        Client = new IpHost(new IpHostOptions { Mac = ClientMac, Random = new Random(1) }, new Tx(this, toClient: false));
        ClientUdp = UdpLayer.Attach(Client, new Random(2));
        Server = new IpHost(new IpHostOptions { Mac = ServerMac, Addresses = [InterfaceAddress.Parse("192.0.2.1/24")], Random = new Random(3) },
            new Tx(this, toClient: true));
        ServerUdp = UdpLayer.Attach(Server, new Random(4));
        _server = ServerUdp.Open(AddressFamily.InterNetwork);
        Assert.Equal(SocketError.Success, ServerUdp.Bind(_server, IpAddress.AnyV4, 67));
        _server.Readable = _ => _serverReadable = true;
        Dhcp = DhcpAttachment.Start(Client, ClientUdp, options ?? Fast, Now);
        Dhcp.Changed += e => Events.Add(e);
    }

    /// <summary>Short timings, no jitter: a second's retransmission, one probe.</summary>
    public static DhcpClientOptions Fast => new()
    {
        RetransmitInitial = TimeSpan.FromSeconds(1), RetransmitJitter = TimeSpan.Zero, ProbeCount = 1,
        ProbeWait = TimeSpan.Zero, AnnounceWait = TimeSpan.FromMilliseconds(500), Random = new Random(5),
        MinRenewRetransmit = TimeSpan.FromSeconds(2), DeclineBackoff = TimeSpan.FromSeconds(10),
    };

    public IpHost Client { get; }
    public UdpLayer ClientUdp { get; }
    public IpHost Server { get; }
    public UdpLayer ServerUdp { get; }
    public DhcpAttachment Dhcp { get; }
    public List<DhcpEvent> Events { get; } = [];
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);

    /// <summary>The server's answers: null drops the request (a server gone).</summary>
    public Func<FakeRequest, byte[]?> Answer { get; set; } = r => r.Reply(r.Type == 1 ? (byte)2 : (byte)5, "192.0.2.100");

    public List<FakeRequest> Requests { get; } = [];

    /// <summary>ARP requests the server's side saw (probes included).</summary>
    public List<(Ipv4Address Sender, Ipv4Address Target)> ArpSeen { get; } = [];

    /// <summary>When set, the server's host answers ARP probes for this address as its owner would.</summary>
    public Ipv4Address? Squatter { get; set; }

    public void Advance(TimeSpan by)
    {
        var end = Now + by;
        while (true)
        {
            Pump();
            var next = Instant.Min(Client.NextDeadline, Server.NextDeadline);
            if (next > end) break;
            Now = Instant.Max(Now, next);
            if (Client.NextDeadline <= Now) Client.OnTimer(Now);
            if (Server.NextDeadline <= Now) Server.OnTimer(Now);
        }
        Now = end;
        Pump();
    }

    public void Pump()
    {
        for (int guard = 0; guard < 1000 && (_wire.Count > 0 || _serverReadable || Client.NextDeadline <= Now); guard++)
        {
            if (_wire.TryDequeue(out var item))
            {
                if (item.ToClient) Client.OnFrame(item.Frame, Now);
                else OnServerFrame(item.Frame);
            }
            if (Client.NextDeadline <= Now) Client.OnTimer(Now);
            if (_serverReadable) ServeRequests();
        }
    }

    /// <summary>Sends raw bytes as a server's datagram to the client's port 68 (broadcast).</summary>
    public void Inject(byte[] payload) =>
        Assert.Equal(SocketError.Success, ServerUdp.SendTo(_server, Ipv4Address.Broadcast, 68, payload, Now));

    private void OnServerFrame(byte[] frame)
    {
        if (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == 0x0806)
        {
            var sender = Ipv4Address.Read(frame.AsSpan(14 + 14));
            var target = Ipv4Address.Read(frame.AsSpan(14 + 24));
            ArpSeen.Add((sender, target));
            if (Squatter is { } s && target == s && sender.IsUnspecified)
            {
                var reply = new byte[42];
                EthernetFrame.WriteHeader(reply, ClientMac, ServerMac, EtherType.Arp);
                ArpPacket.Write(reply.AsSpan(14), ArpOperation.Reply, ServerMac, s, ClientMac, Ipv4Address.Any);
                _wire.Enqueue((true, reply));
            }
        }
        Server.OnFrame(frame, Now);
    }

    private void ServeRequests()
    {
        _serverReadable = false;
        var buffer = new byte[2048];
        while (_server.TryReceive(buffer, out var info, out int n))
        {
            var request = new FakeRequest(buffer.AsSpan(0, n).ToArray(), info.Source.V4);
            Requests.Add(request);
            if (Answer(request) is { } reply)
                ServerUdp.SendTo(_server, Ipv4Address.Broadcast, 68, reply, Now);
        }
    }

    private sealed class Tx(DhcpNet net, bool toClient) : IFrameTransmitter
    {
        public void Transmit(ReadOnlySpan<byte> frame) => net._wire.Enqueue((toClient, frame.ToArray()));
    }
}

/// <summary>A client's message as the fake server reads it (offsets of RFC 2131 §2, written out here on purpose).</summary>
internal sealed record FakeRequest(byte[] Bytes, Ipv4Address Source)
{
    public uint Xid => BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(4));
    public Ipv4Address Ciaddr => Ipv4Address.Read(Bytes.AsSpan(12));
    public bool BroadcastFlag => (Bytes[10] & 0x80) != 0;
    public byte Type => Option(53)![0];

    public byte[]? Option(byte code)
    {
        for (int i = 240; i < Bytes.Length && Bytes[i] != 255;)
        {
            if (Bytes[i] == 0) { i++; continue; }
            if (Bytes[i] == code) return Bytes.AsSpan(i + 2, Bytes[i + 1]).ToArray();
            i += 2 + Bytes[i + 1];
        }
        return null;
    }

    /// <summary>A reply of <paramref name="type"/> offering <paramref name="yiaddr"/>: mask /24, router and DNS .1, lease 100 s, T1 40 s, T2 70 s.</summary>
    public byte[] Reply(byte type, string yiaddr, uint lease = 100, uint? xid = null, Action<List<byte>>? moreOptions = null)
    {
        var m = new byte[240];
        m[0] = 2; m[1] = 1; m[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), xid ?? Xid);
        Ipv4Address.Parse(yiaddr).Write(m.AsSpan(16));
        Bytes.AsSpan(28, 16).CopyTo(m.AsSpan(28));
        m[236] = 99; m[237] = 130; m[238] = 83; m[239] = 99;
        var o = new List<byte> { 53, 1, type, 54, 4, 192, 0, 2, 1, 1, 4, 255, 255, 255, 0, 3, 4, 192, 0, 2, 1, 6, 4, 192, 0, 2, 1 };
        o.AddRange([51, 4, .. BE(lease), 58, 4, .. BE(lease * 2 / 5), 59, 4, .. BE(lease * 7 / 10)]);
        moreOptions?.Invoke(o);
        o.Add(255);
        return [.. m, .. o];
    }

    private static byte[] BE(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
