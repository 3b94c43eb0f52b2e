namespace Stack.IP;

/// <summary>What became of a datagram handed to <see cref="IpHost.Send"/>.</summary>
public enum SendResult
{
    /// <summary>On the wire.</summary>
    Sent,
    /// <summary>Waiting for the next hop's link-layer address; it leaves when resolution succeeds.</summary>
    Queued,
    /// <summary>No route to the destination.</summary>
    NoRoute,
    /// <summary>Larger than the path allows and may not be fragmented (EMSGSIZE).</summary>
    MessageTooLong,
    /// <summary>The source address is not one of ours.</summary>
    BadSource,
    /// <summary>Dropped before it left: a local queue was full (Linux NET_XMIT_DROP).</summary>
    Dropped,
}
