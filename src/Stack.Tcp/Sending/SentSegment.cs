using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>What the sender knows of one segment it sent (the flags of Linux's tcp_skb_cb "sacked" field).</summary>
[Flags]
public enum SegmentMarks : byte
{
    None = 0,

    /// <summary>The peer SACKed it (RFC 2018): it holds the bytes, nothing to resend.</summary>
    Sacked = 1,

    /// <summary>Deemed lost (RACK, DupThresh, or a timeout): it is to be resent, or its resend is in flight.</summary>
    Lost = 2,

    /// <summary>A retransmission of it is in flight (Linux TCPCB_SACKED_RETRANS); cleared when that one is lost too.</summary>
    Retransmitted = 4,

    /// <summary>It was retransmitted at least once (Linux TCPCB_EVER_RETRANS): its ACK is an ambiguous RTT sample.</summary>
    EverRetransmitted = 8,

    /// <summary>It carries the FIN (its last sequence number).</summary>
    Fin = 16,
}

/// <summary>
/// One segment in flight: [<see cref="Start"/>, <see cref="End"/>) of sequence space (a FIN counts one), when it
/// last left, and what became of it. Records sit in <see cref="SentSegments"/> in sequence order.
/// </summary>
public struct SentSegment
{
    public SeqNum Start;
    public SeqNum End;

    /// <summary>When it last left (its latest transmission): RACK's xmit_ts (RFC 8985 §5.2).</summary>
    public Instant SentAt;

    /// <summary>
    /// Which transmission of the connection it was (counts up with every send and resend): breaks ties between
    /// segments that left at the same instant in the order they really left.
    /// </summary>
    public long SendOrder;

    public SegmentMarks Marks;

    /// <summary>The delivery clock when it last left (<see cref="DeliveryRate"/>).</summary>
    public SendSnapshot Tx;

    public readonly int Length => End - Start;

    public readonly bool IsSacked => (Marks & SegmentMarks.Sacked) != 0;

    public readonly bool IsLost => (Marks & SegmentMarks.Lost) != 0;

    public readonly bool IsRetransmitted => (Marks & SegmentMarks.Retransmitted) != 0;

    public readonly bool EverRetransmitted => (Marks & SegmentMarks.EverRetransmitted) != 0;

    /// <summary>Lost and no retransmission of it in flight: the next thing to resend.</summary>
    public readonly bool NeedsRetransmission => (Marks & (SegmentMarks.Lost | SegmentMarks.Retransmitted | SegmentMarks.Sacked)) == SegmentMarks.Lost;

    public override readonly string ToString() => $"[{Start.Value}, {End.Value}) at {SentAt} {Marks}";
}
