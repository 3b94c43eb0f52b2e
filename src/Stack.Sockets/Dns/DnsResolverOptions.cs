using System.Net;

namespace Stack.Sockets.Dns;

/// <summary>
/// How <see cref="DnsResolver"/> asks: its configured servers, the wait for each try, how many rounds over the
/// servers, and the cache's bounds. The defaults are glibc's (resolv.conf's timeout:5, attempts:2) with
/// rotate on.
/// </summary>
public sealed record DnsResolverOptions
{
    /// <summary>The well-known DNS port (RFC 1035 §4.2).</summary>
    public const int Port = 53;

    /// <summary>Servers given by configuration; DHCP and router advertisements add theirs with <see cref="DnsResolver.SetServers"/>.</summary>
    public IReadOnlyList<IPEndPoint> Servers { get; init; } = [];

    /// <summary>How long one try waits for an answer from one server (over UDP; over TCP, for the connection and the answer).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Rounds over the server list before a lookup gives up.</summary>
    public int Attempts { get; init; } = 2;

    /// <summary>Each lookup starts at the next server in turn (resolv.conf's rotate), spreading the load.</summary>
    public bool Rotate { get; init; } = true;

    /// <summary>How many answers the cache holds.</summary>
    public int CacheSize { get; init; } = 256;

    /// <summary>The longest a positive answer is cached, whatever its TTL (systemd-resolved caps at 2 hours).</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromHours(2);

    /// <summary>The longest a negative answer is cached (RFC 2308 §5 suggests one to three hours).</summary>
    public TimeSpan MaxNegativeTtl { get; init; } = TimeSpan.FromHours(3);

    /// <summary>
    /// Where query IDs and source ports come from; null (the default) is the system's cryptographic generator,
    /// as RFC 5452 §9.2 wants them unguessable. Tests pass a seeded one.
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>A server at <paramref name="address"/> on port 53.</summary>
    public static IPEndPoint Server(IPAddress address) => new(address, Port);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that cannot work.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Servers, nameof(Servers));
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException("the timeout must be positive", nameof(Timeout));
        if (Attempts < 1) throw new ArgumentException("at least one attempt is needed", nameof(Attempts));
        if (CacheSize < 1) throw new ArgumentException("the cache needs room for at least one answer", nameof(CacheSize));
        if (MaxTtl < TimeSpan.Zero || MaxNegativeTtl < TimeSpan.Zero) throw new ArgumentException("TTL caps cannot be negative", nameof(MaxTtl));
    }
}
