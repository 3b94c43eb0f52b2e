using System.Buffers;

namespace Stack.Tcp.Buffers;

/// <summary>
/// The storage behind a send or receive buffer: <see cref="Capacity"/> bytes rented from the shared array pool
/// when first needed and returned when the buffer is empty and the connection no longer needs it. A connection
/// that never carries data, or waits out TIME-WAIT, then holds no buffer; short connections reuse the same
/// arrays instead of allocating and zeroing 1 MiB each way. The array may be longer than asked: only the first
/// <see cref="Capacity"/> bytes are used, and only bytes written since renting are ever read back. A mutable
/// struct for a field of its owner (not a readonly one).
/// </summary>
internal struct PooledRing(int capacity)
{
    private byte[]? _array;

    public readonly int Capacity { get; } = capacity;

    public readonly bool IsRented => _array is not null;

    /// <summary>The array, rented now if it was not.</summary>
    public byte[] Rent() => _array ??= ArrayPool<byte>.Shared.Rent(Capacity);

    public void Return()
    {
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
