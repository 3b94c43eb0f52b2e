using Stack.Tcp.Sending;

namespace Stack.Tcp;

// Where PSH goes. RFC 9293 §3.9.1 only asks that the data of a push leave without waiting for more and that the
// last segment of it carry PSH; where a sender puts the flag within a long write is the implementation's choice.
// We follow Linux, whose placement is what packetdrill scripts expect. Seen on Linux 6.18 under packetdrill:
// - the segment that ends a write carries PSH (tcp_push marks the write queue's tail skb), first sent or resent,
//   unless a later write went on filling that skb before any of it left (it clears the mark);
// - a burst of new data that leaves as one GSO packet of two segments or more (TSO autosizing: 2 MSS at a
//   connection's start) carries PSH on its last segment, so a 10,000-byte write leaves as five 2-MSS packets
//   each with PSH (slow-start-ack-per-1pkt), while data sent one MSS at a time, as in recovery or limited
//   transmit, and the resends of it, carry none but the write's end (prr-ss-10pkt-lost-1, prr-ss-30pkt-lost1_4,
//   fr-4pkt-fack-last-byte);
// - a resend of a whole skb of two segments or more is one packet again, with PSH on its last segment
//   (__tcp_transmit_skb flags every packet of more than one segment; sack-route-refresh-ip-tos).
// The stack sends MSS segments, not GSO packets: SendData groups the new segments it sends together into the
// packets Linux would build (StartPacket) and flags the last of each.
public sealed partial class TcpConnection
{
    private const int GsoMaxSize = 65536; // Linux's sk_gso_max_size (GSO_LEGACY_MAX_SIZE): the largest packet.
    private const int PacingShift = 10; // Linux's sk_pacing_shift: a packet is about 1 ms of the pacing rate.
    private const int TsoRttLog = 9; // Linux's tcp_tso_rtt_log default: low-RTT flows may build larger packets.

    private PushMarks _writeEnds; // Where writes ended: PSH, first sent or resent.
    private SeqNum _tailSkbStart; // Where Linux's write-queue tail skb would start (meaningful while a write end is held).
    private SeqNum? _openWriteEnd; // The end of the part of a write pushed before the rest (RecordWrite's final: false).
    private SeqNum _packetEnd; // The end of the GSO packet SendData is sending (≤ SND.NXT when none).
    private bool _packetIsGso; // That packet holds two segments or more: PSH on its last.
    private SeqNum? _resendSkbEnd; // The end of the skb the resends of this burst go through (null: none yet).
    private SeqNum _resendEnd; // Where the last resend of this burst ended.
    private int _resendSegments; // Segments of that skb resent in a row in this burst.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetPush()
    {
        _writeEnds.Clear(); // Keeps its ring for the next life.
        (_tailSkbStart, _openWriteEnd, _packetEnd, _packetIsGso) = (default, null, default, false);
        (_resendSkbEnd, _resendEnd, _resendSegments) = (null, default, 0);
    }

    /// <summary>
    /// A write put [<paramref name="start"/>, start + <paramref name="length"/>) in the send buffer: its end is a
    /// push point. Like Linux (tcp_sendmsg_locked) the write first fills the tail skb when none of it has left and
    /// it is short of the size goal; that skb's old end then loses its PSH.
    /// </summary>
    /// <param name="final">False for a part of a write still under way, pushed before the rest (see
    /// TcpConnection.SendMemory.cs): its end is no push point, and the next part goes on from it.</param>
    private void RecordWrite(SeqNum start, int length, bool final)
    {
        SeqNum end = start + length;
        int goal = SizeGoal();
        SeqNum skb = start;
        bool continued = _openWriteEnd == start;
        _openWriteEnd = final ? null : end;
        if (continued)
        {
            skb = _tailSkbStart;
        }
        else if (_writeEnds.Count > 0 && _writeEnds.Last == start && _tailSkbStart >= _snd.Max && start - _tailSkbStart < goal
            && !IsHardSkbEnd(start))
        {
            _writeEnds.RemoveLast();
            skb = _tailSkbStart;
        }
        TakePlannedSkbEnds(start, end);
        if (_hardSkbEnds is { Count: > 0 } hard && hard[^1] > skb && hard[^1] < end)
        {
            skb = hard[^1];
        }
        while (end - skb > goal)
        {
            skb += goal;
        }
        if (final)
        {
            _writeEnds.Add(end);
        }
        _tailSkbStart = skb;
    }

    /// <summary>The push points go with the data they mark: acknowledged, or dropped on abort.</summary>
    private void ForgetPushMarks(SeqNum? ackedTo = null)
    {
        if (ackedTo is { } una)
        {
            _writeEnds.AckTo(una);
            _skbEnds.AckTo(una);
        }
        else
        {
            _writeEnds.Clear();
            _skbEnds.Clear();
            _openWriteEnd = null;
        }
    }

    /// <summary>
    /// New data from SND.NXT is about to leave and no packet is under way: what the windows allow
    /// (<paramref name="usable"/>) of what is waiting (<paramref name="available"/>) forms one, as Linux's
    /// tcp_write_xmit cuts an skb: whole segments where the windows cut it (tcp_mss_split_point), at most the
    /// TSO segment count, never past a write's end or the end of the skb it starts in.
    /// </summary>
    private void StartPacket(int available, long usable, int mss)
    {
        long bytes = Math.Min(available, usable);
        if (usable < available && usable >= mss)
        {
            bytes = usable / mss * mss;
        }
        bytes = Math.Min(bytes, (long)TsoSegments(mss) * mss);
        if (_cc is not null)
        {
            // Linux tcp_cwnd_test: at most half of cwnd in one packet, so that at least two are in flight.
            bytes = Math.Min(bytes, (long)Math.Max(_cc.Cwnd / mss / 2, 1) * mss);
        }
        if (_writeEnds.FirstAbove(_snd.Nxt) is { } writeEnd)
        {
            bytes = Math.Min(bytes, writeEnd - _snd.Nxt);
        }
        if (_skbEnds.FirstAbove(_snd.Nxt) is { } skbEnd)
        {
            bytes = Math.Min(bytes, skbEnd - _snd.Nxt); // tcp_write_xmit sends one skb per packet: none spans two.
        }
        _packetEnd = _snd.Nxt + (int)Math.Max(bytes, 0);
        _packetIsGso = bytes > mss && _snd.Nxt >= _snd.Max; // Resends after a timeout leave one by one.
    }

    /// <summary>Whether data [<paramref name="seq"/>, seq + <paramref name="length"/>) carries PSH.</summary>
    private bool PushAt(SeqNum seq, int length) =>
        length > 0 && ((_packetIsGso && seq + length == _packetEnd && !InMoreWrite(_packetEnd)) || _writeEnds.Covers(seq, seq + length));

    /// <summary>
    /// Whether a resend of [<paramref name="seq"/>, seq + <paramref name="length"/>) carries PSH: it ends a write,
    /// or it ends an skb of two segments or more resent whole in this burst. Linux resends skbs
    /// (__tcp_retransmit_skb) and __tcp_transmit_skb puts PSH on every packet of more than one segment
    /// (tcp_skb_pcount(skb) &gt; 1), resent or not; an skb of one segment keeps only the PSH of a write's end.
    /// </summary>
    private bool PushOnResendAt(SeqNum seq, int length)
    {
        if (length <= 0)
        {
            return false;
        }
        SeqNum? skbEnd = _skbEnds.FirstAbove(seq);
        bool continues = _resendSkbEnd is { } end && end == skbEnd && _resendEnd == seq;
        _resendSegments = continues ? _resendSegments + 1 : 1;
        _resendSkbEnd = skbEnd;
        _resendEnd = seq + length;
        return (_resendSegments > 1 && _resendEnd == skbEnd) || _writeEnds.Covers(seq, seq + length);
    }

    /// <summary>A burst of resends begins: the skb being resent, if any, was sent in an earlier one.</summary>
    private void StartResendBurst() => _resendSkbEnd = null;

    /// <summary>
    /// Linux's tcp_xmit_size_goal: how large a write's skbs grow, 64 KiB bounded by half the largest window the
    /// peer offered (tcp_bound_to_half_wnd), in whole MSS.
    /// </summary>
    private int SizeGoal()
    {
        int mss = Math.Max(1, SendMss);
        long goal = GsoMaxSize;
        if (_snd.MaxWnd > 0)
        {
            goal = Math.Min(goal, _snd.MaxWnd > 536 ? _snd.MaxWnd / 2 : _snd.MaxWnd);
        }
        return (int)Math.Max(goal / mss * mss, mss);
    }

    /// <summary>
    /// Linux's tcp_tso_autosize: segments in one GSO packet, about 1 ms of the pacing rate (rate >>
    /// sk_pacing_shift), more on a low-RTT path, at least 2, at most 64 KiB.
    /// </summary>
    private int TsoSegments(int mss)
    {
        double rate = PacingRate > 0 ? PacingRate : LinuxPacingRate();
        double bytes = rate / (1 << PacingShift);
        if ((_loss as RackLossDetection)?.Rack.MinRtt is { } minRtt)
        {
            long r = (long)minRtt.TotalMicroseconds >> TsoRttLog;
            if (r < 32)
            {
                bytes += GsoMaxSize >> (int)r;
            }
        }
        return (int)Math.Max((long)Math.Min(bytes, GsoMaxSize) / Math.Max(1, mss), _config.MinTsoSegments);
    }

    /// <summary>
    /// The pacing rate Linux keeps for a loss-based congestion control (tcp_update_pacing_rate), in bytes per
    /// second: cwnd (or the flight, if larger) per smoothed RTT, times 200 % in slow start below half ssthresh
    /// (tcp_pacing_ss_ratio) and 120 % after (tcp_pacing_ca_ratio). Unbounded before the first RTT sample.
    /// </summary>
    private double LinuxPacingRate()
    {
        if (_cc is null || _rto.SmoothedRtt is not { } srtt || srtt <= TimeSpan.Zero)
        {
            return double.PositiveInfinity;
        }
        double ratio = _cc.Cwnd < _cc.Ssthresh / 2 ? 2.0 : 1.2;
        return ratio * Math.Max(_cc.Cwnd, _segments.Outstanding) / srtt.TotalSeconds;
    }
}
