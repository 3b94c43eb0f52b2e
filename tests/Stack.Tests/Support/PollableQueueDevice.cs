using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Stack.Link.Devices;
using Stack.Link.Loop;

namespace Stack.Tests.Support;

/// <summary>
/// A device the event loop polls, without a TAP: frames a test injects wait in a queue, and an eventfd is
/// readable while any do. Transmitted frames are recorded. Lets the polling loop be tested without root.
/// </summary>
public sealed class PollableQueueDevice : IPollableDevice
{
    private readonly ConcurrentQueue<byte[]> _frames = new();
    private readonly EventFd _readable = EventFd.Create();

    public string Name => "pollable-queue";

    public int Mtu => 1500;

    public FrameRecorder Sent { get; } = new();

    public int ReceiveThread { get; private set; }

    public bool Started { get; private set; }

    public SafeHandle? PollHandle => _readable.Handle;

    public void Inject(byte[] frame)
    {
        _frames.Enqueue(frame);
        _readable.Signal();
    }

    public int ReceiveBatch(IFrameSink sink, int max)
    {
        ReceiveThread = Environment.CurrentManagedThreadId;
        _readable.Drain(); // before the queue: a frame injected after this signals again
        int n = 0;
        while (n < max && _frames.TryDequeue(out var frame))
        {
            sink.OnFrame(frame);
            n++;
        }
        return n;
    }

    public void Start(IFrameSink sink) => Started = true;

    public void Transmit(ReadOnlySpan<byte> frame) => Sent.OnFrame(frame);

    public void Dispose() => _readable.Dispose();
}
