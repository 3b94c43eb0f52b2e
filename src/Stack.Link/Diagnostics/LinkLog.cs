using Microsoft.Extensions.Logging;
using Stack.Link.Wire;

namespace Stack.Link.Diagnostics;

/// <summary>The link layer's log messages, source-generated so a disabled level costs nothing on the hot path.</summary>
internal static partial class LinkLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "{Layer}: rejected ({Reason})")]
    public static partial void Rejected(ILogger log, Layer layer, RejectReason reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ARP: {Mac} claims our address {Ip}")]
    public static partial void AddressConflict(ILogger log, MacAddress mac, Ipv4Address ip);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ARP: no answer from {Address}; dropping a queued packet")]
    public static partial void ArpUnreachable(ILogger log, Ipv4Address address);
}
