using Stack.IP.Fragments;
using Stack.Link.Time;

namespace Stack.Tests.Fragments;

public sealed class ReassemblerTests
{
    /// <summary>What an IPv4 caller would key on: (source, destination, protocol, identification).</summary>
    private readonly record struct V4Key(uint Source, uint Destination, byte Protocol, ushort Id);

    private static readonly V4Key Key = new(0x0a000001, 0x0a000002, 17, 0x1234);
    private static readonly byte[] Header = Enumerable.Range(0x45, 20).Select(b => (byte)b).ToArray();
    private static readonly Instant T0 = Instant.FromMilliseconds(1_000);

    private static byte[] Bytes(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    private static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray();

    private static Reassembler<V4Key> Ipv4(ReassemblyLimits? limits = null) => new(limits ?? ReassemblyLimits.Ipv4);

    private static Reassembler<V4Key> Ipv6() => new(ReassemblyLimits.Ipv6);

    private static ReassemblyStatus Add(Reassembler<V4Key> r, int offset, bool more, byte[] data, Instant? now = null, V4Key? key = null) =>
        r.Add(key ?? Key, offset, more, data, Header, now ?? T0).Status;

    [Fact]
    public void Two_fragments_in_order_complete_with_the_first_header_and_the_whole_payload()
    {
        var r = Ipv4();
        byte[] payload = Pattern(24);

        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 0, more: true, payload[..16]));
        ReassemblyResult done = r.Add(Key, 16, false, payload.AsSpan(16), [], T0);

        Assert.Equal(ReassemblyStatus.Complete, done.Status);
        Assert.Equal(Header, done.Header.ToArray());
        Assert.Equal(payload, done.Payload.ToArray());
        Assert.Equal(1, r.Counters.Reassembled);
        Assert.Equal(0, r.DatagramsInProgress);
        Assert.Equal(0, r.BytesHeld);
        Assert.Equal(Instant.Never, r.NextDeadline);
    }

    [Fact]
    public void Last_fragment_first_then_the_rest_completes()
    {
        var r = Ipv4();
        byte[] payload = Pattern(3000);

        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 2960, false, payload[2960..]));
        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 1480, true, payload[1480..2960]));
        ReassemblyResult done = r.Add(Key, 0, true, payload.AsSpan(0, 1480), Header, T0);

        Assert.True(done.IsComplete);
        Assert.Equal(payload, done.Payload.ToArray());
    }

    [Fact]
    public void Exact_duplicate_is_ignored_not_an_overlap_even_under_the_ipv6_policy()
    {
        var r = Ipv6();
        byte[] payload = Pattern(32);

        Add(r, 0, true, payload[..16]);
        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 0, true, payload[..16]));
        Assert.Equal(1, r.Counters.Duplicates);
        Assert.Equal(ReassemblyStatus.Complete, Add(r, 16, false, payload[16..]));
        Assert.Equal(0, r.Counters.TotalDropped);
    }

    [Fact]
    public void Ipv6_overlap_drops_the_datagram_and_later_fragments_cannot_complete_it_until_timeout()
    {
        var r = Ipv6();

        Add(r, 0, true, Bytes(16, 1));
        ReassemblyResult overlap = r.Add(Key, 8, true, Bytes(16, 2), Header, T0);
        Assert.Equal(ReassemblyStatus.Dropped, overlap.Status);
        Assert.Equal(ReassemblyDrop.Overlap, overlap.DropReason);

        // Everything a complete datagram would need arrives again, and is discarded.
        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 0, true, Bytes(16, 1)));
        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 16, false, Bytes(8, 3)));
        Assert.Equal(2, r.Counters[ReassemblyDrop.Discarded]);
        Assert.Equal(Reassembler<V4Key>.DatagramOverhead, r.BytesHeld);

        // After the timeout the key is forgotten (silently: no ICMP for a dropped datagram) and may be reused.
        bool reported = false;
        Assert.Equal(0, r.OnTimer(T0 + TimeSpan.FromSeconds(60), (_, _, _) => reported = true));
        Assert.False(reported);
        Add(r, 0, true, Bytes(16, 1), T0 + TimeSpan.FromSeconds(61));
        Assert.Equal(ReassemblyStatus.Complete, Add(r, 16, false, Bytes(8, 3), T0 + TimeSpan.FromSeconds(61)));
    }

    [Fact]
    public void Ipv4_overlap_keeps_the_bytes_received_first()
    {
        var r = Ipv4();

        Add(r, 8, true, Bytes(16, 0xAA));                  // [8, 24)
        Add(r, 0, true, Bytes(32, 0xBB));                  // [0, 32): only [0, 8) and [24, 32) are new
        ReassemblyResult done = r.Add(Key, 16, false, Bytes(24, 0xCC), Header, T0); // [16, 40): only [32, 40) is new

        Assert.True(done.IsComplete);
        byte[] expected = [.. Bytes(8, 0xBB), .. Bytes(16, 0xAA), .. Bytes(8, 0xBB), .. Bytes(8, 0xCC)];
        Assert.Equal(expected, done.Payload.ToArray());
        Assert.Equal(0, r.Counters.TotalDropped);
    }

    [Fact]
    public void Ipv4_a_later_first_fragment_does_not_replace_the_stored_header()
    {
        var r = Ipv4();
        byte[] otherHeader = Bytes(20, 0xEE);

        r.Add(Key, 0, true, Bytes(8, 1), Header, T0);
        r.Add(Key, 0, true, Bytes(16, 2), otherHeader, T0);
        ReassemblyResult done = r.Add(Key, 16, false, Bytes(8, 3), otherHeader, T0);

        Assert.Equal(Header, done.Header.ToArray());
        Assert.Equal([.. Bytes(8, 1), .. Bytes(8, 2), .. Bytes(8, 3)], done.Payload.ToArray());
    }

    [Theory]
    [InlineData(24, false, 8)] // a second last fragment, ending at 32
    [InlineData(16, true, 16)] // data up to 32, past the end the last fragment set
    public void Disagreeing_about_the_end_is_inconsistent_and_drops_the_datagram(int offset, bool more, int length)
    {
        var r = Ipv4();
        Add(r, 16, false, Bytes(8, 1)); // the last fragment: the datagram ends at 24

        Assert.Equal(ReassemblyStatus.Dropped, Add(r, offset, more, Bytes(length, 2)));
        Assert.Equal(1, r.Counters[ReassemblyDrop.Inconsistent]);
    }

    [Fact]
    public void A_last_fragment_ending_before_data_already_received_is_inconsistent()
    {
        var r = Ipv4();
        Add(r, 32, true, Bytes(8, 1));

        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 16, false, Bytes(8, 2)));
        Assert.Equal(1, r.Counters[ReassemblyDrop.Inconsistent]);
    }

    [Fact]
    public void Atomic_fragment_completes_at_once_without_touching_a_datagram_in_progress()
    {
        var r = Ipv6();
        Add(r, 0, true, Bytes(16, 1));

        ReassemblyResult atomic = r.Add(Key, 0, false, Bytes(5, 9), Header, T0);

        Assert.True(atomic.IsComplete);
        Assert.Equal(Bytes(5, 9), atomic.Payload.ToArray());
        Assert.Equal(1, r.Counters.AtomicFragments);
        Assert.Equal(1, r.DatagramsInProgress);
        Assert.Equal(ReassemblyStatus.Complete, Add(r, 16, false, Bytes(8, 2)));
    }

    [Fact]
    public void Timeout_expires_an_incomplete_datagram_and_reports_it_when_the_first_fragment_had_arrived()
    {
        var r = Ipv4();
        var withFirst = Key with { Id = 1 };
        var withoutFirst = Key with { Id = 2 };
        Add(r, 0, true, Pattern(16), T0, withFirst);
        Add(r, 16, true, Bytes(8, 1), T0 + TimeSpan.FromSeconds(1), withoutFirst);
        Assert.Equal(T0 + TimeSpan.FromSeconds(30), r.NextDeadline);

        var reports = new List<(V4Key Key, byte[] Header, byte[] Payload)>();
        ReassemblyTimedOut<V4Key> report = (k, h, p) => reports.Add((k, h.ToArray(), p.ToArray()));

        Assert.Equal(0, r.OnTimer(T0 + TimeSpan.FromSeconds(29.999), report));
        Assert.Equal(1, r.OnTimer(T0 + TimeSpan.FromSeconds(30), report));
        (V4Key key, byte[] header, byte[] payload) = Assert.Single(reports);
        Assert.Equal(withFirst, key);
        Assert.Equal(Header, header);
        Assert.Equal(Pattern(16), payload); // the caller quotes header + the first 8 of these (IPv4)
        Assert.Equal(T0 + TimeSpan.FromSeconds(31), r.NextDeadline);

        Assert.Equal(1, r.OnTimer(T0 + TimeSpan.FromSeconds(31), report));
        Assert.Single(reports);
        Assert.Equal(2, r.Counters.TimedOut);
        Assert.Equal(0, r.BytesHeld);
        Assert.Equal(Instant.Never, r.NextDeadline);
    }

    [Fact]
    public void Fragment_past_the_maximum_datagram_size_is_too_large()
    {
        var r = Ipv4();

        // 20-byte header + 65512 + 8 = 65540 > 65535: a fragment offset near the 13-bit limit.
        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 65512, false, Bytes(8, 1)));
        Assert.Equal(ReassemblyStatus.Dropped, Add(r, int.MaxValue & ~7, false, Bytes(8, 1)));
        Assert.Equal(2, r.Counters[ReassemblyDrop.TooLarge]);
        Assert.Equal(0, r.DatagramsInProgress);
        // 20 + 65504 + 8 = 65532 fits.
        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 65504, false, Bytes(8, 1)));
    }

    [Fact]
    public void Too_many_fragments_drop_the_datagram()
    {
        var r = Ipv4(new ReassemblyLimits { MaxFragmentsPerDatagram = 4 });
        for (int i = 0; i < 4; i++) Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 8 * i, true, Bytes(8, 1)));

        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 32, false, Bytes(8, 1)));
        Assert.Equal(1, r.Counters[ReassemblyDrop.TooManyFragments]);
        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 40, false, Bytes(8, 1)));
        Assert.Equal(1, r.Counters[ReassemblyDrop.Discarded]);
    }

    [Theory]
    [InlineData(0, true, 15)]  // MF set, length not a multiple of 8
    [InlineData(8, true, 0)]   // empty
    [InlineData(8, false, 0)]  // empty last fragment
    [InlineData(4, false, 8)]  // offset not a multiple of 8
    [InlineData(-8, true, 8)]  // negative offset
    public void Malformed_lengths_and_offsets_are_bad_length(int offset, bool more, int length)
    {
        var r = Ipv4();

        Assert.Equal(ReassemblyStatus.Dropped, Add(r, offset, more, Bytes(length, 1)));
        Assert.Equal(1, r.Counters[ReassemblyDrop.BadLength]);
        Assert.Equal(0, r.DatagramsInProgress);
    }

    [Fact]
    public void The_last_fragment_may_carry_a_single_byte()
    {
        var r = Ipv4();
        Add(r, 0, true, Bytes(8, 1));

        ReassemblyResult done = r.Add(Key, 8, false, [42], Header, T0);

        Assert.True(done.IsComplete);
        Assert.Equal(9, done.Payload.Length);
    }

    [Fact]
    public void Ten_thousand_incomplete_datagrams_stay_under_the_memory_cap_and_the_oldest_go_first()
    {
        var limits = new ReassemblyLimits { MemoryCap = 1024 * 1024 };
        var r = Ipv4(limits);
        const int count = 10_000;

        for (int i = 0; i < count; i++)
        {
            var key = Key with { Id = (ushort)i, Source = (uint)i };
            // Hostile shape: one tiny fragment far into the datagram, never completed.
            Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 60_000, true, Bytes(8, 1), T0 + TimeSpan.FromMilliseconds(i), key));
            Assert.True(r.BytesHeld <= limits.MemoryCap);
        }

        int kept = r.DatagramsInProgress;
        Assert.True(kept > 100, $"only {kept} datagrams kept under a 1 MiB cap");
        Assert.Equal(count - kept, r.Counters.Evicted);
        // The survivors are exactly the newest: the oldest still held is the one right after the last evicted.
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(count - kept) + limits.Timeout, r.NextDeadline);
        var newest = Key with { Id = (ushort)(count - 1), Source = count - 1 };
        Add(r, 60_000, true, Bytes(8, 1), T0, newest);
        Assert.Equal(1, r.Counters.Duplicates); // the newest datagram is still held

        r.Clear();
        Assert.Equal(0, r.BytesHeld);
        Assert.Equal(0, r.DatagramsInProgress);
    }

    [Fact]
    public void A_fragment_that_cannot_fit_even_alone_is_dropped_for_the_memory_cap()
    {
        var limits = new ReassemblyLimits { MemoryCap = 4096 };
        var r = Ipv4(limits);
        Add(r, 0, true, Bytes(8, 1), T0, Key with { Id = 1 });

        Assert.Equal(ReassemblyStatus.Dropped, Add(r, 0, true, Bytes(8000, 1), T0, Key with { Id = 2 }));
        Assert.Equal(1, r.Counters[ReassemblyDrop.MemoryCap]);
        Assert.True(r.BytesHeld <= limits.MemoryCap);
    }

    [Fact]
    public void Fragments_after_completion_start_a_new_datagram_that_times_out_bounded()
    {
        var r = Ipv4();
        Add(r, 0, true, Bytes(8, 1));
        Assert.Equal(ReassemblyStatus.Complete, Add(r, 8, false, Bytes(8, 2)));

        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, 8, false, Bytes(8, 2)));
        Assert.Equal(1, r.DatagramsInProgress);
        Assert.Equal(1, r.OnTimer(T0 + TimeSpan.FromSeconds(30)));
        Assert.Equal(0, r.BytesHeld);
    }

    [Fact]
    public void Random_hostile_fragments_never_throw_and_stay_bounded()
    {
        var limits = new ReassemblyLimits { MemoryCap = 256 * 1024, MaxFragmentsPerDatagram = 16 };
        var r = Ipv4(limits);
        var random = new Random(1234);
        byte[] data = Pattern(3000);

        for (int i = 0; i < 20_000; i++)
        {
            var key = Key with { Id = (ushort)random.Next(64) };
            int offset = random.Next(-2, 9000) * (random.Next(10) == 0 ? 1 : 8);
            int length = random.Next(0, 3000);
            var now = T0 + TimeSpan.FromMilliseconds(i * 5);
            r.OnTimer(now);
            r.Add(key, offset, random.Next(4) != 0, data.AsSpan(0, length), Header.AsSpan(0, random.Next(21)), now);
            Assert.True(r.BytesHeld <= limits.MemoryCap);
            Assert.True(r.DatagramsInProgress <= 64);
        }
        Assert.True(r.Counters.TotalDropped > 0);
    }
}
