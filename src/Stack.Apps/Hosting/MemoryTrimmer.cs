using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Stack.Apps.Hosting;

/// <summary>
/// Gives memory back to the system after a burst — a SYN flood, thousands of short connections — for a
/// long-running process such as `stack serve`. .NET's collector keeps the heap it grew committed, and a stack
/// that has gone quiet allocates too little to trigger a collection, so without this the resident size stays at
/// its high-water mark for good. Every <c>period</c> the trimmer looks at the working set; when it stands well above
/// the level measured after the last trim (a quarter more and 16 MiB), or above the starting level a minute after
/// the last trim, it runs an aggressive, compacting full collection, which returns free pages to the system; the
/// shared array pool trims its idle buffers on that collection too. A trim costs one pause of tens of
/// milliseconds, at most once per period and only after growth, so a steady process never pays it.
/// </summary>
public sealed class MemoryTrimmer : IDisposable
{
    private const long Slack = 16L << 20;
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);

    private readonly Timer _timer;
    private readonly ILogger _log;
    private readonly long _start;
    private long _floor;
    private DateTime _lastTrim = DateTime.UtcNow;
    private int _running;

    public MemoryTrimmer(TimeSpan period, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        _start = _floor = Environment.WorkingSet;
        _timer = new Timer(_ => Check(), null, period, period);
    }

    /// <summary>Collections run so far.</summary>
    public int Trims { get; private set; }

    private void Check()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }
        try
        {
            long before = Environment.WorkingSet;
            bool grew = before > _floor + Math.Max(_floor / 4, Slack);
            bool stale = DateTime.UtcNow - _lastTrim >= Recheck && before > _start + Slack;
            if (!grew && !stale)
            {
                return;
            }
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _floor = Environment.WorkingSet;
            _lastTrim = DateTime.UtcNow;
            Trims++;
            _log.LogDebug("memory trimmed: working set {Before} MiB -> {After} MiB", before >> 20, _floor >> 20);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public void Dispose() => _timer.Dispose();
}
