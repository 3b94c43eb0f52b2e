using Stack.IP.Wire;
using Stack.Link.Time;

namespace Stack.IP;

/// <summary>An echo reply arrived for a request this host sent.</summary>
public delegate void EchoReplyHandler(IpAddress from, ushort identifier, ushort sequence, ReadOnlySpan<byte> data, Instant now);

public sealed partial class IpHost
{
    /// <summary>Raised on the event loop for every echo reply addressed to us (the `ping` of the stack).</summary>
    public event EchoReplyHandler? EchoReply;

    /// <summary>Sends an ICMP or ICMPv6 echo request, as the kernel's ping does.</summary>
    public SendResult SendEchoRequest(IpAddress destination, ushort identifier, ushort sequence, ReadOnlySpan<byte> data, Instant now)
    {
        int length = Icmpv4Message.HeaderLength + data.Length;
        if (destination.IsIpv6)
        {
            var source = SelectSource(destination) ?? LinkLocal;
            Icmpv6Message.WriteEcho(_icmpScratch, source.V6, destination.V6, Icmpv6Type.EchoRequest, identifier, sequence, data);
            return Send(source, destination, IpProtocol.Icmpv6, _icmpScratch.AsSpan(0, length), now);
        }
        Icmpv4Message.WriteEcho(_icmpScratch, Icmpv4Type.EchoRequest, identifier, sequence, data);
        return Send(IpAddress.AnyV4, destination, IpProtocol.Icmp, _icmpScratch.AsSpan(0, length), now);
    }

    private void RaiseEchoReply(IpAddress from, ushort identifier, ushort sequence, ReadOnlySpan<byte> data, Instant now) =>
        EchoReply?.Invoke(from, identifier, sequence, data, now);
}
