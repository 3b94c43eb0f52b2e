namespace Stack.Sockets.Dns.Wire;

/// <summary>The record types (RFC 1035 §3.2.2, RFC 3596 §2.1) the resolver reads; any other is kept as raw data.</summary>
public enum DnsRecordType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    MX = 15,
    TXT = 16,
    AAAA = 28,

    /// <summary>EDNS(0)'s pseudo-record (RFC 6891), in the additional section.</summary>
    OPT = 41,
    ANY = 255,
}

/// <summary>Record classes (RFC 1035 §3.2.4): only Internet is used.</summary>
public enum DnsClass : ushort
{
    IN = 1,
    ANY = 255,
}

/// <summary>RCODE (RFC 1035 §4.1.1).</summary>
public enum DnsResponseCode : byte
{
    NoError = 0,
    FormatError = 1,
    ServerFailure = 2,
    NameError = 3,
    NotImplemented = 4,
    Refused = 5,
}
