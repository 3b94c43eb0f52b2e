using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp.FastOpen;
using Stack.Tcp.Wire;

namespace Stack.Tests.Tcp;

/// <summary>The Fast Open client's per-server cache, with the rules of Linux's tcp_fastopen_cache_set/get.</summary>
public sealed class FastOpenCacheTests
{
    private static readonly IpAddress Server = IpAddress.Parse("192.0.2.2");
    private static readonly IpAddress Other = IpAddress.Parse("2001:db8::2");
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static FastOpenCookie Cookie(string hex) =>
        FastOpenCookie.TryParseHex(hex, out var c) ? c : throw new ArgumentException(hex, nameof(hex));

    [Fact]
    public void A_cookie_and_mss_are_kept_per_server()
    {
        var cache = new FastOpenCache();

        cache.Set(Server, 940, Cookie("abcd1234"), cookieExperimental: false, synLost: false, tryExperimental: 0, T0);

        Assert.Equal(new FastOpenCacheEntry(940, Cookie("abcd1234"), false, 0, 0, default), cache.Get(Server));
        Assert.Null(cache.Get(Other));
    }

    [Fact]
    public void A_SYN_ACK_without_cookie_or_mss_keeps_what_was_cached()
    {
        var cache = new FastOpenCache();
        cache.Set(Server, 940, Cookie("abcd1234"), false, false, 0, T0);

        cache.Set(Server, 0, null, false, false, 0, T0);
        cache.Set(Server, 0, FastOpenCookie.Request, false, false, 0, T0);

        Assert.Equal(940, cache.Get(Server)!.Value.Mss);
        Assert.Equal(Cookie("abcd1234"), cache.Get(Server)!.Value.Cookie);
    }

    [Fact]
    public void An_unanswered_request_tries_the_experimental_option_once_then_the_RFC_one_for_good()
    {
        var cache = new FastOpenCache();

        cache.Set(Server, 1460, null, false, false, tryExperimental: 1, T0);
        Assert.True(cache.Get(Server)!.Value.RequestExperimental);

        cache.Set(Server, 1460, null, false, false, tryExperimental: 2, T0);
        Assert.False(cache.Get(Server)!.Value.RequestExperimental);

        cache.Set(Server, 1460, null, false, false, tryExperimental: 1, T0); // Never moves back.
        Assert.Equal(2, cache.Get(Server)!.Value.TryExperimental);
    }

    [Fact]
    public void Lost_SYN_data_is_counted_until_a_SYN_ACK_shows_it_arrived()
    {
        var cache = new FastOpenCache();
        cache.Set(Server, 0, null, false, synLost: true, 0, T0);
        cache.Set(Server, 0, null, false, synLost: true, 0, T0 + TimeSpan.FromSeconds(1));

        Assert.Equal(2, cache.Get(Server)!.Value.SynLosses);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), cache.Get(Server)!.Value.LastSynLoss);

        cache.Set(Server, 0, null, false, synLost: false, 0, T0);
        Assert.Equal(0, cache.Get(Server)!.Value.SynLosses);
    }

    [Fact]
    public void Beyond_its_capacity_the_entry_updated_longest_ago_goes()
    {
        var cache = new FastOpenCache { Capacity = 2 };
        var third = IpAddress.Parse("192.0.2.3");
        cache.Set(Server, 1000, null, false, false, 0, T0);
        cache.Set(Other, 1000, null, false, false, 0, T0);
        cache.Set(Server, 1100, null, false, false, 0, T0); // Server is now the newer.

        cache.Set(third, 1200, null, false, false, 0, T0);

        Assert.Equal(2, cache.Count);
        Assert.Null(cache.Get(Other));
        Assert.NotNull(cache.Get(Server));
        cache.Clear();
        Assert.Equal(0, cache.Count);
    }
}
