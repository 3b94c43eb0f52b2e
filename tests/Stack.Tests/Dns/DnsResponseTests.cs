using System.Net;
using Stack.Sockets.Dns;
using Stack.Sockets.Dns.Wire;

namespace Stack.Tests.Dns;

/// <summary>What a response means: CNAME chains, negative TTLs from the SOA (RFC 2308), answers that send the resolver on.</summary>
public sealed class DnsResponseTests
{
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(2), MaxNegative = TimeSpan.FromHours(3);
    private static readonly DnsQuestion Www = new("www.example", DnsRecordType.A);

    private static DnsMessage Response(DnsResponseCode code, DnsRecord[] answers, DnsRecord[]? authorities = null) =>
        new(new DnsHeader(1, IsResponse: true, ResponseCode: code), [Www], answers, authorities ?? [], []);

    private static DnsOutcome Interpret(DnsMessage response) => DnsResponse.Interpret(Www, response, MaxTtl, MaxNegative);

    [Fact]
    public void A_CNAME_chain_leads_to_the_addresses_and_its_least_TTL_bounds_the_answer()
    {
        var outcome = Interpret(Response(DnsResponseCode.NoError,
        [
            DnsRecord.ForCname("WWW.example", 30, "a.example"),
            DnsRecord.ForCname("a.example", 300, "b.example"),
            DnsRecord.ForAddress("b.example", 120, IPAddress.Parse("192.0.2.10")),
            DnsRecord.ForAddress("other.example", 120, IPAddress.Parse("192.0.2.99")),
        ]));
        Assert.Equal(DnsOutcomeKind.Answer, outcome.Kind);
        Assert.Equal("b.example", outcome.Answer!.CanonicalName);
        Assert.Equal([IPAddress.Parse("192.0.2.10")], outcome.Answer.Addresses.Select(a => a.Address));
        Assert.Equal(TimeSpan.FromSeconds(30), outcome.Answer.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(120), outcome.Answer.Addresses[0].Ttl);
    }

    [Fact]
    public void A_chain_that_stops_short_is_followed_with_a_new_question()
    {
        var outcome = Interpret(Response(DnsResponseCode.NoError, [DnsRecord.ForCname("www.example", 30, "elsewhere.test")]));
        Assert.Equal(DnsOutcomeKind.FollowCname, outcome.Kind);
        Assert.Equal("elsewhere.test", outcome.NextName);
        Assert.Equal(TimeSpan.FromSeconds(30), outcome.ChainTtl);
    }

    [Fact]
    public void A_CNAME_loop_sends_the_resolver_to_another_server()
    {
        var outcome = Interpret(Response(DnsResponseCode.NoError,
            [DnsRecord.ForCname("www.example", 30, "a.example"), DnsRecord.ForCname("a.example", 30, "www.example")]));
        Assert.Equal(DnsOutcomeKind.TryNextServer, outcome.Kind);
    }

    [Theory]
    [InlineData(DnsResponseCode.ServerFailure)]
    [InlineData(DnsResponseCode.Refused)]
    [InlineData(DnsResponseCode.NotImplemented)]
    [InlineData(DnsResponseCode.FormatError)]
    public void Failures_send_the_resolver_to_another_server(DnsResponseCode code) =>
        Assert.Equal(DnsOutcomeKind.TryNextServer, Interpret(Response(code, [])).Kind);

    [Theory]
    [InlineData(DnsResponseCode.NameError, 900u, 60u, 60)]
    [InlineData(DnsResponseCode.NoError, 45u, 600u, 45)]
    public void A_negative_answer_lives_for_the_SOA_TTL_bounded_by_its_minimum(DnsResponseCode code, uint soaTtl, uint minimum, int seconds)
    {
        var soa = DnsRecord.ForSoa("example", soaTtl, new DnsSoa("ns.example", "h.example", 1, 2, 3, 4, minimum));
        var outcome = Interpret(Response(code, [], [soa]));
        Assert.Equal(DnsOutcomeKind.Answer, outcome.Kind);
        Assert.Empty(outcome.Answer!.Addresses);
        Assert.Equal(code, outcome.Answer.ResponseCode);
        Assert.Equal(TimeSpan.FromSeconds(seconds), outcome.Answer.Ttl);
    }

    [Fact]
    public void A_negative_answer_without_an_SOA_is_not_cached()
    {
        var outcome = Interpret(Response(DnsResponseCode.NameError, []));
        Assert.True(outcome.Answer!.IsNameError);
        Assert.Equal(TimeSpan.Zero, outcome.Answer.Ttl);
    }

    [Fact]
    public void The_exchange_believes_only_its_server_its_ID_and_its_question()
    {
        var server = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53);
        var exchange = new DnsExchange(77, Www, server);
        var good = Response(DnsResponseCode.NoError, []) with { Header = new DnsHeader(77, IsResponse: true) };
        Assert.Equal(DnsRejectReason.None, exchange.Check(DnsWriter.Write(good), server, out var accepted));
        Assert.NotNull(accepted);
        Assert.Equal(DnsRejectReason.WrongServer, exchange.Check(DnsWriter.Write(good), new IPEndPoint(server.Address, 5353), out _));
        Assert.Equal(DnsRejectReason.WrongServer, exchange.Check(DnsWriter.Write(good), new IPEndPoint(IPAddress.Parse("192.0.2.9"), 53), out _));
        Assert.Equal(DnsRejectReason.WrongId, exchange.Check(DnsWriter.Write(good with { Header = good.Header with { Id = 78 } }), server, out _));
        Assert.Equal(DnsRejectReason.NotAResponse, exchange.Check(DnsWriter.Write(good with { Header = good.Header with { IsResponse = false } }), server, out _));
        Assert.Equal(DnsRejectReason.WrongQuestion, exchange.Check(DnsWriter.Write(good with { Questions = [Www with { Type = DnsRecordType.AAAA }] }), server, out _));
        Assert.Equal(DnsRejectReason.WrongQuestion, exchange.Check(DnsWriter.Write(good with { Questions = [Www with { Name = "ww.example" }] }), server, out _));
        Assert.Equal(DnsRejectReason.WrongQuestion, exchange.Check(DnsWriter.Write(good with { Questions = [] }), server, out _));
        Assert.Equal(DnsRejectReason.None, exchange.Check(DnsWriter.Write(good with { Questions = [Www with { Name = "WWW.EXAMPLE" }] }), server, out _));
        Assert.Equal(DnsRejectReason.Truncated, exchange.Check([0, 77, 0x80], server, out _));
    }
}
