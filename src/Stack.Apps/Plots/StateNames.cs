using Stack.Tcp;

namespace Stack.Apps.Plots;

/// <summary>
/// State names as the pictures print them: Linux's (include/net/tcp_states.h, so SYN-RECV rather than the RFC's
/// SYN-RECEIVED), written with dashes as <c>ss</c> and RFC 9293 write them.
/// </summary>
internal static class StateNames
{
    public static string Of(TcpState state) => state switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECV",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST-ACK",
        TcpState.TimeWait => "TIME-WAIT",
        _ => state.ToString(),
    };
}
