using System.Buffers.Binary;
using System.Security.Cryptography;
using Stack.Link.Hashing;

namespace Stack.IP.Fragments;

/// <summary>
/// Fragment Identification values that an off-path attacker cannot predict (RFC 7739 §5.3, the hash-based
/// algorithm; Linux ip_idents does the same). A keyed hash of the destination picks one of 2048 counters, an
/// offset added to it and an odd increment: each destination sees its own sequence, which does not repeat for
/// 2^32 (IPv6) or 2^16 (IPv4, the caller truncates) values unless another destination shares its counter, and
/// which reveals nothing about other destinations' sequences.
/// </summary>
public sealed class FragmentIdentifiers
{
    private const int TableBits = 11;

    private readonly SipHash _hash;
    private readonly uint[] _counters = new uint[1 << TableBits];

    /// <summary>With a secret drawn from the system's cryptographic random generator.</summary>
    public FragmentIdentifiers() : this(RandomNumberGenerator.GetBytes(16))
    {
    }

    /// <summary>With a given 16-byte secret (for reproducible tests only).</summary>
    public FragmentIdentifiers(ReadOnlySpan<byte> secret)
    {
        if (secret.Length != 16) throw new ArgumentException("The secret must be 16 bytes.", nameof(secret));
        _hash = new SipHash(secret);
        // Counters start from secret-derived points (in a domain of their own: five bytes, not four), so a fresh
        // destination's first value says nothing either.
        Span<byte> index = stackalloc byte[5];
        for (int i = 0; i < _counters.Length; i++)
        {
            // Counters start from secret-derived points, so a fresh destination's first value says nothing either.
            BinaryPrimitives.WriteInt32LittleEndian(index, i);
            _counters[i] = (uint)_hash.Hash(index);
        }
    }

    /// <summary>
    /// The next identification for <paramref name="destinationKey"/>: the destination address, or, as RFC 7739 and
    /// Linux do, source, destination and (IPv4) protocol together. IPv4 callers keep the low 16 bits.
    /// </summary>
    public uint Next(ReadOnlySpan<byte> destinationKey)
    {
        ulong h = _hash.Hash(destinationKey);
        uint offset = (uint)h;
        int index = (int)(h >> 32) & ((1 << TableBits) - 1);
        uint increment = (uint)(h >> (32 + TableBits)) | 1;
        uint count = _counters[index];
        _counters[index] = count + increment;
        return offset + count;
    }
}
