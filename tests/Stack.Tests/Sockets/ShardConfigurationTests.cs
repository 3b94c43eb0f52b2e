using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tests.Dhcp;
using Stack.Tests.IP.Autoconf;
using Stack.Tests.Support;
using Stack.Udp;

namespace Stack.Tests.Sockets;

/// <summary>
/// DHCP and IPv6 autoconfiguration on a two-shard stack (<see cref="StackShards"/>) over an in-memory 2-queue link
/// (<see cref="SteeredLink"/>), with every frame of the peer (a DHCP server, a router) steered to shard 1's queue:
/// shard 0 owns the state machines and gets what they must see from shard 1, and shard 1 follows what they set.
/// One fake clock, moved by the tests.
/// </summary>
public sealed class ShardConfigurationTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly MacAddress OurMac = new(0x0200_0000_0002UL);
    private static readonly MacAddress PeerMac = new(0x0200_0000_0001UL);
    private static readonly IpAddress Leased = Ipv4Address.Parse("192.0.2.100");
    private static readonly IpAddress Server = Ipv4Address.Parse("192.0.2.1");
    private static readonly Ipv6Address Slaac = new(RouterFrames.Prefix.Value | InterfaceIdentifier.Eui64(OurMac));

    private readonly WatchedClock _clock = new();
    private readonly SteeredLink _link = new(queues: 2) { Queue = 1 };
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly StackShards _shards;
    private readonly StackInstance _peer;
    private UdpEndpoint? _server;

    public ShardConfigurationTests()
    {
        _shards = StackShards.Start(new StackOptions
        {
            Link = StackLink.Queues(_link.Queues),
            Mac = OurMac,
            Time = _clock,
            Dhcp = DhcpNet.Fast with { ProbeCount = 0 },
            Autoconf = new AutoconfOptions { InterfaceIds = InterfaceIdMode.Eui64 },
        }, queues: 2);
        _peer = StackInstance.Start("peer", _link, new IpHostOptions
        {
            Mac = PeerMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.1/24")],
        }, _clock, configure: s =>
        {
            _server = s.Udp.Open(AddressFamily.InterNetwork);
            Assert.Equal(SocketError.Success, s.Udp.Bind(_server, IpAddress.AnyV4, 67));
            _server.Readable = _ => s.Loop.Post(Serve);
        });
    }

    private StackInstance Shard0 => _shards.Shards[0];
    private StackInstance Shard1 => _shards.Shards[1];

    /// <summary>The fake server's answers (on the peer's loop): null drops the request. A 10 s lease, T1 4 s, T2 7 s.</summary>
    private Func<FakeRequest, byte[]?> Answer { get; set; } = r => r.Reply(r.Type == 1 ? (byte)2 : (byte)5, "192.0.2.100", lease: 10);

    [Fact]
    public async Task A_lease_whose_offer_and_ack_land_on_shard_1_gives_both_shards_the_address_router_and_dns_server()
    {
        await Bound();

        foreach (var shard in _shards.Shards)
        {
            var (local, gateway, source) = await shard.Loop.InvokeAsync(_ =>
                (shard.Host.IsLocal(Leased), shard.Host.Routes.GatewayV4, shard.Host.SelectSource(Ipv4Address.Parse("198.51.100.7"))));
            Assert.True(local, shard.Name);
            Assert.Equal(Server, gateway);
            Assert.Equal(Leased, source);
            Assert.True(await shard.Loop.InvokeAsync(_ => shard.Host.Routes.IsOnLink(Ipv4Address.Parse("192.0.2.77"))), shard.Name);
            Assert.Contains(shard.Dns.Servers, s => s.Address.Equals(IPAddress.Parse("192.0.2.1")));
        }
        Assert.Null(Shard1.Dhcp); // one client, on shard 0
        Assert.True(await Shard1.Loop.InvokeAsync(_ => Shard1.Host.Statistics.ConfigurationHandedOff) >= 2); // the OFFER and the ACK
        Assert.Equal(0, await Shard0.Loop.InvokeAsync(_ => Shard0.Host.Statistics.ConfigurationHandedOff));
        Assert.Equal(1, _requests.First().Type); // a DISCOVER, then REQUESTs (more than one if the clock outran an answer)
        Assert.Contains(_requests, r => r.Type == 3);
    }

    [Fact]
    public async Task A_connection_to_the_leased_address_that_lands_on_shard_1_is_accepted_there()
    {
        await Bound();
        using var listener = StackSocket.Create(Shard1, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 80));
        listener.Listen();
        using var timeout = new CancellationTokenSource(Patience);
        using var client = StackSocket.Create(_peer, AddressFamily.InterNetwork, SocketType.Stream);

        await client.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.100"), 80), timeout.Token);
        using var accepted = await listener.AcceptAsync(timeout.Token);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.100"), 80), accepted.LocalEndPoint);
    }

    [Fact]
    public async Task The_lease_running_out_takes_the_address_and_router_from_both_shards()
    {
        await Bound();
        Answer = _ => null; // the server is gone: no renewal, no rebinding

        for (int i = 0; i < 30 && await Shard0.Loop.InvokeAsync(_ => Shard0.Host.IsLocal(Leased)); i++)
            await Step(TimeSpan.FromMilliseconds(500));

        foreach (var shard in _shards.Shards)
        {
            await WaitUntil(shard, () => !shard.Host.IsLocal(Leased));
            Assert.Null(await shard.Loop.InvokeAsync(_ => shard.Host.Routes.GatewayV4));
            Assert.DoesNotContain(shard.Dns.Servers, s => s.Address.Equals(IPAddress.Parse("192.0.2.1")));
        }
        Assert.Null(Shard0.Dhcp!.Lease);
    }

    [Fact]
    public async Task A_router_advertisement_on_shard_1_gives_both_shards_the_slaac_address_default_router_and_prefix()
    {
        await SendFromRouter(RouterFrames.Frame(new Ra { SourceMac = PeerMac }));
        await WaitUntil(Shard1, () => Shard1.Host.Configuration.Tentative.Contains(Slaac));

        for (int i = 0; i < 10 && !await Shard0.Loop.InvokeAsync(_ => Shard0.Host.IsLocal(Slaac)); i++)
            await Step(TimeSpan.FromMilliseconds(500)); // duplicate address detection: a random delay, one probe, a second

        foreach (var shard in _shards.Shards)
        {
            await WaitUntil(shard, () => shard.Host.IsLocal(Slaac));
            var (router, onLink, source) = await shard.Loop.InvokeAsync(_ => (shard.Host.Routes.LearnedGatewayV6,
                shard.Host.Routes.IsOnLink(Ipv6Address.Parse("2001:db8:1::77")), shard.Host.SelectSource(Ipv6Address.Parse("2001:db8:99::1"))));
            Assert.Equal(RouterFrames.Router, router);
            Assert.True(onLink, shard.Name);
            Assert.Equal((IpAddress)Slaac, source);
        }
        Assert.Null(Shard1.Host.Autoconf);
        // Every frame of the peer lands on shard 1: the advertisement reached shard 0 by the hand-off.
        Assert.Equal(1, await Shard0.Loop.InvokeAsync(_ => Shard0.Host.Autoconf!.Statistics.RouterAdvertisementsAccepted));
    }

    [Theory]
    [InlineData("probe")]
    [InlineData("advertisement")]
    public async Task A_duplicate_of_the_tentative_address_heard_on_shard_1_stops_it_on_both(string kind)
    {
        await SendFromRouter(RouterFrames.Frame(new Ra { SourceMac = PeerMac }));
        await WaitUntil(Shard1, () => Shard1.Host.Configuration.Tentative.Contains(Slaac));

        // Another node claims it: its own DAD probe (to the solicited-node group shard 1 lets in for the tentative
        // address), or an advertisement.
        await SendFromRouter(kind == "probe" ? RouterFrames.DadProbe(Slaac) : RouterFrames.Advertisement(Slaac));
        await WaitUntil(Shard0, () => Shard0.Host.Autoconf!.Statistics.DuplicateAddresses == 1);
        for (int i = 0; i < 6; i++) await Step(TimeSpan.FromMilliseconds(500));

        foreach (var shard in _shards.Shards)
        {
            await WaitUntil(shard, () => shard.Host.Configuration.Tentative.Count == 0);
            Assert.False(await shard.Loop.InvokeAsync(_ => shard.Host.IsLocal(Slaac)), shard.Name);
        }
    }

    /// <summary>Runs the exchange (DISCOVER, OFFER, REQUEST, ACK; every answer on shard 1's queue) until both shards have the lease.</summary>
    private async Task Bound()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (Shard0.Dhcp!.Lease is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "no lease");
            await Step(TimeSpan.FromMilliseconds(100));
        }
        await WaitUntil(Shard1, () => Shard1.Host.IsLocal(Leased));
    }

    /// <summary>Moves the clock, then lets every loop (and the in-memory link's threads) run what it brought.</summary>
    private async Task Step(TimeSpan by)
    {
        _clock.Advance(by);
        foreach (var stack in new[] { Shard0, Shard1, _peer }) await stack.Loop.InvokeAsync(_ => 0);
        await Task.Delay(10);
    }

    private Task<int> SendFromRouter(byte[] frame) => _peer.Loop.InvokeAsync(_ =>
    {
        _link.Transmit(frame);
        return 0;
    });

    private void Serve(Instant now)
    {
        var buffer = new byte[2048];
        while (_server!.TryReceive(buffer, out var info, out int n))
        {
            var request = new FakeRequest(buffer.AsSpan(0, n).ToArray(), info.Source.V4);
            _requests.Enqueue(request);
            if (Answer(request) is { } reply) _peer.Udp.SendTo(_server, Ipv4Address.Broadcast, 68, reply, now);
        }
    }

    private static async Task WaitUntil(StackInstance stack, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await stack.Loop.InvokeAsync(_ => condition()))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(5);
        }
    }

    public void Dispose()
    {
        _shards.Dispose();
        _peer.Dispose();
        _link.Dispose();
    }
}
