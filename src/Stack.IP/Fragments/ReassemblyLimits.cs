namespace Stack.IP.Fragments;

/// <summary>What to do when a fragment covers bytes that an earlier fragment of the same datagram already supplied.</summary>
public enum OverlapPolicy
{
    /// <summary>
    /// RFC 5722 / RFC 8200 §4.5 (IPv6): an overlapping fragment discards the whole datagram, and every later
    /// fragment of it is discarded too until the datagram's timeout. Exact duplicates are not overlaps.
    /// </summary>
    DropDatagram,

    /// <summary>
    /// IPv4 (RFC 791 leaves overlaps to the implementation): bytes already received are never rewritten; an
    /// overlapping fragment only fills the holes it covers. A later fragment can therefore never change data the
    /// stack already holds (the classic "overlap rewrites the TCP header" evasion does not work).
    /// </summary>
    KeepFirst,
}

/// <summary>Bounds on a <see cref="Reassembler{TKey}"/>. Every structure the reassembler keeps is bounded by these.</summary>
public sealed record ReassemblyLimits
{
    /// <summary>How long a datagram may stay incomplete, from its first fragment (Linux ipfrag_time: 30 s; IPv6 RFC 8200 §4.5: 60 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest reassembled datagram, counted as the length of the header the caller passes with each fragment plus
    /// the fragment's end offset. IPv4: 65535 (total length). IPv6: 65535 + 40 when the caller passes the fixed
    /// header with the unfragmentable part (the payload length field must fit in 16 bits).
    /// </summary>
    public int MaxDatagramSize { get; init; } = 65535;

    /// <summary>Distinct fragments one datagram may have; more drops the datagram (FreeBSD maxfragsperpacket).</summary>
    public int MaxFragmentsPerDatagram { get; init; } = 64;

    /// <summary>Bytes all datagrams in progress may hold together (Linux ipfrag_high_thresh: 4 MiB).</summary>
    public long MemoryCap { get; init; } = 4 * 1024 * 1024;

    public OverlapPolicy OverlapPolicy { get; init; } = OverlapPolicy.KeepFirst;

    /// <summary>IPv4 defaults: 30 s, 65535 bytes, keep-first overlaps.</summary>
    public static ReassemblyLimits Ipv4 => new();

    /// <summary>IPv6 defaults: 60 s, 65535 + 40 bytes, overlaps drop the datagram.</summary>
    public static ReassemblyLimits Ipv6 => new()
    {
        Timeout = TimeSpan.FromSeconds(60),
        MaxDatagramSize = 65535 + 40,
        OverlapPolicy = OverlapPolicy.DropDatagram,
    };
}
