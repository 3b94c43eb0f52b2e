using System.Buffers.Binary;
using System.Globalization;

namespace Stack.Tcp.Wire;

/// <summary>
/// A TCP Fast Open cookie (RFC 7413 §4.1.1): 0 bytes (a request for one) or 4 to 16 bytes, an even count, held
/// inline as two big-endian words so an options value stays free of heap allocation.
/// </summary>
public readonly struct FastOpenCookie : IEquatable<FastOpenCookie>
{
    public const int MinLength = 4;
    public const int MaxLength = 16;

    private readonly ulong _high;
    private readonly ulong _low;

    private FastOpenCookie(ulong high, ulong low, int length)
    {
        _high = high;
        _low = low;
        Length = length;
    }

    /// <summary>The empty cookie a client sends to ask for one.</summary>
    public static FastOpenCookie Request => default;

    /// <summary>Bytes in the cookie: 0 for a request.</summary>
    public int Length { get; }

    public bool IsRequest => Length == 0;

    /// <summary>Whether <paramref name="length"/> bytes make a cookie or a request (RFC 7413 §4.1.1; Linux tcp_parse_fastopen_option).</summary>
    public static bool IsValidLength(int length) => length == 0 || (length is >= MinLength and <= MaxLength && length % 2 == 0);

    public static FastOpenCookie From(ReadOnlySpan<byte> bytes)
    {
        if (!IsValidLength(bytes.Length))
            throw new ArgumentException($"A Fast Open cookie has 0 or 4 to 16 bytes, an even count, not {bytes.Length}.", nameof(bytes));
        Span<byte> padded = stackalloc byte[MaxLength];
        padded.Clear();
        bytes.CopyTo(padded);
        return new FastOpenCookie(BinaryPrimitives.ReadUInt64BigEndian(padded), BinaryPrimitives.ReadUInt64BigEndian(padded[8..]), bytes.Length);
    }

    /// <summary>An 8-byte cookie from a 64-bit value laid out little-endian, as Linux stores its SipHash output.</summary>
    public static FastOpenCookie FromLittleEndian(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return From(bytes);
    }

    /// <summary>Writes the cookie's bytes and returns their count.</summary>
    public int CopyTo(Span<byte> destination)
    {
        Span<byte> padded = stackalloc byte[MaxLength];
        BinaryPrimitives.WriteUInt64BigEndian(padded, _high);
        BinaryPrimitives.WriteUInt64BigEndian(padded[8..], _low);
        padded[..Length].CopyTo(destination);
        return Length;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    public bool Equals(FastOpenCookie other) => _high == other._high && _low == other._low && Length == other.Length;
    public override bool Equals(object? obj) => obj is FastOpenCookie c && Equals(c);
    public override int GetHashCode() => HashCode.Combine(_high, _low, Length);
    public static bool operator ==(FastOpenCookie left, FastOpenCookie right) => left.Equals(right);
    public static bool operator !=(FastOpenCookie left, FastOpenCookie right) => !left.Equals(right);

    /// <summary>Lower-case hex, as packetdrill writes a cookie; empty for a request.</summary>
    public override string ToString() => Convert.ToHexStringLower(ToArray());

    /// <summary>Hex digits (an even count) as a cookie.</summary>
    public static bool TryParseHex(string hex, out FastOpenCookie cookie)
    {
        cookie = default;
        if (hex.Length % 2 != 0 || !IsValidLength(hex.Length / 2)) return false;
        var bytes = new byte[hex.Length / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!byte.TryParse(hex.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i])) return false;
        }
        cookie = From(bytes);
        return true;
    }
}
