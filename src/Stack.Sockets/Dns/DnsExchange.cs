using System.Net;
using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Dns;

/// <summary>
/// One outstanding query, sans I/O: what was asked of whom, and the check every received message passes before
/// it is believed (RFC 5452 §9.1: the ID, the question, and the server's address and port must all match;
/// anything else is ignored and counted, and the query goes on waiting).
/// </summary>
public sealed record DnsExchange(ushort Id, DnsQuestion Question, IPEndPoint Server)
{
    /// <summary>The query's bytes.</summary>
    public byte[] Query() => DnsWriter.Write(DnsMessage.Query(Id, Question));

    /// <summary>
    /// Whether <paramref name="datagram"/> from <paramref name="from"/> answers this query; <paramref name="response"/>
    /// is set when it does. The source is checked before a byte is parsed.
    /// </summary>
    public DnsRejectReason Check(ReadOnlySpan<byte> datagram, IPEndPoint from, out DnsMessage? response)
    {
        ArgumentNullException.ThrowIfNull(from);
        response = null;
        if (from.Port != Server.Port || !Same(from.Address, Server.Address)) return DnsRejectReason.WrongServer;
        return Check(datagram, out response);
    }

    /// <summary>The checks of a message that came over the query's own TCP connection: everything but the source.</summary>
    public DnsRejectReason Check(ReadOnlySpan<byte> message, out DnsMessage? response)
    {
        response = null;
        if (DnsMessage.TryParse(message, out var parsed) is var bad and not DnsRejectReason.None) return bad;
        if (!parsed!.Header.IsResponse) return DnsRejectReason.NotAResponse;
        if (parsed.Header.Id != Id) return DnsRejectReason.WrongId;
        // RFC 5452 §9.1 asks for the question back; a FORMERR or NOTIMP may come without one (RFC 1035 §4.1.1),
        // and is then believed only as far as "try another server", which is all the resolver makes of it.
        bool questionless = parsed.Questions.Count == 0 && parsed.Header.ResponseCode is DnsResponseCode.FormatError or DnsResponseCode.NotImplemented;
        if (!questionless && (parsed.Questions.Count != 1 || !parsed.Questions[0].Matches(Question))) return DnsRejectReason.WrongQuestion;
        response = parsed;
        return DnsRejectReason.None;
    }

    private static bool Same(IPAddress a, IPAddress b) =>
        a.Equals(b) || (a.IsIPv4MappedToIPv6 && a.MapToIPv4().Equals(b)) || (b.IsIPv4MappedToIPv6 && b.MapToIPv4().Equals(a));
}
