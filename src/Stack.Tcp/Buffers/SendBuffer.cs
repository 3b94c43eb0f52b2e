namespace Stack.Tcp.Buffers;

/// <summary>
/// Bytes the application has written and the peer has not yet acknowledged, in a ring of fixed capacity
/// (SO_SNDBUF). Byte 0 is the one at SND.UNA. Segmentation and retransmission copy straight out of the ring
/// into a frame with <see cref="CopyOut"/>; acknowledgment drops bytes from the front. SYN and FIN occupy
/// sequence space but no bytes here: the connection subtracts them before calling <see cref="Acknowledge"/>.
/// The ring is rented from the shared array pool at the first write and returned by <see cref="Release"/>, so
/// an idle connection or one in TIME-WAIT holds no buffer (see <see cref="PooledRing"/>).
/// </summary>
public sealed class SendBuffer
{
    /// <summary>1 MiB, the default capacity: a full window for a fast local link (see the Stack.Tcp README).</summary>
    public const int DefaultCapacity = 1024 * 1024;

    /// <summary>1 GiB: the largest window TCP can use (RFC 7323 §2.3), and small enough that ring indices never overflow.</summary>
    public const int MaxCapacity = 1 << 30;

    private PooledRing _ring;
    private int _head;
    private int _count;

    public SendBuffer(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        _ring = new PooledRing(capacity);
    }

    /// <summary>Empty, its ring returned and sized <paramref name="capacity"/> from now on: a pooled connection's next life.</summary>
    internal void ResetToNew(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        _ring.Return();
        _ring = new PooledRing(capacity);
        (_head, _count) = (0, 0);
    }

    public int Capacity => _ring.Capacity;

    /// <summary>True while the ring is rented (data was written and the buffer not released since).</summary>
    public bool HoldsMemory => _ring.IsRented;

    /// <summary>Bytes held: written and not yet acknowledged (sent or not).</summary>
    public int Count => _count;

    /// <summary>Room for more writes.</summary>
    public int Free => _ring.Capacity - _count;

    /// <summary>Appends as much of <paramref name="data"/> as fits and returns how many bytes that was.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        if (n == 0)
        {
            return 0;
        }
        int tail = Wrap(_head + _count);
        var ring = _ring.Rent();
        int first = Math.Min(n, _ring.Capacity - tail);
        data[..first].CopyTo(ring.AsSpan(tail));
        data[first..n].CopyTo(ring);
        _count += n;
        return n;
    }

    /// <summary>
    /// Copies <c>destination.Length</c> bytes starting <paramref name="offsetFromUna"/> bytes after SND.UNA
    /// (that is, at sequence number SND.UNA + offset, less one if the SYN is unacknowledged) into
    /// <paramref name="destination"/>. The range must lie within <see cref="Count"/>.
    /// </summary>
    public void CopyOut(int offsetFromUna, Span<byte> destination)
    {
        if (offsetFromUna < 0 || (long)offsetFromUna + destination.Length > _count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(offsetFromUna),
                $"Bytes [{offsetFromUna}, {(long)offsetFromUna + destination.Length}) requested but the buffer holds {_count}.");
        }
        if (destination.IsEmpty)
        {
            return;
        }
        int start = Wrap(_head + offsetFromUna);
        var ring = _ring.Rent();
        int first = Math.Min(destination.Length, _ring.Capacity - start);
        ring.AsSpan(start, first).CopyTo(destination);
        ring.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    /// <summary>Drops <paramref name="bytes"/> acknowledged bytes from the front (SND.UNA advanced by that much).</summary>
    public void Acknowledge(int bytes)
    {
        if (bytes < 0 || bytes > _count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(bytes), bytes, $"Can acknowledge 0 to {_count} bytes; the rest was never written.");
        }
        _count -= bytes;
        _head = _count == 0 ? 0 : Wrap(_head + bytes);
    }

    /// <summary>Drops everything (on abort).</summary>
    public void Clear()
    {
        _head = 0;
        _count = 0;
    }

    /// <summary>Returns the ring to the pool if nothing is held; a later write rents one again.</summary>
    public void Release()
    {
        if (_count == 0)
        {
            _head = 0;
            _ring.Return();
        }
    }

    // Indices stay below 2·capacity, so one subtraction wraps them.
    private int Wrap(int index) => index >= _ring.Capacity ? index - _ring.Capacity : index;
}
