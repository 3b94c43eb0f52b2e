using System.Net;
using Stack.Link.Time;
using Stack.Sockets.Dns;
using Stack.Sockets.Dns.Wire;

namespace Stack.Tests.Dns;

/// <summary>The answer cache on instants handed in: TTLs count down, expire, bound the size; negative answers per RFC 2308.</summary>
public sealed class DnsCacheTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1_000);

    private static DnsAnswer Positive(string name, int ttlSeconds, DnsRecordType type = DnsRecordType.A) =>
        new(name, type, name, [new DnsAddress(IPAddress.Parse("192.0.2.10"), TimeSpan.FromSeconds(ttlSeconds))], DnsResponseCode.NoError,
            TimeSpan.FromSeconds(ttlSeconds));

    [Fact]
    public void An_answer_counts_down_and_expires_at_its_TTL()
    {
        var cache = new DnsCache(8);
        cache.Add(Positive("a.example", 60), T0);
        Assert.True(cache.TryGet("A.EXAMPLE", DnsRecordType.A, T0 + TimeSpan.FromSeconds(45), out var hit));
        Assert.True(hit!.FromCache);
        Assert.Equal(TimeSpan.FromSeconds(15), hit.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(15), hit.Addresses[0].Ttl);
        Assert.False(cache.TryGet("a.example", DnsRecordType.AAAA, T0, out _));
        Assert.False(cache.TryGet("a.example", DnsRecordType.A, T0 + TimeSpan.FromSeconds(60), out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_zero_TTL_is_not_cached()
    {
        var cache = new DnsCache(8);
        cache.Add(Positive("a.example", 0), T0);
        Assert.False(cache.TryGet("a.example", DnsRecordType.A, T0, out _));
    }

    [Fact]
    public void A_name_error_covers_every_type_and_no_data_only_its_own()
    {
        var cache = new DnsCache(8);
        cache.Add(new DnsAnswer("gone.example", DnsRecordType.A, "gone.example", [], DnsResponseCode.NameError, TimeSpan.FromSeconds(30)), T0);
        cache.Add(new DnsAnswer("v4.example", DnsRecordType.AAAA, "v4.example", [], DnsResponseCode.NoError, TimeSpan.FromSeconds(30)), T0);
        Assert.True(cache.TryGet("gone.example", DnsRecordType.AAAA, T0, out var nx));
        Assert.True(nx!.IsNameError);
        Assert.Equal(DnsRecordType.AAAA, nx.Type);
        Assert.True(cache.TryGet("v4.example", DnsRecordType.AAAA, T0, out var nodata));
        Assert.True(nodata!.IsNoData);
        Assert.False(cache.TryGet("v4.example", DnsRecordType.A, T0, out _));
    }

    [Fact]
    public void A_full_cache_drops_an_expired_entry_first_then_the_one_closest_to_expiry()
    {
        var cache = new DnsCache(3);
        cache.Add(Positive("short.example", 10), T0);
        cache.Add(Positive("mid.example", 100), T0);
        cache.Add(Positive("long.example", 1000), T0);
        cache.Add(Positive("new1.example", 500), T0);
        Assert.Equal(3, cache.Count);
        Assert.False(cache.TryGet("short.example", DnsRecordType.A, T0, out _));
        cache.Add(Positive("new2.example", 500), T0 + TimeSpan.FromSeconds(200)); // mid.example has expired by then.
        Assert.True(cache.TryGet("long.example", DnsRecordType.A, T0 + TimeSpan.FromSeconds(200), out _));
        Assert.True(cache.TryGet("new1.example", DnsRecordType.A, T0 + TimeSpan.FromSeconds(200), out _));
        Assert.True(cache.TryGet("new2.example", DnsRecordType.A, T0 + TimeSpan.FromSeconds(200), out _));
        for (int i = 0; i < 100; i++) cache.Add(Positive($"n{i}.example", 50 + i), T0);
        Assert.Equal(3, cache.Count);
    }
}
