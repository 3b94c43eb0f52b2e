using Stack.Link.Hashing;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Stack.Tcp.Isn;

namespace Stack.Tcp.Ports;

/// <summary>
/// Chooses local ports for outgoing connections, as RFC 6056 recommends, over a configurable range
/// (default 49152–65535, the IANA dynamic range; Linux uses 32768–60999).
/// </summary>
/// <remarks>
/// <para>TCP: <see cref="TryAllocate"/> is RFC 6056 §3.3.4, Algorithm 4 ("double-hash port selection"):
/// port = first + (F(laddr, raddr, rport, k1) + table[G(laddr, raddr, rport, k2)]) mod count, incrementing the
/// table slot after each try. F spreads destinations across the range unpredictably; the per-slot counter
/// makes successive connections to the same destination walk through the range, so a port is not reused
/// soon (keeping clear of TIME-WAIT), while one destination's pattern reveals little about another's. F and
/// G are SipHash-2-4 with one secret key, separated by a leading domain byte.</para>
/// <para>UDP: <see cref="TryAllocateRandom"/> is §3.3.1, Algorithm 1: an independent random port per try.</para>
/// <para>Both give up after <see cref="MaxAttempts"/> tries (default: the size of the range), returning
/// false, which the socket API reports as EADDRNOTAVAIL. Not thread-safe: owned by the event loop.</para>
/// </remarks>
public sealed class EphemeralPorts
{
    public const ushort DefaultFirst = 49152;
    public const ushort DefaultLast = 65535;

    // RFC 6056 §3.3.4: a larger table lowers the chance that unrelated destinations share a counter.
    private const int TableLength = 256;

    private readonly SipHash _hash;
    private readonly ushort[] _table = new ushort[TableLength];
    private readonly Random _random;

    /// <summary>A selector with a random secret key; <paramref name="random"/> drives UDP's random choice.</summary>
    public EphemeralPorts(ushort first = DefaultFirst, ushort last = DefaultLast, Random? random = null)
        : this(RandomKey(), first, last, random)
    {
    }

    /// <summary>A selector with the given 16-byte secret key: reproducible when <paramref name="random"/> is seeded.</summary>
    public EphemeralPorts(ReadOnlySpan<byte> key, ushort first = DefaultFirst, ushort last = DefaultLast, Random? random = null)
    {
        if (first == 0 || first > last)
        {
            throw new ArgumentException($"The port range {first}–{last} must be non-empty and exclude port 0.", nameof(first));
        }
        _hash = new SipHash(key);
        First = first;
        Last = last;
        MaxAttempts = last - first + 1;
        _random = random ?? Random.Shared;
        for (int i = 0; i < _table.Length; i++)
        {
            _table[i] = (ushort)_random.Next(65536);
        }
    }

    /// <summary>
    /// Shard <paramref name="shard"/>'s slice of <paramref name="first"/>–<paramref name="last"/> when
    /// <paramref name="shards"/> event loops share one set of addresses (a multi-queue stack): contiguous, disjoint
    /// and together the whole range, so two shards never pick the same local port and a port says which shard
    /// opened the connection.
    /// </summary>
    public static (ushort First, ushort Last) Slice(int shard, int shards, ushort first = DefaultFirst, ushort last = DefaultLast)
    {
        int count = last - first + 1;
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, count);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shards);
        return ((ushort)(first + (long)count * shard / shards), (ushort)(first + (long)count * (shard + 1) / shards - 1));
    }

    public ushort First { get; }

    public ushort Last { get; }

    /// <summary>How many ports the range holds.</summary>
    public int Count => Last - First + 1;

    /// <summary>Tries before giving up. Default: <see cref="Count"/>, so TCP fails only when every port is in use.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>
    /// Picks a local port for a connection from <paramref name="localAddress"/> to
    /// <paramref name="remoteAddress"/>:<paramref name="remotePort"/> (addresses 4 or 16 bytes, network order)
    /// that <paramref name="inUse"/> reports free. The caller's <paramref name="inUse"/> decides what "in use"
    /// means: bound locally, or only this exact 4-tuple taken.
    /// </summary>
    public bool TryAllocate(ReadOnlySpan<byte> localAddress, ReadOnlySpan<byte> remoteAddress, ushort remotePort,
        Func<ushort, bool> inUse, out ushort port)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        IsnGenerator.CheckAddress(localAddress, nameof(localAddress));
        IsnGenerator.CheckAddress(remoteAddress, nameof(remoteAddress));

        Span<byte> input = stackalloc byte[1 + 16 + 16 + 2];
        int n = 1;
        localAddress.CopyTo(input[n..]);
        n += localAddress.Length;
        remoteAddress.CopyTo(input[n..]);
        n += remoteAddress.Length;
        BinaryPrimitives.WriteUInt16BigEndian(input[n..], remotePort);
        n += 2;

        input[0] = (byte)'F';
        uint offset = (uint)_hash.Hash(input[..n]);
        input[0] = (byte)'G';
        int index = (int)(_hash.Hash(input[..n]) % TableLength);

        uint count = (uint)Count;
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            ushort candidate = (ushort)(First + unchecked(offset + _table[index]) % count);
            _table[index]++;
            if (!inUse(candidate))
            {
                port = candidate;
                return true;
            }
        }
        port = 0;
        return false;
    }

    /// <summary>Picks a random port in the range that <paramref name="inUse"/> reports free (UDP).</summary>
    public bool TryAllocateRandom(Func<ushort, bool> inUse, out ushort port)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            ushort candidate = (ushort)_random.Next(First, Last + 1);
            if (!inUse(candidate))
            {
                port = candidate;
                return true;
            }
        }
        port = 0;
        return false;
    }

    private static byte[] RandomKey() => RandomNumberGenerator.GetBytes(SipHash.KeySize);
}
