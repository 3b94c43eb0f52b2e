namespace Stack.IP.Fragments;

/// <summary>
/// What a <see cref="Reassembler{TKey}"/> did, as plain counters (written only by the event loop; a torn read is
/// harmless for diagnostics), plus its two gauges.
/// </summary>
public sealed class ReassemblyCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<ReassemblyDrop>().Length];

    /// <summary>Fragments dropped for <paramref name="reason"/> (each <see cref="Reassembler{TKey}.Add"/> that answered Dropped counts once).</summary>
    public long this[ReassemblyDrop reason] => _drops[(int)reason];

    public long TotalDropped
    {
        get
        {
            long sum = 0;
            foreach (long d in _drops) sum += d;
            return sum;
        }
    }

    /// <summary>Datagrams completed from more than one fragment.</summary>
    public long Reassembled { get; internal set; }

    /// <summary>RFC 6946 atomic fragments (offset 0, MF clear), delivered without touching state.</summary>
    public long AtomicFragments { get; internal set; }

    /// <summary>Fragments that repeated exactly a range already received, ignored.</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Incomplete datagrams dropped because their timeout passed (dropped datagrams remembered until then are not counted).</summary>
    public long TimedOut { get; internal set; }

    /// <summary>Datagrams dropped, oldest first, to make room under the memory cap.</summary>
    public long Evicted { get; internal set; }

    /// <summary>Datagrams held now, including dropped ones remembered until their timeout.</summary>
    public int DatagramsInProgress { get; internal set; }

    /// <summary>Bytes held now: payload chunks, stored headers, and a fixed bookkeeping cost per datagram.</summary>
    public long BytesHeld { get; internal set; }

    internal void CountDrop(ReassemblyDrop reason) => _drops[(int)reason]++;
}
