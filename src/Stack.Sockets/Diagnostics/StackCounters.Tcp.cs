using Stack.Tcp;

namespace Stack.Sockets.Diagnostics;

public static partial class StackCounters
{
    /// <summary>
    /// TcpStatistics fields that count what a Linux TcpExt counter counts, by that counter's nstat name. Every other
    /// field (but those the Tcp MIB lines read) is listed as StackTcp plus its field name.
    /// </summary>
    private static readonly Dictionary<string, string> TcpExtNames = new()
    {
        [nameof(TcpStatistics.ListenOverflows)] = "TcpExtListenOverflows",
        [nameof(TcpStatistics.SynCookiesSent)] = "TcpExtSyncookiesSent",
        [nameof(TcpStatistics.SynCookiesValid)] = "TcpExtSyncookiesRecv",
        [nameof(TcpStatistics.SynCookiesInvalid)] = "TcpExtSyncookiesFailed",
        [nameof(TcpStatistics.PawsRejected)] = "TcpExtPAWSEstab",
        [nameof(TcpStatistics.PawsActiveRejected)] = "TcpExtPAWSActive",
        [nameof(TcpStatistics.OutOfWindowIcmps)] = "TcpExtOutOfWindowIcmps",
        [nameof(TcpStatistics.RetransmissionTimeouts)] = "TcpExtTCPTimeouts",
        [nameof(TcpStatistics.LossProbes)] = "TcpExtTCPLossProbes",
        [nameof(TcpStatistics.LossProbeRecoveries)] = "TcpExtTCPLossProbeRecovery",
        [nameof(TcpStatistics.LostRetransmissions)] = "TcpExtTCPLostRetransmit",
        [nameof(TcpStatistics.DsackUndos)] = "TcpExtTCPDSACKUndo",
        [nameof(TcpStatistics.FullUndos)] = "TcpExtTCPFullUndo",
        [nameof(TcpStatistics.PartialUndos)] = "TcpExtTCPPartialUndo",
        [nameof(TcpStatistics.LossUndos)] = "TcpExtTCPLossUndo",
        [nameof(TcpStatistics.SpuriousRtos)] = "TcpExtTCPSpuriousRTOs",
        [nameof(TcpStatistics.SackRenegings)] = "TcpExtTCPSACKReneging",
        [nameof(TcpStatistics.RenoRecoveries)] = "TcpExtTCPRenoRecovery",
        [nameof(TcpStatistics.FastOpenPassive)] = "TcpExtTCPFastOpenPassive",
        [nameof(TcpStatistics.FastOpenPassiveFail)] = "TcpExtTCPFastOpenPassiveFail",
        [nameof(TcpStatistics.FastOpenCookieRequests)] = "TcpExtTCPFastOpenCookieReqd",
        [nameof(TcpStatistics.FastOpenListenOverflows)] = "TcpExtTCPFastOpenListenOverflow",
        [nameof(TcpStatistics.FastOpenActive)] = "TcpExtTCPFastOpenActive",
        [nameof(TcpStatistics.FastOpenActiveFail)] = "TcpExtTCPFastOpenActiveFail",
        [nameof(TcpStatistics.ChallengeAcks)] = "TcpExtTCPChallengeACK",
        [nameof(TcpStatistics.AckSkippedChallenge)] = "TcpExtTCPACKSkippedChallenge",
        [nameof(TcpStatistics.AckSkippedSeq)] = "TcpExtTCPACKSkippedSeq",
        [nameof(TcpStatistics.AckSkippedPaws)] = "TcpExtTCPACKSkippedPAWS",
        [nameof(TcpStatistics.AckSkippedSynRecv)] = "TcpExtTCPACKSkippedSynRecv",
        [nameof(TcpStatistics.AckSkippedTimeWait)] = "TcpExtTCPACKSkippedTimeWait",
        [nameof(TcpStatistics.MtuProbesSucceeded)] = "TcpExtTCPMTUPSuccess",
        [nameof(TcpStatistics.MtuProbesFailed)] = "TcpExtTCPMTUPFail",
        [nameof(TcpStatistics.Md5Unexpected)] = "TcpExtTCPMD5Unexpected",
        [nameof(TcpStatistics.TimeWaitOverflow)] = "TcpExtTCPTimeWaitOverflow",
    };

    /// <summary>Fields the Tcp MIB lines (and TCPSACKRecovery) read; not listed again under a Stack name.</summary>
    private static readonly HashSet<string> TcpMibFields =
    [
        nameof(TcpStatistics.ActiveOpens), nameof(TcpStatistics.Accepted), nameof(TcpStatistics.AttemptFails),
        nameof(TcpStatistics.EstablishedResets), nameof(TcpStatistics.SegmentsReceived), nameof(TcpStatistics.SegmentsSent),
        nameof(TcpStatistics.Retransmissions), nameof(TcpStatistics.InErrors), nameof(TcpStatistics.ResetsSent),
        nameof(TcpStatistics.ChecksumErrors), nameof(TcpStatistics.FastRetransmits),
    ];

    /// <summary>Stack names that would mislead as StackTcp plus the field's name.</summary>
    private static readonly Dictionary<string, string> TcpStackNames = new()
    {
        // RFC 4022's tcpPassiveOpens (LISTEN to SYN-RECEIVED); Linux's PassiveOpens counts completed handshakes.
        [nameof(TcpStatistics.PassiveOpens)] = "StackTcpSynRecvOpens",
        [nameof(TcpStatistics.FastRetransmits)] = "StackTcpRecoveries",
    };

    /// <summary>States that have a connection gauge: all but CLOSED and LISTEN (<see cref="TcpStatistics.InState"/>).</summary>
    private static readonly TcpState[] ConnectionStates =
        [.. Enum.GetValues<TcpState>().Where(s => s is not (TcpState.Closed or TcpState.Listen))];

    /// <summary>Linux's Tcp MIB (/proc/net/snmp), shared by both families as Linux's is.</summary>
    private static void AddTcp(List<StackCounter> list, TcpStatistics s)
    {
        list.Add(new("TcpActiveOpens", s.ActiveOpens));
        // Linux counts a passive open when the handshake's ACK makes the child socket (tcp_create_openreq_child).
        list.Add(new("TcpPassiveOpens", s.Accepted));
        list.Add(new("TcpAttemptFails", s.AttemptFails));
        list.Add(new("TcpEstabResets", s.EstablishedResets));
        list.Add(new("TcpCurrEstab", s.CurrentEstablished, IsGauge: true));
        // Linux counts InSegs before it checks the header (tcp_v4_rcv), so malformed segments are in it.
        list.Add(new("TcpInSegs", s.SegmentsReceived + s.InErrors));
        list.Add(new("TcpOutSegs", s.SegmentsSent));
        list.Add(new("TcpRetransSegs", s.Retransmissions));
        list.Add(new("TcpInErrs", s.InErrors));
        list.Add(new("TcpOutRsts", s.ResetsSent));
        list.Add(new("TcpInCsumErrors", s.ChecksumErrors));
    }

    private static void AddTcpExt(List<StackCounter> list, TcpStatistics s)
    {
        list.Add(new("TcpExtTCPSACKRecovery", s.FastRetransmits - s.RenoRecoveries));
        foreach (var (field, value) in s.Snapshot())
            if (TcpExtNames.TryGetValue(field, out var name)) list.Add(new(name, value));
    }

    /// <summary>Every TcpStatistics field no Linux name took, and the connection gauges by state.</summary>
    private static void AddStackTcp(List<StackCounter> list, TcpLayer tcp)
    {
        var s = tcp.Statistics;
        list.Add(new(TcpStackNames[nameof(TcpStatistics.FastRetransmits)], s.FastRetransmits));
        foreach (var (field, value) in s.Snapshot())
        {
            if (TcpExtNames.ContainsKey(field) || TcpMibFields.Contains(field)) continue;
            list.Add(new(TcpStackNames.TryGetValue(field, out var name) ? name : "StackTcp" + field, value));
        }
        foreach (var state in ConnectionStates) list.Add(new("StackTcpCurr" + state, s.InState(state), IsGauge: true));
        list.Add(new("StackTcpListeners", tcp.Listeners.Count, IsGauge: true));
        list.Add(new("StackTcpHalfOpen", tcp.HalfOpenCount, IsGauge: true));
    }
}
