using CsCheck;
using Stack.Tcp;
using Stack.Tcp.Buffers;

namespace Stack.Tests.Tcp;

public sealed class ReceiveBufferTests
{
    private static readonly SeqNum Irs = new(1000);

    private static byte[] Bytes(int from, int count) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();

    private static byte[] ReadAll(ReceiveBuffer buffer)
    {
        var bytes = new byte[buffer.Readable];
        Assert.Equal(bytes.Length, buffer.Read(bytes));
        return bytes;
    }

    [Fact]
    public void In_order_data_becomes_readable_at_once()
    {
        var buffer = new ReceiveBuffer(100);
        Assert.Equal(10, buffer.Insert(Irs, Irs, Bytes(0, 10), out int advanced));
        Assert.Equal(10, advanced);
        Assert.Equal(10, buffer.Readable);
        Assert.Equal(90, buffer.Window);
        Assert.Equal(Bytes(0, 10), ReadAll(buffer));
        Assert.Equal(100, buffer.Window);
    }

    [Fact]
    public void Out_of_order_data_is_held_until_the_gap_fills_then_all_of_it_advances()
    {
        var buffer = new ReceiveBuffer(100);
        Assert.Equal(10, buffer.Insert(Irs, Irs + 20, Bytes(20, 10), out int advanced));
        Assert.Equal(0, advanced);
        Assert.Equal(10, buffer.Insert(Irs, Irs + 40, Bytes(40, 10), out advanced));
        Assert.Equal(10, buffer.Insert(Irs, Irs + 10, Bytes(10, 10), out advanced));
        Assert.Equal(0, advanced);
        Assert.Equal(0, buffer.Readable);
        Assert.Equal(30, buffer.HeldBytes);
        Assert.Equal(2, buffer.HeldRangeCount);
        Assert.Equal(new SeqRange(Irs + 10, Irs + 30), buffer.HeldRange(0));
        // Held bytes sit inside the advertised window: the right edge stays at RCV.NXT + 100.
        Assert.Equal(100, buffer.Window);

        Assert.Equal(10, buffer.Insert(Irs, Irs, Bytes(0, 10), out advanced));
        Assert.Equal(30, advanced);
        Assert.Equal(1, buffer.HeldRangeCount);
        Assert.Equal(Bytes(0, 30), ReadAll(buffer));

        Assert.Equal(10, buffer.Insert(Irs + 30, Irs + 30, Bytes(30, 10), out advanced));
        Assert.Equal(20, advanced);
        Assert.Equal(0, buffer.HeldRangeCount);
        Assert.Equal(Bytes(30, 20), ReadAll(buffer));
    }

    [Fact]
    public void Duplicates_are_trimmed_before_rcv_nxt()
    {
        var buffer = new ReceiveBuffer(100);
        buffer.Insert(Irs, Irs, Bytes(0, 10), out _);
        Assert.Equal(0, buffer.Insert(Irs + 10, Irs, Bytes(0, 10), out int advanced));
        Assert.Equal(0, advanced);
        Assert.Equal(5, buffer.Insert(Irs + 10, Irs + 5, Bytes(5, 10), out advanced));
        Assert.Equal(5, advanced);
        Assert.Equal(Bytes(0, 15), ReadAll(buffer));
    }

    [Fact]
    public void Data_beyond_the_window_is_trimmed()
    {
        var buffer = new ReceiveBuffer(16);
        Assert.Equal(16, buffer.Insert(Irs, Irs, Bytes(0, 20), out int advanced));
        Assert.Equal(16, advanced);
        Assert.Equal(0, buffer.Window);
        Assert.Equal(0, buffer.Insert(Irs + 16, Irs + 16, Bytes(16, 4), out advanced));

        var some = new byte[6];
        buffer.Read(some);
        Assert.Equal(6, buffer.Window);
        Assert.Equal(0, buffer.Insert(Irs + 16, Irs + 22, Bytes(22, 4), out _));
        Assert.Equal(2, buffer.Insert(Irs + 16, Irs + 20, Bytes(20, 4), out advanced));
        Assert.Equal(0, advanced);
        Assert.Equal(4, buffer.Insert(Irs + 16, Irs + 16, Bytes(16, 4), out advanced));
        Assert.Equal(6, advanced);
        var rest = ReadAll(buffer);
        Assert.Equal(Bytes(6, 16), rest);
    }

    [Fact]
    public void Held_ranges_come_out_most_recent_first()
    {
        var buffer = new ReceiveBuffer(1000);
        buffer.Insert(Irs, Irs + 100, Bytes(100, 10), out _);
        buffer.Insert(Irs, Irs + 300, Bytes(300, 10), out _);
        buffer.Insert(Irs, Irs + 200, Bytes(200, 10), out _);
        buffer.Insert(Irs, Irs + 110, Bytes(110, 10), out _); // extends the first range: now the newest

        Span<SeqRange> blocks = stackalloc SeqRange[4];
        Assert.Equal(3, buffer.CopyHeldRanges(blocks));
        Assert.Equal(new SeqRange(Irs + 100, Irs + 120), blocks[0]);
        Assert.Equal(new SeqRange(Irs + 200, Irs + 210), blocks[1]);
        Assert.Equal(new SeqRange(Irs + 300, Irs + 310), blocks[2]);

        Span<SeqRange> two = stackalloc SeqRange[2];
        Assert.Equal(2, buffer.CopyHeldRanges(two));
        Assert.Equal(new SeqRange(Irs + 200, Irs + 210), two[1]);
    }

    [Fact]
    public void When_the_range_table_is_full_the_range_furthest_out_gives_way()
    {
        var buffer = new ReceiveBuffer(1000, maxHeldRanges: 2);
        buffer.Insert(Irs, Irs + 10, Bytes(10, 5), out _);
        buffer.Insert(Irs, Irs + 30, Bytes(30, 5), out _);
        Assert.Equal(0, buffer.Insert(Irs, Irs + 50, Bytes(50, 5), out _));
        Assert.Equal(5, buffer.Insert(Irs, Irs + 20, Bytes(20, 5), out _));
        Assert.Equal(new SeqRange(Irs + 10, Irs + 15), buffer.HeldRange(0));
        Assert.Equal(new SeqRange(Irs + 20, Irs + 25), buffer.HeldRange(1));
        // Merging needs no new slot.
        Assert.Equal(5, buffer.Insert(Irs, Irs + 15, Bytes(15, 5), out _));
        Assert.Equal(1, buffer.HeldRangeCount);
    }

    [Fact]
    public void The_default_bound_is_one_range_per_kib_and_never_below_16()
    {
        Assert.Equal(1024, ReceiveBuffer.DefaultMaxHeldRanges(ReceiveBuffer.DefaultCapacity));
        Assert.Equal(64, ReceiveBuffer.DefaultMaxHeldRanges(64 * 1024));
        Assert.Equal(16, ReceiveBuffer.DefaultMaxHeldRanges(8 * 1024));
    }

    [Fact]
    public void A_megabyte_buffer_holds_and_reports_a_hundred_holes_of_every_other_segment()
    {
        // Every other full-sized segment lost: one range per two segments, far past the table's first 16 entries.
        const int Segment = 1000, Ranges = 100;
        var buffer = new ReceiveBuffer(1024 * 1024);
        for (int i = 0; i < Ranges; i++)
        {
            int at = (2 * i + 1) * Segment;
            Assert.Equal(Segment, buffer.Insert(Irs, Irs + at, Bytes(at, Segment), out int advanced));
            Assert.Equal(0, advanced);
        }
        Assert.Equal(Ranges, buffer.HeldRangeCount);
        Assert.Equal(Ranges * Segment, buffer.HeldBytes);
        for (int i = 0; i < Ranges; i++)
        {
            Assert.Equal(new SeqRange(Irs + (2 * i + 1) * Segment, Irs + (2 * i + 2) * Segment), buffer.HeldRange(i));
        }
        // All of them can be reported (SACK sends the first 3 or 4: the most recent first).
        var reported = new SeqRange[Ranges + 1];
        Assert.Equal(Ranges, buffer.CopyHeldRanges(reported));
        Assert.Equal(new SeqRange(Irs + 199 * Segment, Irs + 200 * Segment), reported[0]);
        Assert.Equal(new SeqRange(Irs + Segment, Irs + 2 * Segment), reported[Ranges - 1]);

        // The retransmissions fill the holes: the stream reads back whole, nothing was reneged.
        SeqNum rcvNxt = Irs;
        for (int i = 0; i < Ranges; i++)
        {
            int at = 2 * i * Segment;
            buffer.Insert(rcvNxt, Irs + at, Bytes(at, Segment), out int advanced);
            Assert.Equal(2 * Segment, advanced);
            rcvNxt += advanced;
        }
        Assert.Equal(0, buffer.HeldRangeCount);
        Assert.Equal(Bytes(0, 2 * Ranges * Segment), ReadAll(buffer));
    }

    [Theory]
    [InlineData(8 * 1024)] // The floor: 16.
    [InlineData(64 * 1024)] // One per KiB: 64.
    public void Past_the_default_bound_the_range_furthest_out_still_gives_way(int capacity)
    {
        int bound = ReceiveBuffer.DefaultMaxHeldRanges(capacity);
        var buffer = new ReceiveBuffer(capacity);
        for (int i = 0; i < bound; i++)
        {
            Assert.Equal(1, buffer.Insert(Irs, Irs + 4 * i + 1, Bytes(4 * i + 1, 1), out _)); // One-byte slivers.
        }
        Assert.Equal(bound, buffer.HeldRangeCount);
        SeqRange furthest = buffer.HeldRange(bound - 1);

        // Beyond every held range: refused.
        Assert.Equal(0, buffer.Insert(Irs, Irs + 4 * bound + 1, Bytes(4 * bound + 1, 1), out _));
        // Nearer RCV.NXT than the furthest: taken, and the furthest is dropped to make room.
        Assert.Equal(1, buffer.Insert(Irs, Irs + 3, Bytes(3, 1), out _));
        Assert.Equal(bound, buffer.HeldRangeCount);
        Assert.Equal(new SeqRange(Irs + 3, Irs + 4), buffer.HeldRange(1));
        Assert.Equal(new SeqRange(furthest.Start - 4, furthest.End - 4), buffer.HeldRange(bound - 1));
        Assert.Null(buffer.HeldOverlap(furthest.Start, furthest.End));
    }

    [Fact]
    public void Works_across_the_sequence_wrap()
    {
        var buffer = new ReceiveBuffer(64);
        var rcvNxt = new SeqNum(0xFFFF_FFF8);
        buffer.Insert(rcvNxt, rcvNxt + 8, Bytes(8, 8), out int advanced);
        Assert.Equal(0, advanced);
        buffer.Insert(rcvNxt, rcvNxt, Bytes(0, 8), out advanced);
        Assert.Equal(16, advanced);
        Assert.Equal(new SeqNum(8), rcvNxt + advanced);
        Assert.Equal(Bytes(0, 16), ReadAll(buffer));
    }

    [Fact]
    public void Moving_rcv_nxt_behind_the_buffers_back_is_refused_while_data_is_held()
    {
        var buffer = new ReceiveBuffer(64);
        buffer.Insert(Irs, Irs + 8, Bytes(8, 8), out _);
        Assert.Throws<InvalidOperationException>(() => buffer.Insert(Irs + 1, Irs + 1, Bytes(1, 1), out _));
        buffer.DiscardHeld();
        Assert.Equal(1, buffer.Insert(Irs + 1, Irs + 1, Bytes(1, 1), out _));
    }

    [Fact]
    public void Any_delivery_order_with_duplicates_and_overlaps_reads_back_the_stream()
    {
        var ops = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 100_000], Gen.Int[1, 300]).Array[0, 120];
        var gen = Gen.Select(Gen.Int[1, 3000], Gen.Int[8, 700], Gen.Int[1, 16], Gen.UInt, ops);
        gen.Sample(seed: FixedSeedSampling.Seed, (length, capacity, maxHeld, isn, script) =>
        {
            byte[] stream = new byte[length];
            new Random(length * 31 + capacity).NextBytes(stream);
            var buffer = new ReceiveBuffer(capacity, maxHeld);
            var received = new List<byte>(length);
            var rcvNxt = new SeqNum(isn);
            int delivered = 0;

            void Deliver(int from, int count)
            {
                count = Math.Min(count, length - from);
                int kept = buffer.Insert(rcvNxt, new SeqNum(isn) + from, stream.AsSpan(from, count), out int advanced);
                Assert.InRange(kept, 0, count);
                Assert.InRange(advanced, 0, capacity);
                rcvNxt += advanced;
                delivered += advanced;
                CheckInvariants(buffer, capacity, rcvNxt);
            }

            void Read(int count)
            {
                var into = new byte[count];
                int n = buffer.Read(into);
                received.AddRange(into.AsSpan(0, n).ToArray());
                CheckInvariants(buffer, capacity, rcvNxt);
            }

            foreach ((int kind, int a, int b) in script)
            {
                if (kind == 3)
                {
                    Read(b);
                }
                else
                {
                    // Anywhere from a little before RCV.NXT to well past the window.
                    int from = Math.Clamp(delivered - 50 + a % (capacity + 100), 0, length - 1);
                    Deliver(from, b);
                }
            }

            // Then the sender retransmits in order until everything is through.
            while (delivered < length)
            {
                Deliver(delivered, Math.Max(1, Math.Min(buffer.Window, 97)));
                Read(capacity);
            }
            Read(capacity);
            Assert.Equal(stream, received.ToArray());
            Assert.Equal(0, buffer.HeldRangeCount);
        }, iter: 300, threads: 1);
    }

    private static void CheckInvariants(ReceiveBuffer buffer, int capacity, SeqNum rcvNxt)
    {
        Assert.InRange(buffer.Window, 0, capacity);
        Assert.Equal(capacity, buffer.Window + buffer.Readable);
        Assert.InRange(buffer.Readable + buffer.HeldBytes, 0, capacity);
        SeqNum previousEnd = rcvNxt;
        for (int i = 0; i < buffer.HeldRangeCount; i++)
        {
            SeqRange range = buffer.HeldRange(i);
            // Sorted, disjoint, not touching, after RCV.NXT (never at it) and inside the window.
            Assert.True(range.Start > previousEnd, $"range {range} after {previousEnd}");
            Assert.True(range.End > range.Start);
            Assert.True(range.End - rcvNxt <= buffer.Window, $"range {range} beyond window {buffer.Window} at {rcvNxt}");
            previousEnd = range.End;
        }
    }
}
