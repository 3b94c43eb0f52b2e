namespace Stack.Tcp.Completions;

/// <summary>
/// The MSG_ZEROCOPY sends of one connection still waiting for their completion (Linux's ubuf_info_msgzc): each
/// send that takes bytes gets the next id; when the peer has acknowledged all of its bytes the range of ids is
/// done and a <see cref="ZeroCopyCompletion"/> goes to the error queue.
/// </summary>
/// <remarks>
/// Linux frees the buffer of a send when the last packet holding it is acknowledged and freed; this stack keeps
/// no per-packet buffers, so a send completes when SND.UNA passes its last byte. A send whose data joins the
/// previous send's data while that is still unsent shares its completion (msg_zerocopy_realloc extends the
/// tail packet's ubuf_info: one completion covering both ids).
/// </remarks>
internal sealed class ZeroCopySends
{
    private readonly List<Pending> _pending = [];
    private uint _nextId;

    /// <summary>Linux's cap on the bytes one completion covers (msg_zerocopy_realloc: "a few TSO").</summary>
    private const long ByteLimit = 1 << 19;

    private sealed class Pending(uint first, SeqNum end, long bytes)
    {
        public uint First { get; } = first;
        public uint Count { get; set; } = 1;
        public SeqNum End { get; set; } = end;
        public long Bytes { get; set; } = bytes;
    }

    /// <summary>
    /// A zero-copy send took [<paramref name="start"/>, <paramref name="end"/>); <paramref name="sentBefore"/> is
    /// how far data had been sent when the call began. An empty send takes no id (Linux gives it back,
    /// msg_zerocopy_put_abort).
    /// </summary>
    public void Add(SeqNum start, SeqNum end, SeqNum sentBefore)
    {
        if (end == start) return;
        long bytes = end - start;
        if (_pending.Count > 0 && _pending[^1] is var last && last.End == start && last.End > sentBefore
            && last.First + last.Count == _nextId && last.Bytes + bytes <= ByteLimit && last.Count < ushort.MaxValue - 1)
        {
            last.Count++;
            last.End = end;
            last.Bytes += bytes;
        }
        else
        {
            _pending.Add(new Pending(_nextId, end, bytes));
        }
        _nextId++;
    }

    /// <summary>Completes every send whose bytes are all below <paramref name="una"/>.</summary>
    public void Acknowledge(SeqNum una, ErrorQueue queue)
    {
        int done = 0;
        while (done < _pending.Count && _pending[done].End <= una)
        {
            Complete(_pending[done], queue);
            done++;
        }
        _pending.RemoveRange(0, done);
    }

    /// <summary>The send buffer was dropped (a reset): what was pending completes, as Linux's purge frees it.</summary>
    public void Purge(ErrorQueue queue)
    {
        foreach (var p in _pending) Complete(p, queue);
        _pending.Clear();
    }

    public int PendingCount => _pending.Count;

    private static void Complete(Pending p, ErrorQueue queue) =>
        queue.Enqueue(new ZeroCopyCompletion(p.First, p.First + p.Count - 1, Copied: true));
}
