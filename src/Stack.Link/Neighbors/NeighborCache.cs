using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.Link.Neighbors;

/// <summary>
/// A neighbour cache with the reachability state machine of RFC 4861 §7.3, used both for IPv6 neighbour
/// discovery and for ARP (RFC 826 leaves ageing to the implementation; this is Linux's choice too).
/// Owned by the event loop; not thread-safe.
/// </summary>
public sealed class NeighborCache<TAddress> where TAddress : struct, IEquatable<TAddress>
{
    private readonly Dictionary<TAddress, Entry> _entries = [];
    private NeighborTimings _timings;
    private readonly INeighborActions<TAddress> _actions;
    private Instant _nextDeadline = Instant.Never;
    private int _incomplete;
    private long _queuedBytes;

    public NeighborCache(NeighborTimings timings, INeighborActions<TAddress> actions)
    {
        _timings = timings ?? throw new ArgumentNullException(nameof(timings));
        _actions = actions ?? throw new ArgumentNullException(nameof(actions));
    }

    public int Count => _entries.Count;

    /// <summary>
    /// The protocol constants in force; router advertisements change the reachable time and the retransmission
    /// timer (RFC 4861 §6.3.4). A change applies to timers armed from then on.
    /// </summary>
    public NeighborTimings Timings
    {
        get => _timings;
        set => _timings = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Entries still being resolved (at most <see cref="NeighborTimings.MaxIncomplete"/>).</summary>
    public int IncompleteCount => _incomplete;

    /// <summary>Bytes of packets waiting for resolution (at most <see cref="NeighborTimings.MaxQueuedBytes"/>).</summary>
    public long QueuedBytes => _queuedBytes;

    /// <summary>Packets dropped because a neighbour's queue or the cache was full.</summary>
    public long QueueDrops { get; private set; }

    /// <summary>Packets dropped because resolution failed.</summary>
    public long ResolutionFailures { get; private set; }

    public Instant NextDeadline => _nextDeadline;

    /// <summary>
    /// Raised on the owning loop for every link-layer address a packet taught that this cache keeps or would make an
    /// entry for, and for every solicited answer (even one this cache has no entry for: another shard may have
    /// asked), with whether it was a solicited, overriding answer: how the shards of a multi-queue stack share what any one
    /// of them hears (<see cref="LearnShared"/>). Not raised by <see cref="LearnShared"/> itself.
    /// </summary>
    public event Action<TAddress, MacAddress, bool>? Learned;

    /// <summary>The state and address of a neighbour, for diagnostics and tests.</summary>
    public bool TryGet(TAddress address, out NeighborState state, out MacAddress mac)
    {
        if (_entries.TryGetValue(address, out var e))
        {
            (state, mac) = (e.State, e.Mac);
            return true;
        }
        (state, mac) = (default, default);
        return false;
    }

    /// <summary>
    /// Finds the link-layer address to send to. When it is unknown, <paramref name="packet"/> is queued (copied)
    /// and resolution starts; the packet leaves later through <see cref="INeighborActions{T}.Deliver"/>.
    /// </summary>
    public bool TryResolve(TAddress address, ReadOnlySpan<byte> packet, Instant now, out MacAddress mac)
    {
        if (_entries.TryGetValue(address, out var e) && e.State != NeighborState.Incomplete)
        {
            mac = e.Mac;
            e.LastUsed = now;
            if (e.State == NeighborState.Reachable && now >= e.Deadline)
                e.State = NeighborState.Stale;
            if (e.State == NeighborState.Stale)
                Arm(e, NeighborState.Delay, now + _timings.DelayFirstProbeTime); // RFC 4861 §7.3.3
            return true;
        }
        mac = default;
        bool isNew = e is null;
        if (e is null)
        {
            // Spoofed sources (a SYN flood's) would otherwise fill the cache with entries that never resolve.
            if (_incomplete >= _timings.MaxIncomplete || !MakeRoom())
            {
                QueueDrops++;
                return false;
            }
            e = new Entry(NeighborState.Incomplete) { LastUsed = now, Probes = 1 };
            _entries[address] = e;
            _incomplete++;
            Arm(e, NeighborState.Incomplete, now + _timings.RetransTimer);
        }
        // Keep the newest packets, as Linux does: the oldest is the least likely still to matter.
        while (e.Queue.Count > 0 && (e.Queue.Count >= _timings.MaxQueuedPerNeighbor || _queuedBytes + packet.Length > _timings.MaxQueuedBytes))
        {
            _queuedBytes -= e.Queue[0].Length;
            e.Queue.RemoveAt(0);
            QueueDrops++;
        }
        if (_queuedBytes + packet.Length <= _timings.MaxQueuedBytes)
        {
            // Copy before soliciting: the caller's buffer may be reused to build the solicitation.
            e.Queue.Add(packet.ToArray());
            _queuedBytes += packet.Length;
        }
        else
        {
            QueueDrops++; // Other neighbours' queues hold the whole allowance.
        }
        if (isNew) _actions.Solicit(address, null);
        return false;
    }

    /// <summary>
    /// A neighbour told us its address without our asking (an ARP request or a neighbour solicitation with a
    /// source link-layer option, RFC 4861 §7.2.3): the entry becomes stale with that address.
    /// </summary>
    public void LearnUnsolicited(TAddress address, MacAddress mac, Instant now, bool createIfMissing = true)
    {
        // Shared only what this cache would keep: an ARP broadcast between two other hosts teaches no shard anything.
        if (Learned is { } learned && (createIfMissing || _entries.ContainsKey(address))) learned(address, mac, false);
        if (!_entries.TryGetValue(address, out var e))
        {
            if (!createIfMissing || !MakeRoom()) return;
            e = new Entry(NeighborState.Stale) { Mac = mac, LastUsed = now };
            _entries[address] = e;
            Arm(e, NeighborState.Stale, Instant.Never);
            return;
        }
        if (e.State == NeighborState.Incomplete || e.Mac != mac)
        {
            e.Mac = mac;
            Arm(e, NeighborState.Stale, Instant.Never);
            Flush(address, e);
        }
    }

    /// <summary>
    /// An advertisement arrived (an ARP reply counts as a solicited, overriding one). RFC 4861 §7.2.5.
    /// </summary>
    /// <param name="mac">The advertised address, or null when the advertisement carried none (RFC 4861 §7.2.5: a
    /// solicited advertisement without one confirms the address we have).</param>
    public void LearnAdvertised(TAddress address, MacAddress? mac, bool solicited, bool @override, Instant now)
    {
        if (mac is { } taught) Learned?.Invoke(address, taught, solicited && @override);
        if (!_entries.TryGetValue(address, out var e)) return; // §7.2.5: no entry, silently discard.
        if (mac is not { } advertised)
        {
            if (e.State != NeighborState.Incomplete && solicited) Arm(e, NeighborState.Reachable, now + _timings.ReachableTime);
            return;
        }
        LearnAdvertised(address, e, advertised, solicited, @override, now);
    }

    private void LearnAdvertised(TAddress address, Entry e, MacAddress mac, bool solicited, bool @override, Instant now)
    {
        bool changed = e.Mac != mac;
        if (e.State == NeighborState.Incomplete)
        {
            e.Mac = mac;
            Arm(e, solicited ? NeighborState.Reachable : NeighborState.Stale, solicited ? now + _timings.ReachableTime : Instant.Never);
            Flush(address, e);
            return;
        }
        if (!@override && changed)
        {
            if (e.State == NeighborState.Reachable) Arm(e, NeighborState.Stale, Instant.Never);
            return;
        }
        e.Mac = mac;
        if (solicited) Arm(e, NeighborState.Reachable, now + _timings.ReachableTime);
        else if (changed) Arm(e, NeighborState.Stale, Instant.Never);
    }

    /// <summary>
    /// What another shard of a multi-queue stack learned (its <see cref="Learned"/>): the answer to a solicitation
    /// may come back on any queue, so the shard that asked hears it from the one that got it. A confirmed answer
    /// completes or refreshes an entry as a solicited advertisement does (queued packets leave); anything else
    /// counts as unsolicited. A missing entry is made stale, so the shard need not ask for a neighbour another one
    /// already knows. Raises nothing: sharing does not echo back.
    /// </summary>
    public void LearnShared(TAddress address, MacAddress mac, bool confirmed, Instant now)
    {
        var learned = Learned;
        Learned = null;
        try
        {
            if (confirmed && _entries.ContainsKey(address)) LearnAdvertised(address, mac, solicited: true, @override: true, now);
            else LearnUnsolicited(address, mac, now, createIfMissing: true);
        }
        finally
        {
            Learned = learned;
        }
    }

    /// <summary>An upper layer saw forward progress (e.g. new data acknowledged): RFC 4861 §7.3.1.</summary>
    public void ConfirmReachable(TAddress address, Instant now)
    {
        if (_entries.TryGetValue(address, out var e) && e.State != NeighborState.Incomplete)
            Arm(e, NeighborState.Reachable, now + _timings.ReachableTime);
    }

    public void OnTimer(Instant now)
    {
        if (now < _nextDeadline) return;
        List<TAddress>? dead = null;
        foreach (var (address, e) in _entries)
        {
            if (e.State == NeighborState.Stale && now - e.LastUsed >= _timings.StaleLifetime)
                (dead ??= []).Add(address);
            if (now < e.Deadline) continue;
            switch (e.State)
            {
                case NeighborState.Incomplete when e.Probes >= _timings.MaxMulticastSolicit:
                case NeighborState.Probe when e.Probes >= _timings.MaxUnicastSolicit:
                    (dead ??= []).Add(address);
                    break;
                case NeighborState.Incomplete:
                    e.Probes++;
                    e.Deadline = now + _timings.RetransTimer;
                    _actions.Solicit(address, null);
                    break;
                case NeighborState.Reachable:
                    Arm(e, NeighborState.Stale, Instant.Never);
                    break;
                case NeighborState.Delay:
                    Arm(e, NeighborState.Probe, now + _timings.RetransTimer);
                    e.Probes = 1;
                    _actions.Solicit(address, e.Mac);
                    break;
                case NeighborState.Probe:
                    e.Probes++;
                    e.Deadline = now + _timings.RetransTimer;
                    _actions.Solicit(address, e.Mac);
                    break;
            }
        }
        if (dead is not null) // Not `dead ?? []`: that makes an empty list on every run of the timer.
        {
            foreach (var address in dead)
                Remove(address);
        }
        Recompute(now);
    }

    private void Remove(TAddress address)
    {
        if (!_entries.Remove(address, out var e)) return;
        if (e.State == NeighborState.Incomplete) _incomplete--;
        var queued = e.Queue.ToArray();
        Forget(e);
        foreach (var packet in queued)
        {
            ResolutionFailures++;
            _actions.Unreachable(address, packet);
        }
    }

    private void Flush(TAddress address, Entry e)
    {
        if (e.Queue.Count == 0) return;
        var queued = e.Queue.ToArray();
        Forget(e);
        foreach (var packet in queued) _actions.Deliver(address, e.Mac, packet);
    }

    /// <summary>Evicts the least recently used non-incomplete entry when the cache is full.</summary>
    private bool MakeRoom()
    {
        if (_entries.Count < _timings.Capacity) return true;
        TAddress? victim = null;
        var oldest = Instant.Never;
        foreach (var (address, e) in _entries)
            if (e.State != NeighborState.Incomplete && e.LastUsed < oldest)
                (victim, oldest) = (address, e.LastUsed);
        if (victim is not { } v) return false;
        Remove(v);
        return true;
    }

    private void Forget(Entry e)
    {
        foreach (var packet in e.Queue) _queuedBytes -= packet.Length;
        e.Queue.Clear();
    }

    private void Arm(Entry e, NeighborState state, Instant deadline)
    {
        if (e.State == NeighborState.Incomplete && state != NeighborState.Incomplete) _incomplete--;
        e.State = state;
        e.Deadline = deadline;
        if (state is NeighborState.Stale or NeighborState.Reachable) e.Probes = 0;
        if (deadline < _nextDeadline) _nextDeadline = deadline;
        if (state == NeighborState.Stale && e.LastUsed + _timings.StaleLifetime < _nextDeadline)
            _nextDeadline = e.LastUsed + _timings.StaleLifetime;
    }

    private void Recompute(Instant now)
    {
        var next = Instant.Never;
        foreach (var e in _entries.Values)
        {
            next = Instant.Min(next, e.Deadline);
            if (e.State == NeighborState.Stale) next = Instant.Min(next, e.LastUsed + _timings.StaleLifetime);
        }
        _nextDeadline = next <= now ? now + TimeSpan.FromMilliseconds(1) : next;
    }

    private sealed class Entry(NeighborState state)
    {
        public MacAddress Mac;
        public NeighborState State = state;
        public Instant Deadline = Instant.Never;
        public Instant LastUsed;
        public int Probes;
        public readonly List<byte[]> Queue = [];
    }
}
