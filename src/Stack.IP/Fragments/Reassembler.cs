using System.Buffers;
using Stack.Link.Time;

namespace Stack.IP.Fragments;

/// <summary>
/// Fragment reassembly (RFC 791 §3.2, RFC 815, RFC 8200 §4.5, RFC 5722), sans-I/O and independent of header
/// formats: the caller parses the header, builds the key — (source, destination, protocol, identification) for
/// IPv4, (source, destination, identification) for IPv6 — and hands in the fragment's offset, MF flag, payload
/// and header.
/// <para>
/// Payload is kept in 1 KiB pooled chunks allocated only where bytes arrive, so a hostile fragment far into a
/// datagram costs one chunk, not the datagram's size. Every datagram is bounded by
/// <see cref="ReassemblyLimits.MaxFragmentsPerDatagram"/> and <see cref="ReassemblyLimits.MaxDatagramSize"/>, and all
/// of them together by <see cref="ReassemblyLimits.MemoryCap"/> (oldest evicted first). Received data never makes it
/// throw.
/// </para>
/// <para>
/// Timeouts run only through <see cref="OnTimer"/>: call it when <see cref="NextDeadline"/> has passed, before
/// feeding later fragments.
/// </para>
/// </summary>
public sealed class Reassembler<TKey> where TKey : struct, IEquatable<TKey>
{
    internal const int ChunkShift = 10;
    internal const int ChunkSize = 1 << ChunkShift;

    /// <summary>Approximate cost of a datagram's bookkeeping (object, records, chunk table, dictionary entry).</summary>
    internal const int DatagramOverhead = 256;

    private const int MaxSpareDatagrams = 64;
    private const int MaxDatagramSizeLimit = 1 << 24;

    private readonly ReassemblyLimits _limits;
    private readonly int _chunksPerDatagram;
    private readonly Dictionary<TKey, Datagram> _datagrams = new();
    private readonly Stack<Datagram> _spare = new();

    // Datagrams in order of their first fragment: the head is the next to time out and the first to evict.
    private Datagram? _oldest;
    private Datagram? _newest;

    private byte[] _completed = [];

    public Reassembler(ReassemblyLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(limits), "Timeout must be positive.");
        if (limits.MaxDatagramSize is < 1 or > MaxDatagramSizeLimit)
            throw new ArgumentOutOfRangeException(nameof(limits), $"MaxDatagramSize must be in 1..{MaxDatagramSizeLimit}.");
        if (limits.MaxFragmentsPerDatagram < 1)
            throw new ArgumentOutOfRangeException(nameof(limits), "MaxFragmentsPerDatagram must be at least 1.");
        if (limits.MemoryCap < DatagramOverhead + ChunkSize)
            throw new ArgumentOutOfRangeException(nameof(limits), $"MemoryCap must be at least {DatagramOverhead + ChunkSize} bytes.");
        _limits = limits;
        _chunksPerDatagram = ((limits.MaxDatagramSize - 1) >> ChunkShift) + 1;
    }

    public ReassemblyLimits Limits => _limits;

    public ReassemblyCounters Counters { get; } = new();

    public int DatagramsInProgress => _datagrams.Count;

    public long BytesHeld => Counters.BytesHeld;

    /// <summary>When the oldest datagram times out; <see cref="Instant.Never"/> when none is held.</summary>
    public Instant NextDeadline => _oldest is null ? Instant.Never : _oldest.Created + _limits.Timeout;

    /// <summary>
    /// Adds one fragment. <paramref name="offset"/> is in bytes; <paramref name="data"/> is the fragment's payload;
    /// <paramref name="firstFragmentHeader"/> is the fragment's header (IPv4 header; IPv6 fixed header plus the
    /// unfragmentable part): it is stored from the offset-0 fragment and becomes the reassembled datagram's header,
    /// and for the other fragments it is only measured against <see cref="ReassemblyLimits.MaxDatagramSize"/>.
    /// An atomic fragment (offset 0, MF clear; RFC 6946) completes at once and touches no state.
    /// </summary>
    public ReassemblyResult Add(TKey key, int offset, bool moreFragments, ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> firstFragmentHeader, Instant now)
    {
        if (offset < 0 || (offset & 7) != 0) return Drop(ReassemblyDrop.BadLength);
        // RFC 8200 §4.5: a fragment with M set must be a multiple of 8 octets long. An empty fragment carries nothing.
        if (moreFragments && (data.Length & 7) != 0) return Drop(ReassemblyDrop.BadLength);
        if (data.IsEmpty && (offset != 0 || moreFragments)) return Drop(ReassemblyDrop.BadLength);
        long endLong = (long)offset + data.Length;
        if (firstFragmentHeader.Length + endLong > _limits.MaxDatagramSize) return Drop(ReassemblyDrop.TooLarge);
        int end = (int)endLong;

        if (offset == 0 && !moreFragments)
        {
            // RFC 6946 §4: an atomic fragment is processed as a whole datagram, never mixed with others of its key.
            Counters.AtomicFragments++;
            return Deliver(firstFragmentHeader, data);
        }

        _datagrams.TryGetValue(key, out Datagram? dg);
        if (dg is not null)
        {
            if (dg.Dead) return Drop(ReassemblyDrop.Discarded);

            bool consistent = dg.Total >= 0
                ? end <= dg.Total && (moreFragments || end == dg.Total)
                : moreFragments || end >= dg.MaxEnd;
            if (!consistent) return Kill(dg, ReassemblyDrop.Inconsistent);

            bool overlaps = false;
            for (int i = 0; i < dg.RecordCount; i++)
            {
                (int start, int stop) = dg.Records[i];
                if (start == offset && stop == end)
                {
                    // RFC 8200 §4.5: exact duplicates are not overlaps.
                    Counters.Duplicates++;
                    return ReassemblyResult.Incomplete;
                }
                overlaps |= start < end && offset < stop;
            }
            // RFC 5722 §4: an overlapping fragment discards the whole datagram.
            if (overlaps && _limits.OverlapPolicy == OverlapPolicy.DropDatagram) return Kill(dg, ReassemblyDrop.Overlap);
            if (dg.RecordCount >= _limits.MaxFragmentsPerDatagram) return Kill(dg, ReassemblyDrop.TooManyFragments);
        }

        long cost = CostOf(dg, offset, end, firstFragmentHeader.Length);
        if (Counters.BytesHeld + cost > _limits.MemoryCap)
        {
            EvictOldest(cost, spare: dg);
            if (Counters.BytesHeld + cost > _limits.MemoryCap) return Drop(ReassemblyDrop.MemoryCap);
        }

        dg ??= Start(key, now);
        Accept(dg, offset, end, moreFragments, data, firstFragmentHeader);

        if (dg.Total >= 0 && dg.Covered == dg.Total && dg.HasFirst)
        {
            Counters.Reassembled++;
            return Complete(dg);
        }
        return ReassemblyResult.Incomplete;
    }

    /// <summary>
    /// Drops every datagram whose timeout has passed at <paramref name="now"/>. Those that had their offset-0
    /// fragment are reported to <paramref name="onTimedOut"/> (for ICMP Time Exceeded, code 1). Returns how many
    /// incomplete datagrams timed out.
    /// </summary>
    public int OnTimer(Instant now, ReassemblyTimedOut<TKey>? onTimedOut = null)
    {
        int timedOut = 0;
        while (_oldest is { } dg && dg.Created + _limits.Timeout <= now)
        {
            if (!dg.Dead)
            {
                timedOut++;
                Counters.TimedOut++;
                if (dg.HasFirst && onTimedOut is not null)
                    onTimedOut(dg.Key, dg.Header.AsSpan(0, dg.HeaderLength), FirstPayload(dg));
            }
            Release(dg);
        }
        return timedOut;
    }

    /// <summary>Drops everything held and returns its buffers to the pool.</summary>
    public void Clear()
    {
        while (_oldest is { } dg) Release(dg);
    }

    private ReassemblyResult Drop(ReassemblyDrop reason)
    {
        Counters.CountDrop(reason);
        return ReassemblyResult.Dropped(reason);
    }

    /// <summary>Drops a datagram's data but remembers its key until its timeout, so later fragments cannot complete it.</summary>
    private ReassemblyResult Kill(Datagram dg, ReassemblyDrop reason)
    {
        FreeBuffers(dg);
        dg.Dead = true;
        return Drop(reason);
    }

    private long CostOf(Datagram? dg, int offset, int end, int headerLength)
    {
        long cost = dg is null ? DatagramOverhead : 0;
        if (offset == 0 && dg is not { HasFirst: true }) cost += headerLength;
        // A chunk not yet allocated has no byte received, so this fragment will allocate it: the cost is exact.
        for (int c = offset >> ChunkShift; c <= (end - 1) >> ChunkShift; c++)
            if (dg?.Chunks[c] is null) cost += ChunkSize;
        return cost;
    }

    private void EvictOldest(long needed, Datagram? spare)
    {
        Datagram? candidate = _oldest;
        while (candidate is not null && Counters.BytesHeld + needed > _limits.MemoryCap)
        {
            Datagram? next = candidate.Newer;
            if (candidate != spare)
            {
                Release(candidate);
                Counters.Evicted++;
            }
            candidate = next;
        }
    }

    private Datagram Start(TKey key, Instant now)
    {
        Datagram dg = _spare.Count > 0 ? _spare.Pop() : new Datagram(_chunksPerDatagram);
        dg.Key = key;
        dg.Created = now;
        dg.Held = DatagramOverhead;
        Counters.BytesHeld += DatagramOverhead;
        dg.Older = _newest;
        if (_newest is not null) _newest.Newer = dg;
        else _oldest = dg;
        _newest = dg;
        _datagrams.Add(key, dg);
        Counters.DatagramsInProgress = _datagrams.Count;
        return dg;
    }

    private void Accept(Datagram dg, int offset, int end, bool moreFragments, ReadOnlySpan<byte> data, ReadOnlySpan<byte> header)
    {
        // Write only the bytes no earlier fragment supplied (records are sorted by start; under DropDatagram there
        // is no overlap, so this writes the whole fragment).
        int cursor = offset;
        for (int i = 0; i < dg.RecordCount && cursor < end; i++)
        {
            (int start, int stop) = dg.Records[i];
            if (start >= end) break;
            if (stop <= cursor) continue;
            if (start > cursor) Write(dg, cursor, data.Slice(cursor - offset, start - cursor));
            cursor = stop;
        }
        if (cursor < end) Write(dg, cursor, data[(cursor - offset)..]);

        InsertRecord(dg, offset, end);
        if (!moreFragments) dg.Total = end;
        dg.MaxEnd = Math.Max(dg.MaxEnd, end);

        if (offset == 0 && !dg.HasFirst)
        {
            dg.Header = ArrayPool<byte>.Shared.Rent(header.Length);
            header.CopyTo(dg.Header);
            dg.HeaderLength = header.Length;
            dg.HasFirst = true;
            Hold(dg, header.Length);
        }
    }

    private void Write(Datagram dg, int at, ReadOnlySpan<byte> bytes)
    {
        dg.Covered += bytes.Length;
        while (!bytes.IsEmpty)
        {
            int c = at >> ChunkShift;
            int within = at & (ChunkSize - 1);
            byte[]? chunk = dg.Chunks[c];
            if (chunk is null)
            {
                chunk = dg.Chunks[c] = ArrayPool<byte>.Shared.Rent(ChunkSize);
                Hold(dg, ChunkSize);
            }
            int n = Math.Min(bytes.Length, ChunkSize - within);
            bytes[..n].CopyTo(chunk.AsSpan(within));
            at += n;
            bytes = bytes[n..];
        }
    }

    private static void InsertRecord(Datagram dg, int start, int end)
    {
        if (dg.RecordCount == dg.Records.Length) Array.Resize(ref dg.Records, dg.Records.Length * 2);
        int i = dg.RecordCount;
        while (i > 0 && dg.Records[i - 1].Start > start)
        {
            dg.Records[i] = dg.Records[i - 1];
            i--;
        }
        dg.Records[i] = (start, end);
        dg.RecordCount++;
    }

    private void Hold(Datagram dg, int bytes)
    {
        dg.Held += bytes;
        Counters.BytesHeld += bytes;
    }

    private ReassemblyResult Complete(Datagram dg)
    {
        Span<byte> datagram = Output(dg.HeaderLength + dg.Total);
        dg.Header.AsSpan(0, dg.HeaderLength).CopyTo(datagram);
        Span<byte> payload = datagram[dg.HeaderLength..];
        for (int at = 0; at < dg.Total; at += ChunkSize)
            dg.Chunks[at >> ChunkShift].AsSpan(0, Math.Min(ChunkSize, dg.Total - at)).CopyTo(payload[at..]);
        int headerLength = dg.HeaderLength;
        Release(dg);
        return ReassemblyResult.Complete(datagram, headerLength);
    }

    private ReassemblyResult Deliver(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        Span<byte> datagram = Output(header.Length + payload.Length);
        header.CopyTo(datagram);
        payload.CopyTo(datagram[header.Length..]);
        return ReassemblyResult.Complete(datagram, header.Length);
    }

    private Span<byte> Output(int length)
    {
        if (_completed.Length < length)
        {
            if (_completed.Length > 0) ArrayPool<byte>.Shared.Return(_completed);
            _completed = ArrayPool<byte>.Shared.Rent(length);
        }
        return _completed.AsSpan(0, length);
    }

    private static ReadOnlySpan<byte> FirstPayload(Datagram dg)
    {
        int reach = 0;
        for (int i = 0; i < dg.RecordCount && dg.Records[i].Start <= reach; i++)
            reach = Math.Max(reach, dg.Records[i].End);
        return dg.Chunks[0].AsSpan(0, Math.Min(reach, ChunkSize));
    }

    private void FreeBuffers(Datagram dg)
    {
        for (int c = 0; c < dg.Chunks.Length; c++)
        {
            if (dg.Chunks[c] is { } chunk)
            {
                ArrayPool<byte>.Shared.Return(chunk);
                dg.Chunks[c] = null;
            }
        }
        if (dg.HasFirst) ArrayPool<byte>.Shared.Return(dg.Header);
        dg.Header = [];
        dg.HeaderLength = 0;
        dg.HasFirst = false;
        Counters.BytesHeld -= dg.Held - DatagramOverhead;
        dg.Held = DatagramOverhead;
    }

    private void Release(Datagram dg)
    {
        FreeBuffers(dg);
        Counters.BytesHeld -= DatagramOverhead;
        _datagrams.Remove(dg.Key);
        Counters.DatagramsInProgress = _datagrams.Count;

        if (dg.Older is not null) dg.Older.Newer = dg.Newer;
        else _oldest = dg.Newer;
        if (dg.Newer is not null) dg.Newer.Older = dg.Older;
        else _newest = dg.Older;

        dg.Older = dg.Newer = null;
        dg.Key = default;
        dg.Held = 0;
        dg.RecordCount = 0;
        dg.Total = -1;
        dg.MaxEnd = 0;
        dg.Covered = 0;
        dg.Dead = false;
        if (_spare.Count < MaxSpareDatagrams) _spare.Push(dg);
    }

    private sealed class Datagram(int chunks)
    {
        public TKey Key;
        public Instant Created;
        public Datagram? Older;
        public Datagram? Newer;

        /// <summary>Payload bytes in 1 KiB chunks, allocated where bytes arrive.</summary>
        public readonly byte[]?[] Chunks = new byte[]?[chunks];

        /// <summary>Each distinct fragment received, sorted by start (they may overlap under KeepFirst).</summary>
        public (int Start, int End)[] Records = new (int, int)[8];
        public int RecordCount;

        public byte[] Header = [];
        public int HeaderLength;
        public bool HasFirst;

        /// <summary>Payload length, once the last fragment (MF clear) has arrived; -1 before.</summary>
        public int Total = -1;
        public int MaxEnd;

        /// <summary>Distinct payload bytes received.</summary>
        public int Covered;

        public long Held;

        /// <summary>Dropped, remembered until its timeout.</summary>
        public bool Dead;
    }
}
