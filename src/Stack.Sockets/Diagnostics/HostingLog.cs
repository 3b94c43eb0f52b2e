using Microsoft.Extensions.Logging;

namespace Stack.Sockets.Diagnostics;

/// <summary>The hosting layer's log messages (event ids 5100–5199; docs/metrics.md lists every id of the stack).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "memory trimmed: working set {Before} MiB -> {After} MiB ({Rate:F0} frames/s)")]
    public static partial void MemoryTrimmed(ILogger log, long before, long after, double rate);
}
