using System.Net.Sockets;
using System.Runtime.InteropServices;
using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp.Diagnostics;

namespace Stack.Tcp;

// TIME-WAIT kept as compact records (TcpTimeWait), apart from the connection table: a connection entering
// TIME-WAIT hands its record to the layer as it settles (TcpConnection.HandOffTimeWait) and leaves the table. The
// records have their own deadline heap (lazy deletion, as the connections' one): a retransmitted FIN pushes a
// deadline later, and an entry whose deadline or generation no longer matches its record's is stale and skipped.
// Records that ended go back to a small pool, so steady-state TIME-WAIT allocates nothing.
public sealed partial class TcpLayer
{
    private readonly Dictionary<FourTuple, TcpTimeWait> _timeWait = [];
    private readonly PriorityQueue<(TcpTimeWait Record, int Generation), Instant> _timeWaitQueue = new();
    private readonly Stack<TcpTimeWait> _timeWaitPool = new();
    private readonly List<((TcpTimeWait, int), Instant)> _liveTimeWaits = []; // The compaction's, kept: it runs often.

    // Records per local port and per local address and port, so bind() asks "does TIME-WAIT hold this port?" in
    // O(1) instead of walking every record (about 250 µs a bind with 100,000 standing: docs/figures.md). Their
    // size is bounded by the ports in use, not by the records (a server's are all on its listening port).
    private readonly Dictionary<ushort, int> _timeWaitPorts = [];
    private readonly Dictionary<TcpEndPoint, int> _timeWaitEndPoints = [];
    private const int TimeWaitPoolLimit = 1024;

    /// <summary>The connections in TIME-WAIT, as their records (for <c>ss</c>); read on the loop only.</summary>
    public IEnumerable<TcpTimeWait> TimeWaits => _timeWait.Values;

    /// <summary>Connections in TIME-WAIT now.</summary>
    public int TimeWaitCount => _timeWait.Count;

    /// <summary>
    /// Takes <paramref name="c"/> out of the connection table and puts its TIME-WAIT record in its place; null when
    /// <see cref="TcpConfig.MaxTimeWait"/> records stand already, and then <paramref name="c"/> is CLOSED.
    /// </summary>
    internal TcpTimeWait? EnterTimeWait(TcpConnection c, in TimeWaitState state, Instant deadline, bool keepOwner, Instant now)
    {
        RemoveConnection(c);
        if (_timeWait.Count >= DefaultConfig.MaxTimeWait)
        {
            // Linux tcp_time_wait: past tcp_max_tw_buckets inet_twsk_alloc gives nothing, and the socket is closed
            // with no TIME-WAIT (tcp_done), counted as TCPTimeWaitOverflow. Its tuple is free at once: a later SYN
            // on it is a new connection.
            Statistics.TimeWaitOverflow++;
            c.EndTimeWait(now, "TIME-WAIT overflow (MaxTimeWait)", error: null);
            return null;
        }
        var tw = _timeWaitPool.TryPop(out var pooled) ? pooled : new TcpTimeWait(this);
        tw.Init(c.Config, c.Tuple, state, keepOwner ? c : null, deadline);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_timeWait, c.Tuple, out bool existed);
        slot = tw;
        if (!existed) CountPort(c.Tuple, +1);
        ScheduleTimeWait(tw);
        return tw;
    }

    /// <summary>Queues <paramref name="tw"/> under its deadline (again, after a retransmitted FIN moved it).</summary>
    internal void ScheduleTimeWait(TcpTimeWait tw)
    {
        _timeWaitQueue.Enqueue((tw, tw.Generation), tw.Deadline);
        if (_timeWaitQueue.Count > 4 * (_timeWait.Count + 16))
        {
            var live = _liveTimeWaits;
            foreach (var (entry, at) in _timeWaitQueue.UnorderedItems)
            {
                if (IsCurrent(entry, at)) live.Add((entry, at));
            }
            _timeWaitQueue.Clear();
            _timeWaitQueue.EnqueueRange(live);
            live.Clear();
        }
    }

    /// <summary>
    /// TIME-WAIT ends (2 MSL passed, a RST, a SYN that reset it or a new incarnation): the record leaves the table and
    /// its connection object, if an owner still holds it, goes to CLOSED as it did before records.
    /// </summary>
    internal void EndTimeWait(TcpTimeWait tw, Instant now, string cause, SocketError? error)
    {
        if (!DropTimeWait(tw))
        {
            return;
        }
        if (tw.Owner is { } owner)
        {
            tw.Owner = null;
            owner.EndTimeWait(now, cause, error);
            return;
        }
        Statistics.OnTransition(TcpState.TimeWait, TcpState.Closed);
        if (error is not null) Statistics.Failed++;
        TcpLog.StateChanged(Log, tw.Tuple, TcpState.TimeWait, TcpState.Closed, cause);
    }

    /// <summary>A heap entry of the record's present use and deadline (not one left behind by a restart or an end).</summary>
    private static bool IsCurrent((TcpTimeWait Record, int Generation) entry, Instant at) =>
        entry.Record.IsLive && entry.Record.Generation == entry.Generation && entry.Record.Deadline == at;

    /// <summary>Takes a live record out of the table (its deadline entry goes stale); false when it was gone already.</summary>
    internal bool DropTimeWait(TcpTimeWait tw)
    {
        if (!tw.IsLive)
        {
            return false;
        }
        tw.IsLive = false;
        if (_timeWait.Remove(tw.Tuple))
        {
            CountPort(tw.Tuple, -1);
        }
        if (_timeWaitPool.Count < TimeWaitPoolLimit)
        {
            // Nothing refers to it now: the owner's link is cut by the caller, heap entries carry the generation.
            _timeWaitPool.Push(tw);
        }
        if (_timeWait.Capacity > 1024 && _timeWait.Count < _timeWait.Capacity / 4)
        {
            _timeWait.TrimExcess(_timeWait.Count * 2); // As the connection table: shrink after a burst.
            _timeWaitQueue.TrimExcess();
        }
        return true;
    }

    /// <summary>Does a TIME-WAIT record hold <paramref name="port"/> on <paramref name="local"/> (on any address when unspecified)?</summary>
    private bool TimeWaitHoldsPort(IpAddress local, ushort port) =>
        local.IsUnspecified ? _timeWaitPorts.ContainsKey(port) : _timeWaitEndPoints.ContainsKey(new TcpEndPoint(local, port));

    private void CountPort(FourTuple tuple, int delta)
    {
        Count(_timeWaitPorts, tuple.LocalPort, delta);
        Count(_timeWaitEndPoints, new TcpEndPoint(tuple.LocalAddress, tuple.LocalPort), delta);

        static void Count<TKey>(Dictionary<TKey, int> counts, TKey key, int delta) where TKey : notnull
        {
            ref int n = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
            n += delta;
            if (n == 0) counts.Remove(key);
        }
    }

    private Instant NextTimeWaitDeadline
    {
        get
        {
            while (_timeWaitQueue.TryPeek(out var entry, out var at))
            {
                if (IsCurrent(entry, at))
                {
                    return at;
                }
                _timeWaitQueue.Dequeue();
            }
            return Instant.Never;
        }
    }

    private void OnTimeWaitTimer(Instant now)
    {
        while (_timeWaitQueue.TryPeek(out var entry, out var at) && at <= now)
        {
            _timeWaitQueue.Dequeue();
            if (IsCurrent(entry, at))
            {
                EndTimeWait(entry.Record, now, "2MSL timeout", error: null);
            }
        }
    }

    /// <summary>
    /// An ICMP error quoting a segment of a TIME-WAIT connection: as TcpConnection.OnIcmpError there, only a
    /// too-big report for SND.NXT acts (on the path MTU); the rest has no one left to tell.
    /// </summary>
    private void OnTimeWaitIcmpError(TcpTimeWait tw, in IcmpError error, SeqNum quotedSeq, Instant now)
    {
        if (quotedSeq < tw.SndNxt || quotedSeq > tw.SndMax)
        {
            Statistics.OutOfWindowIcmps++;
            return;
        }
        if (error.Kind != IcmpErrorKind.PacketTooBig)
        {
            return;
        }
        if (tw.Tuple.RemoteAddress.IsIpv6 && error.Mtu < IpHost.MinIpv6PathMtu)
        {
            Statistics.IcmpTooBigIgnored++;
            return;
        }
        Host.LowerPathMtu(tw.Tuple.RemoteAddress, error.Mtu, now);
    }
}
