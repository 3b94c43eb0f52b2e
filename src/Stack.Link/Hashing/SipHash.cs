using System.Buffers.Binary;
using System.Numerics;

namespace Stack.Link.Hashing;

/// <summary>
/// SipHash-2-4 (Aumasson and Bernstein, 2012): a fast keyed hash, a pseudorandom function on short inputs
/// such as a connection's 4-tuple. Used where RFC 6528 and RFC 6056 ask for a hash with a secret key.
/// </summary>
public readonly struct SipHash
{
    /// <summary>Key length in bytes.</summary>
    public const int KeySize = 16;

    private readonly ulong _k0;
    private readonly ulong _k1;

    public SipHash(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A SipHash key is {KeySize} bytes, not {key.Length}.", nameof(key));
        }
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
    }

    public ulong Hash(ReadOnlySpan<byte> message)
    {
        ulong v0 = 0x736f6d6570736575UL ^ _k0;
        ulong v1 = 0x646f72616e646f6dUL ^ _k1;
        ulong v2 = 0x6c7967656e657261UL ^ _k0;
        ulong v3 = 0x7465646279746573UL ^ _k1;

        int whole = message.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(message[i..]);
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        // Last block: the remaining bytes, little-endian, with the message length in the top byte.
        ulong b = (ulong)message.Length << 56;
        ReadOnlySpan<byte> rest = message[whole..];
        for (int i = 0; i < rest.Length; i++)
        {
            b |= (ulong)rest[i] << (8 * i);
        }
        v3 ^= b;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= b;

        v2 ^= 0xff;
        for (int i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
