namespace Stack.Link.Neighbors;

/// <summary>RFC 4861 §7.3.2 reachability states; ARP entries follow the same machine (as Linux's do).</summary>
public enum NeighborState
{
    /// <summary>Resolution in progress: solicitations sent, no link-layer address yet.</summary>
    Incomplete,
    /// <summary>Positive confirmation that the neighbour was reachable within ReachableTime.</summary>
    Reachable,
    /// <summary>Address known but unconfirmed; used as is, confirmed when traffic is next sent.</summary>
    Stale,
    /// <summary>Used while stale; waiting DelayFirstProbeTime for an upper-layer confirmation.</summary>
    Delay,
    /// <summary>Unicast solicitations being sent to confirm the neighbour.</summary>
    Probe,
}
