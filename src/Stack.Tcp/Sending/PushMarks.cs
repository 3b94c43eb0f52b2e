namespace Stack.Tcp.Sending;

/// <summary>
/// Push points: sequence numbers where written data ended, in order, from the oldest not yet acknowledged. A
/// segment whose data reaches one carries PSH (<see cref="Covers"/>), a first send and a resend alike.
/// </summary>
/// <remarks>
/// RFC 9293 §3.9.1 leaves PSH placement to the implementation; this follows Linux (see TcpConnection.Push.cs),
/// which keeps the flag in the skb that ends a write: when cwnd or the window splits that skb (tso_fragment,
/// tcp_fragment) the first part loses PSH and the second keeps it, and an skb put on the wire in MSS pieces has
/// PSH on its last piece only. Marking the end and flagging the segment that reaches it gives the same flags
/// without keeping skbs. A ring made at the first mark that grows by doubling, so steady state allocates nothing.
/// A mutable struct held in its owner's field (never copied), so a connection carries no object for it.
/// </remarks>
public struct PushMarks
{
    private const int InitialCapacity = 4; // A short connection marks a few writes; a bulk one doubles to its need.

    private SeqNum[]? _ring; // Null until the first mark (default(PushMarks) is an empty set).
    private int _head;
    private int _count;

    /// <summary>Marks held.</summary>
    public readonly int Count => _count;

    /// <summary>The newest mark (meaningful when <see cref="Count"/> &gt; 0).</summary>
    public readonly SeqNum Last => _ring![Index(_count - 1)];

    /// <summary>Adds a mark after the newest one.</summary>
    public void Add(SeqNum mark)
    {
        if (_count > 0 && mark <= Last)
        {
            throw new ArgumentOutOfRangeException(nameof(mark), mark, $"A mark must follow the newest one ({Last}).");
        }
        if (_count == (_ring?.Length ?? 0))
        {
            Grow();
        }
        _ring![Index(_count)] = mark;
        _count++;
    }

    /// <summary>
    /// Puts <paramref name="mark"/> in its place among the others (nothing if it is held already). Cheap near the
    /// newest end, where the send path splits skbs (see TcpConnection.SendMemory.cs, which keeps skb ends here).
    /// </summary>
    public void Insert(SeqNum mark)
    {
        int at = _count;
        while (at > 0 && _ring![Index(at - 1)] > mark)
        {
            at--;
        }
        if (at > 0 && _ring![Index(at - 1)] == mark)
        {
            return;
        }
        if (_count == (_ring?.Length ?? 0))
        {
            Grow();
        }
        for (int i = _count; i > at; i--)
        {
            _ring![Index(i)] = _ring[Index(i - 1)];
        }
        _ring![Index(at)] = mark;
        _count++;
    }

    /// <summary>Drops the newest mark (a later write goes on filling its chunk, as Linux clears the tail skb's PSH).</summary>
    public void RemoveLast()
    {
        if (_count > 0)
        {
            _count--;
        }
    }

    /// <summary>Drops the marks at or below <paramref name="una"/>: every segment ending there is acknowledged.</summary>
    public void AckTo(SeqNum una)
    {
        while (_count > 0 && _ring![_head] <= una)
        {
            _head = Index(1);
            _count--;
        }
        if (_count == 0)
        {
            _head = 0;
        }
    }

    public void Clear()
    {
        _head = 0;
        _count = 0;
    }

    /// <summary>
    /// True when a mark lies in (<paramref name="start"/>, <paramref name="end"/>]: the segment [start, end)
    /// reaches the end of a chunk. Segments end on chunk ends unless the MSS changed under them; then the one
    /// that crosses a mark carries it, so no push is lost.
    /// </summary>
    public readonly bool Covers(SeqNum start, SeqNum end) => end > start && FirstAbove(start) is { } mark && mark <= end;

    /// <summary>The first mark above <paramref name="seq"/>, if any.</summary>
    public readonly SeqNum? FirstAbove(SeqNum seq)
    {
        // Binary search: marks ascend.
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (_ring![Index(mid)] <= seq)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo < _count ? _ring![Index(lo)] : null;
    }

    private readonly int Index(int offset)
    {
        int i = _head + offset;
        return i >= _ring!.Length ? i - _ring.Length : i;
    }

    private void Grow()
    {
        var bigger = new SeqNum[Math.Max(InitialCapacity, (_ring?.Length ?? 0) * 2)];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _ring![Index(i)];
        }
        _ring = bigger;
        _head = 0;
    }
}
