using Microsoft.Extensions.Logging;

namespace Stack.Sockets.Diagnostics;

/// <summary>The hosting layer's log messages (event ids 5100–5199; docs/metrics.md lists every id of the stack).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "memory trimmed: working set {Before} MiB -> {After} MiB ({Rate:F0} frames/s)")]
    public static partial void MemoryTrimmed(ILogger log, long before, long after, double rate);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "control: refused a connection from uid {Uid}")]
    public static partial void ControlRefused(ILogger log, uint uid);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "control: a request failed")]
    public static partial void ControlFailed(ILogger log, Exception error);
}
