namespace Stack.Link.Neighbors;

/// <summary>RFC 4861 §10 protocol constants, with Linux's garbage-collection age for stale entries.</summary>
public sealed record NeighborTimings
{
    public TimeSpan ReachableTime { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan RetransTimer { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan DelayFirstProbeTime { get; init; } = TimeSpan.FromSeconds(5);
    public int MaxMulticastSolicit { get; init; } = 3;
    public int MaxUnicastSolicit { get; init; } = 3;

    /// <summary>Stale entries unused for this long are forgotten (Linux gc_stale_time).</summary>
    public TimeSpan StaleLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Packets held per unresolved neighbour (Linux unres_qlen is of this order).</summary>
    public int MaxQueuedPerNeighbor { get; init; } = 16;

    /// <summary>
    /// Bytes held for all unresolved neighbours together (Linux bounds each neighbour by unres_qlen_bytes; a
    /// total bounds what spoofed sources can pin: 16 packets for each of 256 incomplete entries would be 6 MB).
    /// </summary>
    public long MaxQueuedBytes { get; init; } = 256 * 1024;

    /// <summary>Entries being resolved at once; a packet for a new neighbour beyond them is dropped.</summary>
    public int MaxIncomplete { get; init; } = 256;

    /// <summary>Entries in the whole cache; when full, the oldest stale entry makes room.</summary>
    public int Capacity { get; init; } = 1024;
}
