using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Stack.Sockets.Hosting;

/// <summary>
/// Gives memory back to the system after a burst — a SYN flood, thousands of short connections — for a
/// long-running process such as `stack serve`. .NET's collector keeps the heap it grew committed, and a stack
/// that has gone quiet allocates too little to trigger a collection, so without this the resident size stays at
/// its high-water mark for good. Every <c>period</c> the trimmer looks at the working set and, when
/// <see cref="TrimPolicy"/> says so, runs an aggressive, compacting full collection, which returns free pages to
/// the system; the shared array pool trims its idle buffers on that collection too.
/// </summary>
/// <remarks>
/// A trim stops every thread, the event loop too, for tens of milliseconds. While frames are pouring in that pause
/// overflows the TAP's queue and drops them — a SYN flood's and a legitimate client's alike, and a client whose
/// cookie-validated ACK is lost waits a whole retransmission timeout. So the trimmer waits for the link to go
/// quiet (the constructor's <c>activity</c>, a count of frames handled, barely moving) before it pauses anything.
/// </remarks>
public sealed class MemoryTrimmer : IDisposable
{
    private readonly Timer _timer;
    private readonly ILogger _log;
    private readonly Func<long> _activity;
    private readonly TrimPolicy _policy;
    private DateTime _lastCheck = DateTime.UtcNow;
    private long _lastActivity;
    private int _running;

    public MemoryTrimmer(TimeSpan period, Func<long>? activity = null, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        _activity = activity ?? (() => 0);
        _lastActivity = _activity();
        _policy = new TrimPolicy(Environment.WorkingSet, DateTime.UtcNow);
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
            var now = DateTime.UtcNow;
            long activity = _activity();
            double seconds = Math.Max((now - _lastCheck).TotalSeconds, 0.001);
            double rate = (activity - _lastActivity) / seconds;
            (_lastCheck, _lastActivity) = (now, activity);

            long before = Environment.WorkingSet;
            if (!_policy.ShouldTrim(before, rate, now))
            {
                return;
            }
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            long after = Environment.WorkingSet;
            _policy.Trimmed(after, DateTime.UtcNow);
            Trims++;
            Diagnostics.HostingLog.MemoryTrimmed(_log, before >> 20, after >> 20, rate);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>
/// When <see cref="MemoryTrimmer"/> collects: the working set stands well above the level measured after the last
/// trim (a quarter more and 16 MiB), or above the starting level (by 16 MiB) a minute after the last trim or just
/// as a busy spell ends; and the link is quiet (fewer than <see cref="QuietFramesPerSecond"/>), or has been busy
/// for <see cref="MaxDeferral"/> while memory stayed high — so an endless flood still gets one pause a minute,
/// not unbounded memory.
/// </summary>
public sealed class TrimPolicy(long startBytes, DateTime start)
{
    public const long Slack = 16L << 20;
    public const double QuietFramesPerSecond = 1_000;
    public static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxDeferral = TimeSpan.FromMinutes(1);

    private readonly long _start = startBytes;
    private long _floor = startBytes;
    private DateTime _lastTrim = start;
    private DateTime? _deferredSince;
    private bool _wasBusy;

    /// <summary>Whether to collect now, given the working set and the frames handled per second since the last look.</summary>
    public bool ShouldTrim(long workingSet, double framesPerSecond, DateTime now)
    {
        bool quiet = framesPerSecond < QuietFramesPerSecond;
        bool burstEnded = quiet && _wasBusy;
        _wasBusy = !quiet;
        bool grew = workingSet > _floor + Math.Max(_floor / 4, Slack);
        bool stale = (now - _lastTrim >= Recheck || burstEnded) && workingSet > _start + Slack;
        if (!grew && !stale)
        {
            _deferredSince = null;
            return false;
        }
        if (quiet)
        {
            return true;
        }
        _deferredSince ??= now;
        return now - _deferredSince.Value >= MaxDeferral;
    }

    /// <summary>A collection ran and left <paramref name="workingSet"/>.</summary>
    public void Trimmed(long workingSet, DateTime now)
    {
        _floor = workingSet;
        _lastTrim = now;
        _deferredSince = null;
    }
}
