using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Dns;

/// <summary>
/// What the resolver did and what it turned away. Lookups run on any thread, so counters are updated atomically;
/// read them at any time.
/// </summary>
public sealed class DnsStatistics
{
    private static readonly int Reasons = Enum.GetValues<DnsRejectReason>().Length;
    private readonly long[] _rejected = new long[Reasons];
    private long _udpQueries, _tcpQueries, _timeouts, _truncated, _serverFailures, _cacheHits, _cacheMisses;

    /// <summary>Queries sent over UDP (each try counts).</summary>
    public long UdpQueries => Volatile.Read(ref _udpQueries);

    /// <summary>Queries sent over TCP after a truncated answer.</summary>
    public long TcpQueries => Volatile.Read(ref _tcpQueries);

    /// <summary>Tries that got no acceptable answer in time (or whose server could not be reached).</summary>
    public long Timeouts => Volatile.Read(ref _timeouts);

    /// <summary>UDP answers with the TC bit set.</summary>
    public long Truncated => Volatile.Read(ref _truncated);

    /// <summary>Answers that sent the lookup to the next server: SERVFAIL, REFUSED, NOTIMP, FORMERR, a CNAME loop.</summary>
    public long ServerFailures => Volatile.Read(ref _serverFailures);

    public long CacheHits => Volatile.Read(ref _cacheHits);

    public long CacheMisses => Volatile.Read(ref _cacheMisses);

    /// <summary>Messages turned away for <paramref name="reason"/>.</summary>
    public long this[DnsRejectReason reason] => Volatile.Read(ref _rejected[(int)reason]);

    /// <summary>Every message turned away, whatever the reason.</summary>
    public long Rejected => _rejected.Sum();

    /// <summary>Every non-zero reject counter.</summary>
    public IReadOnlyList<(DnsRejectReason Reason, long Count)> RejectSnapshot() =>
        [.. Enum.GetValues<DnsRejectReason>().Select(r => (r, this[r])).Where(p => p.Item2 > 0)];

    internal void Reject(DnsRejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);
    internal void UdpQuery() => Interlocked.Increment(ref _udpQueries);
    internal void TcpQuery() => Interlocked.Increment(ref _tcpQueries);
    internal void Timeout() => Interlocked.Increment(ref _timeouts);
    internal void TruncatedAnswer() => Interlocked.Increment(ref _truncated);
    internal void ServerFailure() => Interlocked.Increment(ref _serverFailures);
    internal void CacheHit() => Interlocked.Increment(ref _cacheHits);
    internal void CacheMiss() => Interlocked.Increment(ref _cacheMisses);
}
