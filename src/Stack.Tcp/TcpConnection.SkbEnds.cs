namespace Stack.Tcp;

// Where an skb must end though the size goal would let it grow. Linux never builds a segment across two skbs,
// and some writes close their skb early. A write with MSG_EOR marks its last skb so that nothing is appended to
// it (tcp_sendmsg_locked) or merged with it later (tcp_skb_can_collapse). A MSG_ZEROCOPY write makes each iovec a page fragment, and an skb holds
// at most MAX_SKB_FRAGS (17) of them, so tcp_sendmsg_locked marks PSH on the full skb (tcp_mark_push) and starts
// a new one. The socket layer plans such ends before it writes (PlanSkbEnds); RecordWrite turns the ones the
// write reaches into push points that later writes do not fill past, and SendData cuts segments there. Such a
// cut segment is not the last skb, so Linux sends it without the Nagle test (tcp_write_xmit: TCP_NAGLE_PUSH).
public sealed partial class TcpConnection
{
    // Made at the first planned or closed skb end (MSG_ZEROCOPY, MSG_EOR): most connections never need either.
    private List<SeqNum>? _plannedSkbEnds;
    private List<SeqNum>? _hardSkbEnds;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetSkbEnds()
    {
        _plannedSkbEnds?.Clear();
        _hardSkbEnds?.Clear();
    }

    private List<SeqNum> PlannedSkbEnds => _plannedSkbEnds ??= [];
    private List<SeqNum> HardSkbEnds => _hardSkbEnds ??= [];

    /// <summary>
    /// The next write's skbs must end at these offsets from <see cref="WriteSeq"/> (ascending, each &gt; 0), as
    /// Linux's fragment limit ends them. Ends the write does not reach are dropped by <see cref="ClearPlannedSkbEnds"/>.
    /// </summary>
    public void PlanSkbEnds(IEnumerable<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        SeqNum from = WriteSeq;
        foreach (int offset in offsets)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(offset);
            SeqNum end = from + offset;
            if (PlannedSkbEnds.Count > 0 && end <= PlannedSkbEnds[^1])
                throw new ArgumentException("Skb ends must ascend.", nameof(offsets));
            PlannedSkbEnds.Add(end);
        }
    }

    /// <summary>The write call is over: planned ends it did not reach are forgotten.</summary>
    public void ClearPlannedSkbEnds() => _plannedSkbEnds?.Clear();

    /// <summary>A write took [start, end): the planned ends inside it become push points and hard skb ends.</summary>
    private void TakePlannedSkbEnds(SeqNum start, SeqNum end)
    {
        if (_plannedSkbEnds is null) return;
        int taken = 0;
        while (taken < _plannedSkbEnds.Count && _plannedSkbEnds[taken] <= end)
        {
            SeqNum at = _plannedSkbEnds[taken++];
            if (at <= start || at == end) continue; // The write's own end is marked by RecordWrite.
            _writeEnds.Add(at);
            HardSkbEnds.Add(at);
        }
        if (taken > 0 && _plannedSkbEnds[taken - 1] == end) HardSkbEnds.Add(end);
        _plannedSkbEnds.RemoveRange(0, taken);
    }

    /// <summary>A write with MSG_EOR ended at <paramref name="end"/>: its skb is closed.</summary>
    private void CloseSkb(SeqNum end)
    {
        if (HardSkbEnds.Count == 0 || HardSkbEnds[^1] < end) HardSkbEnds.Add(end);
    }

    /// <summary>True when the skb ending at <paramref name="seq"/> is closed: no later write fills it.</summary>
    private bool IsHardSkbEnd(SeqNum seq) => _hardSkbEnds is { Count: > 0 } ends && ends.Contains(seq);

    /// <summary>The first hard skb end above <paramref name="seq"/>, if any (those below it are forgotten).</summary>
    private SeqNum? NextHardSkbEnd(SeqNum seq)
    {
        if (_hardSkbEnds is null) return null;
        int gone = 0;
        while (gone < _hardSkbEnds.Count && _hardSkbEnds[gone] <= seq) gone++;
        if (gone > 0) _hardSkbEnds.RemoveRange(0, gone);
        return _hardSkbEnds.Count > 0 ? _hardSkbEnds[0] : null;
    }
}
