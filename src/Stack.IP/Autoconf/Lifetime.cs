using Stack.Link.Time;

namespace Stack.IP.Autoconf;

/// <summary>Lifetimes in seconds as router advertisements carry them (RFC 4861 §4.6.2: all ones is infinity).</summary>
internal static class Lifetime
{
    public const uint Infinite = 0xFFFF_FFFF;

    /// <summary>RFC 4862 §5.5.3(e): the floor a valid lifetime may be cut to by an unauthenticated advertisement.</summary>
    public static readonly TimeSpan TwoHours = TimeSpan.FromHours(2);

    /// <summary>When a lifetime of <paramref name="seconds"/> starting at <paramref name="now"/> ends.</summary>
    public static Instant Expiry(Instant now, uint seconds) =>
        seconds == Infinite ? Instant.Never : now + TimeSpan.FromSeconds(seconds);
}
