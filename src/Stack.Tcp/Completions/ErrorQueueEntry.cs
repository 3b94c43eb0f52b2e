using Stack.Link.Time;

namespace Stack.Tcp.Completions;

/// <summary>
/// One entry of a connection's error queue (Linux's sk_error_queue), read with recvmsg(MSG_ERRQUEUE): a
/// MSG_ZEROCOPY completion or a transmit timestamp. Neither is an error of the connection; the queue only shares
/// the socket API's error channel, as it does on Linux.
/// </summary>
public abstract record ErrorQueueEntry
{
    private protected ErrorQueueEntry() { }
}

/// <summary>
/// MSG_ZEROCOPY sends <see cref="First"/>..<see cref="Last"/> (ids counted per connection from 0) are done with
/// the caller's buffers (Linux: ee_info = first, ee_data = last). <see cref="Copied"/>: the data was copied
/// after all (SO_EE_CODE_ZEROCOPY_COPIED). This stack always copies into its send buffer, so it is always set,
/// as Linux sets it when a device could not take the pages as they were.
/// </summary>
public sealed record ZeroCopyCompletion(uint First, uint Last, bool Copied) : ErrorQueueEntry;

/// <summary>The moments SO_TIMESTAMPING reports for a byte (Linux SCM_TSTAMP_SND, _SCHED, _ACK, with their values).</summary>
public enum TxTimestampKind
{
    /// <summary>The segment holding the byte left the stack (SCM_TSTAMP_SND).</summary>
    Sent = 0,

    /// <summary>The segment holding the byte was handed to the device queue (SCM_TSTAMP_SCHED).</summary>
    Scheduled = 1,

    /// <summary>The peer acknowledged the byte (SCM_TSTAMP_ACK).</summary>
    Acknowledged = 2,
}

/// <summary>
/// A transmit timestamp: <see cref="Kind"/> happened at <see cref="At"/> for the byte whose key is
/// <see cref="Key"/> (its offset from where SOF_TIMESTAMPING_OPT_ID was set; 0 without it).
/// <see cref="Length"/> is the payload the entry carries (0 with SOF_TIMESTAMPING_OPT_TSONLY): a recvmsg with a
/// smaller buffer sees MSG_TRUNC.
/// </summary>
public sealed record TxTimestamp(TxTimestampKind Kind, uint Key, Instant At, int Length) : ErrorQueueEntry;
