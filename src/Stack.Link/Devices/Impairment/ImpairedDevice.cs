using Stack.Link.Time;

namespace Stack.Link.Devices.Impairment;

/// <summary>
/// A link decorator that loses, duplicates, reorders, delays, corrupts and rate-limits frames in both directions,
/// as an <see cref="Impairment"/> per direction decides. Frames due now go straight through; delayed ones wait
/// on a scheduler thread of the device's own. Usable on any device: in memory, TAP or libpcap.
/// </summary>
public sealed class ImpairedDevice : ILinkDevice, IFrameSink
{
    private readonly ILinkDevice _inner;
    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly Impairment _out;
    private readonly Impairment _in;
    private readonly PriorityQueue<(byte[] Frame, bool Inbound), Instant> _due = new();
    private readonly Lock _lock = new();
    private readonly Thread _scheduler;
    private readonly AutoResetEvent _wake = new(false);
    private IFrameSink? _sink;
    private volatile bool _stopping;

    public ImpairedDevice(ILinkDevice inner, ImpairmentSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _time = time ?? TimeProvider.System;
        _epoch = _time.GetTimestamp();
        _out = new Impairment(spec, seedOffset: 0);
        _in = new Impairment(spec, seedOffset: 1);
        _scheduler = new Thread(RunScheduler) { IsBackground = true, Name = $"impair {inner.Name}" };
    }

    public string Name => _inner.Name;
    public int Mtu => _inner.Mtu;
    public ImpairmentCounters Outbound => _out.Counters;
    public ImpairmentCounters Inbound => _in.Counters;

    private Instant Now => Instant.FromTimeSpan(_time.GetElapsedTime(_epoch));

    public void Start(IFrameSink sink)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _scheduler.Start();
        _inner.Start(this);
    }

    public void Transmit(ReadOnlySpan<byte> frame) => Impair(_out, frame, inbound: false);

    // Impairment sees single segments (drops, delays, reorders them as the wire would) before the inner device
    // joins what passes on this thread; delayed frames leave from the scheduler's thread, one by one.
    public bool SegmentationOffload => _inner.SegmentationOffload;

    public void Flush() => _inner.Flush();

    void IFrameSink.OnFrame(ReadOnlySpan<byte> frame) => Impair(_in, frame, inbound: true);

    private void Impair(Impairment impairment, ReadOnlySpan<byte> frame, bool inbound)
    {
        var now = Now;
        List<byte[]>? immediate = null;
        lock (_lock)
        {
            impairment.Process(frame, now, (copy, at) =>
            {
                if (at <= now) (immediate ??= []).Add(copy);
                else _due.Enqueue((copy, inbound), at);
            });
        }
        foreach (var copy in immediate ?? []) Deliver(copy, inbound);
        if (_due.Count > 0) _wake.Set();
    }

    private void Deliver(byte[] frame, bool inbound)
    {
        if (inbound) _sink?.OnFrame(frame);
        else _inner.Transmit(frame);
    }

    private void RunScheduler()
    {
        while (!_stopping)
        {
            (byte[] Frame, bool Inbound) next = default;
            var wait = Timeout.InfiniteTimeSpan;
            bool ready = false;
            lock (_lock)
            {
                if (_due.TryPeek(out _, out var at))
                {
                    var now = Now;
                    if (at <= now) ready = _due.TryDequeue(out next, out _);
                    else wait = at - now;
                }
            }
            if (ready && next.Frame is { } frame) Deliver(frame, next.Inbound);
            else _wake.WaitOne(wait);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _inner.Dispose();
        if (_scheduler.IsAlive) _scheduler.Join(TimeSpan.FromSeconds(2));
        _wake.Dispose();
    }
}
