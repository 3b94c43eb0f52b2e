using Microsoft.Extensions.Logging;
using Stack.Link.Diagnostics;

namespace Stack.Tcp.Diagnostics;

/// <summary>The TCP layer's log messages, source-generated so a disabled level costs nothing per segment.</summary>
internal static partial class TcpLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "TCP: rejected ({Reason})")]
    public static partial void Rejected(ILogger log, RejectReason reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "TCP {Connection}: {From} -> {To} ({Cause})")]
    public static partial void StateChanged(ILogger log, FourTuple connection, TcpState from, TcpState to, string cause);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "TCP: RST to {Remote} for a segment to no connection on port {Port}")]
    public static partial void ResetNoConnection(ILogger log, TcpEndPoint remote, ushort port);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "TCP: listener on {Local} full; SYN from {Remote} ignored")]
    public static partial void ListenOverflow(ILogger log, TcpEndPoint local, TcpEndPoint remote);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "TCP: possible SYN flooding on {Local}; sending cookies")]
    public static partial void SynFlood(ILogger log, TcpEndPoint local);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "TCP {Connection}: path MTU lowered the MSS to {Mss}")]
    public static partial void MssLowered(ILogger log, FourTuple connection, int mss);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Debug, Message = "TCP {Connection}: fast recovery from {SndUna} to {Recover} (SACK {Sack}), cwnd {Cwnd}")]
    public static partial void FastRecovery(ILogger log, FourTuple connection, SeqNum sndUna, SeqNum recover, bool sack, int cwnd);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Debug, Message = "TCP {Connection}: reduction undone ({Why}: the retransmissions were needless), cwnd {Cwnd}")]
    public static partial void Undo(ILogger log, FourTuple connection, string why, int cwnd);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Error, Message = "TCP {Connection}: unexpected exception in {State}; connection aborted (RST to a synchronized peer, then CLOSED)")]
    public static partial void Faulted(ILogger log, FourTuple connection, TcpState state, Exception exception);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "TCP {Connection}: another exception after the connection faulted; ignored")]
    public static partial void FaultedAgain(ILogger log, FourTuple connection, Exception exception);
}
