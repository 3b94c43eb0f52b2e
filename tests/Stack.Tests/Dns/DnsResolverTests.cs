using System.Net;
using System.Net.Sockets;
using Stack.Link.Devices.Memory;
using Stack.Sockets.Dns;
using Stack.Sockets.Dns.Wire;
using Stack.Sockets.Hosting;
using Stack.Sockets.Http;
using Stack.Tests.Sockets;
using Stack.Tests.Support;

namespace Stack.Tests.Dns;

/// <summary>
/// The resolver on stack A (192.0.2.2) against <see cref="FakeDnsServer"/>s on stack B (192.0.2.3), on an in-memory
/// link and a fake clock: timeouts and TTLs pass only when a test moves the clock, so every run is the same.
/// </summary>
public sealed class DnsResolverTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan TryTimeout = TimeSpan.FromSeconds(1);
    private static readonly IPAddress ServerAddress = IPAddress.Parse("192.0.2.3");
    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.10"), V6 = IPAddress.Parse("2001:db8::10");

    private readonly WatchedClock _clock = new();
    private readonly StackInstance _a, _b;

    public DnsResolverTests()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        _a = StackInstance.Start(MemoryStacks.Options(linkA, 2) with { Time = _clock, Dns = Options(53) });
        _b = StackInstance.Start(MemoryStacks.Options(linkB, 3) with { Time = _clock });
    }

    private static DnsResolverOptions Options(params int[] ports) => new()
    {
        Servers = [.. ports.Select(p => new IPEndPoint(ServerAddress, p))],
        Timeout = TryTimeout,
        Attempts = 2,
        Rotate = false,
        Random = new Random(5452),
    };

    private DnsResolver Resolver => _a.Dns;

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(2);
        }
    }

    [Fact]
    public async Task A_and_AAAA_come_back_IPv6_first_with_their_TTLs()
    {
        using var server = new FakeDnsServer(_b);
        server.Add(DnsRecord.ForAddress("www.example", 300, V4), DnsRecord.ForAddress("www.example", 200, V6));

        Assert.Equal([V6, V4], await _a.ResolveAsync("www.example").AsTask().WaitAsync(Patience));
        Assert.Equal([V4], await Resolver.ResolveAsync("WWW.example.", AddressFamily.InterNetwork).AsTask().WaitAsync(Patience));
        var aaaa = await Resolver.LookupAsync("www.example", DnsRecordType.AAAA).AsTask().WaitAsync(Patience);
        Assert.Equal([new DnsAddress(V6, TimeSpan.FromSeconds(200))], aaaa.Addresses);
        Assert.Equal([IPAddress.Parse("192.0.2.99")], await Resolver.ResolveAsync("192.0.2.99"));
        Assert.Equal(2, server.UdpQueries.Count); // The rest came from the cache.
    }

    [Fact]
    public async Task Every_query_has_a_random_ID_and_a_random_source_port()
    {
        using var server = new FakeDnsServer(_b);
        for (int i = 0; i < 16; i++)
        {
            server.Add(DnsRecord.ForAddress($"h{i}.example", 60, V4));
            await Resolver.LookupAsync($"h{i}.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        }
        var queries = server.UdpQueries;
        Assert.Equal(16, queries.Count);
        Assert.Equal(16, queries.Select(q => q.Query.Header.Id).Distinct().Count());
        Assert.Equal(16, queries.Select(q => q.From.Port).Distinct().Count());
        Assert.All(queries, q => Assert.InRange(q.From.Port, 49152, 65535));
        Assert.All(queries, q => Assert.True(q.Query.Header.RecursionDesired));
    }

    [Fact]
    public async Task A_lost_query_is_sent_again_after_the_timeout_on_the_stack_clock()
    {
        using var server = new FakeDnsServer(_b) { DropUdp = 1 };
        server.Add(DnsRecord.ForAddress("slow.example", 60, V4));
        var lookup = Resolver.LookupAsync("slow.example", DnsRecordType.A).AsTask();
        await WaitFor(() => server.UdpQueries.Count == 1);
        Assert.False(lookup.IsCompleted);
        _clock.Advance(TryTimeout - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.Single(server.UdpQueries); // Not a moment early.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([V4], (await lookup.WaitAsync(Patience)).Addresses.Select(a => a.Address));
        var queries = server.UdpQueries;
        Assert.Equal(2, queries.Count);
        Assert.NotEqual(queries[0].Query.Header.Id, queries[1].Query.Header.Id);
        Assert.NotEqual(queries[0].From.Port, queries[1].From.Port);
        Assert.Equal(1, Resolver.Statistics.Timeouts);
    }

    [Fact]
    public async Task No_answer_in_any_round_fails_with_try_again()
    {
        using var server = new FakeDnsServer(_b) { DropUdp = int.MaxValue };
        var lookup = Resolver.LookupAsync("silent.example", DnsRecordType.A).AsTask();
        for (int sent = 1; sent <= 2; sent++)
        {
            await WaitFor(() => server.UdpQueries.Count == sent);
            _clock.Advance(TryTimeout);
        }
        var e = await Assert.ThrowsAsync<DnsResolveException>(() => lookup.WaitAsync(Patience));
        Assert.Equal(SocketError.TryAgain, e.SocketErrorCode);
        Assert.Equal(2, Resolver.Statistics.Timeouts);
    }

    [Fact]
    public async Task A_silent_server_is_left_for_the_next_one_after_its_timeout()
    {
        Resolver.Options = Options(54, 53); // Nobody listens on 54: B answers port unreachable, which an unconnected socket does not see.
        using var server = new FakeDnsServer(_b);
        server.Add(DnsRecord.ForAddress("a.example", 60, V4));
        var lookup = Resolver.LookupAsync("a.example", DnsRecordType.A).AsTask();
        await WaitFor(() => _b.Udp.Statistics.NoPorts >= 1);
        Assert.Empty(server.UdpQueries);
        _clock.Advance(TryTimeout);
        Assert.Equal([V4], (await lookup.WaitAsync(Patience)).Addresses.Select(a => a.Address));
        Assert.Single(server.UdpQueries);
    }

    [Fact]
    public async Task Rotation_spreads_lookups_over_the_servers()
    {
        Resolver.Options = Options(53, 54) with { Rotate = true };
        using var first = new FakeDnsServer(_b);
        using var second = new FakeDnsServer(_b, port: 54);
        for (int i = 0; i < 4; i++)
        {
            first.Add(DnsRecord.ForAddress($"r{i}.example", 60, V4));
            second.Add(DnsRecord.ForAddress($"r{i}.example", 60, V4));
            await Resolver.LookupAsync($"r{i}.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        }
        Assert.Equal(2, first.UdpQueries.Count);
        Assert.Equal(2, second.UdpQueries.Count);
    }

    [Fact]
    public async Task A_server_failure_moves_on_to_the_next_server()
    {
        Resolver.Options = Options(53, 54);
        using var failing = new FakeDnsServer(_b) { Fail = DnsResponseCode.ServerFailure };
        using var good = new FakeDnsServer(_b, port: 54);
        good.Add(DnsRecord.ForAddress("a.example", 60, V4));
        Assert.Equal([V4], await Resolver.ResolveAsync("a.example", AddressFamily.InterNetwork).AsTask().WaitAsync(Patience));
        Assert.Single(failing.UdpQueries);
        Assert.Equal(1, Resolver.Statistics.ServerFailures);
    }

    /// <summary>RFC 5452 §9.1: forgeries with the wrong ID, question or source, a query, and garbage arrive first; all are counted and ignored.</summary>
    [Fact]
    public async Task Answers_that_do_not_match_the_query_are_ignored_and_counted()
    {
        using var server = new FakeDnsServer(_b);
        server.Add(DnsRecord.ForAddress("bank.example", 60, V4));
        var forged = IPAddress.Parse("192.0.2.66");
        server.BeforeAnswer = (s, query, client) =>
        {
            var real = s.Answer(query);
            var lie = real with { Answers = [DnsRecord.ForAddress("bank.example", 60, forged)] };
            s.Send(lie with { Header = lie.Header with { Id = (ushort)(query.Header.Id + 1) } }, client);
            s.Send(lie with { Questions = [query.Questions[0] with { Name = "bank.example.test" }] }, client);
            s.Send(lie with { Questions = [query.Questions[0] with { Type = DnsRecordType.AAAA }] }, client);
            s.Send(lie, client, stray: true);
            s.Send(lie with { Header = lie.Header with { IsResponse = false } }, client);
            s.Send([0xC0, 0xFF, 0xEE], client);
            s.Send([.. DnsWriter.Write(lie).AsSpan(0, 12), 0xC0, 12], client);
        };
        var answer = await Resolver.LookupAsync("bank.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        Assert.Equal([V4], answer.Addresses.Select(a => a.Address));
        var stats = Resolver.Statistics;
        Assert.Equal(1, stats[DnsRejectReason.WrongId]);
        Assert.Equal(2, stats[DnsRejectReason.WrongQuestion]);
        Assert.Equal(1, stats[DnsRejectReason.WrongServer]);
        Assert.Equal(1, stats[DnsRejectReason.NotAResponse]);
        Assert.Equal(1, stats[DnsRejectReason.Truncated]);
        Assert.Equal(1, stats[DnsRejectReason.PointerLoop]);
        Assert.Equal(7, stats.Rejected);
    }

    [Fact]
    public async Task A_truncated_answer_is_asked_again_over_TCP()
    {
        using var server = new FakeDnsServer(_b) { TruncateUdp = true };
        for (int i = 0; i < 40; i++) server.Add(DnsRecord.ForAddress("many.example", 60, IPAddress.Parse($"192.0.2.{100 + i}")));
        var answer = await Resolver.LookupAsync("many.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        Assert.Equal(40, answer.Addresses.Count);
        Assert.Single(server.UdpQueries);
        var tcp = Assert.Single(server.TcpQueries);
        Assert.NotEqual(server.UdpQueries[0].Query.Header.Id, tcp.Header.Id);
        Assert.Equal(1, Resolver.Statistics.Truncated);
        Assert.Equal(1, Resolver.Statistics.TcpQueries);
    }

    [Fact]
    public async Task Cached_answers_count_down_on_the_stack_clock_and_are_asked_again_when_they_expire()
    {
        using var server = new FakeDnsServer(_b);
        server.Add(DnsRecord.ForAddress("ttl.example", 60, V4));
        Assert.False((await Resolver.LookupAsync("ttl.example", DnsRecordType.A).AsTask().WaitAsync(Patience)).FromCache);
        _clock.Advance(TimeSpan.FromSeconds(45));
        var cached = await Resolver.LookupAsync("ttl.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        Assert.True(cached.FromCache);
        Assert.Equal(TimeSpan.FromSeconds(15), cached.Addresses[0].Ttl);
        Assert.Single(server.UdpQueries);
        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.False((await Resolver.LookupAsync("ttl.example", DnsRecordType.A).AsTask().WaitAsync(Patience)).FromCache);
        Assert.Equal(2, server.UdpQueries.Count);
    }

    [Fact]
    public async Task A_name_error_is_cached_for_the_SOA_minimum_for_every_type()
    {
        using var server = new FakeDnsServer(_b);
        var e = await Assert.ThrowsAsync<DnsResolveException>(() => Resolver.ResolveAsync("gone.example").AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.HostNotFound, e.SocketErrorCode);
        int asked = server.UdpQueries.Count; // AAAA and A went out together; either may have come back first.
        Assert.InRange(asked, 1, 2);
        var again = await Resolver.LookupAsync("gone.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        Assert.True(again.FromCache && again.IsNameError);
        Assert.Equal(TimeSpan.FromSeconds(FakeDnsServer.Soa.Minimum), again.Ttl);
        _clock.Advance(TimeSpan.FromSeconds(FakeDnsServer.Soa.Minimum));
        Assert.False((await Resolver.LookupAsync("gone.example", DnsRecordType.A).AsTask().WaitAsync(Patience)).FromCache);
        Assert.Equal(asked + 1, server.UdpQueries.Count);
    }

    [Fact]
    public async Task No_data_for_one_family_still_gives_the_other()
    {
        using var server = new FakeDnsServer(_b);
        server.Add(DnsRecord.ForAddress("v4only.example", 60, V4));
        Assert.Equal([V4], await Resolver.ResolveAsync("v4only.example").AsTask().WaitAsync(Patience));
        var e = await Assert.ThrowsAsync<DnsResolveException>(() => Resolver.ResolveAsync("v4only.example", AddressFamily.InterNetworkV6).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.NoData, e.SocketErrorCode);
    }

    [Fact]
    public async Task A_CNAME_the_server_did_not_follow_is_asked_for_and_the_whole_chain_cached()
    {
        using var server = new FakeDnsServer(_b) { FollowCnames = false };
        server.Add(DnsRecord.ForCname("alias.example", 20, "target.test"), DnsRecord.ForAddress("target.test", 60, V4));
        var answer = await Resolver.LookupAsync("alias.example", DnsRecordType.A).AsTask().WaitAsync(Patience);
        Assert.Equal("target.test", answer.CanonicalName);
        Assert.Equal("alias.example", answer.Name);
        Assert.Equal(TimeSpan.FromSeconds(20), answer.Ttl);
        Assert.Equal(["alias.example", "target.test"], server.UdpQueries.Select(q => q.Query.Questions[0].Name));
        Assert.True((await Resolver.LookupAsync("alias.example", DnsRecordType.A).AsTask().WaitAsync(Patience)).FromCache);
        Assert.Equal(2, server.UdpQueries.Count);
    }

    [Fact]
    public async Task Servers_from_DHCP_and_router_advertisements_are_tried_after_the_configured_ones()
    {
        Resolver.Options = Options();
        var e = await Assert.ThrowsAsync<DnsResolveException>(() => Resolver.LookupAsync("a.example", DnsRecordType.A).AsTask());
        Assert.Contains("no DNS server", e.Message, StringComparison.Ordinal);
        using var server = new FakeDnsServer(_b);
        server.Add(DnsRecord.ForAddress("a.example", 60, V4));
        Resolver.SetServers(DnsServerSource.RouterAdvertisement, [IPAddress.Parse("2001:db8::3")]);
        Resolver.SetServers(DnsServerSource.Dhcp, [ServerAddress]);
        Assert.Equal([new IPEndPoint(ServerAddress, 53), new IPEndPoint(IPAddress.Parse("2001:db8::3"), 53)], Resolver.Servers);
        Assert.Equal([V4], await Resolver.ResolveAsync("a.example", AddressFamily.InterNetwork).AsTask().WaitAsync(Patience));
        Resolver.SetServers(DnsServerSource.Dhcp, []);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("2001:db8::3"), 53)], Resolver.Servers);
    }

    [Fact]
    public async Task A_server_over_IPv6_answers_too()
    {
        Resolver.Options = Options() with { Servers = [new IPEndPoint(IPAddress.Parse("2001:db8::3"), 53)] };
        using var server = new FakeDnsServer(_b, AddressFamily.InterNetworkV6);
        server.Add(DnsRecord.ForAddress("six.example", 60, V6));
        Assert.Equal([V6], await Resolver.ResolveAsync("six.example").AsTask().WaitAsync(Patience));
    }
}

/// <summary>HttpClient over the stack with a host name: resolved by the stack's own resolver. On the real clock, as HTTP needs.</summary>
public sealed class DnsHttpTests
{
    [Fact]
    public async Task HttpClient_connects_by_name_through_the_stack_resolver()
    {
        var (a, b) = MemoryStacks.StartPair();
        using (a)
        using (b)
        {
            a.Dns.Options = new DnsResolverOptions { Servers = [new IPEndPoint(IPAddress.Parse("192.0.2.3"), 53)] };
            using var dns = new FakeDnsServer(b);
            dns.Add(DnsRecord.ForAddress("b.example", 60, IPAddress.Parse("192.0.2.3")));
            using var web = new MiniHttpServer(b, AddressFamily.InterNetwork, 8080);
            using var http = a.CreateHttpClient();
            http.Timeout = TimeSpan.FromSeconds(30);
            Assert.Equal(5, (await http.GetByteArrayAsync("http://b.example:8080/bytes/5")).Length);
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://nothere.example:8080/"));
            Assert.Contains("NXDOMAIN", e.Message + e.InnerException?.Message, StringComparison.Ordinal);
        }
    }
}
