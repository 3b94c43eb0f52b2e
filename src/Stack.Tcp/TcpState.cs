namespace Stack.Tcp;

/// <summary>The connection states of RFC 9293 §3.3.2, with the RFC's names.</summary>
public enum TcpState
{
    /// <summary>CLOSED: no connection state at all.</summary>
    Closed,

    /// <summary>LISTEN: waiting for a connection request from any remote TCP endpoint and port.</summary>
    Listen,

    /// <summary>SYN-SENT: waiting for a matching connection request after having sent one.</summary>
    SynSent,

    /// <summary>SYN-RECEIVED: waiting for the acknowledgment of our SYN after having received and sent one.</summary>
    SynReceived,

    /// <summary>ESTABLISHED: an open connection; data received can be delivered to the user.</summary>
    Established,

    /// <summary>FIN-WAIT-1: we have closed; waiting for the peer's FIN, or for the ACK of ours.</summary>
    FinWait1,

    /// <summary>FIN-WAIT-2: our FIN is acknowledged; waiting for the peer's FIN.</summary>
    FinWait2,

    /// <summary>CLOSE-WAIT: the peer has closed; waiting for our user to close.</summary>
    CloseWait,

    /// <summary>CLOSING: both sides closed at once; waiting for the ACK of our FIN.</summary>
    Closing,

    /// <summary>LAST-ACK: the peer closed first, then we did; waiting for the ACK of our FIN.</summary>
    LastAck,

    /// <summary>TIME-WAIT: waiting 2 MSL so the peer surely received the ACK of its FIN (RFC 9293 §3.6.1).</summary>
    TimeWait,
}

public static class TcpStateExtensions
{
    /// <summary>
    /// The Linux name of the state (include/net/tcp_states.h), as scripts comparing with <c>ss</c> or
    /// <c>/proc/net/tcp</c> expect: Closed → TCP_CLOSE, SynReceived → TCP_SYN_RECV, and so on.
    /// </summary>
    public static string ToLinuxName(this TcpState state) => state switch
    {
        TcpState.Closed => "TCP_CLOSE",
        TcpState.Listen => "TCP_LISTEN",
        TcpState.SynSent => "TCP_SYN_SENT",
        TcpState.SynReceived => "TCP_SYN_RECV",
        TcpState.Established => "TCP_ESTABLISHED",
        TcpState.FinWait1 => "TCP_FIN_WAIT1",
        TcpState.FinWait2 => "TCP_FIN_WAIT2",
        TcpState.CloseWait => "TCP_CLOSE_WAIT",
        TcpState.Closing => "TCP_CLOSING",
        TcpState.LastAck => "TCP_LAST_ACK",
        TcpState.TimeWait => "TCP_TIME_WAIT",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a TcpState value."),
    };

    /// <summary>The Linux state number (the <c>st</c> column of <c>/proc/net/tcp</c>, in hex there).</summary>
    public static int ToLinuxCode(this TcpState state) => state switch
    {
        TcpState.Established => 1,
        TcpState.SynSent => 2,
        TcpState.SynReceived => 3,
        TcpState.FinWait1 => 4,
        TcpState.FinWait2 => 5,
        TcpState.TimeWait => 6,
        TcpState.Closed => 7,
        TcpState.CloseWait => 8,
        TcpState.LastAck => 9,
        TcpState.Listen => 10,
        TcpState.Closing => 11,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a TcpState value."),
    };
}
