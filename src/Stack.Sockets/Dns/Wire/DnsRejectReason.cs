namespace Stack.Sockets.Dns.Wire;

/// <summary>
/// Why the resolver turned a received message away: first the codec's reasons (the message is malformed), then
/// the resolver's (well formed, but no answer to any query it has outstanding, RFC 5452 §9.1). Each is counted
/// in <see cref="DnsStatistics"/>; a rejected message is never applied.
/// </summary>
public enum DnsRejectReason
{
    None,

    /// <summary>The message ends inside the header, a name, a question or a record.</summary>
    Truncated,

    /// <summary>A length byte with the reserved top bits 01 or 10 (RFC 1035 §4.1.4; RFC 6891 retired the extended labels).</summary>
    BadLabelType,

    /// <summary>A name longer than 255 bytes on the wire (RFC 1035 §2.3.4).</summary>
    NameTooLong,

    /// <summary>A compression pointer to itself or further on: only a prior occurrence may be pointed at (RFC 1035 §4.1.4), which also rules out loops.</summary>
    PointerLoop,

    /// <summary>A compression pointer past the end of the message.</summary>
    PointerOutOfBounds,

    /// <summary>An A record whose data is not 4 bytes, an AAAA not 16, or a CNAME/SOA whose data does not hold its names.</summary>
    BadRecordData,

    /// <summary>A message with the QR bit clear: a query, not a response.</summary>
    NotAResponse,

    /// <summary>An answer from an address or port the query was not sent to.</summary>
    WrongServer,

    /// <summary>An answer whose ID is not the outstanding query's.</summary>
    WrongId,

    /// <summary>An answer whose question (count, name, type or class) is not the one asked.</summary>
    WrongQuestion,
}
