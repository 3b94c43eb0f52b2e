namespace Stack.Tcp;

/// <summary>Where the sender stands with loss (Linux's tcp_ca_state, in its order).</summary>
public enum RecoveryState
{
    /// <summary>Nothing amiss.</summary>
    Open,

    /// <summary>SACKs or duplicate ACKs seen, nothing lost yet.</summary>
    Disorder,

    /// <summary>cwnd was reduced once without a recovery (a tail loss repaired by the loss probe).</summary>
    Cwr,

    /// <summary>Fast recovery: lost segments are resent, PRR paces cwnd (RFC 6675, RFC 6937).</summary>
    Recovery,

    /// <summary>After a retransmission timeout: what was not SACKed is resent in slow start.</summary>
    Loss,
}
