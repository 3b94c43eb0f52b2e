using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Stack.IP;
using Stack.Link.Hashing;
using Stack.Tcp.Wire;

namespace Stack.Tcp.FastOpen;

/// <summary>
/// The server's secret for Fast Open cookies (RFC 7413 §4.1.2): a 128-bit SipHash key. Written as Linux's
/// <c>tcp_fastopen_key</c> sysctl writes it, four 32-bit words in hex joined by dashes; Linux stores each word
/// little-endian, so the same text gives the same cookies here as in the kernel.
/// </summary>
public sealed class FastOpenKey
{
    private readonly byte[] _key;
    private readonly SipHash _hash;

    private FastOpenKey(byte[] key)
    {
        _key = key;
        _hash = new SipHash(key);
    }

    public static FastOpenKey Random()
    {
        var key = new byte[SipHash.KeySize];
        RandomNumberGenerator.Fill(key);
        return new FastOpenKey(key);
    }

    /// <summary>Parses <c>a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4</c> (Linux's form).</summary>
    public static bool TryParse(string text, out FastOpenKey key)
    {
        key = null!;
        var words = text.Trim().Split('-');
        if (words.Length != 4) return false;
        var bytes = new byte[SipHash.KeySize];
        for (int i = 0; i < 4; i++)
        {
            if (words[i].Length is 0 or > 8
                || !uint.TryParse(words[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint word))
                return false;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 * i), word);
        }
        key = new FastOpenKey(bytes);
        return true;
    }

    /// <summary>
    /// A key from its 16 bytes as Linux's TCP_FASTOPEN_KEY takes them (the SipHash key as is, so the words of the
    /// sysctl's notation are these bytes read little-endian).
    /// </summary>
    public static FastOpenKey FromBytes(ReadOnlySpan<byte> key) => key.Length == SipHash.KeySize
        ? new FastOpenKey(key.ToArray())
        : throw new ArgumentException($"A Fast Open key has {SipHash.KeySize} bytes, not {key.Length}.", nameof(key));

    /// <summary>The key's 16 bytes, as TCP_FASTOPEN_KEY reads them back.</summary>
    public ReadOnlySpan<byte> Bytes => _key;

    public static FastOpenKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new FormatException($"'{text}' is not a Fast Open key (four hex words joined by '-').");

    /// <summary>
    /// The cookie for a client: SipHash-2-4 of the client's address then the server's, 8 bytes (Linux
    /// __tcp_fastopen_cookie_gen_cipher). RFC 7413 §4.1.2 asks only for a MAC of the client's address; Linux
    /// adds the server's, and matching it lets Linux's own test scripts check cookies byte for byte.
    /// </summary>
    public FastOpenCookie CookieFor(IpAddress client, IpAddress server)
    {
        Span<byte> message = stackalloc byte[32];
        int length = client.IsIpv6 ? 16 : 4;
        Write(client, message);
        Write(server, message[length..]);
        return FastOpenCookie.FromLittleEndian(_hash.Hash(message[..(2 * length)]));
    }

    private static void Write(IpAddress address, Span<byte> destination)
    {
        if (address.IsIpv6) address.V6.Write(destination);
        else address.V4.Write(destination);
    }

    /// <summary>Linux's notation: four words, each read little-endian from the key.</summary>
    public override string ToString() => string.Join('-', Enumerable.Range(0, 4)
        .Select(i => BinaryPrimitives.ReadUInt32LittleEndian(_key.AsSpan(4 * i)).ToString("x8", CultureInfo.InvariantCulture)));
}
