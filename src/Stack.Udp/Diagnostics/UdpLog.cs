using Microsoft.Extensions.Logging;
using Stack.Link.Diagnostics;

namespace Stack.Udp.Diagnostics;

/// <summary>UDP's log messages, source-generated so a disabled level costs nothing per datagram.</summary>
internal static partial class UdpLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "UDP: rejected ({Reason})")]
    public static partial void Rejected(ILogger log, RejectReason reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "UDP: receive queue of port {Port} full ({Queued} bytes); dropped a datagram")]
    public static partial void QueueFull(ILogger log, ushort port, int queued);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "UDP: {Kind} from {Reporter} for port {Port}")]
    public static partial void IcmpError(ILogger log, Stack.IP.IcmpErrorKind kind, Stack.IP.IpAddress reporter, ushort port);
}
