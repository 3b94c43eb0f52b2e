using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp.Wire;

/// <summary>
/// A client's message (DISCOVER, REQUEST, DECLINE, RELEASE) as a plain value; <see cref="Write"/> lays it out
/// as RFC 2131 §4.4.1 table 5 wants for its type and state.
/// </summary>
public readonly record struct DhcpRequest(DhcpMessageType Type, uint Xid, MacAddress ClientMac)
{
    /// <summary>The largest message <see cref="Write"/> produces.</summary>
    public const int MaxLength = 576 - 20 - 8;

    /// <summary>The options a client asks for (option 55).</summary>
    private static ReadOnlySpan<byte> ParameterRequestList =>
    [
        (byte)DhcpOptionCode.SubnetMask, (byte)DhcpOptionCode.Router, (byte)DhcpOptionCode.DomainNameServer,
        (byte)DhcpOptionCode.InterfaceMtu, (byte)DhcpOptionCode.LeaseTime, (byte)DhcpOptionCode.RenewalTime,
        (byte)DhcpOptionCode.RebindingTime,
    ];

    /// <summary>Seconds since the client began to acquire or renew (the secs field).</summary>
    public ushort Seconds { get; init; }

    /// <summary>Ask the server to broadcast its reply: we cannot receive unicast before we have the address.</summary>
    public bool Broadcast { get; init; }

    /// <summary>ciaddr: our address, when bound, renewing or rebinding (and in a RELEASE).</summary>
    public Ipv4Address ClientAddress { get; init; }

    /// <summary>Option 50: the address we ask for (SELECTING, INIT-REBOOT, a DECLINE).</summary>
    public Ipv4Address? RequestedAddress { get; init; }

    /// <summary>Option 54: the server we answer (SELECTING, DECLINE, RELEASE).</summary>
    public Ipv4Address? ServerIdentifier { get; init; }

    /// <summary>Writes the message into <paramref name="buffer"/> (at least <see cref="MaxLength"/> bytes) and returns its length.</summary>
    public int Write(Span<byte> buffer)
    {
        var m = buffer[..MaxLength];
        m.Clear();
        m[DhcpLayout.Op] = DhcpLayout.BootRequest;
        m[DhcpLayout.HType] = DhcpLayout.HTypeEthernet;
        m[DhcpLayout.HLen] = MacAddress.Length;
        BinaryPrimitives.WriteUInt32BigEndian(m[DhcpLayout.XidOffset..], Xid);
        BinaryPrimitives.WriteUInt16BigEndian(m[DhcpLayout.SecsOffset..], Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(m[DhcpLayout.FlagsOffset..], Broadcast ? DhcpLayout.BroadcastFlag : (ushort)0);
        ClientAddress.Write(m[DhcpLayout.CiaddrOffset..]);
        ClientMac.Write(m[DhcpLayout.ChaddrOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(m[DhcpLayout.MagicCookieOffset..], DhcpLayout.MagicCookie);
        int i = DhcpLayout.OptionsOffset;
        m[i++] = (byte)DhcpOptionCode.MessageType;
        m[i++] = 1;
        m[i++] = (byte)Type;
        // RFC 2132 §9.14: type 1 (Ethernet) and the MAC, as Linux's clients send it.
        m[i++] = (byte)DhcpOptionCode.ClientIdentifier;
        m[i++] = 1 + MacAddress.Length;
        m[i++] = DhcpLayout.HTypeEthernet;
        ClientMac.Write(m[i..]);
        i += MacAddress.Length;
        if (RequestedAddress is { } requested) i = WriteAddress(m, i, DhcpOptionCode.RequestedAddress, requested);
        if (ServerIdentifier is { } server) i = WriteAddress(m, i, DhcpOptionCode.ServerIdentifier, server);
        if (Type is DhcpMessageType.Discover or DhcpMessageType.Request)
        {
            m[i++] = (byte)DhcpOptionCode.ParameterRequestList;
            m[i++] = (byte)ParameterRequestList.Length;
            ParameterRequestList.CopyTo(m[i..]);
            i += ParameterRequestList.Length;
            // RFC 2132 §9.10: the largest message we take; a reply to us fits one 576-byte datagram at least.
            m[i++] = (byte)DhcpOptionCode.MaxMessageSize;
            m[i++] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(m[i..], 576);
            i += 2;
        }
        m[i++] = (byte)DhcpOptionCode.End;
        return Math.Max(i, DhcpLayout.MinMessageLength);
    }

    private static int WriteAddress(Span<byte> m, int i, DhcpOptionCode code, Ipv4Address address)
    {
        m[i++] = (byte)code;
        m[i++] = Ipv4Address.Length;
        address.Write(m[i..]);
        return i + Ipv4Address.Length;
    }
}
