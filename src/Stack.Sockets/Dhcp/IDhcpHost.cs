using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp;

/// <summary>
/// What a <see cref="DhcpClient"/> needs of the stack beneath it, and all its outputs: <see cref="DhcpAttachment"/>
/// is the real one (UDP port 68, ARP, the host's addresses and routes); tests may hand it a fake.
/// </summary>
public interface IDhcpHost
{
    /// <summary>The interface's MAC: chaddr and the client identifier.</summary>
    MacAddress Mac { get; }

    /// <summary>Sends a message from port 68 to <paramref name="destination"/>:67 (the limited broadcast or a server).</summary>
    void Send(ReadOnlySpan<byte> message, Ipv4Address destination, Instant now);

    /// <summary>Sends one RFC 5227 ARP probe for <paramref name="address"/>.</summary>
    void Probe(Ipv4Address address, Instant now);

    /// <summary>Assigns the lease's address and installs its router, replacing <paramref name="previous"/> when given.</summary>
    void Apply(DhcpLease lease, DhcpLease? previous, Instant now);

    /// <summary>Withdraws the lease's address and its router; the transports hear of it.</summary>
    void Withdraw(DhcpLease lease, Instant now);

    /// <summary>The client turned a message away (already counted in <see cref="DhcpClient.Statistics"/>). Nothing by default.</summary>
    void Rejected(DhcpRejectReason reason) { }
}
