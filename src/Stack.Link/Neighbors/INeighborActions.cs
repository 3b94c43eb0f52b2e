namespace Stack.Link.Neighbors;

using Stack.Link.Wire;

/// <summary>What a neighbour cache asks its protocol (ARP or neighbour discovery) to do.</summary>
public interface INeighborActions<TAddress>
{
    /// <summary>Send a solicitation for <paramref name="target"/>: multicast/broadcast when <paramref name="unicastTo"/> is null.</summary>
    void Solicit(TAddress target, MacAddress? unicastTo);

    /// <summary>A packet queued while resolving can now go to <paramref name="mac"/>.</summary>
    void Deliver(TAddress target, MacAddress mac, ReadOnlySpan<byte> packet);

    /// <summary>Resolution failed; the packet that waited for it is dropped (and may deserve an ICMP error).</summary>
    void Unreachable(TAddress target, ReadOnlySpan<byte> packet);
}
