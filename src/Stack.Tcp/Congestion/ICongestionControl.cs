using Stack.Link.Time;

namespace Stack.Tcp.Congestion;

/// <summary>Which congestion control a connection uses (<see cref="TcpConfig.CongestionControl"/>).</summary>
public enum CongestionControlKind
{
    /// <summary>RFC 5681 slow start and congestion avoidance, RFC 6582 NewReno fast recovery.</summary>
    NewReno,

    /// <summary>RFC 9438 CUBIC: a cubic window growth in time, multiplicative decrease by 0.7.</summary>
    Cubic,

    /// <summary>BBR v1 (Linux tcp_bbr.c): cwnd and a pacing rate from the measured bandwidth and minimum RTT.</summary>
    Bbr,
}

/// <summary>
/// The congestion window of one connection: how it grows on ACKs and how far it drops on loss (Linux's
/// tcp_congestion_ops). Loss detection (<see cref="Sending.ILossDetection"/>) and the recovery itself (which
/// segments go again, PRR's pacing of cwnd during recovery, undo) are the connection's. All sizes in bytes.
/// </summary>
public interface ICongestionControl
{
    /// <summary>The congestion window (cwnd). The connection sets it during recovery (RFC 6937 PRR) and after a timeout.</summary>
    int Cwnd { get; set; }

    /// <summary>The slow start threshold (ssthresh).</summary>
    int Ssthresh { get; }

    /// <summary>The connection is established: cwnd = the initial window (RFC 6928: 10 segments).</summary>
    void Start(int mss, int initialWindowSegments);

    /// <summary>The sender MSS changed (path MTU discovery).</summary>
    void SetMss(int mss);

    /// <summary>
    /// An ACK arrived, with the RTT of the newest segment it delivered if it gave one (Linux's pkts_acked, before
    /// <see cref="OnAck"/>): CUBIC's HyStart reads it; by default nothing.
    /// </summary>
    /// <param name="pacingRate">Linux's sk_pacing_rate, bytes per second (infinite before an RTT is known).</param>
    void OnRttSample(TimeSpan? rtt, SeqNum sndUna, SeqNum sndNxt, double pacingRate, Instant now)
    {
    }

    /// <summary>New data was cumulatively acknowledged outside loss recovery.</summary>
    /// <param name="acked">Bytes newly acknowledged.</param>
    /// <param name="srtt">The smoothed RTT, if measured.</param>
    void OnAck(int acked, TimeSpan? srtt, Instant now);

    /// <summary>Loss detected by duplicate ACKs, SACK or RACK: entering fast recovery (ssthresh and cwnd drop).</summary>
    /// <param name="flight">FlightSize: bytes sent and not cumulatively acknowledged.</param>
    void OnCongestionEvent(int flight, Instant now);

    /// <summary>Fast recovery ended (the recovery point was acknowledged): cwnd = ssthresh.</summary>
    void OnRecoveryEnd(Instant now);

    /// <summary>The retransmission timer expired: ssthresh drops and cwnd becomes one segment (RFC 5681 §3.1).</summary>
    void OnTimeout(int flight, Instant now);

    /// <summary>
    /// The reduction was for nothing (the retransmissions were spurious: RFC 3522, RFC 2883 §4, Linux's undo):
    /// cwnd and ssthresh go back to at least what they were before it, and the algorithm's own state with them.
    /// </summary>
    void Undo(int priorCwnd, int priorSsthresh);

    /// <summary>
    /// The connection sets cwnd and ssthresh outside a loss (Linux tcp_cwnd_restart after idle,
    /// tcp_cwnd_application_limited): the algorithm keeps its own state.
    /// </summary>
    void Restart(int cwnd, int ssthresh);

    /// <summary>
    /// New data leaves with nothing in flight (Linux CA_EVENT_TX_START), <paramref name="idle"/> after new data
    /// last left.
    /// </summary>
    void OnTransmitStart(TimeSpan idle, Instant now);
}

/// <summary>Makes the algorithm a config names.</summary>
public static class CongestionControl
{
    /// <param name="seed">For an algorithm that draws (BBR's first ProbeBW phase): runs with one seed repeat.</param>
    /// <param name="reuse">
    /// An algorithm a connection ran before: reset in place and returned when it is the kind asked for (a pooled
    /// connection's, so its next life makes none).
    /// </param>
    public static ICongestionControl Create(CongestionControlKind kind, int seed = 0, ICongestionControl? reuse = null)
    {
        switch (kind, reuse)
        {
            case (CongestionControlKind.Cubic, Cubic cubic):
                cubic.ResetToNew();
                return cubic;
            case (CongestionControlKind.NewReno, NewReno reno):
                reno.ResetToNew();
                return reno;
            case (CongestionControlKind.Bbr, Bbr bbr):
                bbr.ResetToNew(seed);
                return bbr;
        }
        return kind switch
        {
            CongestionControlKind.NewReno => new NewReno(),
            CongestionControlKind.Cubic => new Cubic(),
            CongestionControlKind.Bbr => new Bbr(seed),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a congestion control the stack has."),
        };
    }
}
