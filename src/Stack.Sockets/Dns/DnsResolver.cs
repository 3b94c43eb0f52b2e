using System.Net;
using System.Net.Sockets;
using Stack.Sockets.Dns.Wire;
using Stack.Sockets.Hosting;

namespace Stack.Sockets.Dns;

/// <summary>
/// A stub resolver (RFC 1035 §7, RFC 3596) over a stack's own UDP and TCP: A and AAAA lookups sent to recursive
/// servers, with a try per server bounded by <see cref="DnsResolverOptions.Timeout"/>, rounds over the servers,
/// TCP when an answer comes truncated, CNAME chains followed, and a bounded cache that keeps positive answers for
/// their TTL and negative ones for the SOA's (RFC 2308). Every query has a random ID and a random source port
/// (RFC 5452 §9.2), and a message that does not answer it from the server asked is ignored and counted
/// (<see cref="Statistics"/>).
/// </summary>
/// <remarks>
/// Thread-safe: lookups run on any thread, each over sockets of its own (so on the stack's loop, through the
/// socket API's posts); only the cache and the server list are shared, under a lock. Time is the stack's
/// clock (<see cref="StackInstance.Loop"/>), so a test's fake clock drives timeouts and TTLs alike.
/// </remarks>
public sealed partial class DnsResolver
{
    private readonly StackInstance _stack;
    private readonly object _lock = new();
    private readonly Dictionary<DnsServerSource, IReadOnlyList<IPEndPoint>> _servers = [];
    private DnsCache _cache;
    private DnsResolverOptions _options;
    private int _rotation;

    public DnsResolver(StackInstance stack, DnsResolverOptions? options = null)
    {
        _stack = stack ?? throw new ArgumentNullException(nameof(stack));
        _options = options ?? new DnsResolverOptions();
        _options.Validate();
        _cache = new DnsCache(_options.CacheSize);
        _servers[DnsServerSource.Options] = _options.Servers;
    }

    public DnsStatistics Statistics { get; } = new();

    /// <summary>The options in force. Setting them replaces the configured servers and empties the cache.</summary>
    public DnsResolverOptions Options
    {
        get => _options;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            lock (_lock)
            {
                _options = value;
                _cache = new DnsCache(value.CacheSize);
                _servers[DnsServerSource.Options] = value.Servers;
            }
        }
    }

    /// <summary>Every server, in the order tried: configured ones, then DHCP's, then router advertisements', without repeats.</summary>
    public IReadOnlyList<IPEndPoint> Servers
    {
        get
        {
            lock (_lock)
            {
                return [.. Enum.GetValues<DnsServerSource>()
                    .SelectMany(s => _servers.GetValueOrDefault(s, []))
                    .DistinctBy(e => (e.Address, e.Port))];
            }
        }
    }

    /// <summary>
    /// Replaces the servers learned from <paramref name="source"/> (an empty list withdraws them): the hook the
    /// DHCP client and router advertisement processing feed. Lookups already running keep the list they started with.
    /// </summary>
    public void SetServers(DnsServerSource source, IEnumerable<IPAddress> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        IReadOnlyList<IPEndPoint> list = [.. servers.Select(DnsResolverOptions.Server)];
        lock (_lock) _servers[source] = list;
    }

    /// <summary>Forgets every cached answer.</summary>
    public void FlushCache()
    {
        lock (_lock) _cache.Clear();
    }

    /// <summary>
    /// The addresses of <paramref name="host"/>: of <paramref name="family"/>, or of both (IPv6 first, as RFC 6724's
    /// default policy orders them) when null. A literal address is returned as it is.
    /// </summary>
    /// <exception cref="DnsResolveException">No address: <see cref="SocketError.HostNotFound"/>, <see cref="SocketError.NoData"/> or <see cref="SocketError.TryAgain"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is not a domain name.</exception>
    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, AddressFamily? family = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IPAddress.TryParse(host, out var literal) && (family is null || literal.AddressFamily == family)) return [literal];
        DnsRecordType[] types = family switch
        {
            null => [DnsRecordType.AAAA, DnsRecordType.A],
            AddressFamily.InterNetwork => [DnsRecordType.A],
            AddressFamily.InterNetworkV6 => [DnsRecordType.AAAA],
            _ => throw new ArgumentException($"DNS resolves InterNetwork and InterNetworkV6 addresses, not {family}", nameof(family)),
        };
        var lookups = types.Select(t => LookupAsync(host, t, cancellationToken).AsTask()).ToArray();
        await ((Task)Task.WhenAll(lookups)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Whatever one family found is the answer (getaddrinfo returns what it has); else the first failure.
        var answers = lookups.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        var addresses = answers.SelectMany(a => a.Addresses).Select(a => a.Address).ToList();
        if (addresses.Count > 0) return addresses;
        if (lookups.FirstOrDefault(t => !t.IsCompletedSuccessfully) is { } failed) await failed.ConfigureAwait(false);
        if (answers.Any(a => a.IsNameError))
            throw new DnsResolveException(SocketError.HostNotFound, $"'{host}' does not exist (NXDOMAIN)");
        throw new DnsResolveException(SocketError.NoData, $"'{host}' has no {string.Join(" or ", types)} record");
    }

    /// <summary>
    /// Looks up <paramref name="type"/> records of <paramref name="name"/> (A or AAAA), from the cache or the
    /// servers. A negative answer is an answer (<see cref="DnsAnswer.IsNameError"/>, <see cref="DnsAnswer.IsNoData"/>);
    /// no usable answer from any server throws.
    /// </summary>
    /// <exception cref="DnsResolveException">No server answered usefully (<see cref="SocketError.TryAgain"/>), or none is configured.</exception>
    public async ValueTask<DnsAnswer> LookupAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        if (type is not (DnsRecordType.A or DnsRecordType.AAAA))
            throw new ArgumentException($"the resolver looks up A and AAAA records, not {type}", nameof(type));
        var asked = DnsName.Normalize(name);
        var current = asked;
        var chainTtl = TimeSpan.MaxValue;
        for (int hop = 0; hop <= DnsResponse.MaxCnameHops; hop++)
        {
            var question = new DnsQuestion(current, type);
            DnsOutcome outcome;
            if (FromCache(question) is { } cached)
            {
                outcome = new DnsOutcome(DnsOutcomeKind.Answer, cached);
            }
            else
            {
                outcome = await AskServersAsync(question, cancellationToken).ConfigureAwait(false);
                if (outcome.Kind == DnsOutcomeKind.Answer) Remember(outcome.Answer!);
            }
            if (outcome.Kind == DnsOutcomeKind.Answer)
            {
                var answer = outcome.Answer!;
                if (hop == 0) return answer;
                // The chain's own TTLs bound the answer to the first name: a link may expire before the end does.
                var whole = answer with { Name = asked, Ttl = answer.Ttl < chainTtl ? answer.Ttl : chainTtl };
                Remember(whole);
                return whole;
            }
            chainTtl = outcome.ChainTtl < chainTtl ? outcome.ChainTtl : chainTtl;
            current = outcome.NextName!;
        }
        throw new DnsResolveException(SocketError.TryAgain, $"'{name}': a CNAME chain longer than {DnsResponse.MaxCnameHops}");
    }

    private DnsAnswer? FromCache(DnsQuestion question)
    {
        var now = _stack.Loop.Now;
        lock (_lock)
        {
            if (_cache.TryGet(question.Name, question.Type, now, out var answer))
            {
                Statistics.CacheHit();
                return answer;
            }
        }
        Statistics.CacheMiss();
        return null;
    }

    private void Remember(DnsAnswer answer)
    {
        var now = _stack.Loop.Now;
        lock (_lock) _cache.Add(answer, now);
    }

    /// <summary>
    /// RFC 1035 §7.2, as glibc's res_send does it: up to <see cref="DnsResolverOptions.Attempts"/> rounds over
    /// the servers, each try waiting <see cref="DnsResolverOptions.Timeout"/>; a truncated answer is asked
    /// again over TCP of the same server; an answer that cannot help (SERVFAIL and the like) moves on to the next.
    /// </summary>
    private async ValueTask<DnsOutcome> AskServersAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        var servers = Servers;
        var options = _options;
        if (servers.Count == 0)
            throw new DnsResolveException(SocketError.TryAgain,
                $"no DNS server to ask about '{question.Name}': give some in StackOptions.Dns.Servers (or stack resolve --server), or let DHCP or RDNSS provide them");
        int first = options.Rotate ? (int)((uint)Interlocked.Increment(ref _rotation) % (uint)servers.Count) : 0;
        for (int attempt = 0; attempt < options.Attempts; attempt++)
        {
            for (int i = 0; i < servers.Count; i++)
            {
                var server = servers[(first + i) % servers.Count];
                var response = await ExchangeUdpAsync(server, question, options, cancellationToken).ConfigureAwait(false);
                if (response is { Header.Truncated: true })
                {
                    Statistics.TruncatedAnswer();
                    response = await ExchangeTcpAsync(server, question, options, cancellationToken).ConfigureAwait(false);
                }
                if (response is null)
                {
                    Statistics.Timeout();
                    continue;
                }
                var outcome = DnsResponse.Interpret(question, response, options.MaxTtl, options.MaxNegativeTtl);
                if (outcome.Kind != DnsOutcomeKind.TryNextServer) return outcome;
                Statistics.ServerFailure();
            }
        }
        throw new DnsResolveException(SocketError.TryAgain,
            $"no answer for '{question.Name}' {question.Type} from {string.Join(", ", servers)} ({options.Attempts} rounds, {options.Timeout.TotalSeconds:0.###} s a try)");
    }
}
