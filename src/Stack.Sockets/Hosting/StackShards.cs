using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Pcap;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp.Ports;

namespace Stack.Sockets.Hosting;

/// <summary>
/// A stack on a multi-queue TAP: one shard per queue, each a whole <see cref="StackInstance"/> (IpHost, UdpLayer,
/// TcpLayer and its own event loop on its own queue's fd), all with the same MAC and addresses. docs/multiqueue.md
/// says how it scales and what limits it.
/// </summary>
/// <remarks>
/// <para>Who owns what. A connection belongs to the shard whose loop made it: the one a SYN arrived on (the kernel
/// spreads flows over the queues by hash), or the one a program connected from. Every frame of a connection
/// leaves through its owner's queue, and the tun driver steers a flow's frames back to the queue it last saw the
/// flow written on, so the owner keeps getting them. When one still lands on another shard (the driver's flow
/// entry aged out after a few idle seconds, or a listener exists only elsewhere), that shard finds no connection
/// and, instead of answering with a RST, hands the packet to the next shard (<see cref="Tcp.TcpLayer.HandOff"/>),
/// around the ring; the last one asked answers as a one-loop stack would. Only a SYN that a listener on the
/// receiving shard takes stays where it landed, as Linux's SO_REUSEPORT gives it to one of the sockets. A UDP
/// datagram no socket on the receiving shard takes goes round the same way (<see cref="Udp.UdpLayer.HandOff"/>), and
/// so does an ICMP error about a four-tuple no connection or socket there has (<see cref="IpHost.IcmpHandOff"/>).</para>
/// <para>Listeners are per shard: a program that wants the load spread listens on every shard (<see cref="ListenAll"/>,
/// or the configure step, which runs on each); one that listens on one shard still gets every connection, through
/// the hand-off, on that shard's core.</para>
/// <para>Local ports: each shard takes a disjoint slice of the ephemeral range (<see cref="EphemeralPorts.Slice"/>),
/// for TCP and UDP, so two shards never open the same four-tuple.</para>
/// <para>Neighbours: each shard keeps its own ARP and neighbour caches (timers per loop, no locks on the send path),
/// and posts every address it learns to the other loops (<see cref="Link.Neighbors.NeighborCache{T}.LearnShared"/>):
/// an ARP reply to shard 1's request may arrive on shard 0's queue, and shard 1's queued packets leave when it
/// hears of it.</para>
/// <para>ICMP echo: every shard answers what it receives. A pcap trace is one file that every shard's queue writes.</para>
/// <para>DHCP and IPv6 autoconfiguration run on shard 0 only, and every other shard follows what they set (addresses,
/// routes, DNS servers): see StackShards.Configuration.cs.</para>
/// </remarks>
public sealed partial class StackShards : IDisposable
{
    /// <summary>The most queues a TAP takes (the kernel's MAX_TAP_QUEUES is 256; more loops than cores is no use).</summary>
    public const int MaxQueues = 64;

    /// <summary>
    /// Hand-offs posted to one shard and not yet handled, at most (TCP segments, UDP datagrams and ICMP errors
    /// together): a flood of strays (ACKs to nothing, SYNs or datagrams to closed ports) would otherwise cost a copy
    /// and a post each without bound. Past it a shard answers its strays itself, as a one-loop stack does (a RST
    /// or port unreachable within the layers' budgets; an ICMP error goes to its transport here).
    /// </summary>
    internal const int MaxHandOffsInFlight = 1024;

    private readonly StackInstance?[] _shards;

    // Per shard: hand-offs posted to it and not yet handled; incremented by the poster, decremented on the shard.
    private readonly int[] _inFlight;

    // Per shard, written and read only on that shard's loop: how many shards the packet being handled has been
    // handed through (0 for one off its own queue).
    private readonly int[] _hops;

    // The pcap trace every shard's queue writes (StackOptions.PcapFile), closed after the last shard.
    private PcapWriter? _trace;

    private StackShards(string name, int queues)
    {
        Name = name;
        _shards = new StackInstance?[queues];
        _hops = new int[queues];
        _inFlight = new int[queues];
    }

    /// <summary>The stack's name (<see cref="StackOptions.Name"/>, else the TAP's); shard K's is NAME.qK when there are several.</summary>
    public string Name { get; }

    /// <summary>The shards, one per queue; shard k reads queue k.</summary>
    public IReadOnlyList<StackInstance> Shards => _shards!;

    /// <summary>
    /// Opens <paramref name="queues"/> queues of the TAP <paramref name="options"/> name and starts a shard on each.
    /// <paramref name="configure"/> runs on each shard's loop before it reads a frame (bind and listen there, as with
    /// <see cref="StackInstance.Start(StackOptions, Action{StackInstance}?)"/>). One queue is that very call.
    /// </summary>
    /// <exception cref="ArgumentException">An option cannot work (<see cref="StackOptions.Validate"/>).</exception>
    /// <exception cref="NotSupportedException">The link is not a TAP.</exception>
    /// <exception cref="LinkDeviceException">A queue cannot be opened (the TAP is not multi-queue, no permission).</exception>
    public static StackShards Start(StackOptions options, int queues, Action<StackInstance>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(queues, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(queues, MaxQueues);
        var shards = new StackShards(options.Name ?? options.Link.Name, queues);
        if (queues == 1)
        {
            shards._shards[0] = StackInstance.Start(options, configure);
            return shards;
        }
        options.Validate();
        if (options.LocalPortRange.Last - options.LocalPortRange.First + 1 < queues)
            throw new ArgumentException($"{queues} queues need at least as many local ports ({nameof(StackOptions.LocalPortRange)})", nameof(options));
        var logs = options.Logs ?? NullLoggerFactory.Instance;
        var time = options.Time ?? TimeProvider.System;
        var name = shards.Name;
        var host = (options with { Mac = options.Mac ?? MacAddress.RandomLocal(Random.Shared) }).ToHostOptions();
        try
        {
            // One trace for every queue: the shards' loops write it under the writer's lock (PcapWriter.Write), each
            // frame stamped inside it, so the file is in time order. A lock rather than a writer thread: a record is
            // a copy into the file's 64 KiB buffer, tracing is for debugging, and a thread would need a copy of each
            // frame in a queue and a choice between dropping frames and stalling the loops when it fell behind.
            if (options.PcapFile is { } path) shards._trace = new PcapWriter(File.Create(path));
            for (int k = 0; k < queues; k++)
            {
                ILinkDevice device = options.Link.OpenQueue(options.Mtu, logs);
                if (options.Impairment is { IsNone: false } impair) device = new ImpairedDevice(device, impair);
                if (shards._trace is { } trace) device = new TracingDevice(device, trace, time, ownsWriter: false);
                var (first, last) = EphemeralPorts.Slice(k, queues, options.LocalPortRange.First, options.LocalPortRange.Last);
                int shard = k;
                // Autoconfiguration runs on shard 0 alone; the others follow it (WireConfiguration).
                shards._shards[k] = StackInstance.Start($"{name}.q{k}", device, k == 0 ? host : host with { Autoconf = null }, time, logs,
                    options.Tcp, s =>
                    {
                        s.ApplyLoopOptions(options);
                        shards.Wire(shard, s);
                        shards.WireConfiguration(shard, s, options.Dhcp, logs);
                        configure?.Invoke(s);
                    }, new EphemeralPorts(first, last, host.Random));
            }
            shards.ShareConfigurationOnceStarted();
        }
        catch
        {
            shards.Dispose();
            throw;
        }
        return shards;
    }

    /// <summary>
    /// Listens on <paramref name="localEP"/> on every shard and gives their connections as one stream (Linux's
    /// SO_REUSEPORT, one socket per thread): each connection is accepted by the shard whose queue its SYN came in
    /// on, so the load spreads over the loops; a listener on one shard only would get them all on one core.
    /// Call after <see cref="Start"/>, from any thread. docs/multiqueue.md has an example.
    /// </summary>
    /// <exception cref="StackSocketException">The address is not the stack's or the port is taken (on any shard).</exception>
    public ShardListener ListenAll(System.Net.IPEndPoint localEP, int backlog = 128)
    {
        ArgumentNullException.ThrowIfNull(localEP);
        return ShardListener.Start(Shards, localEP, backlog);
    }

    /// <summary>On shard <paramref name="k"/>'s loop, before it reads a frame: sharing neighbours and path MTUs, handing off strays.</summary>
    private void Wire(int k, StackInstance s)
    {
        s.Host.Arp.Cache.Learned += (address, mac, confirmed) => Share(k, (t, now) => t.Host.Arp.Cache.LearnShared(address, mac, confirmed, now));
        s.Host.Ndp.Cache.Learned += (address, mac, confirmed) => Share(k, (t, now) => t.Host.Ndp.Cache.LearnShared(address, mac, confirmed, now));
        s.Host.PathMtuLearned += (destination, mtu) => Share(k, (t, now) => t.Host.LearnSharedPathMtu(destination, mtu, now));
        s.Tcp.HandOff = (in IpDatagram d) => HandOff(k, d.Packet, d.SegmentSize);
        s.Udp.HandOff = (in IpDatagram d) => HandOff(k, d.Packet, d.SegmentSize);
        s.Host.IcmpHandOff = (in IcmpError e) => HandOff(k, e);
    }

    /// <summary>Posts what shard <paramref name="from"/> learned to every other shard's loop.</summary>
    private void Share(int from, Action<StackInstance, Instant> learn)
    {
        for (int j = 0; j < _shards.Length; j++)
        {
            if (j == from || _shards[j] is not { } target) continue;
            target.Loop.Post(now => learn(target, now));
        }
    }

    /// <summary>
    /// Shard <paramref name="from"/> found no taker for a TCP segment or UDP datagram: the next shard gets a copy, unless every
    /// shard has been asked (<see cref="Next"/>); false then, and the caller answers it.
    /// </summary>
    private bool HandOff(int from, ReadOnlySpan<byte> packet, int segmentSize)
    {
        if (Reserve(from) is not var (to, hops)) return false;
        var copy = packet.ToArray();
        Post(to, hops, (host, now) => host.OnHandedOff(copy, segmentSize, now));
        return true;
    }

    /// <summary>
    /// Shard <paramref name="from"/> found no connection or socket for what an ICMP error quotes: the next shard gets
    /// the decoded error, unless every shard has been asked; false then, and the transport here sees it.
    /// </summary>
    private bool HandOff(int from, in IcmpError received)
    {
        if (Reserve(from) is not var (to, hops)) return false;
        var error = new HandedIcmpError(received);
        Post(to, hops, (host, now) => host.OnHandedOff(error.ToError(), now));
        return true;
    }

    /// <summary>The next shard for what shard <paramref name="from"/> hands off, with a place in its bounded queue; null when none.</summary>
    private (int To, int Hops)? Reserve(int from)
    {
        int hops = _hops[from];
        if (Next(from, hops, _shards.Length) is not { } to || _shards[to] is null || !TryReserve(to)) return null;
        return (to, hops);
    }

    /// <summary>A place among the hand-offs posted to shard <paramref name="to"/> (at most <see cref="MaxHandOffsInFlight"/>); false when none is free.</summary>
    private bool TryReserve(int to)
    {
        if (Interlocked.Increment(ref _inFlight[to]) <= MaxHandOffsInFlight) return true;
        Interlocked.Decrement(ref _inFlight[to]);
        return false;
    }

    /// <summary>A hand-off to shard <paramref name="to"/> has run: its place is free again.</summary>
    private void Release(int to) => Interlocked.Decrement(ref _inFlight[to]);

    /// <summary>Runs a hand-off on shard <paramref name="to"/>'s loop as its <paramref name="hops"/> + 1st hop, and frees its place.</summary>
    private void Post(int to, int hops, Action<IpHost, Instant> handle)
    {
        var target = _shards[to]!;
        target.Loop.Post(now =>
        {
            _hops[to] = hops + 1;
            try
            {
                handle(target.Host, now);
            }
            finally
            {
                _hops[to] = 0;
                Release(to);
            }
        });
    }

    /// <summary>
    /// Where a packet that shard <paramref name="from"/> cannot place goes after <paramref name="hops"/> hand-offs:
    /// the next shard around the ring, or null once all <paramref name="shards"/> have seen it.
    /// </summary>
    internal static int? Next(int from, int hops, int shards) => hops + 1 >= shards ? null : (from + 1) % shards;

    /// <summary>Stops the shards, the last first: a transient TAP goes with the last queue's fd.</summary>
    public void Dispose()
    {
        for (int k = _shards.Length - 1; k >= 0; k--)
        {
            _shards[k]?.Dispose();
            _shards[k] = null;
        }
        _trace?.Dispose();
        _trace = null;
    }
}
