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

    /// <summary>How many ports the range holds; also the number of tries before giving up.</summary>
    public const int Count = Last - First + 1;

    private readonly Random _random = random ?? throw new ArgumentNullException(nameof(random));

    /// <summary>
    /// A random free port. After <see cref="Count"/> random misses it walks the range once from a random start,
    /// so it fails only when every port is taken.
    /// </summary>
    public bool TryAllocate(Func<ushort, bool> inUse, out ushort port)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        for (int attempt = 0; attempt < Count; attempt++)
        {
            port = (ushort)_random.Next(First, Last + 1);
            if (!inUse(port)) return true;
        }
        int start = _random.Next(Count);
        for (int i = 0; i < Count; i++)
        {
            port = (ushort)(First + (start + i) % Count);
            if (!inUse(port)) return true;
        }
        port = 0;
        return false;
    }
}
