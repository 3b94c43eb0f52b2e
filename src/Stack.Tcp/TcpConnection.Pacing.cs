using Stack.Link.Time;
using Stack.Tcp.Congestion;
using Stack.Tcp.Sending;
using Stack.Tcp.Timers;

namespace Stack.Tcp;

// The delivery clock and pacing (Linux tcp_rate.c and its internal pacing): every segment that leaves is stamped
// with the delivery clock, every ACK yields a rate sample from the newest segment it delivered, and a rate-based
// congestion control (BBR) sets cwnd and the pacing rate from those samples. Loss-based algorithms (CUBIC,
// NewReno) do not pace, as in Linux without the fq qdisc.
public sealed partial class TcpConnection
{
    private readonly DeliveryRate _rate = new();
    private Pacer _pacer;
    private int _fqPacketBytes, _fqPacketSegments; // the GSO packet fq pacing is filling (FqPacing)
    private IRateBasedCongestionControl? _rateBased; // _cc, when it sets cwnd from rate samples (BBR)

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetPacing()
    {
        _rate.ResetToNew();
        (_pacer, _fqPacketBytes, _fqPacketSegments, _rateBased) = (default, 0, 0, null);
        (_deliveryRate, _deliveryRateAppLimited) = (0, false);
    }

    /// <summary>The pacing rate in bytes per second, 0 when the congestion control does not pace.</summary>
    public double PacingRate => _rateBased?.PacingRate ?? (_config.FqPacing ? LinuxPacingRate() : 0);

    /// <summary>
    /// The delivery clock's reading for a segment about to leave (before it counts in the pipe);
    /// <paramref name="endsPacket"/>: it is the last segment of the GSO packet being sent.
    /// </summary>
    private SendSnapshot StampSend(int length, Instant now, bool endsPacket = false)
    {
        if (_rateBased is not null && Pipe == 0 && _rate.IsAppLimited)
        {
            _rateBased.OnRestartAfterIdle(now); // Linux CA_EVENT_TX_START: the first data after an idle period.
        }
        SendSnapshot tx = _rate.OnSent(_segments.IsEmpty, now);
        if (_rateBased is null && _config.FqPacing)
        {
            // Linux tcp_update_skb_after_send paces per GSO packet (tcp_tso_autosize's segments), which leaves
            // whole: the schedule moves once a packet's worth has gone; as sch_fq, the first 10 segments unpaced.
            _fqPacketBytes += Math.Max(length, 1);
            if (endsPacket || ++_fqPacketSegments >= TsoSegments(_mss))
            {
                PaceFqPacket(_dataSegmentsOut + 1, now);
            }
        }
        else
        {
            _pacer.OnSent(Math.Max(length, 1), PacingRate, now);
        }
        return tx;
    }

    /// <summary>
    /// A transmit pass is over: a GSO packet it left short (cwnd, the window or Nagle cut it) was one skb of its
    /// own in Linux, paced alone (tcp_update_skb_after_send runs per skb), not merged with the next pass's data.
    /// </summary>
    private void EndFqPacket(Instant now) => PaceFqPacket(_dataSegmentsOut, now);

    /// <summary>Linux tcp_update_skb_after_send under fq for the packet filled so far; sch_fq leaves the first 10 segments unpaced.</summary>
    private void PaceFqPacket(long segmentsOut, Instant now)
    {
        if (_fqPacketBytes == 0)
        {
            return;
        }
        _pacer.OnSentWithCredit(_fqPacketBytes, segmentsOut >= 10 ? PacingRate : 0, now);
        _fqPacketBytes = _fqPacketSegments = 0;
    }

    /// <summary>
    /// True when the pacer lets a segment go now; otherwise the pacing timer is armed for when it will (the
    /// output paths stop at a false and go on from the timer).
    /// </summary>
    private bool PacingAllows(Instant now)
    {
        if (PacingRate <= 0 || _pacer.MaySend(now))
        {
            return true;
        }
        _timers.Arm(TimerKind.Pacing, _pacer.WakeAt);
        return false;
    }

    /// <summary>
    /// Output stopped for want of data while cwnd had room and nothing lost waits (Linux
    /// tcp_rate_check_app_limited): the rate samples until this flight is delivered measure the application.
    /// </summary>
    private void CheckApplicationLimited()
    {
        if (_cc is not null && Pipe < _cc.Cwnd && _segments.LostBytes <= _segments.RetransmittedBytes)
        {
            _rate.OnApplicationLimited(Pipe);
        }
    }

    /// <summary>
    /// Takes the ACK's rate sample; a rate-based congestion control sets cwnd from it (Linux tcp_cong_control's
    /// cong_control branch). Returns false for a loss-based one, whose cwnd the caller sets (PRR or growth).
    /// </summary>
    private bool RateBasedControl(in AckSample sample, int newlyLost, Instant now)
    {
        TimeSpan? minRtt = (_loss as RackLossDetection)?.Rack.MinRtt;
        RateSample rs = _rate.OnAck(sample, newlyLost, minRtt, now);
        KeepDeliveryRate(rs);
        _rateBased?.OnRateSample(rs, _recoveryState, Pipe, _rate, now);
        return _rateBased is not null;
    }

    private double _deliveryRate;
    private bool _deliveryRateAppLimited;

    /// <summary>
    /// The last delivery rate sample worth reporting, bytes per second (Linux tcpi_delivery_rate, 0 before one).
    /// As Linux's tcp_rate_gen: an application-limited sample replaces the last only when it is faster, since it
    /// shows less than the path can do.
    /// </summary>
    public double DeliveryRate => _deliveryRate;

    /// <summary>The sample behind <see cref="DeliveryRate"/> was application limited (Linux tcpi_delivery_rate_app_limited).</summary>
    public bool DeliveryRateAppLimited => _deliveryRateAppLimited;

    private void KeepDeliveryRate(in RateSample rs)
    {
        if (!rs.IsValid || (rs.AppLimited && rs.BytesPerSecond < _deliveryRate)) return;
        _deliveryRate = rs.BytesPerSecond;
        _deliveryRateAppLimited = rs.AppLimited;
    }
}
