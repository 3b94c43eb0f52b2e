using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Devices.Pcap;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;

namespace Stack.Tests.Plots;

/// <summary>
/// A bulk transfer from 192.0.2.1 to 192.0.2.2:5001 over a lossy 50 Mbit/s link with 10 ms each way on a virtual
/// clock, captured as a tap on the sender's side of the wire would: every frame the sender puts on the wire (lost
/// ones too, as the loss is further along the path) and every frame that reaches it. Given the same seed and size,
/// the same capture, byte for byte.
/// </summary>
internal sealed class LossyCapture
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(10);
    private const long BitsPerSecond = 50_000_000;

    /// <summary>Frames on their way: leaving their sender's queue (<c>Departing</c>), or arriving at <c>To</c>.</summary>
    private readonly PriorityQueue<(Host To, byte[] Frame, bool Departing), (Instant, long)> _wire = new();
    private readonly PcapWriter _pcap;
    private readonly Random _loss;
    private readonly double _dataLoss, _ackLoss;
    private long _order;
    private Instant _now = Instant.FromMilliseconds(1_000);

    private LossyCapture(Stream pcap, int seed, double dataLoss, double ackLoss)
    {
        _pcap = new PcapWriter(pcap, leaveOpen: true);
        _loss = new Random(seed);
        _dataLoss = dataLoss;
        _ackLoss = ackLoss;
    }

    /// <summary>Frames the sender sent that the link then lost.</summary>
    public int DataFramesLost { get; private set; }

    /// <summary>Runs the transfer: the pcap's bytes, and how many of the sender's frames the link lost.</summary>
    public static (byte[] Pcap, int DataFramesLost) Run(int seed, int bytes, double dataLoss = 0.03, double ackLoss = 0.01)
    {
        using var stream = new MemoryStream();
        var capture = new LossyCapture(stream, seed, dataLoss, ackLoss);
        capture.Transfer(seed, bytes);
        capture._pcap.Dispose();
        return (stream.ToArray(), capture.DataFramesLost);
    }

    private sealed class Host : IFrameTransmitter
    {
        private readonly LossyCapture _link;

        public Host(LossyCapture link, byte last, int seed)
        {
            _link = link;
            Ip = new IpHost(new IpHostOptions
            {
                Mac = new MacAddress(0x0200_0000_0000UL | last),
                Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24")],
                Random = new Random(seed),
            }, this);
            var key = new byte[IsnGenerator.KeySize];
            new Random(seed).NextBytes(key);
            var random = new Random(seed);
            Tcp = new TcpLayer(Ip, new IsnGenerator(key), new EphemeralPorts(key, random: random), random);
        }

        public IpHost Ip { get; }
        public TcpLayer Tcp { get; }
        public Host? Peer { get; set; }
        public bool IsSender { get; init; }

        /// <summary>When the link is free of this host's last frame (frames queue behind each other at the link's rate).</summary>
        public Instant BusyUntil { get; set; }

        public void Transmit(ReadOnlySpan<byte> frame) => _link.Carry(this, frame.ToArray());
    }

    /// <summary>A frame joins its sender's queue; it leaves when the frames before it are on the wire.</summary>
    private void Carry(Host from, byte[] frame)
    {
        var leaves = Instant.Max(_now, from.BusyUntil) + TimeSpan.FromTicks(frame.Length * 8L * TimeSpan.TicksPerSecond / BitsPerSecond);
        from.BusyUntil = leaves;
        _wire.Enqueue((from.Peer!, frame, true), (leaves, ++_order));
    }

    /// <summary>A frame leaves its sender: the tap sees the sender's; then the path may lose it.</summary>
    private void Depart(Host to, byte[] frame)
    {
        bool ip = frame.Length > EthernetFrame.HeaderLength + 20 && frame[12] == 0x08 && frame[13] == 0x00;
        bool fromSender = !to.IsSender;
        if (fromSender) _pcap.Write(frame, DateTimeOffset.UnixEpoch.AddTicks(_now.Microseconds * TimeSpan.TicksPerMicrosecond));
        if (ip && _loss.NextDouble() < (fromSender ? _dataLoss : _ackLoss))
        {
            if (fromSender) DataFramesLost++;
            return; // an ACK lost on the way never reaches the sender's tap
        }
        _wire.Enqueue((to, frame, false), (_now + OneWay, ++_order));
    }

    private void Transfer(int seed, int total)
    {
        var a = new Host(this, 1, seed * 2) { IsSender = true };
        var b = new Host(this, 2, seed * 2 + 1);
        a.Peer = b;
        b.Peer = a;
        a.Ip.Start(_now);
        b.Ip.Start(_now);
        var listener = b.Tcp.Listen(IpAddress.Parse("192.0.2.2"), 5001, 1);
        var client = a.Tcp.Connect(null, 0, IpAddress.Parse("192.0.2.2"), 5001, null, _now);
        TcpConnection? server = null;
        var data = new byte[total];
        new Random(seed).NextBytes(data);
        var sink = new byte[64 * 1024];
        int sent = 0;
        bool shut = false, closed = false;
        var end = _now + TimeSpan.FromMinutes(10);
        while (_now < end)
        {
            if (server is null) listener.TryAccept(out server);
            if (sent < total) sent += client.Send(data.AsSpan(sent), _now);
            if (sent == total && !shut)
            {
                client.Shutdown(SocketShutdown.Send, _now);
                shut = true;
            }
            if (server is not null)
            {
                while (server.Receive(sink, _now) > 0) { }
                if (server.IsEndOfStream && !closed)
                {
                    server.Close(_now);
                    closed = true;
                }
            }
            if (!Step(a, b)) break;
            if (closed && client.State is TcpState.TimeWait or TcpState.Closed && server!.State == TcpState.Closed) break;
        }
        if (!closed) throw new InvalidOperationException($"the transfer did not finish: client {client.State}, sent {sent} of {total}");
    }

    private bool Step(Host a, Host b)
    {
        var next = Instant.Min(a.Ip.NextDeadline, b.Ip.NextDeadline);
        if (_wire.TryPeek(out var item, out var at) && at.Item1 <= Instant.Max(next, _now))
        {
            _wire.Dequeue();
            if (at.Item1 > _now) _now = at.Item1;
            if (item.Departing)
            {
                Depart(item.To, item.Frame);
            }
            else
            {
                if (item.To == a)
                    _pcap.Write(item.Frame, DateTimeOffset.UnixEpoch.AddTicks(_now.Microseconds * TimeSpan.TicksPerMicrosecond));
                item.To.Ip.OnFrame(item.Frame, _now);
            }
        }
        else
        {
            if (next == Instant.Never) return false;
            if (next > _now) _now = next;
        }
        if (a.Ip.NextDeadline <= _now) a.Ip.OnTimer(_now);
        if (b.Ip.NextDeadline <= _now) b.Ip.OnTimer(_now);
        return true;
    }
}
