namespace Stack.IP.Fragments;

public enum ReassemblyStatus
{
    /// <summary>The fragment was kept (or was an exact duplicate); the datagram is not complete yet.</summary>
    Incomplete,

    /// <summary>The datagram is whole: <see cref="ReassemblyResult.Datagram"/> holds it.</summary>
    Complete,

    /// <summary>The fragment (and, for some reasons, its datagram) was dropped: see <see cref="ReassemblyResult.DropReason"/>.</summary>
    Dropped,
}

/// <summary>Why a fragment was dropped. Each is counted in <see cref="ReassemblyCounters"/>.</summary>
public enum ReassemblyDrop
{
    None,

    /// <summary>Overlapped an earlier fragment under <see cref="OverlapPolicy.DropDatagram"/>; the datagram is dropped.</summary>
    Overlap,

    /// <summary>Would make the datagram larger than <see cref="ReassemblyLimits.MaxDatagramSize"/>; only this fragment is dropped (RFC 8200 §4.5: the caller may send a Parameter Problem).</summary>
    TooLarge,

    /// <summary>The datagram reached <see cref="ReassemblyLimits.MaxFragmentsPerDatagram"/>; the datagram is dropped.</summary>
    TooManyFragments,

    /// <summary>A fragment with MF set whose length is not a multiple of 8, an offset not a multiple of 8 or negative, or an empty non-atomic fragment; only this fragment is dropped.</summary>
    BadLength,

    /// <summary>Did not fit under <see cref="ReassemblyLimits.MemoryCap"/> even after evicting every older datagram; only this fragment is dropped.</summary>
    MemoryCap,

    /// <summary>Disagrees about where the datagram ends (two different last fragments, or data past the last fragment); the datagram is dropped.</summary>
    Inconsistent,

    /// <summary>Belongs to a datagram already dropped for one of the reasons above; remembered until its timeout so it cannot complete.</summary>
    Discarded,
}

/// <summary>
/// The answer to <see cref="Reassembler{TKey}.Add"/>. When complete, <see cref="Datagram"/> is the stored header of
/// the offset-0 fragment followed by the whole payload, in a buffer the reassembler owns: it stays valid only until
/// the next call on that reassembler. The caller may patch the header in place (total length, fragment fields).
/// </summary>
public readonly ref struct ReassemblyResult
{
    private readonly Span<byte> _datagram;

    private ReassemblyResult(ReassemblyStatus status, ReassemblyDrop reason, Span<byte> datagram, int headerLength)
    {
        Status = status;
        DropReason = reason;
        _datagram = datagram;
        HeaderLength = headerLength;
    }

    public ReassemblyStatus Status { get; }

    public ReassemblyDrop DropReason { get; }

    public int HeaderLength { get; }

    public bool IsComplete => Status == ReassemblyStatus.Complete;

    /// <summary>Header then payload, contiguous. Empty unless complete.</summary>
    public Span<byte> Datagram => _datagram;

    public Span<byte> Header => _datagram[..HeaderLength];

    public Span<byte> Payload => _datagram[HeaderLength..];

    internal static ReassemblyResult Incomplete => default;

    internal static ReassemblyResult Dropped(ReassemblyDrop reason) => new(ReassemblyStatus.Dropped, reason, default, 0);

    internal static ReassemblyResult Complete(Span<byte> datagram, int headerLength) =>
        new(ReassemblyStatus.Complete, ReassemblyDrop.None, datagram, headerLength);

    public override string ToString() => Status switch
    {
        ReassemblyStatus.Complete => $"Complete({HeaderLength}+{_datagram.Length - HeaderLength} bytes)",
        ReassemblyStatus.Dropped => $"Dropped({DropReason})",
        _ => "Incomplete",
    };
}

/// <summary>
/// Called by <see cref="Reassembler{TKey}.OnTimer"/> for each datagram that timed out after its offset-0 fragment
/// had arrived, so the caller can send ICMP Time Exceeded, code 1 (RFC 792; RFC 8200 §4.5 for ICMPv6). The spans are
/// the stored header and the first contiguous payload bytes (up to 1 KiB: IPv4 quotes 8 of them, IPv6 as many as fit);
/// they are valid only during the call, and the handler must not call back into the reassembler.
/// </summary>
public delegate void ReassemblyTimedOut<TKey>(TKey key, ReadOnlySpan<byte> firstHeader, ReadOnlySpan<byte> firstPayload);
