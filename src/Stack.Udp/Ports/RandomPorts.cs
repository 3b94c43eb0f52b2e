namespace Stack.Udp.Ports;

/// <summary>
/// UDP's ephemeral ports: RFC 6056 §3.3.1, Algorithm 1 — an independent random port from the IANA dynamic
/// range (49152–65535) per try, skipping those in use. Stack.Tcp has its own selector (Algorithm 4, keyed by
/// destination); UDP needs only this, and the layers do not reference each other. Not thread-safe.
/// </summary>
public sealed class RandomPorts(Random random)
{
    public const ushort First = 49152;
    public const ushort Last = 65535;

    /// <summary>How many ports the whole range holds.</summary>
    public const int Count = Last - First + 1;

    private readonly Random _random = random ?? throw new ArgumentNullException(nameof(random));
    private (ushort First, ushort Last) _range = (First, Last);

    /// <summary>
    /// The ports it allocates from: <see cref="First"/>..<see cref="Last"/> unless set otherwise (the stack's local
    /// port range, as Linux's ip_local_port_range, which may be any ports from 1), or narrowed to a shard's slice of
    /// a multi-queue stack, so that two shards never hand out the same port (a reply then finds its socket on
    /// whichever shard it lands, through the hand-off, and no other socket there on the way).
    /// </summary>
    public (ushort First, ushort Last) Range
    {
        get => _range;
        set
        {
            if (value.First == 0 || value.First > value.Last)
                throw new ArgumentOutOfRangeException(nameof(value), value, "a range of ports from 1, first ≤ last");
            _range = value;
        }
    }

    /// <summary>
    /// A random free port of <see cref="Range"/>. After as many random misses as the range holds it walks the range
    /// once from a random start, so it fails only when every port is taken.
    /// </summary>
    public bool TryAllocate(Func<ushort, bool> inUse, out ushort port)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        var (first, last) = _range;
        int count = last - first + 1;
        for (int attempt = 0; attempt < count; attempt++)
        {
            port = (ushort)_random.Next(first, last + 1);
            if (!inUse(port)) return true;
        }
        int start = _random.Next(count);
        for (int i = 0; i < count; i++)
        {
            port = (ushort)(first + (start + i) % count);
            if (!inUse(port)) return true;
        }
        port = 0;
        return false;
    }
}
