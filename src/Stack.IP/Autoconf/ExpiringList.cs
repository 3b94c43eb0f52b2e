using Stack.Link.Time;

namespace Stack.IP.Autoconf;

/// <summary>What <see cref="ExpiringList{TKey}.Set"/> did.</summary>
internal enum SetOutcome
{
    Added,
    Updated,
    /// <summary>A new key met a full list and was ignored.</summary>
    Full,
    /// <summary>A new key met a full list and replaced the entry nearest expiry.</summary>
    Replaced,
}

/// <summary>
/// A short list of keys, each with an expiry, kept in the order they were learned and capped: the shape of the
/// default router, prefix and DNS server lists (RFC 4861 §5.1, RFC 8106 §5.3.1). Linear, as the lists hold a
/// handful of entries.
/// </summary>
internal sealed class ExpiringList<TKey>(int capacity) where TKey : struct, IEquatable<TKey>
{
    private readonly List<(TKey Key, Instant Expires)> _entries = [];

    public int Count => _entries.Count;

    public int Capacity => capacity;

    public (TKey Key, Instant Expires) this[int index] => _entries[index];

    public Instant NextExpiry
    {
        get
        {
            var next = Instant.Never;
            foreach (var e in _entries) next = Instant.Min(next, e.Expires);
            return next;
        }
    }

    public bool Contains(TKey key) => IndexOf(key) >= 0;

    /// <summary>
    /// Adds <paramref name="key"/> or moves its expiry. A new key meets a full list: ignored, or when
    /// <paramref name="replaceSoonest"/> it replaces the entry that would expire first (returned in <paramref name="replaced"/>).
    /// </summary>
    public SetOutcome Set(TKey key, Instant expires, out TKey replaced, bool replaceSoonest = false)
    {
        replaced = default;
        int i = IndexOf(key);
        if (i >= 0)
        {
            _entries[i] = (key, expires);
            return SetOutcome.Updated;
        }
        if (_entries.Count < capacity)
        {
            _entries.Add((key, expires));
            return SetOutcome.Added;
        }
        if (!replaceSoonest) return SetOutcome.Full;
        int soonest = 0;
        for (int j = 1; j < _entries.Count; j++)
            if (_entries[j].Expires < _entries[soonest].Expires) soonest = j;
        replaced = _entries[soonest].Key;
        _entries.RemoveAt(soonest);
        _entries.Add((key, expires));
        return SetOutcome.Replaced;
    }

    public bool Remove(TKey key)
    {
        int i = IndexOf(key);
        if (i < 0) return false;
        _entries.RemoveAt(i);
        return true;
    }

    /// <summary>Moves <paramref name="key"/> to the end (round-robin among routers, RFC 4861 §6.3.6).</summary>
    public void MoveToEnd(TKey key)
    {
        int i = IndexOf(key);
        if (i < 0) return;
        var e = _entries[i];
        _entries.RemoveAt(i);
        _entries.Add(e);
    }

    /// <summary>Removes the entries whose time is up and adds their keys to <paramref name="expired"/>.</summary>
    public void Expire(Instant now, List<TKey> expired)
    {
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Expires > now) continue;
            expired.Add(_entries[i].Key);
            _entries.RemoveAt(i);
        }
    }

    private int IndexOf(TKey key)
    {
        for (int i = 0; i < _entries.Count; i++)
            if (_entries[i].Key.Equals(key)) return i;
        return -1;
    }
}
