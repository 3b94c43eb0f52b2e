using Microsoft.Extensions.Logging;
using Stack.Link.Wire;

namespace Stack.Link.Diagnostics;

/// <summary>The link layer's log messages, source-generated so a disabled level costs nothing on the hot path.</summary>
internal static partial class LinkLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "{Layer}: rejected ({Reason})")]
    public static partial void Rejected(ILogger log, Layer layer, RejectReason reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "ARP: {Mac} claims our address {Ip}")]
    public static partial void AddressConflict(ILogger log, MacAddress mac, Ipv4Address ip);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "ARP: no answer from {Address}; dropping a queued packet")]
    public static partial void ArpUnreachable(ILogger log, Ipv4Address address);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "{Device}: the frame sink threw; frame dropped")]
    public static partial void SinkThrew(ILogger log, Exception exception, string device);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Device}: {Call} failed: {Error} ({Count} receive errors so far)")]
    public static partial void ReceiveFailed(ILogger log, string device, string call, string error, long count);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "{Device}: write of a {Length}-byte frame failed: {Error} ({Count} transmit errors so far; more are counted, not logged, until a write succeeds)")]
    public static partial void TransmitFailed(ILogger log, string device, int length, string error, long count);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "{Device}: frame rejected: bad virtio_net_hdr ({Reason})")]
    public static partial void VirtioRejected(ILogger log, string device, RejectReason reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "Unhandled exception in the protocol core on {Device}")]
    public static partial void CoreThrew(ILogger log, Exception exception, string device);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "poll on {Device} failed: {Error}")]
    public static partial void PollFailed(ILogger log, string device, string error);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "{Device} reports poll events 0x{Events:x} without data")]
    public static partial void PollError(ILogger log, string device, short events);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "{Device} is down: `{Command}` brings it up (scripts/tap-setup up leaves its TAPs up); until then no frame goes in or out")]
    public static partial void DeviceDown(ILogger log, string device, string command);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "{Device} is gone ({Call}: {Error}): its interface was deleted, or the namespace it was in; no more frames are read or sent, and failed sends are only counted from here on")]
    public static partial void DeviceGone(ILogger log, string device, string call, string error);
}
