using Stack.Link.Time;

namespace Stack.IP;

public sealed partial class IpHost
{
    /// <summary>
    /// An IP packet another shard of a multi-queue stack handed over (<see cref="DatagramHandOff"/>): it came off
    /// the link on that shard's queue, already checked there, and is handled here as if it had come in on this
    /// one's (unicast, with the receive-offload segment size it had). IP's receive counters count it on both shards.
    /// </summary>
    public void OnHandedOff(ReadOnlySpan<byte> packet, int segmentSize, Instant now)
    {
        if (packet.IsEmpty) return;
        if (packet[0] >> 4 == 6) OnIpv6(packet, now, segmentSize: segmentSize);
        else OnIpv4(packet, linkGroup: false, now, segmentSize);
    }

    /// <summary>
    /// Set by a multi-queue stack (StackShards): offered each ICMP error whose transport claims nothing of what it
    /// quotes here, before the transport sees it (<see cref="IcmpErrorHandOff"/>). Null, the error goes to the
    /// transport unasked.
    /// </summary>
    public IcmpErrorHandOff? IcmpHandOff { get; set; }

    /// <summary>
    /// An ICMP error another shard handed over (<see cref="IcmpHandOff"/>): checked and decoded there, delivered here
    /// as if it had come in on this shard's queue. ICMP's receive counters count it on the first shard only.
    /// </summary>
    public void OnHandedOff(in IcmpError error, Instant now) => Deliver(error, now);
}
