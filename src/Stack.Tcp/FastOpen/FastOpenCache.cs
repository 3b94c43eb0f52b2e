using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp.Wire;

namespace Stack.Tcp.FastOpen;

/// <summary>
/// What a Fast Open client remembers of one server (RFC 7413 §4.1.3), as Linux keeps it in its TCP metrics
/// (<c>struct tcp_fastopen_metrics</c>): the cookie, the MSS the server announced, which option format to try next
/// when it sent no cookie, and its record of lost SYN-data.
/// </summary>
/// <param name="Mss">The MSS option of the server's last SYN-ACK; 0 when none was seen.</param>
/// <param name="Cookie">The last cookie the server gave, null when none.</param>
/// <param name="CookieExperimental">The cookie came in the experimental option (kind 254, RFC 6994), and goes back in it.</param>
/// <param name="TryExperimental">
/// Linux's <c>try_exp</c>: 0 nothing learnt, 1 the server ignored a request in the RFC 7413 option (ask in the
/// experimental one next), 2 it ignored both (ask in the RFC 7413 option from now on).
/// </param>
/// <param name="SynLosses">SYN-data lost in a row (the SYN timed out and the SYN-ACK acknowledged neither cookie nor data).</param>
/// <param name="LastSynLoss">When the last of them was seen.</param>
public readonly record struct FastOpenCacheEntry(int Mss, FastOpenCookie? Cookie, bool CookieExperimental, int TryExperimental,
    int SynLosses, Instant LastSynLoss)
{
    /// <summary>The option a SYN carries to ask for a cookie: the experimental one after the RFC one went unanswered.</summary>
    public bool RequestExperimental => Cookie is null && TryExperimental == 1;
}

/// <summary>
/// The client side's per-destination Fast Open cache (RFC 7413 §4.1.3), keyed by the server's address as Linux's
/// tcp metrics are. Bounded: beyond <see cref="Capacity"/> entries the one updated longest ago goes.
/// </summary>
public sealed class FastOpenCache
{
    private readonly Dictionary<IpAddress, (FastOpenCacheEntry Entry, long Stamp)> _entries = [];
    private long _stamp;

    /// <summary>Destinations remembered at most (Linux sizes its metrics hash by memory; 1024 is plenty here).</summary>
    public int Capacity { get; init; } = 1024;

    public int Count => _entries.Count;

    /// <summary>What is known of <paramref name="server"/>, if anything (Linux tcp_fastopen_cache_get).</summary>
    public FastOpenCacheEntry? Get(IpAddress server) =>
        _entries.TryGetValue(server, out var e) ? e.Entry : null;

    /// <summary>
    /// Records what a SYN-ACK taught (Linux tcp_fastopen_cache_set): a nonzero <paramref name="mss"/> replaces the
    /// cached one; a cookie replaces the cached one; without one, <paramref name="tryExperimental"/> only moves
    /// forward and only while no cookie is held; a lost SYN-data counts one more loss, anything else clears the count.
    /// </summary>
    public void Set(IpAddress server, int mss, FastOpenCookie? cookie, bool cookieExperimental, bool synLost, int tryExperimental,
        Instant now)
    {
        var entry = Get(server) ?? default;
        if (mss > 0)
        {
            entry = entry with { Mss = mss };
        }
        if (cookie is { IsRequest: false } c)
        {
            entry = entry with { Cookie = c, CookieExperimental = cookieExperimental };
        }
        else if (tryExperimental > entry.TryExperimental && entry.Cookie is null && !entry.CookieExperimental)
        {
            entry = entry with { TryExperimental = tryExperimental };
        }
        entry = synLost
            ? entry with { SynLosses = entry.SynLosses + 1, LastSynLoss = now }
            : entry with { SynLosses = 0 };
        if (!_entries.ContainsKey(server) && _entries.Count >= Capacity)
        {
            EvictOldest();
        }
        _entries[server] = (entry, ++_stamp);
    }

    /// <summary>Forgets everything (<c>ip tcp_metrics flush all</c>).</summary>
    public void Clear() => _entries.Clear();

    private void EvictOldest()
    {
        IpAddress? oldest = null;
        long stamp = long.MaxValue;
        foreach (var (server, e) in _entries)
        {
            if (e.Stamp < stamp)
            {
                (oldest, stamp) = (server, e.Stamp);
            }
        }
        if (oldest is { } o)
        {
            _entries.Remove(o);
        }
    }
}
