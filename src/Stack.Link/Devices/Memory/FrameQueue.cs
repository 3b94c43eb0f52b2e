using System.Buffers;

namespace Stack.Link.Devices.Memory;

/// <summary>
/// The receive side of an in-memory port: a bounded queue of copied frames (buffers from the shared pool) and a
/// thread that hands them to the sink. Frames queued before Start wait for it; a full queue drops and counts.
/// </summary>
internal sealed class FrameQueue
{
    private readonly Queue<(byte[] Buffer, int Length)> _frames = new();
    private readonly int _capacity;
    private readonly string _name;
    private Thread? _thread;
    private bool _stopping;
    private long _delivered, _dropped, _sinkErrors;

    public FrameQueue(string name, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _name = name;
        _capacity = capacity;
    }

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long SinkErrors => Interlocked.Read(ref _sinkErrors);

    /// <summary>Frames waiting for the sink.</summary>
    public int Count
    {
        get { lock (_frames) return _frames.Count; }
    }

    /// <summary>Copies the frame in; false (and counted) when the queue is full or stopped.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> frame)
    {
        lock (_frames)
        {
            if (_stopping || _frames.Count >= _capacity)
            {
                _dropped++;
                return false;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(frame.Length, 1));
            frame.CopyTo(buffer);
            _frames.Enqueue((buffer, frame.Length));
            if (_frames.Count == 1) Monitor.Pulse(_frames);
            return true;
        }
    }

    public void Start(IFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_frames)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_thread is not null) throw new InvalidOperationException($"{_name}: Start was already called; a device has one sink.");
            _thread = new Thread(() => Run(sink)) { IsBackground = true, Name = $"mem-rx {_name}" };
        }
        _thread.Start();
    }

    private void Run(IFrameSink sink)
    {
        while (true)
        {
            byte[] buffer;
            int length;
            lock (_frames)
            {
                while (_frames.Count == 0 && !_stopping) Monitor.Wait(_frames);
                if (_stopping) return;
                (buffer, length) = _frames.Dequeue();
            }
            try
            {
                // Counted as it is handed over, so whoever sees the frame arrive also sees it counted (a count
                // taken after the sink returned raced a test reading it as soon as its sink had the frame).
                Interlocked.Increment(ref _delivered);
                sink.OnFrame(buffer.AsSpan(0, length));
            }
            catch (Exception)
            {
                // A sink that throws loses that frame, not the link; counted so tests can notice.
                Interlocked.Increment(ref _sinkErrors);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public void Stop()
    {
        Thread? thread;
        lock (_frames)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_frames);
            thread = _thread;
        }
        if (thread is not null && thread != Thread.CurrentThread) thread.Join();
        lock (_frames)
        {
            while (_frames.TryDequeue(out var f)) ArrayPool<byte>.Shared.Return(f.Buffer);
        }
    }
}
