using System.Reflection;

namespace Stack.Tcp;

/// <summary>Counters of one TCP layer; plain fields written by the event loop (RFC 4022 names where they fit).</summary>
public sealed class TcpStatistics
{
    public long SegmentsReceived;
    public long SegmentsSent;
    public long Retransmissions;

    /// <summary>Fast retransmits: entries into fast recovery after duplicate ACKs or SACKs (RFC 5681, 6582, 6675).</summary>
    public long FastRetransmits;

    /// <summary>Retransmissions of SND.UNA found lost during SACK recovery and sent again (Linux TCPLostRetransmit).</summary>
    public long LostRetransmissions;

    /// <summary>Retransmission timer expiries that resent data or a SYN (RFC 6298 §5.4; Linux TCPTimeouts).</summary>
    public long RetransmissionTimeouts;
    public long ResetsSent;
    public long ResetsReceived;

    /// <summary>Connect calls (tcpActiveOpens).</summary>
    public long ActiveOpens;

    /// <summary>SYNs that created a SYN-RECEIVED connection on a listener (tcpPassiveOpens).</summary>
    public long PassiveOpens;

    /// <summary>Passive connections that completed the handshake into a listener's accept queue.</summary>
    public long Accepted;

    /// <summary>Connections that reached ESTABLISHED.</summary>
    public long Established;

    /// <summary>Connections that failed with an error (refused, reset, timed out, unreachable).</summary>
    public long Failed;

    /// <summary>SYNs or handshake ACKs dropped because a listener's queue was full (Linux ListenOverflows).</summary>
    public long ListenOverflows;

    /// <summary>Half-open connections dropped after the last SYN-ACK retransmission.</summary>
    public long SynReceivedTimeouts;

    /// <summary>TIME-WAIT connections replaced by a new incarnation (RFC 9293 §3.10.7.4, RFC 6191).</summary>
    public long TimeWaitRecycled;

    /// <summary>Challenge ACKs sent (RFC 5961).</summary>
    public long ChallengeAcks;

    /// <summary>Segments dropped by PAWS (RFC 7323 §5.3): their timestamp was older than TS.Recent.</summary>
    public long PawsRejected;

    /// <summary>Segments that were not acceptable (RFC 9293 §3.10.7.4 first check) and drew an ACK or were dropped.</summary>
    public long OutOfWindow;

    /// <summary>Every counter above, in declaration order.</summary>
    private static readonly FieldInfo[] Counters = typeof(TcpStatistics)
        .GetFields(BindingFlags.Public | BindingFlags.Instance)
        .Where(f => f.FieldType == typeof(long))
        .OrderBy(f => f.MetadataToken)
        .ToArray();

    /// <summary>
    /// Every counter by its field name, in declaration order (zeros too), for exit summaries and scripts. Read off
    /// the loop it may tear a counter being incremented, which is harmless there.
    /// </summary>
    public IReadOnlyList<(string Name, long Value)> Snapshot() =>
        Array.ConvertAll(Counters, f => (f.Name, (long)f.GetValue(this)!));
}
