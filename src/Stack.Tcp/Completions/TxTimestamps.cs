using Stack.Link.Time;

namespace Stack.Tcp.Completions;

/// <summary>
/// SO_TIMESTAMPING's transmit side for one connection, as Linux's tcp_tx_timestamp and tcp_ack_tstamp do it: a
/// write that takes bytes marks its last byte; when the segment holding that byte is first sent the
/// SCM_TSTAMP_SCHED and SCM_TSTAMP_SND timestamps are queued (if asked for), and when the peer acknowledges the
/// byte, SCM_TSTAMP_ACK. Keys count from SND.UNA (or, with SOF_TIMESTAMPING_OPT_ID_TCP, the write sequence) at
/// the moment SOF_TIMESTAMPING_OPT_ID was set.
/// </summary>
/// <remarks>
/// A resent segment holding the byte is stamped again, as Linux's clones of the skb share its timestamp flags.
/// An entry's length is the marked segment's payload (Linux's SCHED and SND copies also hold the headers).
/// </remarks>
internal sealed class TxTimestamps
{
    private readonly List<Mark> _marks = [];
    private SeqNum _keyBase;

    private sealed class Mark(SeqNum at, TimestampingFlags flags)
    {
        public SeqNum At { get; } = at;
        public TimestampingFlags Flags { get; } = flags;

        /// <summary>The payload of the segment that last carried the byte (an ACK entry copies it).</summary>
        public int Length { get; set; }
    }

    public TimestampingFlags Flags { get; private set; }

    /// <summary>
    /// Sets the flags. OPT_ID newly set fixes the key origin: <paramref name="una"/>, or
    /// <paramref name="writeSeq"/> with OPT_ID_TCP.
    /// </summary>
    public void Set(TimestampingFlags flags, SeqNum una, SeqNum writeSeq)
    {
        if ((flags & TimestampingFlags.OptId) != 0 && (Flags & TimestampingFlags.OptId) == 0)
        {
            _keyBase = (flags & TimestampingFlags.OptIdTcp) != 0 ? writeSeq : una;
        }
        Flags = flags;
    }

    /// <summary>
    /// A write ended at <paramref name="writeSeq"/>: its last byte is marked. If that byte has already left
    /// (<paramref name="sentTo"/>, the highest sequence sent, is past it) it left during this very call, so
    /// it is stamped as sent now: Linux marks before it pushes.
    /// </summary>
    public void OnWrite(SeqNum writeSeq, SeqNum sentTo, int tailLength, Instant now, ErrorQueue queue)
    {
        var flags = Flags & TimestampingFlags.TxRecord;
        if (flags == 0) return;
        var mark = new Mark(writeSeq - 1, flags);
        if (writeSeq <= sentTo)
        {
            StampSend(mark, tailLength, now, queue);
        }
        _marks.Add(mark);
    }

    /// <summary>Data [<paramref name="seq"/>, + <paramref name="length"/>) left at <paramref name="now"/>, first sent or resent.</summary>
    public void OnSent(SeqNum seq, int length, Instant now, ErrorQueue queue)
    {
        if (_marks.Count == 0 || length == 0) return;
        foreach (var mark in _marks)
        {
            if (mark.At >= seq && mark.At < seq + length) StampSend(mark, length, now, queue);
        }
    }

    /// <summary>SND.UNA moved to <paramref name="una"/>: marked bytes below it are acknowledged.</summary>
    public void OnAcknowledged(SeqNum una, Instant now, ErrorQueue queue)
    {
        int done = 0;
        while (done < _marks.Count && _marks[done].At < una)
        {
            var mark = _marks[done];
            if ((mark.Flags & TimestampingFlags.TxAck) != 0) Queue(TxTimestampKind.Acknowledged, mark, mark.Length, now, queue);
            done++;
        }
        _marks.RemoveRange(0, done);
    }

    private void StampSend(Mark mark, int length, Instant now, ErrorQueue queue)
    {
        mark.Length = length;
        if ((mark.Flags & TimestampingFlags.TxSched) != 0) Queue(TxTimestampKind.Scheduled, mark, length, now, queue);
        if ((mark.Flags & TimestampingFlags.TxSoftware) != 0) Queue(TxTimestampKind.Sent, mark, length, now, queue);
    }

    private void Queue(TxTimestampKind kind, Mark mark, int length, Instant now, ErrorQueue queue)
    {
        uint key = (Flags & TimestampingFlags.OptId) != 0 ? unchecked((uint)(mark.At - _keyBase)) : 0;
        queue.Enqueue(new TxTimestamp(kind, key, now, (Flags & TimestampingFlags.OptTsOnly) != 0 ? 0 : length));
    }
}
