using Stack.Link.Time;

namespace Stack.IP.Fragments;

/// <summary>
/// Path MTU per destination (RFC 1191 for IPv4, RFC 8201 for IPv6). Only decreases are learned, from ICMP
/// "fragmentation needed" / "packet too big" (RFC 1191 §6.3); an estimate ages out 10 minutes after its last
/// decrease, and the link MTU applies again. The estimate never falls below the floor (IpHost's: 552 for IPv4 as
/// Linux's min_pmtu, 1280 for IPv6) nor rises above the link MTU; a report below the floor leaves the entry
/// <em>locked</em> at it, and the sender then lets routers fragment (Linux's locked route MTU). Bounded: the entry
/// updated longest ago is evicted when full.
/// </summary>
public sealed class PathMtuCache<TKey> where TKey : struct, IEquatable<TKey>
{
    /// <summary>RFC 1191 §7, the table of MTU plateaus, descending.</summary>
    private static readonly int[] Plateaus = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

    private readonly Dictionary<TKey, LinkedListNode<Entry>> _entries = new();
    private readonly LinkedList<Entry> _byAge = new();

    public PathMtuCache(int linkMtu, int floor, int capacity = 1024, TimeSpan? ageOut = null)
    {
        if (floor < 68) throw new ArgumentOutOfRangeException(nameof(floor), floor, "The floor must be at least 68 (RFC 791).");
        if (linkMtu < floor) throw new ArgumentOutOfRangeException(nameof(linkMtu), linkMtu, "The link MTU must not be below the floor.");
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        LinkMtu = linkMtu;
        Floor = floor;
        Capacity = capacity;
        AgeOut = ageOut ?? TimeSpan.FromMinutes(10);
    }

    public int LinkMtu { get; }

    public int Floor { get; }

    public int Capacity { get; }

    /// <summary>RFC 1191 §6.3 and RFC 8201 §4: 10 minutes by default.</summary>
    public TimeSpan AgeOut { get; }

    public int Count => _entries.Count;

    /// <summary>The path MTU to use towards <paramref name="key"/> at <paramref name="now"/>.</summary>
    public int Get(TKey key, Instant now) => Get(key, now, out _);

    /// <summary>The path MTU, and whether a report below the floor locked it there (then do not set DF).</summary>
    public int Get(TKey key, Instant now, out bool locked)
    {
        locked = false;
        if (!_entries.TryGetValue(key, out LinkedListNode<Entry>? node)) return LinkMtu;
        if (node.Value.Updated + AgeOut <= now)
        {
            Remove(node);
            return LinkMtu;
        }
        locked = node.Value.Locked;
        return node.Value.Mtu;
    }

    /// <summary>
    /// Learns <paramref name="reportedMtu"/> from an ICMP message about <paramref name="key"/>. Returns true when the
    /// path MTU went down (tell the transports); increases and repeats are ignored.
    /// </summary>
    public bool Update(TKey key, int reportedMtu, Instant now)
    {
        int mtu = Math.Clamp(reportedMtu, Floor, LinkMtu);
        int current = Get(key, now, out bool wasLocked);
        bool locked = reportedMtu < Floor;
        if (mtu > current || (mtu == current && (wasLocked || !locked))) return false;

        if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node)) Remove(node);
        else if (_entries.Count >= Capacity && _byAge.First is { } oldest) Remove(oldest);

        _entries.Add(key, _byAge.AddLast(new Entry(key, mtu, now, locked)));
        return true;
    }

    /// <summary>
    /// The MTU an IPv4 "fragmentation needed and DF set" reports (RFC 1191 §4): its next-hop MTU, or for 0 (a
    /// router older than RFC 1191) the plateau below the total length of the packet that did not fit (RFC 1191
    /// §5, §7). A report not below the packet's length is taken as it is, as Linux does: it cannot lower the
    /// estimate under what the path already carried, where guessing a plateau would.
    /// </summary>
    public static int ReportedMtu(int nextHopMtu, int tooBigPacketLength) =>
        nextHopMtu < 68 ? PlateauBelow(tooBigPacketLength) : nextHopMtu;

    /// <summary>The largest RFC 1191 plateau strictly below <paramref name="length"/>; 68 at the bottom.</summary>
    public static int PlateauBelow(int length)
    {
        foreach (int plateau in Plateaus)
            if (plateau < length) return plateau;
        return 68;
    }

    public void Remove(TKey key)
    {
        if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node)) Remove(node);
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _entries.Remove(node.Value.Key);
        _byAge.Remove(node);
    }

    private readonly record struct Entry(TKey Key, int Mtu, Instant Updated, bool Locked);
}
