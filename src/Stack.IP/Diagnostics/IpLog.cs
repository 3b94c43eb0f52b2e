using Microsoft.Extensions.Logging;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Diagnostics;

/// <summary>The IP layer's log messages, source-generated so a disabled level costs nothing on the hot path.</summary>
internal static partial class IpLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "{Layer}: rejected ({Reason})")]
    public static partial void Rejected(ILogger log, Layer layer, RejectReason reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "ND: another node advertises our address {Address}")]
    public static partial void AddressConflict(ILogger log, Ipv6Address address);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "ND: no answer from {Address}; dropping a queued packet")]
    public static partial void NeighborUnreachable(ILogger log, Ipv6Address address);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "SLAAC: duplicate address detection found {Address} in use; not assigned")]
    public static partial void DuplicateAddress(ILogger log, Ipv6Address address);
}
