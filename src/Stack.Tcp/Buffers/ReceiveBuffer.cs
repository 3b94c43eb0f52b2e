namespace Stack.Tcp.Buffers;

/// <summary>
/// The receive side of one connection (SO_RCVBUF): in-order bytes waiting for the application, followed in
/// the same ring by out-of-order data held at its sequence position until the gap before it fills.
/// </summary>
/// <remarks>
/// <para>The ring maps sequence space directly: the byte at RCV.NXT + k lives k bytes after the last readable
/// byte. Out-of-order data therefore needs no per-segment storage; only its ranges are tracked, in a small
/// table (sorted, disjoint, non-adjacent) that starts small and doubles up to its bound as holes appear, so a
/// connection on a clean path holds 16 entries and steady state allocates nothing.</para>
/// <para>The buffer does not own RCV.NXT: the connection passes it to <see cref="Insert"/> and advances it by
/// the <c>advanced</c> that comes back (plus one for a FIN, which is the connection's business).</para>
/// <para>Window accounting: <see cref="Window"/> = capacity − readable is the space from RCV.NXT to the end
/// of the ring. Held out-of-order bytes sit inside that space, at their own positions, so they already count
/// against it: nothing else can be stored there, and readable + held never exceeds capacity. Subtracting them
/// a second time would move the right edge (RCV.NXT + RCV.WND) left, shrinking the window, which RFC 9293
/// §3.8.6.2.2 and RFC 7323 §2.4 tell receivers not to do.</para>
/// </remarks>
public sealed class ReceiveBuffer
{
    /// <summary>1 MiB, the default capacity: a full window for a fast local link (see the Stack.Tcp README).</summary>
    public const int DefaultCapacity = 1024 * 1024;

    /// <summary>
    /// Out-of-order ranges held at once, by default: one per KiB of buffer (1,024 for 1 MiB), at least 16. Full-
    /// sized segments with every other one lost make one range per two segments, so the default never turns
    /// away data a real path delivers; it bounds the work a peer sending slivers can cause. At the bound the range
    /// furthest from RCV.NXT gives way, as Linux's tcp_prune_ofo_queue drops from the far end when its
    /// out-of-order queue (bounded by memory alone) outgrows the buffer.
    /// </summary>
    public static int DefaultMaxHeldRanges(int capacity) => Math.Max(InitialHeldRanges, capacity / 1024);

    private const int InitialHeldRanges = 16;

    private PooledRing _ring;
    private Held[] _held;
    private int _maxHeldRanges;
    private int _heldCount;
    private int _readStart;
    private int _readable;
    private ulong _arrivals;
    private SeqNum _expectedRcvNxt;

    /// <param name="capacity">Bytes: SO_RCVBUF.</param>
    /// <param name="maxHeldRanges">The bound on out-of-order ranges; default <see cref="DefaultMaxHeldRanges"/>.</param>
    public ReceiveBuffer(int capacity = DefaultCapacity, int? maxHeldRanges = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, SendBuffer.MaxCapacity);
        _maxHeldRanges = maxHeldRanges ?? DefaultMaxHeldRanges(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_maxHeldRanges);
        _ring = new PooledRing(capacity);
        _held = []; // Made when the first segment arrives out of order: most connections never hold one.
    }

    /// <summary>
    /// Empty, its ring returned and sized <paramref name="capacity"/> from now on, the held-range bound that
    /// capacity's default: a pooled connection's next life. The held-range table keeps the room it grew to.
    /// </summary>
    internal void ResetToNew(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, SendBuffer.MaxCapacity);
        _ring.Return();
        _ring = new PooledRing(capacity);
        _maxHeldRanges = DefaultMaxHeldRanges(capacity);
        if (_held.Length > _maxHeldRanges) _held = [];
        (_heldCount, _readStart, _readable, _arrivals, _expectedRcvNxt) = (0, 0, 0, 0, default);
    }

    public int Capacity => _ring.Capacity;

    /// <summary>True while the ring is rented (data arrived and the buffer was not released since).</summary>
    public bool HoldsMemory => _ring.IsRented;

    /// <summary>Returns the ring to the pool if it holds nothing, in order or not; data arriving later rents one again.</summary>
    public void Release()
    {
        if (_readable == 0 && _heldCount == 0)
        {
            _readStart = 0;
            _ring.Return();
        }
    }

    /// <summary>In-order bytes the application can read now.</summary>
    public int Readable => _readable;

    /// <summary>
    /// The receive window to advertise (RCV.WND, RFC 9293 §3.8.6.2): free space from RCV.NXT to the end of the
    /// buffer, out-of-order data held inside it included (see the remarks on the class). Silly window syndrome
    /// avoidance and window scaling are the connection's to apply on top.
    /// </summary>
    public int Window => _ring.Capacity - _readable;

    /// <summary>Out-of-order bytes held beyond RCV.NXT.</summary>
    public int HeldBytes
    {
        get
        {
            int sum = 0;
            for (int i = 0; i < _heldCount; i++)
            {
                sum += _held[i].End - _held[i].Start;
            }
            return sum;
        }
    }

    /// <summary>How many out-of-order ranges are held.</summary>
    public int HeldRangeCount => _heldCount;

    /// <summary>
    /// Takes a segment's data, which starts at <paramref name="seq"/>, given the current
    /// <paramref name="rcvNxt"/>. Bytes before RCV.NXT (already received) and at or beyond RCV.NXT + Window are
    /// trimmed; the rest is stored at its position. If that fills the gap at RCV.NXT, the data becomes
    /// readable together with every held range now contiguous with it, and <paramref name="advanced"/> says
    /// how far RCV.NXT moves. Returns how many bytes of the segment were within the window and kept (0 for a
    /// pure duplicate, data wholly outside the window, or an out-of-order range dropped because the range
    /// table is full and every held range is nearer RCV.NXT).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Out-of-order data is held and <paramref name="rcvNxt"/> is not where the last insert left it.
    /// </exception>
    public int Insert(SeqNum rcvNxt, SeqNum seq, ReadOnlySpan<byte> data, out int advanced)
    {
        advanced = 0;
        if (_heldCount > 0 && rcvNxt != _expectedRcvNxt)
        {
            throw new InvalidOperationException(
                $"RCV.NXT is {rcvNxt} but the buffer holds out-of-order data placed when it was {_expectedRcvNxt}: " +
                "advance RCV.NXT only by what Insert reports, or call DiscardHeld first.");
        }
        _expectedRcvNxt = rcvNxt;

        long startOffset = seq - rcvNxt;
        long endOffset = startOffset + data.Length;
        long from = Math.Max(startOffset, 0);
        long to = Math.Min(endOffset, Window);
        if (from >= to)
        {
            return 0;
        }

        int length = (int)(to - from);
        if (from == 0 && _heldCount == 0)
        {
            // In order with nothing held (nearly every segment): readable at once, no range table involved.
            CopyIn(0, data.Slice((int)-startOffset, length));
            advanced = length;
            _readable += length;
            _expectedRcvNxt = rcvNxt + length;
            return length;
        }
        var range = new SeqRange(rcvNxt + (int)from, rcvNxt + (int)to);
        if (!Hold(range))
        {
            return 0;
        }
        CopyIn((int)from, data.Slice((int)(from - startOffset), length));

        if (_held[0].Start == rcvNxt)
        {
            advanced = _held[0].End - rcvNxt;
            _readable += advanced;
            RemoveAt(0);
            _expectedRcvNxt = rcvNxt + advanced;
        }
        return length;
    }

    /// <summary>Moves up to <c>destination.Length</c> in-order bytes to the application; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _readable);
        if (n == 0)
        {
            return 0;
        }
        var ring = _ring.Rent();
        int first = Math.Min(n, _ring.Capacity - _readStart);
        ring.AsSpan(_readStart, first).CopyTo(destination);
        ring.AsSpan(0, n - first).CopyTo(destination[first..]);
        _readStart = Wrap(_readStart + n);
        _readable -= n;
        return n;
    }

    /// <summary>
    /// Copies the held out-of-order ranges, most recently extended first as RFC 2018 §4 orders SACK blocks,
    /// into <paramref name="destination"/> (typically 3 or 4 long: what fits in the options); returns how many.
    /// </summary>
    public int CopyHeldRanges(Span<SeqRange> destination)
    {
        int n = Math.Min(destination.Length, _heldCount);
        ulong below = ulong.MaxValue;
        for (int k = 0; k < n; k++)
        {
            // Selection by descending arrival stamp: a few passes over the table, no sorting storage needed.
            int best = -1;
            for (int i = 0; i < _heldCount; i++)
            {
                if (_held[i].Stamp < below && (best < 0 || _held[i].Stamp > _held[best].Stamp))
                {
                    best = i;
                }
            }
            destination[k] = new SeqRange(_held[best].Start, _held[best].End);
            below = _held[best].Stamp;
        }
        return n;
    }

    /// <summary>The held range at <paramref name="index"/> in sequence order (nearest RCV.NXT first).</summary>
    public SeqRange HeldRange(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_heldCount, nameof(index));
        return new SeqRange(_held[index].Start, _held[index].End);
    }

    /// <summary>
    /// The first part of [<paramref name="start"/>, <paramref name="end"/>) already held out of order, or null:
    /// a duplicate of it is what a D-SACK reports (RFC 2883 §4).
    /// </summary>
    public SeqRange? HeldOverlap(SeqNum start, SeqNum end)
    {
        for (int i = 0; i < _heldCount; i++)
        {
            SeqNum s = SeqNum.Max(start, _held[i].Start), e = SeqNum.Min(end, _held[i].End);
            if (e > s)
            {
                return new SeqRange(s, e);
            }
        }
        return null;
    }

    /// <summary>Forgets all out-of-order data (RFC 2018 §8 allows reneging), e.g. after the peer's FIN.</summary>
    public void DiscardHeld() => _heldCount = 0;

    /// <summary>Drops everything, readable and held (on abort).</summary>
    public void Clear()
    {
        _heldCount = 0;
        _readStart = 0;
        _readable = 0;
    }

    // Records a range as held, merging it with any range it overlaps or touches. When the table is full and
    // nothing merges, the range furthest from RCV.NXT gives way, or the new one is refused if it is that one.
    private bool Hold(SeqRange range)
    {
        SeqNum start = range.Start;
        SeqNum end = range.End;
        int first = FirstEndingAtOrAfter(start);
        int last = first;
        while (last < _heldCount && _held[last].Start <= end)
        {
            start = SeqNum.Min(start, _held[last].Start);
            end = SeqNum.Max(end, _held[last].End);
            last++;
        }

        int merged = last - first;
        if (merged == 0 && _heldCount == _held.Length && _held.Length < _maxHeldRanges)
        {
            Array.Resize(ref _held, Math.Min(Math.Max(InitialHeldRanges, _held.Length * 2), _maxHeldRanges));
        }
        if (merged == 0 && _heldCount == _held.Length)
        {
            if (first == _heldCount)
            {
                return false;
            }
            _heldCount--;
        }

        // Replace _held[first..last) by one entry.
        int shift = 1 - merged;
        if (shift != 0)
        {
            Array.Copy(_held, last, _held, last + shift, _heldCount - last);
        }
        _heldCount += shift;
        _held[first] = new Held(start, end, ++_arrivals);
        return true;
    }

    /// <summary>The index of the first held range that ends at or after <paramref name="seq"/> (binary search).</summary>
    private int FirstEndingAtOrAfter(SeqNum seq)
    {
        int lo = 0, hi = _heldCount;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (_held[mid].End < seq)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private void RemoveAt(int index)
    {
        Array.Copy(_held, index + 1, _held, index, _heldCount - index - 1);
        _heldCount--;
    }

    private void CopyIn(int offsetFromRcvNxt, ReadOnlySpan<byte> data)
    {
        int at = Wrap(Wrap(_readStart + _readable) + offsetFromRcvNxt);
        var ring = _ring.Rent();
        int first = Math.Min(data.Length, _ring.Capacity - at);
        data[..first].CopyTo(ring.AsSpan(at));
        data[first..].CopyTo(ring);
    }

    private int Wrap(int index) => index >= _ring.Capacity ? index - _ring.Capacity : index;

    private readonly record struct Held(SeqNum Start, SeqNum End, ulong Stamp);
}
