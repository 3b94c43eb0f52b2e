namespace Stack.Tcp.Completions;

/// <summary>
/// A connection's error queue: entries in the order they happened, read one per recvmsg(MSG_ERRQUEUE). A
/// zero-copy completion that directly follows the one at the tail is folded into it, as Linux's
/// skb_zerocopy_notify_extend does (one entry, ee_info..ee_data widened), so a reader that falls behind reads
/// one range, not one entry per send.
/// </summary>
public sealed class ErrorQueue
{
    private LinkedList<ErrorQueueEntry>? _entries; // Made at the first entry: most connections never queue one.

    public int Count => _entries?.Count ?? 0;

    /// <summary>How many entries were ever queued, folded ones included: a change means readers must be woken.</summary>
    public long Queued { get; private set; }

    public bool IsEmpty => Count == 0;

    /// <summary>The entry a read would return, without taking it.</summary>
    public ErrorQueueEntry? Peek() => _entries?.First?.Value;

    public void Enqueue(ErrorQueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Queued++;
        _entries ??= new();
        if (entry is ZeroCopyCompletion next && _entries.Last is { Value: ZeroCopyCompletion tail } last
            && TryExtend(tail, next) is { } merged)
        {
            last.Value = merged;
            return;
        }
        _entries.AddLast(entry);
    }

    public bool TryDequeue(out ErrorQueueEntry? entry)
    {
        entry = _entries?.First?.Value;
        if (entry is null) return false;
        _entries!.RemoveFirst();
        return true;
    }

    public void Clear() => _entries?.Clear();

    /// <summary>
    /// Linux folds a range into the tail only when it starts right after it and the sum still counts in 32 bits;
    /// the copied code of the tail stands for both (the kernel does not compare them).
    /// </summary>
    private static ZeroCopyCompletion? TryExtend(ZeroCopyCompletion tail, ZeroCopyCompletion next)
    {
        ulong sum = (ulong)(tail.Last - tail.First) + 1 + (next.Last - next.First) + 1;
        if (sum >= 1UL << 32 || next.First != unchecked(tail.Last + 1)) return null;
        return tail with { Last = next.Last };
    }
}
