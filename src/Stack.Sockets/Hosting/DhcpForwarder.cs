using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Time;
using Stack.Sockets.Dhcp.Wire;

namespace Stack.Sockets.Hosting;

/// <summary>
/// On a multi-queue stack's shard other than 0, what shard 0's DHCP client must see: the datagrams to UDP port 68
/// (an OFFER or ACK the kernel put on this shard's queue; broadcasts are never handed round the ring) and the ARP
/// packets this shard receives (an answer to the client's RFC 5227 probe). Each goes to shard 0 through
/// <c>toOwner</c>, which posts it there within the hand-off bound.
/// </summary>
internal static class DhcpForwarder
{
    /// <summary>Room for the largest datagram a server may send (IP reassembles up to 64 KiB), as the client's own.</summary>
    private const int ReceiveBufferSize = 65536;

    /// <exception cref="InvalidOperationException">Port 68 is taken on this shard.</exception>
    public static void Start(StackInstance shard, Func<Action<StackInstance, Instant>, bool> toOwner)
    {
        var endpoint = shard.Udp.Open(AddressFamily.InterNetwork);
        var bound = shard.Udp.Bind(endpoint, IpAddress.AnyV4, DhcpLayout.ClientPort);
        if (bound != SocketError.Success)
        {
            shard.Udp.Close(endpoint);
            throw new InvalidOperationException($"Shard {shard.Name} cannot bind UDP port {DhcpLayout.ClientPort} for the DHCP client: {bound}.");
        }
        var buffer = new byte[ReceiveBufferSize];
        // Raised on the loop as a datagram is queued: it leaves the queue at once, as a copy for shard 0.
        endpoint.Readable = e =>
        {
            while (e.TryReceive(buffer, out _, out int length))
            {
                var message = buffer.AsSpan(0, length).ToArray();
                toOwner((owner, now) => owner.Dhcp?.Client.OnMessage(message, now));
            }
        };
        shard.Host.Arp.Seen += (operation, senderMac, senderIp, targetIp, _) =>
            toOwner((owner, now) => owner.Dhcp?.Client.OnArp(operation, senderMac, senderIp, targetIp, now));
    }
}
