using System.Buffers;
using System.Net.Sockets;
using Stack.IP;

namespace Stack.Udp;

/// <summary>A datagram waiting in an endpoint's receive queue: its sender, and where the bytes are.</summary>
public readonly record struct ReceivedDatagram(IpAddress Source, ushort SourcePort, IpAddress Destination, int Length);

/// <summary>
/// One UDP endpoint (what a datagram socket is inside the stack): its local and, when connected, remote
/// address and port, and a bounded receive queue. Owned by the event loop: only <see cref="UdpLayer"/> and code
/// running on the loop touch it.
/// </summary>
/// <remarks>
/// Each queued datagram is copied once from the received frame into a buffer rented from
/// <see cref="ArrayPool{T}.Shared"/>, and returned to the pool when the application takes it (or the endpoint
/// closes): no per-datagram allocation in steady state.
/// </remarks>
public sealed class UdpEndpoint
{
    /// <summary>Linux's default net.core.rmem_default: 208 KiB.</summary>
    public const int DefaultReceiveBufferSize = 212_992;

    /// <summary>Linux's default net.core.wmem_default.</summary>
    public const int DefaultSendBufferSize = 212_992;

    /// <summary>
    /// What each queued datagram costs beyond its payload, as Linux charges an skb's truesize: without it a flood
    /// of empty datagrams would never fill the queue.
    /// </summary>
    public const int PerDatagramOverhead = 256;

    private readonly Queue<(ReceivedDatagram Info, byte[] Buffer)> _queue = new();

    internal UdpEndpoint(AddressFamily family) => Family = family;

    public AddressFamily Family { get; }
    public IpAddress LocalAddress { get; internal set; }
    public ushort LocalPort { get; internal set; }
    public IpAddress RemoteAddress { get; internal set; }
    public ushort RemotePort { get; internal set; }

    public bool IsBound => LocalPort != 0;
    public bool IsConnected => RemotePort != 0;
    public bool IsClosed { get; internal set; }

    /// <summary>SO_REUSEADDR: may share its port with other endpoints that set it too. Set before binding.</summary>
    public bool ReuseAddress { get; set; }

    /// <summary>SO_RCVBUF: the most bytes (payload plus <see cref="PerDatagramOverhead"/> each) the queue holds.</summary>
    public int ReceiveBufferSize { get; set; } = DefaultReceiveBufferSize;

    /// <summary>
    /// Linux's sk_sndbuf: net.core.wmem_default at first, SO_SNDBUF doubled once set (<see cref="FromSoSndBuf"/>).
    /// A UDP send goes straight to the link (or the neighbour queue), so nothing waits in it; it bounds only the
    /// fragments of one datagram (<see cref="UdpLayer.SendTo"/>), as Linux's __ip_append_data does.
    /// </summary>
    public int SendBufferSize { get; set; } = DefaultSendBufferSize;

    /// <summary>Linux's SOCK_MIN_SNDBUF: the least sk_sndbuf SO_SNDBUF gives.</summary>
    public const int MinSendBufferSize = 4608;

    /// <summary>Linux's net.core.wmem_max: the most SO_SNDBUF takes before doubling.</summary>
    public const int MaxSoSndBuf = 212_992;

    /// <summary>sk_sndbuf for SO_SNDBUF = <paramref name="requested"/>, as sock_setsockopt computes it.</summary>
    public static int FromSoSndBuf(int requested) =>
        Math.Max(2 * Math.Clamp(requested, 0, MaxSoSndBuf), MinSendBufferSize);

    /// <summary>
    /// IP_MTU_DISCOVER = IP_PMTUDISC_DO / IPV6_DONTFRAG: a datagram over the path MTU is refused with
    /// <see cref="SocketError.MessageSize"/> instead of fragmented, and IPv4 datagrams carry DF.
    /// </summary>
    public bool DontFragment { get; set; }

    /// <summary>IP_TTL / IPV6_UNICAST_HOPS for what this endpoint sends; null: the host's default.</summary>
    public byte? HopLimit { get; set; }

    /// <summary>
    /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS for datagrams to a group; null: 1, as on Linux (RFC 1112 §6.1),
    /// so that a group datagram stays on the link unless the application says otherwise.
    /// </summary>
    public byte? MulticastHopLimit { get; set; }

    /// <summary>
    /// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: a datagram this endpoint sends to a group the interface belongs to
    /// is also delivered to the stack's own endpoints of that group (this one included), as on Linux (default on).
    /// </summary>
    public bool MulticastLoopback { get; set; } = true;

    /// <summary>
    /// IP_MULTICAST_ALL / IPV6_MULTICAST_ALL: on (Linux's default), the endpoint receives datagrams to every group
    /// the interface belongs to, whoever joined it; off, only to the groups it joined itself (<see cref="Groups"/>).
    /// </summary>
    public bool MulticastAll { get; set; } = true;

    private List<IpAddress>? _groups;

    /// <summary>The groups this endpoint joined (<see cref="UdpLayer.JoinGroup"/>).</summary>
    public IReadOnlyList<IpAddress> Groups => _groups ?? (IReadOnlyList<IpAddress>)[];

    internal bool HasJoined(IpAddress group) => _groups is not null && _groups.Contains(group);

    internal void AddGroup(IpAddress group) => (_groups ??= []).Add(group);

    internal bool RemoveGroup(IpAddress group) => _groups is not null && _groups.Remove(group);

    /// <summary>Takes the endpoint's groups away from it, for the layer to leave them.</summary>
    internal List<IpAddress>? TakeGroups()
    {
        var groups = _groups;
        _groups = null;
        return groups;
    }

    /// <summary>Bytes queued, as charged against <see cref="ReceiveBufferSize"/>.</summary>
    public int QueuedBytes { get; private set; }

    public int QueuedCount => _queue.Count;

    /// <summary>Datagrams dropped because the queue was full.</summary>
    public long Drops { get; private set; }

    /// <summary>
    /// An error reported by ICMP (SO_ERROR), returned by the next send or receive and then cleared, as Linux
    /// does for connected sockets: e.g. <see cref="SocketError.ConnectionRefused"/> after a port unreachable.
    /// </summary>
    public SocketError PendingError { get; internal set; } = SocketError.Success;

    /// <summary>
    /// Called on the loop when there is something for a receiver: a datagram queued, or an error pending. The
    /// socket layer hangs its waiters here.
    /// </summary>
    public Action<UdpEndpoint>? Readable { get; set; }

    /// <summary>Takes and clears <see cref="PendingError"/>.</summary>
    public SocketError TakeError()
    {
        var e = PendingError;
        PendingError = SocketError.Success;
        return e;
    }

    /// <summary>
    /// Copies the oldest datagram into <paramref name="destination"/> (truncating it when the buffer is short,
    /// as recvfrom does; the rest is discarded) and removes it. False when the queue is empty.
    /// </summary>
    public bool TryReceive(Span<byte> destination, out ReceivedDatagram datagram, out int copied)
    {
        if (!_queue.TryDequeue(out var entry))
        {
            datagram = default;
            copied = 0;
            return false;
        }
        datagram = entry.Info;
        copied = Math.Min(destination.Length, datagram.Length);
        entry.Buffer.AsSpan(0, copied).CopyTo(destination);
        QueuedBytes -= datagram.Length + PerDatagramOverhead;
        ArrayPool<byte>.Shared.Return(entry.Buffer);
        return true;
    }

    /// <summary>
    /// Queues a datagram unless the queue is full. As Linux does, a datagram that arrives at an empty queue is
    /// always taken, so a receive buffer smaller than one datagram does not block the endpoint for good.
    /// </summary>
    internal bool TryEnqueue(IpAddress source, ushort sourcePort, IpAddress destination, ReadOnlySpan<byte> payload)
    {
        int charge = payload.Length + PerDatagramOverhead;
        if (_queue.Count > 0 && QueuedBytes + charge > ReceiveBufferSize)
        {
            Drops++;
            return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        _queue.Enqueue((new ReceivedDatagram(source, sourcePort, destination, payload.Length), buffer));
        QueuedBytes += charge;
        return true;
    }

    internal void Notify() => Readable?.Invoke(this);

    /// <summary>Returns every queued buffer to the pool.</summary>
    internal void Clear()
    {
        while (_queue.TryDequeue(out var entry)) ArrayPool<byte>.Shared.Return(entry.Buffer);
        QueuedBytes = 0;
    }

    public override string ToString() =>
        IsConnected ? $"udp {LocalAddress}:{LocalPort} -> {RemoteAddress}:{RemotePort}" : $"udp {LocalAddress}:{LocalPort}";
}
