using Microsoft.Extensions.Logging;
using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp;

/// <summary>The DHCP client's log messages, source-generated so a disabled level costs nothing.</summary>
internal static partial class DhcpLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "dhcp: send to {Destination} failed: {Error}")]
    public static partial void SendFailed(ILogger log, Ipv4Address destination, System.Net.Sockets.SocketError error);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "dhcp: rejected a message: {Reason}")]
    public static partial void Rejected(ILogger log, DhcpRejectReason reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "dhcp: {Kind} {Lease}")]
    public static partial void Changed(ILogger log, DhcpEventKind kind, DhcpLease lease);
}
