namespace Stack.Sockets.Dns.Wire;

/// <summary>A question (RFC 1035 §4.1.2). <see cref="Name"/> is in <see cref="DnsName"/>'s text form.</summary>
public sealed record DnsQuestion(string Name, DnsRecordType Type, DnsClass Class = DnsClass.IN)
{
    /// <summary>Same name (case-insensitively), type and class.</summary>
    public bool Matches(DnsQuestion other) =>
        other is not null && Type == other.Type && Class == other.Class && DnsName.Comparer.Equals(Name, other.Name);
}
