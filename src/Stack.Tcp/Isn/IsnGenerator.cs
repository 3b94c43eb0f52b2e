using Stack.Link.Hashing;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Stack.Link.Time;

namespace Stack.Tcp.Isn;

/// <summary>
/// Initial sequence numbers as RFC 6528 §3 prescribes: ISN = M + F(localip, localport, remoteip, remoteport,
/// secretkey), where M ticks every 4 µs (RFC 9293 §3.4.1) and F is SipHash-2-4 keyed with a secret. Each
/// 4-tuple thus gets its own sequence space, unguessable off-path, that still moves forward with time so a new
/// incarnation of a connection starts beyond the old one's numbers.
/// </summary>
/// <remarks>
/// M is derived from the <c>now</c> passed in, not from a clock, so tests can fix it. The key is fixed for the
/// generator's lifetime; RFC 6528 §3 suggests changing it now and then, which must not be done while old
/// connections' duplicates may still be in flight.
/// </remarks>
public sealed class IsnGenerator
{
    private readonly SipHash _hash;

    /// <summary>A generator with a secret key from <see cref="RandomNumberGenerator"/>.</summary>
    public IsnGenerator()
    {
        Span<byte> key = stackalloc byte[SipHash.KeySize];
        RandomNumberGenerator.Fill(key);
        _hash = new SipHash(key);
    }

    /// <summary>A generator with the given 16-byte secret key (for reproducible tests).</summary>
    public IsnGenerator(ReadOnlySpan<byte> key) => _hash = new SipHash(key);

    /// <summary>The key length in bytes.</summary>
    public static int KeySize => SipHash.KeySize;

    /// <summary>
    /// The ISN for a connection. Addresses are 4 bytes (IPv4) or 16 bytes (IPv6) in network order, both of the
    /// same family; ports are in host order.
    /// </summary>
    public SeqNum Next(ReadOnlySpan<byte> localAddress, ushort localPort, ReadOnlySpan<byte> remoteAddress,
        ushort remotePort, Instant now)
    {
        CheckAddress(localAddress, nameof(localAddress));
        CheckAddress(remoteAddress, nameof(remoteAddress));
        if (localAddress.Length != remoteAddress.Length)
        {
            throw new ArgumentException("Local and remote addresses must be of the same family.", nameof(remoteAddress));
        }

        Span<byte> tuple = stackalloc byte[36];
        int n = 0;
        localAddress.CopyTo(tuple);
        n += localAddress.Length;
        BinaryPrimitives.WriteUInt16BigEndian(tuple[n..], localPort);
        n += 2;
        remoteAddress.CopyTo(tuple[n..]);
        n += remoteAddress.Length;
        BinaryPrimitives.WriteUInt16BigEndian(tuple[n..], remotePort);
        n += 2;

        uint f = (uint)_hash.Hash(tuple[..n]);
        uint m = unchecked((uint)(now.Microseconds / 4));
        return new SeqNum(unchecked(m + f));
    }

    /// <summary>
    /// The offset a connection adds to its timestamp clock (TSval = milliseconds + offset): a keyed hash of the two
    /// addresses, as Linux's secure_tcp_ts_off (since 4.13), not of the ports. TSvals sent to one host then keep
    /// growing from connection to connection, so when a port comes round again while the peer still holds the old
    /// connection in TIME-WAIT, the peer takes the new SYN as a new incarnation (RFC 6191: a newer timestamp);
    /// with an offset drawn per connection it refuses half of them, and each refused SYN waits a 1 s
    /// retransmission. Off path the offset is still unguessable, and it says nothing of the host's uptime.
    /// </summary>
    public uint TimestampOffset(ReadOnlySpan<byte> localAddress, ReadOnlySpan<byte> remoteAddress)
    {
        CheckAddress(localAddress, nameof(localAddress));
        CheckAddress(remoteAddress, nameof(remoteAddress));
        // A domain byte first: 9 or 33 bytes, never the length of an ISN's input (12 or 36).
        Span<byte> input = stackalloc byte[33];
        input[0] = (byte)'T';
        localAddress.CopyTo(input[1..]);
        remoteAddress.CopyTo(input[(1 + localAddress.Length)..]);
        return (uint)_hash.Hash(input[..(1 + localAddress.Length + remoteAddress.Length)]);
    }

    /// <summary>The keyed hash of <paramref name="message"/>, for other secrets derived from this key (SYN cookies).</summary>
    internal ulong Mac(ReadOnlySpan<byte> message) => _hash.Hash(message);

    internal static void CheckAddress(ReadOnlySpan<byte> address, string name)
    {
        if (address.Length is not (4 or 16))
        {
            throw new ArgumentException($"An address is 4 (IPv4) or 16 (IPv6) bytes, not {address.Length}.", name);
        }
    }
}
