using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Dns;

/// <summary>What a checked response means for the lookup that asked.</summary>
internal enum DnsOutcomeKind
{
    /// <summary>Final: addresses, NXDOMAIN or NODATA (<see cref="DnsOutcome.Answer"/>).</summary>
    Answer,

    /// <summary>The answer is a CNAME chain that ends before any record of the type: ask again for <see cref="DnsOutcome.NextName"/> (RFC 1034 §5.3.3 step 3).</summary>
    FollowCname,

    /// <summary>SERVFAIL, REFUSED, NOTIMP, FORMERR or a CNAME loop: this server cannot help, ask the next (as glibc does).</summary>
    TryNextServer,
}

internal readonly record struct DnsOutcome(DnsOutcomeKind Kind, DnsAnswer? Answer = null, string? NextName = null, TimeSpan ChainTtl = default);

/// <summary>Turns a response into a <see cref="DnsOutcome"/>, sans I/O: follows the CNAME chain, takes the TTLs, finds the negative TTL.</summary>
internal static class DnsResponse
{
    /// <summary>The most CNAMEs one answer may chain (systemd-resolved allows 16).</summary>
    public const int MaxCnameHops = 16;

    public static DnsOutcome Interpret(DnsQuestion question, DnsMessage response, TimeSpan maxTtl, TimeSpan maxNegativeTtl)
    {
        if (response.Header.ResponseCode is not (DnsResponseCode.NoError or DnsResponseCode.NameError))
            return new DnsOutcome(DnsOutcomeKind.TryNextServer);

        // RFC 1034 §3.6.2: an alias's owner has no other data; the chain is the CNAMEs from the question's name on.
        var name = question.Name;
        var chainTtl = maxTtl;
        var seen = new HashSet<string>(DnsName.Comparer) { name };
        for (int hop = 0; Find(response, name, DnsRecordType.CNAME).FirstOrDefault() is { Target: { } target } cname; hop++)
        {
            if (hop == MaxCnameHops || !seen.Add(target)) return new DnsOutcome(DnsOutcomeKind.TryNextServer);
            chainTtl = Min(chainTtl, Seconds(cname.Ttl));
            name = target;
        }
        var addresses = Find(response, name, question.Type)
            .Where(r => r.Address is not null)
            .Select(r => new DnsAddress(r.Address!, Min(Seconds(r.Ttl), maxTtl)))
            .ToList();
        if (addresses.Count > 0)
        {
            var ttl = addresses.Aggregate(chainTtl, (t, a) => Min(t, a.Ttl));
            return new DnsOutcome(DnsOutcomeKind.Answer, new DnsAnswer(question.Name, question.Type, name, addresses, DnsResponseCode.NoError, ttl));
        }
        var soa = response.Authorities.FirstOrDefault(r => r.Soa is not null);
        // A chain that stops at a name the server said nothing more about: ask for that name.
        if (response.Header.ResponseCode == DnsResponseCode.NoError && soa is null && !DnsName.Comparer.Equals(name, question.Name))
            return new DnsOutcome(DnsOutcomeKind.FollowCname, NextName: name, ChainTtl: chainTtl);
        // RFC 2308 §5: a negative answer is cached for the SOA's TTL bounded by its MINIMUM; without an SOA it is
        // not cached at all.
        var negative = soa is null ? TimeSpan.Zero : Min(Min(Seconds(soa.Ttl), Seconds(soa.Soa!.Minimum)), Min(maxNegativeTtl, chainTtl));
        return new DnsOutcome(DnsOutcomeKind.Answer,
            new DnsAnswer(question.Name, question.Type, name, [], response.Header.ResponseCode, negative));
    }

    private static IEnumerable<DnsRecord> Find(DnsMessage response, string name, DnsRecordType type) =>
        response.Answers.Where(r => r.Type == type && r.Class == DnsClass.IN && DnsName.Comparer.Equals(r.Name, name));

    private static TimeSpan Seconds(uint ttl) => TimeSpan.FromSeconds(ttl);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
