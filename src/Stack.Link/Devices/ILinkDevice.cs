namespace Stack.Link.Devices;

/// <summary>Where a device hands the frames it receives. Called on the device's own thread.</summary>
public interface IFrameSink
{
    /// <summary>One whole Ethernet frame (no FCS). The span is only valid during the call: copy what you keep.</summary>
    void OnFrame(ReadOnlySpan<byte> frame);
}

/// <summary>Where the protocol core puts the frames it wants sent.</summary>
public interface IFrameTransmitter
{
    /// <summary>Sends one whole Ethernet frame. The span is only valid during the call.</summary>
    void Transmit(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Sends one whole Ethernet frame and says whether it left: a local queue that drops it (Linux's qdisc
    /// answering NET_XMIT_DROP) reports <see cref="TransmitResult.Dropped"/>, so the sender can tell a local
    /// failure from a loss on the path. A link with no queue of its own sends every frame.
    /// </summary>
    TransmitResult TryTransmit(ReadOnlySpan<byte> frame)
    {
        Transmit(frame);
        return TransmitResult.Sent;
    }
}

/// <summary>What became of a frame handed to a link.</summary>
public enum TransmitResult
{
    /// <summary>Handed on: on the wire, or queued to go.</summary>
    Sent,

    /// <summary>Dropped before it left this host: the link's own queue refused it.</summary>
    Dropped,
}

/// <summary>
/// An Ethernet link: a TAP device, a libpcap live device, an in-memory port, or a decorator around one of those.
/// All look the same to the stack's event loop.
/// </summary>
public interface ILinkDevice : IFrameTransmitter, IDisposable
{
    /// <summary>A name for logs, such as "tap0" or "mem:a".</summary>
    string Name { get; }

    /// <summary>The largest IP packet the link carries (1500 on Ethernet).</summary>
    int Mtu { get; }

    /// <summary>
    /// Starts delivering received frames to <paramref name="sink"/>, from a thread of the device's own, until
    /// disposed. Called once.
    /// </summary>
    void Start(IFrameSink sink);

    /// <summary>
    /// Whether the link joins consecutive full-MSS TCP segments into GSO super-frames on their way out (a TAP with
    /// IFF_VNET_HDR; see <see cref="Tap.TcpSegmentCoalescer"/>). Such a link may hold the frames the thread that
    /// calls <see cref="Flush"/> transmits until that thread calls it again; frames from other threads go at once.
    /// Links without it (memory links, libpcap) send every frame as it comes.
    /// </summary>
    bool SegmentationOffload => false;

    /// <summary>
    /// Sends whatever the link holds back from this thread. The event loop calls it at the end of every round, so
    /// a burst of segments leaves as one write and nothing waits past the round that sent it.
    /// </summary>
    void Flush()
    {
    }

    /// <summary>
    /// Asks the link to finish the TCP checksum of every TCP segment sent through it from now on (Linux's
    /// CHECKSUM_PARTIAL: the field holds only the folded pseudo-header sum). True when it will; the caller must then
    /// write partial checksums into all its TCP segments, and complete them itself before it fragments one. A link
    /// that cannot (memory links, libpcap) or that must see real checksums on the way (impairment, which may corrupt
    /// a frame the checksum should then expose) says false.
    /// </summary>
    bool TryEnableChecksumOffload() => false;
}
