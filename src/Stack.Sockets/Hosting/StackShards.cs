using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
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
/// receiving shard takes stays where it landed, as Linux's SO_REUSEPORT gives it to one of the sockets.</para>
/// <para>Listeners are per shard: a program that wants the load spread listens on every shard (<see cref="Shards"/>,
/// or the configure step, which runs on each); one that listens on one shard still gets every connection, through
/// the hand-off, on that shard's core.</para>
/// <para>Local ports: each shard takes a disjoint slice of the ephemeral range (<see cref="EphemeralPorts.Slice"/>),
/// so two shards never open the same four-tuple.</para>
/// <para>Neighbours: each shard keeps its own ARP and neighbour caches (timers per loop, no locks on the send path),
/// and posts every address it learns to the other loops (<see cref="Link.Neighbors.NeighborCache{T}.LearnShared"/>):
/// an ARP reply to shard 1's request may arrive on shard 0's queue, and shard 1's queued packets leave when it
/// hears of it.</para>
/// <para>ICMP echo: every shard answers what it receives. IPv6 autoconfiguration and DHCP are not run with more than
/// one queue (router advertisements and DHCP replies land on any queue, and the addresses they give would have to
/// reach every shard): configured addresses only.</para>
/// </remarks>
public sealed class StackShards : IDisposable
{
    /// <summary>The most queues a TAP takes (the kernel's MAX_TAP_QUEUES is 256; more loops than cores is no use).</summary>
    public const int MaxQueues = 64;

    /// <summary>
    /// Hand-offs posted to one shard and not yet handled, at most: a flood of stray segments (ACKs to nothing, SYNs
    /// to closed ports) would otherwise cost a copy and a post each without bound. Past it a shard answers its
    /// strays itself, as a one-loop stack does (a RST within the TCP layer's budget).
    /// </summary>
    internal const int MaxHandOffsInFlight = 1024;

    private readonly StackInstance?[] _shards;

    // Per shard: hand-offs posted to it and not yet handled; incremented by the poster, decremented on the shard.
    private readonly int[] _inFlight;

    // Per shard, written and read only on that shard's loop: how many shards the packet being handled has been
    // handed through (0 for one off its own queue).
    private readonly int[] _hops;

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
    /// <exception cref="ArgumentException">An option cannot work, or cannot with more than one queue (DHCP, a pcap trace, no configured address).</exception>
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
        if (options.Dhcp is not null) throw new ArgumentException("DHCP runs on a one-queue stack only; give the addresses with --ip", nameof(options));
        if (options.PcapFile is not null) throw new ArgumentException("a pcap trace is for a one-queue stack; trace the TAP with tcpdump instead", nameof(options));
        if (options.Addresses.Count == 0) throw new ArgumentException("a multi-queue stack needs configured addresses (no autoconfiguration or DHCP)", nameof(options));
        var logs = options.Logs ?? NullLoggerFactory.Instance;
        var time = options.Time ?? TimeProvider.System;
        var name = shards.Name;
        var host = (options with { Mac = options.Mac ?? MacAddress.RandomLocal(Random.Shared) }).ToHostOptions() with { Autoconf = null };
        try
        {
            for (int k = 0; k < queues; k++)
            {
                ILinkDevice device = options.Link.OpenQueue(options.Mtu, logs);
                if (options.Impairment is { IsNone: false } impair) device = new ImpairedDevice(device, impair);
                var (first, last) = EphemeralPorts.Slice(k, queues);
                int shard = k;
                shards._shards[k] = StackInstance.Start($"{name}.q{k}", device, host, time, logs, options.Tcp, s =>
                {
                    s.ApplyLoopOptions(options);
                    shards.Wire(shard, s);
                    configure?.Invoke(s);
                }, new EphemeralPorts(first, last, host.Random));
            }
        }
        catch
        {
            shards.Dispose();
            throw;
        }
        return shards;
    }

    /// <summary>On shard <paramref name="k"/>'s loop, before it reads a frame: sharing neighbours and handing off strays.</summary>
    private void Wire(int k, StackInstance s)
    {
        s.Host.Arp.Cache.Learned += (address, mac, confirmed) => Share(k, (t, now) => t.Host.Arp.Cache.LearnShared(address, mac, confirmed, now));
        s.Host.Ndp.Cache.Learned += (address, mac, confirmed) => Share(k, (t, now) => t.Host.Ndp.Cache.LearnShared(address, mac, confirmed, now));
        s.Tcp.HandOff = (in IpDatagram d) => HandOff(k, d.Packet, d.SegmentSize);
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
    /// Shard <paramref name="from"/> found no taker for a TCP segment: the next shard gets a copy, unless every
    /// shard has been asked (<see cref="Next"/>); false then, and the caller answers it.
    /// </summary>
    private bool HandOff(int from, ReadOnlySpan<byte> packet, int segmentSize)
    {
        int hops = _hops[from];
        if (Next(from, hops, _shards.Length) is not { } to || _shards[to] is not { } target) return false;
        if (Interlocked.Increment(ref _inFlight[to]) > MaxHandOffsInFlight)
        {
            Interlocked.Decrement(ref _inFlight[to]);
            return false;
        }
        var copy = packet.ToArray();
        target.Loop.Post(now =>
        {
            _hops[to] = hops + 1;
            try
            {
                target.Host.OnHandedOff(copy, segmentSize, now);
            }
            finally
            {
                _hops[to] = 0;
                Interlocked.Decrement(ref _inFlight[to]);
            }
        });
        return true;
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
    }
}
