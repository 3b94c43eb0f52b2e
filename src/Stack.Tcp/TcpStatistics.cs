using System.Reflection;

namespace Stack.Tcp;

/// <summary>Counters of one TCP layer; plain fields written by the event loop (RFC 4022 names where they fit).</summary>
public sealed class TcpStatistics
{
    /// <summary>Well-formed segments taken in (Linux InSegs also counts <see cref="InErrors"/>).</summary>
    public long SegmentsReceived;

    /// <summary>Segments sent, retransmissions and RSTs included (Linux OutSegs).</summary>
    public long SegmentsSent;

    /// <summary>Segments retransmitted (Linux RetransSegs).</summary>
    public long Retransmissions;

    /// <summary>Segments that failed to parse: too short, a bad header length or checksum (Linux InErrs).</summary>
    public long InErrors;

    /// <summary>Segments whose checksum failed (Linux InCsumErrors; also in <see cref="InErrors"/>).</summary>
    public long ChecksumErrors;

    /// <summary>Payload bytes sent, retransmissions included (the sum of tcpi_bytes_sent).</summary>
    public long BytesSent;

    /// <summary>Payload bytes resent (the sum of tcpi_bytes_retrans).</summary>
    public long BytesRetransmitted;

    /// <summary>Payload bytes received in sequence, each once (the sum of tcpi_bytes_received).</summary>
    public long BytesReceived;

    /// <summary>Connections that went from SYN-SENT or SYN-RECEIVED to CLOSED (Linux AttemptFails, from tcp_set_state).</summary>
    public long AttemptFails;

    /// <summary>Connections that went from ESTABLISHED or CLOSE-WAIT straight to CLOSED: reset or aborted (Linux EstabResets).</summary>
    public long EstablishedResets;

    /// <summary>The part of <see cref="FastRetransmits"/> on connections without SACK (Linux TCPRenoRecovery).</summary>
    public long RenoRecoveries;

    /// <summary>Entries into fast recovery after losses found by RACK, SACKs or duplicate ACKs (Linux TCPSACKRecovery + TCPRenoRecovery).</summary>
    public long FastRetransmits;

    /// <summary>Retransmissions found lost again and resent (Linux TCPLostRetransmit).</summary>
    public long LostRetransmissions;

    /// <summary>Tail loss probes sent (RFC 8985 §7; Linux TCPLossProbes).</summary>
    public long LossProbes;

    /// <summary>Losses a tail loss probe repaired, without a timeout (Linux TCPLossProbeRecovery).</summary>
    public long LossProbeRecoveries;

    /// <summary>D-SACK blocks sent for duplicates received (RFC 2883; Linux TCPDSACKOldSent + TCPDSACKOfoSent).</summary>
    public long DsacksSent;

    /// <summary>D-SACK blocks received (RFC 2883; Linux TCPDSACKRecv + TCPDSACKOfoRecv).</summary>
    public long DsacksReceived;

    /// <summary>Reductions undone because every retransmission of the episode was D-SACKed (Linux TCPDSACKUndo).</summary>
    public long DsackUndos;

    /// <summary>Fast recoveries undone at their end: the ACKs proved the originals arrived (RFC 3522; Linux TCPFullUndo).</summary>
    public long FullUndos;

    /// <summary>Fast recoveries undone part way, the hole filled by the original (Linux TCPPartialUndo).</summary>
    public long PartialUndos;

    /// <summary>Timeouts whose reduction was undone (Linux TCPLossUndo).</summary>
    public long LossUndos;

    /// <summary>Timeouts F-RTO found spurious (RFC 5682; Linux TCPSpuriousRTOs).</summary>
    public long SpuriousRtos;

    /// <summary>Timeouts that found SND.UNA SACKed: the receiver reneged (RFC 2018 §8; Linux TCPSACKReneging).</summary>
    public long SackRenegings;

    /// <summary>Retransmission timer expiries that resent data or a SYN (RFC 6298 §5.4; Linux TCPTimeouts).</summary>
    public long RetransmissionTimeouts;
    public long ResetsSent;
    public long ResetsReceived;

    /// <summary>Connect calls (tcpActiveOpens).</summary>
    public long ActiveOpens;

    /// <summary>SYNs that created a SYN-RECEIVED connection on a listener (tcpPassiveOpens).</summary>
    public long PassiveOpens;

    /// <summary>Connections (active or passive) that started as a pooled connection's next life (TcpLayer.ConnectionPoolSize).</summary>
    public long ConnectionsReused;

    /// <summary>Passive connections that completed the handshake into a listener's accept queue.</summary>
    public long Accepted;

    /// <summary>Connections that reached ESTABLISHED.</summary>
    public long Established;

    /// <summary>Connections that failed with an error (refused, reset, timed out, unreachable).</summary>
    public long Failed;

    /// <summary>Connections failed by an unexpected exception inside them (a handler's or ours): reset, ConnectionAborted.</summary>
    public long Faulted;

    /// <summary>SYNs or handshake ACKs dropped because a listener's queue was full (Linux ListenOverflows).</summary>
    public long ListenOverflows;

    /// <summary>Half-open connections dropped after the last SYN-ACK retransmission.</summary>
    public long SynReceivedTimeouts;

    /// <summary>SYN-ACKs sent with a cookie instead of SYN-RECEIVED state (Linux SyncookiesSent).</summary>
    public long SynCookiesSent;

    /// <summary>ACKs whose cookie checked out and made a connection (Linux SyncookiesRecv).</summary>
    public long SynCookiesValid;

    /// <summary>ACKs to a listener whose cookie did not check out: answered with a RST (Linux SyncookiesFailed).</summary>
    public long SynCookiesInvalid;

    /// <summary>SYNs whose data a listener took with a valid Fast Open cookie, or without one where allowed (Linux TCPFastOpenPassive).</summary>
    public long FastOpenPassive;

    /// <summary>SYNs with a Fast Open cookie that did not check out: answered with a good one, their data not taken (Linux TCPFastOpenPassiveFail).</summary>
    public long FastOpenPassiveFail;

    /// <summary>SYNs that asked for a Fast Open cookie (Linux TCPFastOpenCookieReqd).</summary>
    public long FastOpenCookieRequests;

    /// <summary>Fast Open SYNs handled as plain ones because the listener's Fast Open queue was full (Linux TCPFastOpenListenOverflow).</summary>
    public long FastOpenListenOverflows;

    /// <summary>Client SYNs whose data the server acknowledged in full (Linux TCPFastOpenActive).</summary>
    public long FastOpenActive;

    /// <summary>Client SYNs whose data the SYN-ACK left unacknowledged, sent again after it (Linux TCPFastOpenActiveFail).</summary>
    public long FastOpenActiveFail;

    /// <summary>TIME-WAIT connections replaced by a new incarnation (RFC 9293 §3.10.7.4, RFC 6191).</summary>
    public long TimeWaitRecycled;

    /// <summary>
    /// Connections that closed without a TIME-WAIT record because <see cref="TcpConfig.MaxTimeWait"/> records stood
    /// already (Linux TCPTimeWaitOverflow).
    /// </summary>
    public long TimeWaitOverflow;

    /// <summary>Segments of no connection here handed to another shard of a multi-queue stack (<see cref="TcpLayer.HandOff"/>).</summary>
    public long HandedOff;

    /// <summary>Challenge ACKs sent (RFC 5961; Linux TCPChallengeACK).</summary>
    public long ChallengeAcks;

    /// <summary>Challenge ACKs not sent: the connection had replied to an invalid segment within the interval (Linux TCPACKSkippedChallenge).</summary>
    public long AckSkippedChallenge;

    /// <summary>Challenge ACKs not sent: the layer's budget for the second was spent (TcpRateLimits.ChallengeAcksPerSecond; Linux counts none).</summary>
    public long ChallengeAcksOverLimit;

    /// <summary>ACKs to out-of-window segments not sent, within the interval of the last (Linux TCPACKSkippedSeq).</summary>
    public long AckSkippedSeq;

    /// <summary>ACKs to segments PAWS rejected not sent, within the interval of the last (Linux TCPACKSkippedPAWS).</summary>
    public long AckSkippedPaws;

    /// <summary>SYN-ACKs or ACKs to invalid segments in SYN-RECEIVED not sent, within the interval (Linux TCPACKSkippedSynRecv).</summary>
    public long AckSkippedSynRecv;

    /// <summary>ACKs to invalid segments in TIME-WAIT not sent, within the interval (Linux TCPACKSkippedTimeWait).</summary>
    public long AckSkippedTimeWait;

    /// <summary>RSTs to segments for no connection (or refused by a handshake) not sent: over TcpRateLimits.ResetsPerSecond (FreeBSD "Limiting closed port RST response").</summary>
    public long ResetsRateLimited;

    /// <summary>Segments dropped by PAWS (RFC 7323 §5.3): their timestamp was older than TS.Recent.</summary>
    public long PawsRejected;

    /// <summary>SYN-ACKs answered with a RST: their TS ecr echoed no time our SYN could have carried (Linux PAWSActiveRejected).</summary>
    public long PawsActiveRejected;

    /// <summary>Path MTU probes sent (RFC 4821 packetization-layer path MTU discovery).</summary>
    public long MtuProbesSent;

    /// <summary>Path MTU probes acknowledged: the MSS grew (Linux TCPMTUPSuccess).</summary>
    public long MtuProbesSucceeded;

    /// <summary>Path MTU probes lost: the search's top came down (Linux TCPMTUPFail).</summary>
    public long MtuProbesFailed;

    /// <summary>Segments that were not acceptable (RFC 9293 §3.10.7.4 first check) and drew an ACK or were dropped.</summary>
    public long OutOfWindow;

    /// <summary>ICMP errors about a connection whose quoted sequence number was not in flight (RFC 5927 §4.1; Linux OutOfWindowIcmps).</summary>
    public long OutOfWindowIcmps;

    /// <summary>Half-open (SYN-RECEIVED) connections an ICMP error dropped (Linux tcp_req_err, counted as ListenDrops).</summary>
    public long IcmpDroppedRequests;

    /// <summary>ICMPv6 packet-too-big errors reporting an MTU below 1280, ignored as Linux does.</summary>
    public long IcmpTooBigIgnored;

    /// <summary>Segments with an RFC 2385 MD5 signature, dropped as no socket has a key (Linux TCPMD5Unexpected).</summary>
    public long Md5Unexpected;

    private readonly long[] _states = new long[Enum.GetValues<TcpState>().Length];

    /// <summary>
    /// Connections in <paramref name="state"/> now (a gauge, kept at each transition; never LISTEN or CLOSED: a
    /// listener is not a connection, and a closed one has left the table).
    /// </summary>
    public long InState(TcpState state) => Volatile.Read(ref _states[(int)state]);

    /// <summary>Connections in ESTABLISHED or CLOSE-WAIT now (Linux CurrEstab).</summary>
    public long CurrentEstablished => InState(TcpState.Established) + InState(TcpState.CloseWait);

    /// <summary>
    /// Counts a state change, as Linux's tcp_set_state does: AttemptFails, EstabResets and the gauges. A
    /// connection starts in CLOSED or LISTEN (a listener's child before its SYN) and ends in CLOSED, always
    /// through a transition, so the gauges balance.
    /// </summary>
    internal void OnTransition(TcpState from, TcpState to)
    {
        if (from is not (TcpState.Closed or TcpState.Listen)) _states[(int)from]--;
        if (to is not (TcpState.Closed or TcpState.Listen)) _states[(int)to]++;
        if (to == TcpState.Closed)
        {
            if (from is TcpState.SynSent or TcpState.SynReceived) AttemptFails++;
            else if (from is TcpState.Established or TcpState.CloseWait) EstablishedResets++;
        }
    }

    /// <summary>Adds a connection's <see cref="Diagnostics.LossEvent"/> to the field that counts it for the layer.</summary>
    internal void Add(Diagnostics.LossEvent kind, long n)
    {
        switch (kind)
        {
            case Diagnostics.LossEvent.RetransmissionTimeout: RetransmissionTimeouts += n; break;
            case Diagnostics.LossEvent.FastRecovery: FastRetransmits += n; break;
            case Diagnostics.LossEvent.LossProbe: LossProbes += n; break;
            case Diagnostics.LossEvent.LossProbeRecovery: LossProbeRecoveries += n; break;
            case Diagnostics.LossEvent.LostRetransmission: LostRetransmissions += n; break;
            case Diagnostics.LossEvent.DsackReceived: DsacksReceived += n; break;
            case Diagnostics.LossEvent.DsackSent: DsacksSent += n; break;
            case Diagnostics.LossEvent.DsackUndo: DsackUndos += n; break;
            case Diagnostics.LossEvent.FullUndo: FullUndos += n; break;
            case Diagnostics.LossEvent.PartialUndo: PartialUndos += n; break;
            case Diagnostics.LossEvent.LossUndo: LossUndos += n; break;
            case Diagnostics.LossEvent.SpuriousRto: SpuriousRtos += n; break;
            case Diagnostics.LossEvent.SackReneging: SackRenegings += n; break;
        }
    }

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
