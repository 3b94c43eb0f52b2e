using Stack.Link.Neighbors;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.Tests.Link;

/// <summary>The RFC 4861 §7.3 reachability state machine, with the actions it asks for recorded.</summary>
public sealed class NeighborCacheTests : INeighborActions<int>
{
    private static readonly MacAddress Mac1 = new(0x0200_0000_0001UL);
    private static readonly MacAddress Mac2 = new(0x0200_0000_0002UL);
    private readonly List<string> _actions = [];
    private readonly NeighborCache<int> _cache;
    private Instant _now = Instant.FromMilliseconds(1000);

    public NeighborCacheTests() => _cache = new NeighborCache<int>(new NeighborTimings(), this);

    void INeighborActions<int>.Solicit(int target, MacAddress? unicastTo) => _actions.Add(unicastTo is { } m ? $"probe {target} {m}" : $"solicit {target}");
    void INeighborActions<int>.Deliver(int target, MacAddress mac, ReadOnlySpan<byte> packet) => _actions.Add($"deliver {target} {mac} {packet.Length}");
    void INeighborActions<int>.Unreachable(int target, ReadOnlySpan<byte> packet) => _actions.Add($"unreachable {target} {packet.Length}");

    private void Advance(TimeSpan by)
    {
        _now += by;
        _cache.OnTimer(_now);
    }

    private NeighborState State(int address) => _cache.TryGet(address, out var s, out _) ? s : throw new InvalidOperationException("no entry");

    [Fact]
    public void Resolution_queues_then_delivers_on_a_solicited_advertisement()
    {
        Assert.False(_cache.TryResolve(7, new byte[10], _now, out _));
        Assert.False(_cache.TryResolve(7, new byte[20], _now, out _));
        Assert.Equal(["solicit 7"], _actions);
        Assert.Equal(NeighborState.Incomplete, State(7));

        _cache.LearnAdvertised(7, Mac1, solicited: true, @override: true, _now);
        Assert.Equal(["solicit 7", $"deliver 7 {Mac1} 10", $"deliver 7 {Mac1} 20"], _actions);
        Assert.Equal(NeighborState.Reachable, State(7));
    }

    [Fact]
    public void Reachable_goes_stale_then_use_delays_then_probes_by_unicast()
    {
        _cache.TryResolve(7, new byte[1], _now, out _);
        _cache.LearnAdvertised(7, Mac1, solicited: true, @override: true, _now);
        _actions.Clear();

        Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(NeighborState.Stale, State(7));

        Assert.True(_cache.TryResolve(7, new byte[1], _now, out var mac));
        Assert.Equal(Mac1, mac);
        Assert.Equal(NeighborState.Delay, State(7));

        Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(NeighborState.Probe, State(7));
        Assert.Equal([$"probe 7 {Mac1}"], _actions);

        _cache.LearnAdvertised(7, Mac1, solicited: true, @override: false, _now);
        Assert.Equal(NeighborState.Reachable, State(7));
    }

    [Fact]
    public void A_solicited_advertisement_without_an_address_confirms_the_one_we_have()
    {
        _cache.LearnUnsolicited(7, Mac1, _now);
        _cache.TryResolve(7, new byte[1], _now, out _);
        Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(NeighborState.Probe, State(7));

        _cache.LearnAdvertised(7, null, solicited: true, @override: false, _now);
        Assert.True(_cache.TryGet(7, out var state, out var mac));
        Assert.Equal((NeighborState.Reachable, Mac1), (state, mac));

        _cache.TryResolve(8, new byte[1], _now, out _);
        _cache.LearnAdvertised(8, null, solicited: true, @override: true, _now); // incomplete: discarded
        Assert.Equal(NeighborState.Incomplete, State(8));
    }

    [Fact]
    public void Unanswered_probes_remove_the_entry()
    {
        _cache.LearnUnsolicited(7, Mac1, _now);
        _cache.TryResolve(7, new byte[1], _now, out _);
        for (int i = 0; i < 10; i++) Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, _actions.Count(a => a.StartsWith("probe", StringComparison.Ordinal)));
        Assert.False(_cache.TryGet(7, out _, out _));
    }

    [Fact]
    public void An_unsolicited_advertisement_without_override_does_not_replace_a_known_address()
    {
        _cache.TryResolve(7, new byte[1], _now, out _);
        _cache.LearnAdvertised(7, Mac1, solicited: true, @override: true, _now);
        _cache.LearnAdvertised(7, Mac2, solicited: false, @override: false, _now);
        Assert.True(_cache.TryGet(7, out var state, out var mac));
        Assert.Equal((NeighborState.Stale, Mac1), (state, mac));

        _cache.LearnAdvertised(7, Mac2, solicited: false, @override: true, _now);
        Assert.True(_cache.TryGet(7, out _, out mac));
        Assert.Equal(Mac2, mac);
    }

    [Fact]
    public void The_queue_per_neighbour_is_bounded_keeping_the_newest()
    {
        for (int i = 1; i <= 20; i++) _cache.TryResolve(7, new byte[i], _now, out _);
        Assert.Equal(4, _cache.QueueDrops);
        _cache.LearnAdvertised(7, Mac1, solicited: true, @override: true, _now);
        Assert.Equal($"deliver 7 {Mac1} 5", _actions[1]);
    }

    [Fact]
    public void Stale_entries_unused_for_a_minute_are_forgotten()
    {
        _cache.LearnUnsolicited(7, Mac1, _now);
        Advance(TimeSpan.FromSeconds(61));
        Assert.False(_cache.TryGet(7, out _, out _));
    }

    [Fact]
    public void Unresolved_neighbours_are_bounded_in_count_and_in_queued_bytes_and_the_bounds_free_up()
    {
        var timings = new NeighborTimings { MaxIncomplete = 4, MaxQueuedBytes = 5000 };
        var cache = new NeighborCache<int>(timings, this);
        for (int address = 1; address <= 10; address++)
        {
            for (int i = 0; i < 20; i++) cache.TryResolve(address, new byte[300], _now, out _);
        }
        Assert.Equal(4, cache.IncompleteCount);
        Assert.Equal(4, cache.Count);
        Assert.True(cache.QueuedBytes <= 5000, $"{cache.QueuedBytes} bytes queued");
        Assert.Equal(["solicit 1", "solicit 2", "solicit 3", "solicit 4"], _actions);
        long drops = cache.QueueDrops;
        Assert.Equal(200 - cache.QueuedBytes / 300, drops);

        // One resolves: its packets leave and their bytes are free for others.
        cache.LearnAdvertised(1, Mac1, solicited: true, @override: true, _now);
        Assert.Equal(3, cache.IncompleteCount);
        Assert.True(cache.TryResolve(1, new byte[300], _now, out _));
        Assert.True(cache.QueuedBytes < 5000);

        // The rest fail: nothing stays pinned, and new neighbours can be resolved again.
        for (int i = 0; i < 4; i++)
        {
            _now += TimeSpan.FromSeconds(1);
            cache.OnTimer(_now);
        }
        Assert.Equal(0, cache.IncompleteCount);
        Assert.Equal(0, cache.QueuedBytes);
        Assert.Equal(1, cache.Count);
        Assert.False(cache.TryResolve(11, new byte[300], _now, out _));
        Assert.Equal(1, cache.IncompleteCount);
        Assert.Equal(300, cache.QueuedBytes);
    }

    [Fact]
    public void An_answer_another_shard_heard_completes_resolution_and_the_queued_packets_leave()
    {
        Assert.False(_cache.TryResolve(7, new byte[10], _now, out _));
        _cache.LearnShared(7, Mac1, confirmed: true, _now);
        Assert.Equal(["solicit 7", $"deliver 7 {Mac1} 10"], _actions);
        Assert.Equal(NeighborState.Reachable, State(7));
    }

    [Fact]
    public void What_another_shard_heard_unasked_makes_a_stale_entry_and_is_not_shared_back()
    {
        var heard = new List<(int, MacAddress, bool)>();
        _cache.Learned += (a, m, c) => heard.Add((a, m, c));
        _cache.LearnShared(9, Mac2, confirmed: false, _now);
        _cache.LearnShared(9, Mac2, confirmed: true, _now);
        Assert.Empty(heard);
        Assert.Equal(NeighborState.Reachable, State(9));
        Assert.True(_cache.TryResolve(9, new byte[1], _now, out var mac));
        Assert.Equal(Mac2, mac);
        Assert.Empty(_actions);
    }

    [Fact]
    public void Every_answer_is_raised_for_the_other_shards_even_one_this_cache_does_not_keep_but_not_others_chatter()
    {
        var heard = new List<(int, MacAddress, bool)>();
        _cache.Learned += (a, m, c) => heard.Add((a, m, c));
        _cache.LearnAdvertised(3, Mac1, solicited: true, @override: true, _now); // no entry here: discarded, still shared
        _cache.LearnUnsolicited(4, Mac2, _now, createIfMissing: false); // an ARP request to another host
        _cache.LearnAdvertised(5, mac: null, solicited: true, @override: false, _now); // teaches no address
        _cache.LearnUnsolicited(6, Mac2, _now); // an ARP request to us
        Assert.Equal([(3, Mac1, true), (6, Mac2, false)], heard);
        Assert.Equal(1, _cache.Count);
    }
}
