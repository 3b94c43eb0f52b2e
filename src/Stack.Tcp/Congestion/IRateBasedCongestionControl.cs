using Stack.Link.Time;
using Stack.Tcp.Sending;

namespace Stack.Tcp.Congestion;

/// <summary>
/// A congestion control that sets cwnd and a pacing rate itself from every ACK's delivery rate sample, in every
/// recovery state (Linux's cong_control hook, which BBR uses): the connection runs neither PRR nor the
/// <see cref="ICongestionControl.OnAck"/> growth for it, and paces what it sends at <see cref="PacingRate"/>.
/// </summary>
public interface IRateBasedCongestionControl : ICongestionControl
{
    /// <summary>Bytes per second the connection should send at; 0 for no pacing.</summary>
    double PacingRate { get; }

    /// <summary>
    /// An ACK was taken and loss detection has run (Linux tcp_cong_control).
    /// </summary>
    /// <param name="rs">The ACK's rate sample.</param>
    /// <param name="state">The recovery state after the ACK.</param>
    /// <param name="pipe">Bytes in flight now (after the ACK).</param>
    /// <param name="rate">The connection's delivery clock (the algorithm may mark it application-limited).</param>
    void OnRateSample(in RateSample rs, RecoveryState state, int pipe, DeliveryRate rate, Instant now);

    /// <summary>The connection entered <paramref name="state"/> (Linux's set_state hook; BBR acts on Loss).</summary>
    void OnStateChange(RecoveryState state);

    /// <summary>Sending starts again after the application left the connection idle (Linux CA_EVENT_TX_START).</summary>
    void OnRestartAfterIdle(Instant now);
}
