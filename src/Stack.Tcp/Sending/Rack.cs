using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>
/// RACK (RFC 8985 §6): a segment is lost when one sent after it has been delivered and a reordering window has
/// passed since. Its state is the most recently sent segment delivered (xmit_ts, end_seq) and that segment's
/// RTT; the reordering window starts at zero and widens (min_RTT/4 steps) once the network is seen to reorder.
/// The choices where the RFC leaves room follow Linux's tcp_recovery.c.
/// </summary>
public sealed class Rack
{
    /// <summary>RFC 8985 §6.2 step 4: recoveries a widened reordering window persists for.</summary>
    public const int ReoWndPersist = 16;

    /// <summary>Linux tcp_min_rtt_wlen: the window of the min_RTT filter.</summary>
    public static readonly TimeSpan MinRttWindow = TimeSpan.FromSeconds(300);

    private Instant _xmitTs;
    private long _sendOrder;
    private SeqNum _endSeq;
    private bool _hasDelivery;
    private TimeSpan _rtt;
    private TimeSpan _minRtt;
    private Instant _minRttAt;
    private int _reoWndMult;
    private int _reoWndPersist;
    private bool _dsackRoundOpen;
    private SeqNum _dsackRoundEnd;

    public Rack() => Reset();

    /// <summary>RACK.reordering_seen: a segment was delivered after one sent later than it.</summary>
    public bool ReorderingSeen { get; private set; }

    /// <summary>
    /// Back to the state of a new Rack, so its connection reuses it rather than allocating another (the
    /// constructor runs this too, so the two cannot drift; RackTests check every field by reflection).
    /// </summary>
    public void Reset()
    {
        _xmitTs = default;
        _sendOrder = 0;
        _endSeq = default;
        _hasDelivery = false;
        _rtt = TimeSpan.Zero;
        _minRtt = TimeSpan.MaxValue;
        _minRttAt = default;
        _reoWndMult = 1;
        _reoWndPersist = 0;
        _dsackRoundOpen = false;
        _dsackRoundEnd = default;
        ReorderingSeen = false;
    }

    /// <summary>RACK.rtt: the RTT of the most recently sent segment delivered.</summary>
    public TimeSpan Rtt => _rtt;

    /// <summary>The windowed minimum RTT (Linux tcp_min_rtt), or null before the first sample.</summary>
    public TimeSpan? MinRtt => _minRtt == TimeSpan.MaxValue ? null : _minRtt;

    /// <summary>RACK.reo_wnd_mult.</summary>
    public int ReoWndMultiplier => _reoWndMult;

    /// <summary>
    /// An RTT sample from any source (timestamps, timed segments): the windowed minimum. Linux keeps three
    /// candidates over 300 s; one candidate that expires after the window is close enough for min_RTT/4.
    /// </summary>
    public void OnRttSample(TimeSpan rtt, Instant now)
    {
        if (rtt <= TimeSpan.Zero)
        {
            rtt = TimeSpan.FromTicks(1);
        }
        if (rtt <= _minRtt || now - _minRttAt > MinRttWindow)
        {
            _minRtt = rtt;
            _minRttAt = now;
        }
    }

    /// <summary>
    /// RFC 8985 §6.2 steps 1–3 for one ACK: RACK follows the most recently sent segment it delivered. A segment
    /// that was retransmitted is taken only when its ACK cannot be for an earlier copy: the ACK echoes a
    /// timestamp no older than the resend (<paramref name="echoedSendTime"/>), or its RTT is at least min_RTT.
    /// </summary>
    public void Update(in AckSample sample, Instant? echoedSendTime, Instant now)
    {
        if (sample.ReorderingSeen)
        {
            ReorderingSeen = true;
        }
        if (sample.Newest.Found && !Ambiguous(sample.Newest, echoedSendTime, now))
        {
            Advance(sample.Newest, now);
        }
        else if (sample.NewestOriginal.Found)
        {
            Advance(sample.NewestOriginal, now);
        }
        // Linux tcp_rack_advance sets rack.rtt_us on every segment it takes, the most recently sent or not, so
        // RACK.rtt ends as the RTT of the last one taken in the ACK's processing order.
        if (sample.Last.Found && !Ambiguous(sample.Last, echoedSendTime, now))
        {
            _rtt = now - sample.Last.SentAt;
        }
        else if (sample.LastOriginal.Found)
        {
            _rtt = now - sample.LastOriginal.SentAt;
        }
    }

    private bool Ambiguous(in DeliveredSegment d, Instant? echoedSendTime, Instant now)
    {
        if (!d.EverRetransmitted)
        {
            return false;
        }
        if (echoedSendTime is { } echoed && echoed < Instant.FromMilliseconds(d.SentAt.Milliseconds))
        {
            return true; // The ACK answers an earlier copy.
        }
        return _minRtt != TimeSpan.MaxValue && now - d.SentAt < _minRtt;
    }

    private void Advance(in DeliveredSegment d, Instant now)
    {
        _rtt = now - d.SentAt;
        if (!_hasDelivery || DeliveredSegment.SentAfter(d.SentAt, d.SendOrder, d.End, _xmitTs, _sendOrder, _endSeq))
        {
            _xmitTs = d.SentAt;
            _sendOrder = d.SendOrder;
            _endSeq = d.End;
            _hasDelivery = true;
        }
    }

    /// <summary>
    /// RFC 8985 §6.2 step 4, on an ACK that carried a D-SACK: the reordering window widens by one step, at most
    /// once per round trip (until SND.UNA passes <paramref name="sndNxt"/>), and persists 16 recoveries.
    /// </summary>
    public void OnDsack(SeqNum sndUna, SeqNum sndNxt)
    {
        if (_dsackRoundOpen && sndUna >= _dsackRoundEnd)
        {
            _dsackRoundOpen = false;
        }
        if (_dsackRoundOpen)
        {
            return;
        }
        _dsackRoundOpen = true;
        _dsackRoundEnd = sndNxt;
        _reoWndMult++;
        _reoWndPersist = ReoWndPersist;
    }

    /// <summary>A delivery out of order was shown another way (a retransmission proved needless).</summary>
    public void OnReorderingSeen() => ReorderingSeen = true;

    /// <summary>RFC 8985 §6.2 step 4: a loss recovery ended; a widened window counts down to the default.</summary>
    public void OnRecoveryEnd()
    {
        if (--_reoWndPersist <= 0)
        {
            _reoWndMult = 1;
        }
    }

    /// <summary>
    /// RACK.reo_wnd (RFC 8985 §6.2 step 4, Linux tcp_rack_reo_wnd): zero while no reordering has been seen and
    /// either recovery is on or DupThresh segments are SACKed (RACK then acts at once, as the classic rule
    /// would); otherwise min_RTT/4 per step, at most SRTT.
    /// </summary>
    public TimeSpan ReorderWindow(bool inRecovery, int sackedSegments, int dupThresh, TimeSpan? srtt)
    {
        if (!ReorderingSeen && (inRecovery || sackedSegments >= dupThresh))
        {
            return TimeSpan.Zero;
        }
        if (_minRtt == TimeSpan.MaxValue)
        {
            return TimeSpan.Zero;
        }
        TimeSpan wnd = _minRtt / 4 * _reoWndMult;
        return srtt is { } s && s < wnd ? s : wnd;
    }

    /// <summary>
    /// RFC 8985 §6.2 step 5: marks lost every segment sent before the most recently delivered one whose
    /// reordering window has passed, and returns when the next of the others would be (the reorder timer, §6.3),
    /// or <see cref="Instant.Never"/>. Returns the bytes newly marked in <paramref name="newlyLost"/>.
    /// </summary>
    public Instant DetectLoss(SentSegments segments, TimeSpan reoWnd, Instant now, out int newlyLost)
    {
        newlyLost = 0;
        if (!_hasDelivery)
        {
            return Instant.Never;
        }
        Instant deadline = Instant.Never;
        for (int i = 0; i < segments.Count; i++)
        {
            ref readonly SentSegment s = ref segments[i];
            if (s.IsSacked || s.NeedsRetransmission)
            {
                continue;
            }
            if (!DeliveredSegment.SentAfter(_xmitTs, _sendOrder, _endSeq, s.SentAt, s.SendOrder, s.End))
            {
                if (!s.EverRetransmitted)
                {
                    break; // First transmissions leave in sequence order: everything further on is later still.
                }
                continue;
            }
            Instant due = s.SentAt + _rtt + reoWnd;
            if (due <= now)
            {
                newlyLost += s.Length;
                segments.MarkLost(i);
            }
            else if (due < deadline)
            {
                deadline = due;
            }
        }
        return deadline;
    }
}
