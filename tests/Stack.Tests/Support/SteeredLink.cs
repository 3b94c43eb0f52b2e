using Stack.Link.Devices;
using Stack.Link.Devices.Memory;

namespace Stack.Tests.Support;

/// <summary>
/// A multi-queue link in memory, standing in for a multi-queue TAP and the tun driver's steering: <see cref="Queues"/>
/// are the stack's ends (one per shard), and this device is the peer's. The peer receives what every queue sends,
/// and each frame it sends goes to the queue <see cref="Queue"/> names at the time, so a test puts a reply on the
/// "wrong" shard at will.
/// </summary>
public sealed class SteeredLink : ILinkDevice, IFrameSink
{
    private readonly MemoryPort[] _peerEnds;
    private readonly Lock _gate = new();
    private IFrameSink? _sink;

    public SteeredLink(int queues)
    {
        _peerEnds = new MemoryPort[queues];
        Queues = new ILinkDevice[queues];
        for (int k = 0; k < queues; k++) (Queues[k], _peerEnds[k]) = MemoryLink.CreatePair();
    }

    /// <summary>The stack's ends, queue k for shard k (give them to <c>StackLink.Queues</c>).</summary>
    public ILinkDevice[] Queues { get; }

    /// <summary>The queue the peer's next frames go to.</summary>
    public int Queue { get; set; }

    public string Name => "mem:steered";

    public int Mtu => 1500;

    public void Start(IFrameSink sink)
    {
        _sink = sink;
        foreach (var end in _peerEnds) end.Start(this);
    }

    public void Transmit(ReadOnlySpan<byte> frame) => _peerEnds[Queue].Transmit(frame);

    /// <summary>Frames from every queue reach the peer's sink one at a time, as from one device's thread.</summary>
    void IFrameSink.OnFrame(ReadOnlySpan<byte> frame)
    {
        lock (_gate) _sink!.OnFrame(frame);
    }

    public void Dispose()
    {
        foreach (var end in _peerEnds) end.Dispose();
    }
}
