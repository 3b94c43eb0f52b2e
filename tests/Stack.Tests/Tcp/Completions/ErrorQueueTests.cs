using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Completions;

namespace Stack.Tests.Tcp.Completions;

/// <summary>The error queue and what feeds it: zero-copy ids and ranges, transmit timestamp keys.</summary>
public sealed class ErrorQueueTests
{
    private static readonly SeqNum Isn = new(1000);

    private static List<ErrorQueueEntry> Drain(ErrorQueue q)
    {
        var all = new List<ErrorQueueEntry>();
        while (q.TryDequeue(out var e)) all.Add(e!);
        return all;
    }

    [Fact]
    public void Consecutive_zero_copy_ranges_fold_into_the_tail()
    {
        var q = new ErrorQueue();
        q.Enqueue(new ZeroCopyCompletion(0, 0, true));
        q.Enqueue(new ZeroCopyCompletion(1, 3, true));
        q.Enqueue(new ZeroCopyCompletion(5, 5, true)); // Not next to 3: a new entry.

        Assert.Equal([new ZeroCopyCompletion(0, 3, true), new ZeroCopyCompletion(5, 5, true)], Drain(q));
        Assert.Equal(3, q.Queued);
        Assert.False(q.TryDequeue(out _));
    }

    [Fact]
    public void A_timestamp_between_two_ranges_keeps_them_apart()
    {
        var q = new ErrorQueue();
        var stamp = new TxTimestamp(TxTimestampKind.Sent, 9, Instant.FromMilliseconds(5), 0);
        q.Enqueue(new ZeroCopyCompletion(0, 0, true));
        q.Enqueue(stamp);
        q.Enqueue(new ZeroCopyCompletion(1, 1, true));

        Assert.Equal(3, q.Count);
        Assert.Equal([new ZeroCopyCompletion(0, 0, true), stamp, new ZeroCopyCompletion(1, 1, true)], Drain(q));
    }

    [Fact]
    public void A_range_that_would_overflow_32_bits_of_ids_is_not_folded()
    {
        var q = new ErrorQueue();
        q.Enqueue(new ZeroCopyCompletion(0, uint.MaxValue - 1, true));
        q.Enqueue(new ZeroCopyCompletion(uint.MaxValue, uint.MaxValue, true));

        Assert.Equal(2, q.Count);
    }

    [Fact]
    public void Zero_copy_sends_complete_in_order_when_their_last_byte_is_acknowledged()
    {
        var sends = new ZeroCopySends();
        var q = new ErrorQueue();
        sends.Add(Isn, Isn + 100, sentBefore: Isn);        // Id 0, then sent at once.
        sends.Add(Isn + 100, Isn + 100, sentBefore: Isn + 100); // Empty: no id.
        sends.Add(Isn + 100, Isn + 300, sentBefore: Isn + 100); // Id 1.

        sends.Acknowledge(Isn + 99, q);
        Assert.True(q.IsEmpty);
        sends.Acknowledge(Isn + 100, q);
        Assert.Equal([new ZeroCopyCompletion(0, 0, true)], Drain(q));
        sends.Acknowledge(Isn + 300, q);
        Assert.Equal([new ZeroCopyCompletion(1, 1, true)], Drain(q));
        Assert.Equal(0, sends.PendingCount);
    }

    [Fact]
    public void A_send_joining_unsent_data_of_the_previous_one_shares_its_completion()
    {
        var sends = new ZeroCopySends();
        var q = new ErrorQueue();
        sends.Add(Isn, Isn + 100, sentBefore: Isn);
        sends.Add(Isn + 100, Isn + 200, sentBefore: Isn + 50); // Bytes 50..99 of id 0 still unsent.
        sends.Add(Isn + 200, Isn + 300, sentBefore: Isn + 200); // All sent before: its own id.

        Assert.Equal(2, sends.PendingCount);
        sends.Acknowledge(Isn + 300, q);
        Assert.Equal([new ZeroCopyCompletion(0, 2, true)], Drain(q)); // {0,1} and {2,2}, folded in the queue.
    }

    [Fact]
    public void A_purge_completes_what_is_pending()
    {
        var sends = new ZeroCopySends();
        var q = new ErrorQueue();
        sends.Add(Isn, Isn + 100, sentBefore: Isn);

        sends.Purge(q);

        Assert.Equal([new ZeroCopyCompletion(0, 0, true)], Drain(q));
    }

    [Fact]
    public void Timestamps_key_the_last_byte_of_each_write_from_where_opt_id_was_set()
    {
        var stamps = new TxTimestamps();
        var q = new ErrorQueue();
        var flags = TimestampingFlags.TxSched | TimestampingFlags.TxSoftware | TimestampingFlags.TxAck | TimestampingFlags.OptId;
        stamps.Set(flags, una: Isn + 10, writeSeq: Isn + 10);
        var t0 = Instant.FromMilliseconds(10);

        stamps.OnWrite(Isn + 2010, sentTo: Isn + 10, tailLength: 1000, t0, q); // Not sent yet.
        Assert.True(q.IsEmpty);
        stamps.OnSent(Isn + 10, 1000, t0, q);
        Assert.True(q.IsEmpty); // The marked byte is in the next segment.
        stamps.OnSent(Isn + 1010, 1000, t0 + TimeSpan.FromMilliseconds(1), q);
        stamps.OnAcknowledged(Isn + 2009, t0 + TimeSpan.FromMilliseconds(5), q);
        stamps.OnAcknowledged(Isn + 2010, t0 + TimeSpan.FromMilliseconds(6), q);

        Assert.Equal(
        [
            new TxTimestamp(TxTimestampKind.Scheduled, 1999, t0 + TimeSpan.FromMilliseconds(1), 1000),
            new TxTimestamp(TxTimestampKind.Sent, 1999, t0 + TimeSpan.FromMilliseconds(1), 1000),
            new TxTimestamp(TxTimestampKind.Acknowledged, 1999, t0 + TimeSpan.FromMilliseconds(6), 1000),
        ], Drain(q));
    }

    [Fact]
    public void A_write_whose_last_byte_already_left_is_stamped_at_once_and_tsonly_carries_no_data()
    {
        var stamps = new TxTimestamps();
        var q = new ErrorQueue();
        stamps.Set(TimestampingFlags.TxSoftware | TimestampingFlags.OptTsOnly, Isn, Isn);
        var now = Instant.FromMilliseconds(3);

        stamps.OnWrite(Isn + 100, sentTo: Isn + 100, tailLength: 100, now, q);
        stamps.OnAcknowledged(Isn + 100, now, q); // No TX_ACK: nothing more.

        Assert.Equal([new TxTimestamp(TxTimestampKind.Sent, 0, now, 0)], Drain(q)); // No OPT_ID: key 0.
    }

    [Fact]
    public void Opt_id_tcp_counts_from_the_write_sequence()
    {
        var stamps = new TxTimestamps();
        var q = new ErrorQueue();
        stamps.Set(TimestampingFlags.TxSoftware | TimestampingFlags.OptId | TimestampingFlags.OptIdTcp, una: Isn, writeSeq: Isn + 500);

        stamps.OnWrite(Isn + 600, sentTo: Isn + 600, tailLength: 100, Instant.FromMilliseconds(1), q);

        Assert.Equal(99u, Assert.IsType<TxTimestamp>(Assert.Single(Drain(q))).Key);
    }

    [Fact]
    public void A_resent_marked_byte_is_stamped_again_until_it_is_acknowledged()
    {
        var stamps = new TxTimestamps();
        var q = new ErrorQueue();
        stamps.Set(TimestampingFlags.TxSoftware | TimestampingFlags.OptTsOnly, Isn, Isn);
        var t0 = Instant.FromMilliseconds(1);
        var t1 = Instant.FromMilliseconds(300);

        stamps.OnWrite(Isn + 100, sentTo: Isn, tailLength: 0, t0, q);
        stamps.OnSent(Isn, 100, t0, q);
        stamps.OnSent(Isn, 100, t1, q); // The resend.
        stamps.OnAcknowledged(Isn + 100, t1, q);
        stamps.OnSent(Isn, 100, t1, q); // Acknowledged: no longer marked.

        Assert.Equal([new TxTimestamp(TxTimestampKind.Sent, 0, t0, 0), new TxTimestamp(TxTimestampKind.Sent, 0, t1, 0)], Drain(q));
    }
}
