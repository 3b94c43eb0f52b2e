namespace Stack.Link.Devices.Memory;

/// <summary>What a port's transmitted frames travel over: the other end of a pair, or a hub.</summary>
internal interface IMemoryWire
{
    void Carry(MemoryPort from, ReadOnlySpan<byte> frame);

    void Detach(MemoryPort port);
}

/// <summary>
/// One end of an in-memory link. Received frames are queued and delivered on the port's own thread, never on
/// the sender's: a stack's Transmit then cannot run the peer's receive path (and its replies) re-entrantly on
/// its own event loop, which would break the one-thread-owns-the-state rule and can deadlock two loops.
/// </summary>
public sealed class MemoryPort : ILinkDevice
{
    /// <summary>Ethernet header plus one 802.1Q tag: what a frame may add to the MTU.</summary>
    private const int MaxFrameOverhead = 18;

    private readonly IMemoryWire _wire;
    private readonly FrameQueue _inbound;
    private long _sent;
    private volatile bool _disposed;

    internal MemoryPort(string name, int mtu, int queueCapacity, IMemoryWire wire)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        Name = name;
        Mtu = mtu;
        _wire = wire;
        _inbound = new FrameQueue(name, queueCapacity);
    }

    public string Name { get; }

    public int Mtu { get; }

    public long FramesSent => Interlocked.Read(ref _sent);

    /// <summary>Frames handed to this port's sink.</summary>
    public long FramesReceived => _inbound.Delivered;

    /// <summary>Frames for this port dropped because its queue was full (or it was disposed).</summary>
    public long FramesDropped => _inbound.Dropped;

    /// <summary>Frames waiting for this port's sink.</summary>
    public int QueuedFrames => _inbound.Count;

    public void Start(IFrameSink sink) => _inbound.Start(sink);

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length > Mtu + MaxFrameOverhead)
            throw new ArgumentException($"{Name}: a {frame.Length}-byte frame is longer than MTU {Mtu} allows ({Mtu + MaxFrameOverhead})", nameof(frame));
        Interlocked.Increment(ref _sent);
        _wire.Carry(this, frame);
    }

    internal void Deliver(ReadOnlySpan<byte> frame) => _inbound.TryEnqueue(frame);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wire.Detach(this);
        _inbound.Stop();
    }

    public override string ToString() => Name;
}
