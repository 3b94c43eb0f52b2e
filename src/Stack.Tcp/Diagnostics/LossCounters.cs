namespace Stack.Tcp.Diagnostics;

/// <summary>What a sender met on a lossy path, counted per connection and per stack (Linux's TcpExt names in brackets).</summary>
public enum LossEvent
{
    /// <summary>The retransmission timer expired with data in flight (TCPTimeouts).</summary>
    RetransmissionTimeout,

    /// <summary>A fast recovery began (TCPSACKRecovery, TCPRenoRecovery).</summary>
    FastRecovery,

    /// <summary>A tail loss probe went (TCPLossProbes).</summary>
    LossProbe,

    /// <summary>A tail loss probe repaired a loss (TCPLossProbeRecovery).</summary>
    LossProbeRecovery,

    /// <summary>A retransmission was found lost and went again (TCPLostRetransmit).</summary>
    LostRetransmission,

    /// <summary>A D-SACK arrived (TCPDSACKRecv, TCPDSACKOfoRecv).</summary>
    DsackReceived,

    /// <summary>A D-SACK went out for a duplicate received (TCPDSACKOldSent, TCPDSACKOfoSent).</summary>
    DsackSent,

    /// <summary>D-SACKs showed every retransmission of an episode needless; the reduction was undone (TCPDSACKUndo).</summary>
    DsackUndo,

    /// <summary>A fast recovery was undone at its end (TCPFullUndo).</summary>
    FullUndo,

    /// <summary>A fast recovery was undone part way (TCPPartialUndo).</summary>
    PartialUndo,

    /// <summary>A timeout's reduction was undone (TCPLossUndo).</summary>
    LossUndo,

    /// <summary>F-RTO found a timeout spurious (TCPSpuriousRTOs).</summary>
    SpuriousRto,

    /// <summary>A timeout found SND.UNA SACKed: the receiver reneged (TCPSACKReneging).</summary>
    SackReneging,
}

/// <summary>
/// The <see cref="LossEvent"/> counts of one connection (<see cref="TcpConnection.LossCounters"/>); the layer's
/// <see cref="TcpStatistics"/> holds the same counts summed over every connection. Written on the loop thread.
/// </summary>
public sealed class LossCounters
{
    private static readonly int Kinds = Enum.GetValues<LossEvent>().Length;

    // Made at the first loss event: most connections never see one, and each would carry the array for nothing.
    private long[]? _counts;

    public long this[LossEvent kind] => _counts is { } c ? c[(int)kind] : 0;

    internal void Add(LossEvent kind, long n) => (_counts ??= new long[Kinds])[(int)kind] += n;

    public override string ToString() => string.Join(", ", Enum.GetValues<LossEvent>().Select(k => $"{k} {this[k]}"));
}
