using Stack.IP;
using Stack.Link.Time;
using Stack.Sockets.Hosting;
using Stack.Tcp;
using Stack.Tcp.Timers;
using Stack.Udp;

namespace Stack.Sockets.Control;

/// <summary>
/// One socket as <c>ss</c> shows it: protocol, state by <c>ss</c>'s names (ESTAB, LISTEN, UNCONN...), the queues,
/// both ends, and for a TCP connection its internals (<see cref="TcpSocketDetails"/>). For a listener Recv-Q is
/// the accept queue and Send-Q the backlog, as Linux reports them. <paramref name="Shard"/> is the shard that holds
/// the socket in a multi-queue stack (<see cref="StackShards"/>), null in a one-loop stack.
/// </summary>
public sealed record SocketEntry(string Protocol, string State, long RecvQ, long SendQ,
    string LocalAddress, int LocalPort, string PeerAddress, int PeerPort, TcpSocketDetails? Tcp = null, int? Shard = null);

/// <summary>A running timer as <c>ss -o</c> shows it: on, persist, keepalive or timewait, time left and backoffs.</summary>
public sealed record TcpTimer(string Name, double RemainingMs, int Retries);

/// <summary>
/// A TCP connection's internals by the names of Linux's <c>struct tcp_info</c> and <c>ss -i</c>. Times in
/// microseconds where tcp_info has them so, sizes in bytes, windows in segments as Linux counts them. A connection
/// in TIME-WAIT (<paramref name="TimeWait"/>) is a compact record with no tcp_info, as Linux's timewait socket:
/// only its timestamps and SACK flags and its timer are filled in.
/// </summary>
public sealed record TcpSocketDetails(
    string CongestionControl,
    bool Timestamps,
    bool Sack,
    int SendWscale,
    int ReceiveWscale,
    long RtoUs,
    long RttUs,
    long RttVarUs,
    long? MinRttUs,
    int Mss,
    int AdvMss,
    int RcvMss,
    int Pmtu,
    long Cwnd,
    long? Ssthresh,
    long BytesSent,
    long BytesRetrans,
    long BytesAcked,
    long BytesReceived,
    long DataSegsOut,
    long DataSegsIn,
    long Delivered,
    long TotalRetrans,
    long Retrans,
    long Lost,
    long Sacked,
    long Unacked,
    long NotSent,
    int Reordering,
    int Backoff,
    long SendWindow,
    double DeliveryRateBps,
    bool DeliveryRateAppLimited,
    double PacingRateBps,
    long LastSendMs,
    long LastReceiveMs,
    long LastAckMs,
    string CaState,
    TcpTimer? Timer,
    bool TimeWait = false);

/// <summary>Takes the sockets of a stack; on its loop only, where the layers' tables may be walked.</summary>
public static class SocketSnapshot
{
    public static IReadOnlyList<SocketEntry> Take(StackInstance stack, Instant now)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var list = new List<SocketEntry>();
        foreach (var l in stack.Tcp.Listeners)
            list.Add(new SocketEntry("tcp", "LISTEN", l.CompletedCount, l.Backlog,
                l.LocalEndPoint.Address.ToString(), l.LocalEndPoint.Port, Wildcard(l.LocalEndPoint.Address.IsIpv6), 0));
        foreach (var c in stack.Tcp.Connections)
        {
            if (c.State == TcpState.Closed) continue;
            list.Add(new SocketEntry("tcp", StateName(c.State), c.Readable, c.Unacknowledged,
                c.LocalEndPoint.Address.ToString(), c.LocalEndPoint.Port, c.RemoteEndPoint.Address.ToString(), c.RemoteEndPoint.Port,
                Details(c, stack.Host.Mtu, now)));
        }
        foreach (var tw in stack.Tcp.TimeWaits) list.Add(TimeWaitEntry(tw, now));
        foreach (var u in stack.Udp.Endpoints)
        {
            bool v6 = u.Family == System.Net.Sockets.AddressFamily.InterNetworkV6;
            list.Add(new SocketEntry("udp", u.IsConnected ? "ESTAB" : "UNCONN", u.QueuedBytes, 0,
                u.LocalAddress.IsUnspecified ? Wildcard(v6) : u.LocalAddress.ToString(), u.LocalPort,
                u.IsConnected ? u.RemoteAddress.ToString() : Wildcard(v6), u.RemotePort));
        }
        return list;
    }

    /// <summary><c>ss</c>'s short state names (its sstate_name table).</summary>
    public static string StateName(TcpState state) => state switch
    {
        TcpState.Established => "ESTAB",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECV",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.TimeWait => "TIME-WAIT",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.LastAck => "LAST-ACK",
        TcpState.Listen => "LISTEN",
        TcpState.Closing => "CLOSING",
        _ => "UNCONN",
    };

    private static TcpSocketDetails Details(TcpConnection c, int linkMtu, Instant now)
    {
        var info = c.GetInfo(now);
        return new TcpSocketDetails(
            CongestionControl: c.Config.CongestionControl.ToString().ToLowerInvariant(),
            Timestamps: (info.Options & TcpInfo.OptTimestamps) != 0,
            Sack: (info.Options & TcpInfo.OptSack) != 0,
            SendWscale: info.SndWscale,
            ReceiveWscale: info.RcvWscale,
            RtoUs: info.Rto,
            RttUs: info.Rtt,
            RttVarUs: info.RttVar,
            MinRttUs: info.MinRtt == TcpInfo.NoMinRtt ? null : info.MinRtt,
            Mss: info.SndMss,
            AdvMss: info.AdvMss,
            RcvMss: info.RcvMss,
            Pmtu: linkMtu,
            Cwnd: info.CwndUnbounded ? 0 : info.SndCwnd,
            Ssthresh: info.SndSsthresh == TcpInfo.InfiniteSsthresh ? null : info.SndSsthresh,
            BytesSent: info.BytesSent,
            BytesRetrans: info.BytesRetrans,
            BytesAcked: info.BytesAcked,
            BytesReceived: info.BytesReceived,
            DataSegsOut: info.DataSegsOut,
            DataSegsIn: info.DataSegsIn,
            Delivered: info.Delivered,
            TotalRetrans: info.TotalRetrans,
            Retrans: info.Retrans,
            Lost: info.Lost,
            Sacked: info.Sacked,
            Unacked: info.Unacked,
            NotSent: info.NotsentBytes,
            Reordering: info.Reordering,
            Backoff: info.Backoff,
            SendWindow: info.SndWnd,
            DeliveryRateBps: info.DeliveryRate * 8,
            DeliveryRateAppLimited: info.DeliveryRateAppLimited,
            PacingRateBps: info.PacingRate * 8,
            LastSendMs: info.LastDataSent,
            LastReceiveMs: info.LastDataRecv,
            LastAckMs: info.LastAckRecv,
            CaState: info.CaState.ToString(),
            Timer: Timer(c, now));
    }

    /// <summary>A TIME-WAIT record as ss lists it: no queues, no tcp_info, the timer as <c>ss -o</c> shows it.</summary>
    internal static SocketEntry TimeWaitEntry(TcpTimeWait tw, Instant now) => new("tcp", StateName(TcpState.TimeWait), 0, 0,
        tw.LocalEndPoint.Address.ToString(), tw.LocalEndPoint.Port, tw.RemoteEndPoint.Address.ToString(), tw.RemoteEndPoint.Port,
        TimeWaitDetails(tw, now));

    private static TcpSocketDetails TimeWaitDetails(TcpTimeWait tw, Instant now) => new(
        CongestionControl: "", Timestamps: tw.TimestampsEnabled, Sack: tw.SackEnabled, SendWscale: 0, ReceiveWscale: 0,
        RtoUs: 0, RttUs: 0, RttVarUs: 0, MinRttUs: null, Mss: 0, AdvMss: 0, RcvMss: 0, Pmtu: 0, Cwnd: 0, Ssthresh: null,
        BytesSent: 0, BytesRetrans: 0, BytesAcked: 0, BytesReceived: 0, DataSegsOut: 0, DataSegsIn: 0, Delivered: 0,
        TotalRetrans: 0, Retrans: 0, Lost: 0, Sacked: 0, Unacked: 0, NotSent: 0, Reordering: 3, Backoff: 0, SendWindow: 0,
        DeliveryRateBps: 0, DeliveryRateAppLimited: false, PacingRateBps: 0, LastSendMs: 0, LastReceiveMs: 0, LastAckMs: 0,
        CaState: "Open", Timer: new TcpTimer("timewait", Math.Max(0, (tw.Deadline - now).Ticks / (double)TimeSpan.TicksPerMillisecond), 0),
        TimeWait: true);

    /// <summary>
    /// The timer <c>ss -o</c> would show (Linux's tcp_get_info order, icsk_pending then keepalive): the
    /// retransmission timer and its kin (loss probe, RACK's reorder timer) as "on", then persist, keepalive, and
    /// TIME-WAIT or the orphan FIN-WAIT-2 timer as "timewait".
    /// </summary>
    private static TcpTimer? Timer(TcpConnection c, Instant now)
    {
        (string Name, TimerKind[] Kinds)[] order =
        [
            ("on", [TimerKind.Retransmission, TimerKind.LossProbe, TimerKind.Reorder]),
            ("persist", [TimerKind.Persist]),
            ("keepalive", [TimerKind.KeepAlive]),
            ("timewait", [TimerKind.TimeWait, TimerKind.FinWait2]),
        ];
        foreach (var (name, kinds) in order)
        {
            var at = Instant.Never;
            foreach (var kind in kinds) at = Instant.Min(at, c.TimerDeadline(kind));
            if (at == Instant.Never) continue;
            double ms = Math.Max(0, (at - now).Ticks / (double)TimeSpan.TicksPerMillisecond);
            int retries = name is "persist" ? c.ProbesOut : name is "on" ? c.RtoBackoffs : 0;
            return new TcpTimer(name, ms, retries);
        }
        return null;
    }

    /// <summary>The wildcard address an unbound end shows, as ss prints it.</summary>
    private static string Wildcard(bool v6) => v6 ? "::" : "0.0.0.0";
}
