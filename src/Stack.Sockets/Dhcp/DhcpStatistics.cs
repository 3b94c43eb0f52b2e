using Stack.Sockets.Dhcp.Wire;

namespace Stack.Sockets.Dhcp;

/// <summary>The DHCP client's counters: messages sent and taken, and every rejection by its reason. Written on the loop.</summary>
public sealed class DhcpStatistics
{
    private readonly long[] _rejects = new long[Enum.GetValues<DhcpRejectReason>().Length];
    private readonly long[] _sent = new long[9];

    public long Received { get; internal set; }
    public long Accepted { get; internal set; }
    public long Probes { get; internal set; }
    public long Declines { get; internal set; }
    public long Renewals { get; internal set; }
    public long Expiries { get; internal set; }
    public long Naks { get; internal set; }

    /// <summary>Messages rejected for <paramref name="reason"/>.</summary>
    public long this[DhcpRejectReason reason] => Volatile.Read(ref _rejects[(int)reason]);

    /// <summary>Messages of <paramref name="type"/> sent.</summary>
    public long Sent(DhcpMessageType type) => Volatile.Read(ref _sent[(int)type]);

    public long Rejected => _rejects.Sum();

    internal void Reject(DhcpRejectReason reason) => _rejects[(int)reason]++;

    internal void CountSent(DhcpMessageType type) => _sent[(int)type]++;
}
