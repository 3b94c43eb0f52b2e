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
}
