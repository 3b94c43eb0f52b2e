using Microsoft.Extensions.Logging;
using SharpPcap;
using SharpPcap.LibPcap;
using Stack.Link.Diagnostics;

namespace Stack.Link.Devices.Pcap;

/// <summary>
/// Any existing Ethernet interface (a veth, a bridge port, a NIC) through libpcap: promiscuous, immediate mode.
/// Frames the kernel itself sends out of the interface carry the interface's MAC as source and are filtered out
/// ("not ether src MAC"), so they are not mistaken for traffic to us; frames we inject are not looped back.
/// libpcap's "inbound" filter would say this more directly, but on a veth (libpcap 1.10.3) it also dropped
/// unicast ARP replies addressed to us, so it is not used. Frames arrive on SharpPcap's capture thread; Transmit
/// injects them. Needs libpcap (Debian: libpcap0.8).
/// </summary>
public sealed class LivePcapDevice : ILinkDevice
{
    private const int ReadTimeoutMs = 100;   // how long Dispose may wait for the capture thread
    private const int SnapLength = 65536;

    private readonly LibPcapLiveDevice _device;
    private readonly ILogger? _logger;
    private IFrameSink? _sink;
    private bool _disposed;
    private long _received, _sent, _transmitErrors, _sinkErrors;

    private LivePcapDevice(string name, int mtu, LibPcapLiveDevice device, ILogger? logger)
    {
        Name = name;
        Mtu = mtu;
        _device = device;
        _logger = logger;
    }

    public string Name { get; }

    public int Mtu { get; }

    public long FramesReceived => Interlocked.Read(ref _received);

    public long FramesSent => Interlocked.Read(ref _sent);

    public long TransmitErrors => Interlocked.Read(ref _transmitErrors);

    public long SinkErrors => Interlocked.Read(ref _sinkErrors);

    /// <summary>
    /// Opens interface <paramref name="name"/>, looked up in network namespace <paramref name="netns"/> when given
    /// (the libpcap socket is made on a thread inside it, and keeps working from any thread afterwards).
    /// </summary>
    public static LivePcapDevice Open(string name, string? netns = null, int mtu = 1500, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        var device = NetworkNamespace.Run(netns, () => OpenHere(name, netns));
        return new LivePcapDevice(name, mtu, device, logger);
    }

    private static LibPcapLiveDevice OpenHere(string name, string? netns)
    {
        LibPcapLiveDeviceList devices;
        try
        {
            // New(), not Instance: the cached list belongs to whichever namespace first asked for it.
            devices = LibPcapLiveDeviceList.New();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            throw new LinkDeviceException("libpcap is not installed: `apt-get install -y libpcap0.8` (Debian/Ubuntu).", e);
        }
        var where = netns is null ? "" : $" in network namespace '{netns}'";
        var device = devices.FirstOrDefault(d => d.Name == name)
            ?? throw new LinkDeviceException(
                $"No interface '{name}'{where} (libpcap sees: {string.Join(", ", devices.Select(d => d.Name))}). Create it first, e.g. `ip link add {name} type veth peer name {name}p`.");
        try
        {
            device.Open(new DeviceConfiguration
            {
                Mode = DeviceModes.Promiscuous,
                Immediate = true,
                ReadTimeout = ReadTimeoutMs,
                Snaplen = SnapLength,
            });
        }
        catch (PcapException e)
        {
            throw new LinkDeviceException($"libpcap cannot open '{name}'{where}: {e.Message}. Capturing needs root (or CAP_NET_RAW).", e);
        }
        var mac = device.MacAddress?.GetAddressBytes();
        if (mac is { Length: 6 })
        {
            var filter = "not ether src " + string.Join(':', mac.Select(b => b.ToString("x2")));
            try
            {
                device.Filter = filter;
            }
            catch (PcapException e)
            {
                device.Close();
                throw new LinkDeviceException($"libpcap cannot set the filter '{filter}' on '{name}': {e.Message}", e);
            }
        }
        return device;
    }

    public void Start(IFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sink is not null) throw new InvalidOperationException($"{Name}: Start was already called; a device has one sink.");
        _sink = sink;
        _device.OnPacketArrival += OnPacketArrival;
        _device.StartCapture();
    }

    private void OnPacketArrival(object sender, PacketCapture e)
    {
        Interlocked.Increment(ref _received);
        try
        {
            _sink!.OnFrame(e.Data);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _sinkErrors);
            if (_logger is not null) LinkLog.SinkThrew(_logger, ex, Name);
        }
    }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            _device.SendPacket(frame);
            Interlocked.Increment(ref _sent);
        }
        catch (PcapException e)
        {
            var count = Interlocked.Increment(ref _transmitErrors);
            if (_logger is not null) LinkLog.TransmitFailed(_logger, Name, frame.Length, e.Message, count);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_sink is not null)
        {
            _device.StopCapture();
            _device.OnPacketArrival -= OnPacketArrival;
        }
        _device.Close();
    }

    public override string ToString() => $"pcap:{Name}";
}
