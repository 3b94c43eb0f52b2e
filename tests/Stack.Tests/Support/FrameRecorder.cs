using Stack.Link.Devices;

namespace Stack.Tests.Support;

/// <summary>A sink that keeps a copy of every frame and lets a test wait, with a deadline, for one it expects.</summary>
public sealed class FrameRecorder : IFrameSink
{
    private readonly List<byte[]> _frames = [];
    private readonly List<int> _threads = [];

    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        lock (_frames)
        {
            _frames.Add(frame.ToArray());
            _threads.Add(Environment.CurrentManagedThreadId);
            Monitor.PulseAll(_frames);
        }
    }

    public IReadOnlyList<byte[]> Frames
    {
        get { lock (_frames) return [.. _frames]; }
    }

    /// <summary>The managed thread ids the frames were delivered on, in order.</summary>
    public IReadOnlyList<int> Threads
    {
        get { lock (_frames) return [.. _threads]; }
    }

    /// <summary>The first frame (already here or still to come) that matches; null after the timeout.</summary>
    public byte[]? WaitFor(Func<byte[], bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_frames)
        {
            var seen = 0;
            while (true)
            {
                for (; seen < _frames.Count; seen++)
                {
                    if (match(_frames[seen])) return _frames[seen];
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return null;
                Monitor.Wait(_frames, left);
            }
        }
    }

    /// <summary>True once at least <paramref name="count"/> frames have arrived; false after the timeout.</summary>
    public bool WaitForCount(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_frames)
        {
            while (_frames.Count < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_frames, left);
            }
            return true;
        }
    }
}
