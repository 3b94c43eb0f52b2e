using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>
/// What one arriving ACK delivered, gathered while <see cref="SentSegments"/> takes its cumulative ACK and SACK
/// blocks (Linux's ack flags and rate sample): the input of loss detection, recovery, undo and RTT sampling.
/// </summary>
public struct AckSample
{
    /// <summary>Bytes the cumulative ACK newly covered (SACKed bytes it covered count as SACKed before, not here).</summary>
    public int NewlyAcked;

    /// <summary>Bytes newly SACKed by this ACK.</summary>
    public int NewlySacked;

    /// <summary>
    /// Data never retransmitted, and ending at or below <see cref="OriginalLimit"/> when that is set, was (S)ACKed
    /// (Linux FLAG_ORIG_SACK_ACKED, with high_seq as the limit): what F-RTO looks for.
    /// </summary>
    public bool OriginalDelivered;

    /// <summary>
    /// Set before the ACK is taken: the end of the highest record SACKed before it (Linux prior_fack), or null when
    /// none was; a hole the cumulative ACK fills below it shows reordering.
    /// </summary>
    public SeqNum? PriorHighSacked;

    /// <summary>Set before the ACK is taken: only originals sent before this point count for <see cref="OriginalDelivered"/>.</summary>
    public SeqNum? OriginalLimit;

    /// <summary>Data that had been retransmitted was (S)ACKed (Linux FLAG_RETRANS_DATA_ACKED): an ambiguous RTT.</summary>
    public bool RetransmittedDelivered;

    /// <summary>
    /// A segment never retransmitted was delivered below one SACKed earlier: the network reordered (RFC 8985
    /// §6.2 step 4's RACK.reordering_seen, Linux tcp_check_sack_reordering).
    /// </summary>
    public bool ReorderingSeen;

    /// <summary>How far below the highest SACKed byte such a late segment started (Linux tcp_check_sack_reordering's metric).</summary>
    public int ReorderingDistance;

    /// <summary>The most recently sent segment delivered (RFC 8985 §6.2: RACK.xmit_ts and RACK.end_seq candidates).</summary>
    public DeliveredSegment Newest;

    /// <summary>The most recently sent delivered segment that was never retransmitted (an unambiguous RTT).</summary>
    public DeliveredSegment NewestOriginal;

    /// <summary>
    /// The delivered segment taken last (SACK blocks first, then the cumulative ACK, each in sequence order), and
    /// the last of those never retransmitted: Linux's rack.rtt_us is the RTT of the last one tcp_rack_advance
    /// takes, whichever was sent most recently.
    /// </summary>
    public DeliveredSegment Last;

    /// <summary>See <see cref="Last"/>.</summary>
    public DeliveredSegment LastOriginal;

    /// <summary>The earliest send time of the never-retransmitted segments the cumulative ACK covered (Karn's RTT sample).</summary>
    public Instant OldestAckedSentAt;

    /// <summary><see cref="OldestAckedSentAt"/> is set.</summary>
    public bool HasOldestAcked;

    /// <summary>
    /// The first never-retransmitted segment this ACK's SACK blocks delivered, in the order they were taken
    /// (Linux's first_sackt, the start of its SACK RTT sample).
    /// </summary>
    public DeliveredSegment FirstSackedOriginal;

    /// <summary>The pipe before the ACK was taken (Linux rs->prior_in_flight).</summary>
    public int PriorInFlight;

    /// <summary>Bytes newly delivered either way.</summary>
    public readonly int Delivered => NewlyAcked + NewlySacked;

    internal void OnDelivered(in SentSegment s, bool cumulative)
    {
        if (s.EverRetransmitted)
        {
            RetransmittedDelivered = true;
        }
        else
        {
            if (OriginalLimit is not { } limit || s.End <= limit)
            {
                OriginalDelivered = true;
            }
            NewestOriginal.Consider(s);
            LastOriginal.Take(s);
            if (!cumulative && !FirstSackedOriginal.Found)
            {
                FirstSackedOriginal.Take(s);
            }
            if (cumulative && (!HasOldestAcked || s.SentAt < OldestAckedSentAt))
            {
                OldestAckedSentAt = s.SentAt;
                HasOldestAcked = true;
            }
        }
        Newest.Consider(s);
        Last.Take(s);
    }
}

/// <summary>A delivered segment's send time, send order and end: what RACK orders segments by (RFC 8985 §6.2).</summary>
public struct DeliveredSegment
{
    public bool Found;
    public Instant SentAt;
    public long SendOrder;
    public SeqNum End;
    public bool EverRetransmitted;

    /// <summary>The delivery clock when it left: the start of the ACK's rate sample.</summary>
    public SendSnapshot Tx;

    /// <summary>
    /// RFC 8985 RACK_sent_after: sent later; at the same instant, the one that left later. The RFC breaks such
    /// ties by sequence number, which says the same for one burst of new data, but not for a resend that left in
    /// the same instant as new data after it (a virtual clock makes that common): Linux's list of segments in
    /// the order sent is what we follow.
    /// </summary>
    public static bool SentAfter(Instant t1, long order1, SeqNum end1, Instant t2, long order2, SeqNum end2) =>
        t1 > t2 || (t1 == t2 && (order1 > order2 || (order1 == order2 && end1 > end2)));

    internal void Take(in SentSegment s)
    {
        Found = true;
        SentAt = s.SentAt;
        SendOrder = s.SendOrder;
        End = s.End;
        EverRetransmitted = s.EverRetransmitted;
        Tx = s.Tx;
    }

    internal void Consider(in SentSegment s)
    {
        if (!Found || SentAfter(s.SentAt, s.SendOrder, s.End, SentAt, SendOrder, End))
        {
            Take(s);
        }
    }
}
