using System.Buffers;
using System.Runtime.CompilerServices;
using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>
/// Every segment in flight, in sequence order from SND.UNA: the one record that loss detection, recovery, RTT
/// sampling and tracing read (Linux's retransmission queue with its SACK scoreboard). Records are contiguous:
/// each starts where the one before ends. A record is split where a retransmission or a SACK block needs a
/// boundary inside it.
/// </summary>
/// <remarks>
/// The byte counts follow Linux's packet counts: <see cref="SackedBytes"/> (sacked_out), <see cref="LostBytes"/>
/// (lost_out: lost and not SACKed, whether or not resent) and <see cref="RetransmittedBytes"/> (retrans_out:
/// resends in flight), so that <see cref="InFlight"/> is RFC 6675's pipe (Linux tcp_packets_in_flight).
/// A ring rented at the first send (an idle connection holds none) from <see cref="ArrayPool{T}.Shared"/>, grown by
/// doubling and returned when the connection is done with it, so neither a bulk transfer's steady state nor a new
/// connection after the first allocates one (records hold no references: nothing to clear on return).
/// </remarks>
public sealed class SentSegments
{
    private const int InitialCapacity = 64;

    private SentSegment[] _ring = [];
    private int _head;
    private int _count;
    private long _sendOrder;

    /// <summary>Records held.</summary>
    public int Count => _count;

    public bool IsEmpty => _count == 0;

    /// <summary>The first record's start (SND.UNA once the cumulative ACK is taken).</summary>
    public SeqNum Start => _count > 0 ? At(0).Start : default;

    /// <summary>The last record's end: the highest sequence number sent, plus one.</summary>
    public SeqNum End => _count > 0 ? At(_count - 1).End : default;

    /// <summary>Sequence space the records cover.</summary>
    public int Outstanding => _count > 0 ? End - Start : 0;

    public int SackedBytes { get; private set; }

    public int LostBytes { get; private set; }

    public int RetransmittedBytes { get; private set; }

    /// <summary>Bytes in the network by the scoreboard (RFC 6675 pipe): outstanding − SACKed − lost + resends in flight.</summary>
    public int InFlight => Outstanding - SackedBytes - LostBytes + RetransmittedBytes;

    /// <summary>The record at <paramref name="index"/> (0 = the oldest).</summary>
    public ref readonly SentSegment this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return ref At(index);
        }
    }

    /// <summary>New data [start, end) left at <paramref name="now"/>; it must follow the last record.</summary>
    public void Append(SeqNum start, SeqNum end, bool fin, Instant now, SendSnapshot tx = default)
    {
        if (_count > 0 && start != End)
        {
            throw new InvalidOperationException($"A new segment at {start} does not follow the last one sent (ends {End}).");
        }
        if (end - start <= 0)
        {
            throw new ArgumentException("A segment covers at least one sequence number.", nameof(end));
        }
        if (_count == _ring.Length)
        {
            Grow();
        }
        _count++;
        At(_count - 1) = new SentSegment
        {
            Start = start, End = end, SentAt = now, SendOrder = ++_sendOrder, Marks = fin ? SegmentMarks.Fin : 0, Tx = tx,
        };
    }

    /// <summary>The index of the record holding <paramref name="seq"/>, or −1.</summary>
    public int IndexOf(SeqNum seq)
    {
        if (_count == 0 || seq < Start || seq >= End)
        {
            return -1;
        }
        int lo = 0, hi = _count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (At(mid).Start <= seq)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /// <summary>
    /// Makes a record boundary at <paramref name="seq"/> (inside the covered space) and returns the index of the
    /// record that starts there. The two halves keep the marks and send time of the record split.
    /// </summary>
    public int SplitAt(SeqNum seq)
    {
        int i = IndexOf(seq);
        if (i < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seq), seq, "Not in flight.");
        }
        ref SentSegment s = ref At(i);
        if (s.Start == seq)
        {
            return i;
        }
        SentSegment tail = s;
        tail.Start = seq;
        s.End = seq;
        s.Marks &= ~SegmentMarks.Fin;
        InsertAt(i + 1, tail);
        return i + 1;
    }

    /// <summary>
    /// The cumulative ACK reached <paramref name="ack"/>: records below it go (the one it cuts is trimmed), and
    /// what they delivered goes into <paramref name="sample"/>. A hole it fills below the highest record SACKed
    /// before this ACK (<see cref="AckSample.PriorHighSacked"/>, Linux's prior_fack) is reordering; one below
    /// blocks this same ACK brings is not (Linux tcp_clean_rtx_queue).
    /// </summary>
    public void AckTo(SeqNum ack, ref AckSample sample)
    {
        SeqNum highSacked = sample.PriorHighSacked ?? Start;
        while (_count > 0 && At(0).Start < ack)
        {
            ref SentSegment s = ref At(0);
            if (!s.IsSacked && !s.EverRetransmitted && s.Start < highSacked)
            {
                NoteReordering(ref sample, highSacked - s.Start); // Filled a hole below SACKed data, never resent.
            }
            if (s.End > ack)
            {
                // A partial ACK of one record: keep the rest, marks and all.
                Untally(s);
                if (!s.IsSacked)
                {
                    sample.NewlyAcked += ack - s.Start;
                    sample.OnDelivered(s, cumulative: true);
                }
                s.Start = ack;
                Tally(s);
                return;
            }
            Untally(s);
            if (!s.IsSacked)
            {
                sample.NewlyAcked += s.Length;
                sample.OnDelivered(s, cumulative: true);
            }
            s = default;
            _head = (_head + 1) & (_ring.Length - 1);
            _count--;
        }
    }

    /// <summary>
    /// A SACK block [left, right): the records wholly inside it are SACKed. As Linux's tcp_match_skb_to_sack,
    /// which rounds a block to whole segments, a record the block covers only part of stays unSACKed: the
    /// receiver holds a piece of it, not the segment. Returns the bytes it newly SACKed; what it delivered goes
    /// into <paramref name="sample"/>.
    /// </summary>
    public int Sack(SeqNum left, SeqNum right, ref AckSample sample)
    {
        if (_count == 0)
        {
            return 0;
        }
        left = SeqNum.Max(left, Start);
        right = SeqNum.Min(right, End);
        if (right <= left)
        {
            return 0;
        }
        SeqNum highSackedBefore = HighSacked;
        int newly = 0;
        for (int i = IndexOf(left); i < _count && At(i).Start < right; i++)
        {
            ref SentSegment s = ref At(i);
            if (s.IsSacked || s.Start < left || s.End > right)
            {
                continue;
            }
            Untally(s);
            s.Marks = (s.Marks | SegmentMarks.Sacked) & ~(SegmentMarks.Lost | SegmentMarks.Retransmitted);
            Tally(s);
            newly += s.Length;
            sample.OnDelivered(s, cumulative: false);
            if (!s.EverRetransmitted && s.End <= highSackedBefore)
            {
                NoteReordering(ref sample, highSackedBefore - s.Start); // It arrived after something sent later.
            }
        }
        sample.NewlySacked += newly;
        return newly;
    }

    private static void NoteReordering(ref AckSample sample, int distance)
    {
        sample.ReorderingSeen = true;
        sample.ReorderingDistance = Math.Max(sample.ReorderingDistance, distance);
    }

    /// <summary>The end of the highest SACKed record, or <see cref="Start"/> when nothing is SACKed.</summary>
    public SeqNum HighSacked
    {
        get
        {
            if (SackedBytes == 0)
            {
                return Start;
            }
            for (int i = _count - 1; i >= 0; i--)
            {
                if (At(i).IsSacked)
                {
                    return At(i).End;
                }
            }
            return Start;
        }
    }

    /// <summary>Bytes SACKed above <paramref name="seq"/> (RFC 6675 IsLost counts them).</summary>
    public int SackedAbove(SeqNum seq)
    {
        int sum = 0;
        for (int i = _count - 1; i >= 0 && At(i).End > seq; i--)
        {
            ref readonly SentSegment s = ref At(i);
            if (s.IsSacked)
            {
                sum += s.End - SeqNum.Max(s.Start, seq);
            }
        }
        return sum;
    }

    /// <summary>Retransmissions found lost again, since the records were made (Linux TCPLostRetransmit).</summary>
    public long LostRetransmissions { get; private set; }

    /// <summary>
    /// Marks record <paramref name="index"/> lost (Linux tcp_mark_skb_lost). Already lost with a resend in flight,
    /// it is the resend that is lost: the record is to be resent again, and true is returned.
    /// </summary>
    public bool MarkLost(int index)
    {
        ref SentSegment s = ref At(Checked(index));
        if (s.IsSacked)
        {
            return false;
        }
        Untally(s);
        bool lostResend = s.IsLost && s.IsRetransmitted;
        if (lostResend)
        {
            s.Marks &= ~SegmentMarks.Retransmitted;
            LostRetransmissions++;
        }
        s.Marks |= SegmentMarks.Lost;
        Tally(s);
        return lostResend;
    }

    /// <summary>
    /// Record <paramref name="index"/> was resent at <paramref name="now"/>. <paramref name="inFlight"/>: the
    /// resend counts as a retransmission in flight (a loss probe's does not: Linux __tcp_retransmit_skb).
    /// </summary>
    public void MarkRetransmitted(int index, Instant now, bool inFlight = true, SendSnapshot tx = default)
    {
        ref SentSegment s = ref At(Checked(index));
        Untally(s);
        s.Marks |= SegmentMarks.EverRetransmitted | (inFlight ? SegmentMarks.Retransmitted : 0);
        s.SentAt = now;
        s.Tx = tx;
        s.SendOrder = ++_sendOrder;
        Tally(s);
    }

    /// <summary>Forgets every loss mark (an undo: the losses were not real). Resends in flight stay counted.</summary>
    public void ClearLost() => ClearMark(SegmentMarks.Lost);

    /// <summary>Forgets every SACK (RFC 2018 §8: after a timeout the receiver may have reneged).</summary>
    public void ClearSacked() => ClearMark(SegmentMarks.Sacked);

    private void ClearMark(SegmentMarks mark)
    {
        for (int i = 0; i < _count; i++)
        {
            ref SentSegment s = ref At(i);
            if ((s.Marks & mark) != 0)
            {
                Untally(s);
                s.Marks &= ~mark;
                Tally(s);
            }
        }
    }

    /// <summary>Drops every record and gives the ring up (the connection is done with its data).</summary>
    /// <summary>Empty as a new one (its ring returned), for a pooled connection's next life.</summary>
    internal void ResetToNew()
    {
        Clear();
        (_head, _sendOrder, LostRetransmissions) = (0, 0, 0);
    }

    public void Clear()
    {
        ReturnRing();
        _count = 0;
        SackedBytes = 0;
        LostBytes = 0;
        RetransmittedBytes = 0;
    }

    public override string ToString() =>
        $"{_count} segments [{Start}, {End}): sacked {SackedBytes}, lost {LostBytes}, resent {RetransmittedBytes}, in flight {InFlight}";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref SentSegment At(int index) => ref _ring[(_head + index) & (_ring.Length - 1)];

    private int Checked(int index) =>
        (uint)index < (uint)_count ? index : throw new ArgumentOutOfRangeException(nameof(index));

    private void Tally(in SentSegment s)
    {
        if (s.IsSacked)
        {
            SackedBytes += s.Length;
            return;
        }
        if (s.IsLost)
        {
            LostBytes += s.Length;
        }
        if (s.IsRetransmitted)
        {
            RetransmittedBytes += s.Length;
        }
    }

    private void Untally(in SentSegment s)
    {
        if (s.IsSacked)
        {
            SackedBytes -= s.Length;
            return;
        }
        if (s.IsLost)
        {
            LostBytes -= s.Length;
        }
        if (s.IsRetransmitted)
        {
            RetransmittedBytes -= s.Length;
        }
    }

    private void InsertAt(int index, in SentSegment s)
    {
        if (_count == _ring.Length)
        {
            Grow();
        }
        for (int j = _count; j > index; j--)
        {
            At(j) = At(j - 1);
        }
        At(index) = s;
        _count++;
    }

    /// <summary>
    /// Gives up the ring once nothing is in flight and nothing more will be sent (TIME-WAIT, CLOSED): thousands
    /// of connections waiting out TIME-WAIT would otherwise hold 4 KiB each. A later send makes a new one.
    /// </summary>
    public void ReleaseWhenEmpty()
    {
        if (_count == 0)
        {
            ReturnRing();
        }
    }

    private void ReturnRing()
    {
        if (_ring.Length > 0)
        {
            ArrayPool<SentSegment>.Shared.Return(_ring);
        }
        _ring = [];
        _head = 0;
    }

    private void Grow()
    {
        // The shared pool hands out powers of two at these sizes, as the ring's index mask needs.
        var bigger = ArrayPool<SentSegment>.Shared.Rent(Math.Max(InitialCapacity, _ring.Length * 2));
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = At(i);
        }
        ReturnRing();
        _ring = bigger;
    }
}
