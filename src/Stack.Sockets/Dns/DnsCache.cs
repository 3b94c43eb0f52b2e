using Stack.Link.Time;
using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Dns;

/// <summary>
/// A bounded cache of answers by (name, type), sans I/O: every call takes <c>now</c>. An entry lives for its
/// answer's TTL; a zero TTL is not cached (RFC 1035 §3.2.1: use for this transaction only). A name error
/// (NXDOMAIN) is kept for every type of the name (RFC 2308 §5); NODATA for its type only. When full, an expired
/// entry makes room, else the one closest to expiry. Not thread-safe: <see cref="DnsResolver"/> locks it.
/// </summary>
public sealed class DnsCache
{
    private readonly Dictionary<(string Name, DnsRecordType Type), (DnsAnswer Answer, Instant Expires)> _entries = [];

    public DnsCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _entries.Count;

    /// <summary>The answer cached for <paramref name="name"/> and <paramref name="type"/>, its TTLs counted down to <paramref name="now"/>.</summary>
    public bool TryGet(string name, DnsRecordType type, Instant now, out DnsAnswer? answer)
    {
        answer = null;
        var key = Key(name, type);
        if (!Find(key, now, out var entry) && !Find(Key(name, DnsRecordType.ANY), now, out entry)) return false;
        var left = entry.Expires - now;
        answer = entry.Answer with
        {
            Type = type,
            Ttl = left,
            Addresses = [.. entry.Answer.Addresses.Select(a => a with { Ttl = a.Ttl - (entry.Answer.Ttl - left) })],
            FromCache = true,
        };
        return true;
    }

    /// <summary>Keeps <paramref name="answer"/> for its <see cref="DnsAnswer.Ttl"/> from <paramref name="now"/>.</summary>
    public void Add(DnsAnswer answer, Instant now)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Ttl <= TimeSpan.Zero) return;
        var key = Key(answer.Name, answer.IsNameError ? DnsRecordType.ANY : answer.Type);
        if (!_entries.ContainsKey(key) && _entries.Count >= Capacity) Evict(now);
        _entries[key] = (answer, now + answer.Ttl);
    }

    public void Clear() => _entries.Clear();

    private bool Find((string, DnsRecordType) key, Instant now, out (DnsAnswer Answer, Instant Expires) entry)
    {
        if (!_entries.TryGetValue(key, out entry)) return false;
        if (entry.Expires > now) return true;
        _entries.Remove(key);
        return false;
    }

    private void Evict(Instant now)
    {
        (string, DnsRecordType)? victim = null;
        var soonest = Instant.Never;
        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                _entries.Remove(key);
                return;
            }
            if (entry.Expires < soonest) (victim, soonest) = (key, entry.Expires);
        }
        if (victim is { } v) _entries.Remove(v);
    }

    private static (string, DnsRecordType) Key(string name, DnsRecordType type) => (name.ToLowerInvariant(), type);
}
