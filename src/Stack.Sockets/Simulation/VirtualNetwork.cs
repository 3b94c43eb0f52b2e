using Stack.IP;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;
using Stack.Udp;

namespace Stack.Sockets.Simulation;

/// <summary>
/// Stacks wired together sans-I/O on one thread with a virtual clock: every frame one host sends reaches the
/// others after <see cref="HopDelay"/>, and timers fire at their deadlines without anyone sleeping. Given the same
/// seeds and steps, a run is the same every time — for tests that step through protocol behaviour, and for
/// measuring the protocol core without threads or devices in the way. Frames live in pooled buffers: the wire
/// itself allocates nothing per frame.
/// </summary>
public sealed class VirtualNetwork
{
    private readonly List<VirtualHost> _hosts = [];
    /// <summary>
    /// Frames in flight by arrival time (then by the order they left): an impairment's delay and jitter make
    /// arrival times that a first-in-first-out queue would deliver late, and with them every timer due before.
    /// </summary>
    private readonly PriorityQueue<(VirtualHost To, byte[] Frame, int Length, Instant At, bool Pooled), (Instant, long)> _wire = new();
    private long _wireOrder;

    /// <summary>
    /// Frame buffers in flight come back here: a whole window of frames can be on the wire at once, more than
    /// ArrayPool.Shared keeps per thread, so the wire keeps its own.
    /// </summary>
    private readonly Stack<byte[]> _free = new();

    public VirtualNetwork(TimeSpan? hopDelay = null) => HopDelay = hopDelay ?? TimeSpan.FromMicroseconds(100);

    /// <summary>An Ethernet frame at jumbo MTU; larger frames get a buffer of their own size.</summary>
    private const int MaxFrame = 9014;

    public TimeSpan HopDelay { get; }

    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);

    public long FramesDelivered { get; private set; }

    /// <summary>Adds a host with IP, UDP and TCP, seeded for reproducible ISNs, ports and identifiers.</summary>
    public VirtualHost AddHost(IpHostOptions options, int seed, TcpConfig? tcp = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = new VirtualHost(this, options with { Random = new Random(seed) }, seed, tcp);
        _hosts.Add(host);
        host.Ip.Start(Now);
        return host;
    }

    /// <summary>
    /// Delivers the next frame, or runs the timers due before it arrives: whichever comes first on the clock (a
    /// frame and a timer due at the same instant: the frame first).
    /// </summary>
    /// <returns>False when nothing is in flight and no timer is armed.</returns>
    public bool Step()
    {
        var next = Instant.Never;
        foreach (var h in _hosts) next = Instant.Min(next, h.Ip.NextDeadline);
        if (_wire.TryPeek(out var item, out _) && item.At <= Instant.Max(next, Now))
        {
            _wire.Dequeue();
            if (item.At > Now) Now = item.At;
            FramesDelivered++;
            item.To.Ip.OnFrame(item.Frame.AsSpan(0, item.Length), Now);
            if (item.Pooled) _free.Push(item.Frame);
            RunTimers();
            return true;
        }
        if (next == Instant.Never) return false;
        if (next > Now) Now = next;
        RunTimers();
        return true;
    }

    /// <summary>Steps until <paramref name="done"/> holds or the clock passes <paramref name="limit"/>.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(done);
        var end = Now + limit;
        while (!done())
        {
            if (Now > end || !Step()) return done();
        }
        return true;
    }

    private void RunTimers()
    {
        foreach (var h in _hosts)
            if (h.Ip.NextDeadline <= Now) h.Ip.OnTimer(Now);
    }

    /// <summary>
    /// Impairs every frame each host sends from now on (loss, duplication, reordering, corruption, delay), each
    /// direction with its own seeded <see cref="Impairment"/>: host i uses <c>spec.Seed + i</c>. A frame leaves at
    /// the instant the impairment emits it and arrives <see cref="HopDelay"/> later.
    /// </summary>
    public void Impair(ImpairmentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        for (int i = 0; i < _hosts.Count; i++) Impair(_hosts[i], spec, i);
    }

    /// <summary>Impairs the frames <paramref name="from"/> sends (one direction, for two hosts).</summary>
    public void Impair(VirtualHost from, ImpairmentSpec spec, int seedOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(spec);
        from.Impairment = spec.IsNone ? null : new Impairment(spec, seedOffset);
    }

    /// <summary>A frame from <paramref name="from"/> goes to every other host (a hub: each filters by MAC).</summary>
    internal void Carry(VirtualHost from, ReadOnlySpan<byte> frame)
    {
        if (from.Impairment is { } impairment)
        {
            impairment.Process(frame, Now, from.EmitImpaired);
            return;
        }
        foreach (var to in _hosts)
        {
            if (to == from) continue;
            var copy = _free.Count > 0 && _free.Peek().Length >= frame.Length
                ? _free.Pop()
                : new byte[Math.Max(frame.Length, MaxFrame)];
            frame.CopyTo(copy);
            Enqueue((to, copy, frame.Length, Now + HopDelay, true));
        }
    }

    /// <summary>A copy the impairment let through (its own array, not pooled) goes to every other host.</summary>
    internal void CarryImpaired(VirtualHost from, byte[] frame, Instant at)
    {
        foreach (var to in _hosts)
        {
            if (to != from) Enqueue((to, frame, frame.Length, at + HopDelay, false));
        }
    }

    private void Enqueue((VirtualHost To, byte[] Frame, int Length, Instant At, bool Pooled) item) =>
        _wire.Enqueue(item, (item.At, ++_wireOrder));
}

/// <summary>One host on a <see cref="VirtualNetwork"/>: its IP, UDP and TCP layers, driven by the network's steps.</summary>
public sealed class VirtualHost : IFrameTransmitter
{
    private readonly VirtualNetwork _network;

    internal VirtualHost(VirtualNetwork network, IpHostOptions options, int seed, TcpConfig? tcp)
    {
        _network = network;
        EmitImpaired = (frame, at) => _network.CarryImpaired(this, frame, at);
        Ip = new IpHost(options, this);
        Udp = UdpLayer.Attach(Ip, new Random(seed));
        var key = new byte[IsnGenerator.KeySize];
        new Random(seed).NextBytes(key);
        var random = new Random(seed);
        Tcp = new TcpLayer(Ip, new IsnGenerator(key), new EphemeralPorts(key, random: random), random)
        {
            DefaultConfig = tcp ?? TcpConfig.Default,
        };
    }

    public IpHost Ip { get; }
    public UdpLayer Udp { get; }

    /// <summary>The impairment on frames this host sends, if any (see <see cref="VirtualNetwork.Impair(ImpairmentSpec)"/>).</summary>
    internal Impairment? Impairment { get; set; }

    /// <summary>The impairment's emit callback, made once so carrying a frame allocates no delegate.</summary>
    internal Action<byte[], Instant> EmitImpaired { get; }

    public TcpLayer Tcp { get; }

    /// <summary>Frames this host sent (all of them: the network carries them all).</summary>
    public long FramesSent { get; private set; }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        FramesSent++;
        _network.Carry(this, frame);
    }
}
