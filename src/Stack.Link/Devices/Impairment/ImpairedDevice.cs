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

    // Neither segmentation nor checksum offload through impairment: every frame leaves as the impairment left it,
    // one segment per frame, and a corrupted segment must fail its checksum at the receiver; a super-frame or a
    // checksum filled in after the corruption would hide it. (No Flush: the inner device joins nothing.)
    public bool SegmentationOffload => false;

    public bool TryEnableChecksumOffload() => false;

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
