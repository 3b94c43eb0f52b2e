// A direct /dev/net/tun driver (TUNSETIFF with IFF_TAP | IFF_NO_PI), chosen over SharpPcap's TunnelDevice.
// TunnelDevice (6.3.1) does open Linux TAPs, but it reads through FileStream.ReadAsync with a Task and a
// CancellationTokenSource per frame, copies every sent frame with ToArray, needs a NetworkInterface found in the
// caller's namespace and sets the interface flags itself. Measured on tap0 in a test namespace, the kernel sending
// 200k 142-byte UDP frames as fast as python can (2 shared cores, 5 runs each): this driver delivered 92-99% of
// them at 72-119k frames/s, allocating nothing per frame; TunnelDevice delivered 1-38% at 1-57k frames/s and
// allocated about 460 bytes per frame (the rest overflowed the tap's 1000-frame queue).
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Stack.Link.Diagnostics;

namespace Stack.Link.Devices.Tap;

/// <summary>
/// A Linux TAP device: whole Ethernet frames in and out through a /dev/net/tun file descriptor. Either the event
/// loop polls it (<see cref="IPollableDevice"/>: frames are read on the loop's thread and handled in place), or
/// <see cref="Start"/> runs a reader thread ("tap-rx NAME") that hands each frame to a sink. Transmit writes from
/// the caller's thread. With offloads (the default) the kernel may hand over GSO super-frames of up to 64 KiB
/// whose checksums the device completes; see <see cref="VirtioNetHeader"/>. The other way, the stack's full-MSS
/// segments sent from the thread that calls <see cref="Flush"/> (the event loop's) leave joined into GSO
/// super-frames (<see cref="TcpSegmentCoalescer"/>), and with <see cref="TryEnableChecksumOffload"/> every TCP
/// segment leaves with its checksum for the kernel to finish.
/// </summary>
public sealed unsafe partial class TapDevice : IPollableDevice
{
    private const int PollTimeoutMs = 100;             // how long Dispose may wait for the reader to notice
    private const int ReaderBatch = 64;

    /// <summary>
    /// An IPv4 total length or IPv6 payload length is at most 65535, and a GSO frame can be that long: 65535 +
    /// Ethernet + virtio header fits with room to spare, so a read that fills the buffer cannot happen unnoticed.
    /// </summary>
    private const int ReceiveBufferSize = 128 * 1024;

    private readonly SafeFileHandle _fd;
    private readonly ILogger? _logger;
    private readonly byte[] _receiveBuffer = GC.AllocateArray<byte>(ReceiveBufferSize, pinned: true);
    private Thread? _reader;
    private volatile bool _stopping;
    private readonly TcpSegmentCoalescer _coalescer = new();
    private volatile bool _checksumPartial; // TCP segments come with partial checksums (TryEnableChecksumOffload).
    private int _flushThread; // The managed id of the thread whose segments are joined (0: none yet).
    private int _gone;                                 // 1 once the interface is gone (EBADFD): never read or written again
    private volatile bool _transmitFailing;            // a failed write was logged (or the TAP is known down): the rest are only counted
    private long _framesReceived, _framesSent, _gsoFramesSent, _gsoFramesReceived, _receiveErrors, _transmitErrors, _sinkErrors;

    private TapDevice(string name, int mtu, SafeFileHandle fd, bool offload, ILogger? logger)
    {
        Name = name;
        Mtu = mtu;
        _fd = fd;
        Offload = offload;
        _logger = logger;
    }

    public string Name { get; }

    public int Mtu { get; }

    /// <summary>
    /// Opened with IFF_VNET_HDR and checksum/TSO offloads: each frame carries a virtio_net_hdr, and received
    /// frames may be GSO super-frames longer than the MTU.
    /// </summary>
    public bool Offload { get; }

    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Received GSO super-frames (each standing for several segments on the wire), a subset of FramesReceived.</summary>
    public long GsoFramesReceived => Interlocked.Read(ref _gsoFramesReceived);

    /// <summary>GSO super-frames written (each standing for several segments on the wire), a subset of FramesSent.</summary>
    public long GsoFramesSent => Interlocked.Read(ref _gsoFramesSent);

    /// <summary>poll/read failures other than EINTR/EAGAIN.</summary>
    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    /// <summary>Frames not sent because write failed (other than EINTR/EAGAIN) or wrote short.</summary>
    public long TransmitErrors => Interlocked.Read(ref _transmitErrors);

    /// <summary>Exceptions thrown by the sink, caught so the reader keeps going.</summary>
    public long SinkErrors => Interlocked.Read(ref _sinkErrors);

    /// <summary>
    /// The interface is gone (deleted, or the namespace it was in): the fd answers EBADFD. Said once in the log;
    /// the device reads nothing from then on and counts every send as a transmit error.
    /// </summary>
    public bool IsGone => Volatile.Read(ref _gone) != 0;

    /// <summary>Frames turned away for a malformed virtio_net_hdr (layer <see cref="Layer.VirtioNet"/>); written by the one receiving thread.</summary>
    public RejectCounters Rejects { get; } = new();

    public SafeHandle PollHandle => _fd;

    /// <summary>
    /// Attaches to the TAP device <paramref name="name"/> (a persistent one from <c>scripts/tap-setup up</c>). When
    /// there is no such device it fails with errno ENODEV, unless <paramref name="create"/> lets it make a transient
    /// one (root or CAP_NET_ADMIN; brought up, gone when the device is disposed). A device that is there but down
    /// gets one warning on <paramref name="logger"/>. With <paramref name="netns"/>, the device is
    /// looked up in that network namespace (see <c>ip netns</c>); the calling thread stays where it is. With
    /// <paramref name="offload"/> the kernel may pass GSO super-frames and leave checksums for us to finish. With
    /// <paramref name="multiQueue"/> the device is one queue of a multi-queue TAP (IFF_MULTI_QUEUE): open the name
    /// once per queue; the kernel spreads the flows it sends over the queues (docs/multiqueue.md).
    /// </summary>
    public static TapDevice Open(string name, string? netns = null, int mtu = 1500, ILogger? logger = null, bool offload = true, bool create = false,
        bool multiQueue = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) >= IfNameSize)
            throw new ArgumentException($"'{name}' is longer than an interface name can be ({IfNameSize - 1} bytes)", nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        var (fd, state) = NetworkNamespace.Run(netns, () => Attach(name, netns, offload, create, multiQueue));
        var device = new TapDevice(name, mtu, fd, offload, logger);
        if (state == TapState.Down)
        {
            // One warning now rather than a failed write per frame: the kernel refuses them with EIO while it is down.
            device._transmitFailing = true;
            if (logger is not null) LinkLog.DeviceDown(logger, name, netns is null ? $"ip link set {name} up" : $"ip -n {netns} link set {name} up");
        }
        return device;
    }

    public void Start(IFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (_reader is not null) throw new InvalidOperationException($"{Name}: Start was already called; a device has one sink.");
        _reader = new Thread(() => ReceiveLoop(sink)) { IsBackground = true, Name = $"tap-rx {Name}" };
        _reader.Start();
    }

    private void ReceiveLoop(IFrameSink sink)
    {
        var added = false;
        _fd.DangerousAddRef(ref added);
        try
        {
            var pfd = new LibC.PollFd { Fd = (int)_fd.DangerousGetHandle(), Events = LibC.POLLIN };
            while (!_stopping && !IsGone)
            {
                pfd.Revents = 0;
                var ready = LibC.Poll(&pfd, 1, PollTimeoutMs);
                if (ready == 0) continue;
                if (ready < 0)
                {
                    ReceiveFailed("poll", Marshal.GetLastPInvokeError());
                    continue;
                }
                if ((pfd.Revents & LibC.POLLIN) == 0)
                {
                    // POLLERR/POLLHUP without data. A read tells a TAP that is gone (EBADFD: the loop ends) from
                    // one that is only broken: back off then, so a broken fd cannot spin.
                    if (ReceiveBatch(sink, 1) != IPollableDevice.Gone) ReceiveFailed($"poll revents 0x{pfd.Revents:x}", 0);
                    continue;
                }
                while (!_stopping && ReceiveBatch(sink, ReaderBatch) == ReaderBatch)
                {
                }
            }
        }
        finally
        {
            if (added) _fd.DangerousRelease();
        }
    }

    /// <summary>The fd answered EBADFD: the interface is gone. Logged once, by whichever of reader and writer sees it first.</summary>
    private void MarkGone(string call, int errno)
    {
        if (Interlocked.Exchange(ref _gone, 1) == 0 && _logger is { } log) LinkLog.DeviceGone(log, Name, call, LibC.Describe(errno));
    }

    private void ReceiveFailed(string call, int errno)
    {
        if (errno is LibC.EINTR or LibC.EAGAIN) return;
        var count = Interlocked.Increment(ref _receiveErrors);
        if (_logger is { } log) LinkLog.ReceiveFailed(log, Name, call, errno == 0 ? "error condition" : LibC.Describe(errno), count);
        Thread.Sleep(PollTimeoutMs / 10);
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        // A sink may dispose the device from the reader thread itself: then the loop just ends after this frame.
        if (_reader is not null && _reader != Thread.CurrentThread) _reader.Join();
        // Whoever still holds a reference (a polling loop mid-batch) keeps the fd open until it lets go.
        _fd.Dispose();
    }

    public override string ToString() => $"tap:{Name}";
}
