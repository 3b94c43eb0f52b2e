using Stack.IP;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Wire;

namespace Stack.Tests.IP.Autoconf;

/// <summary>
/// A multi-queue stack's shards, sans-I/O: a leader host runs autoconfiguration, a follower (no autoconfiguration of
/// its own) hands it what it must see (<see cref="IpHost.NdpHandOff"/>) and takes its configuration
/// (<see cref="IpHost.Follow"/>). Two hosts on a virtual clock; the test carries messages between them by hand.
/// </summary>
public sealed class FollowingTests
{
    private static readonly Ipv6Address Slaac = new(RouterFrames.Prefix.Value | InterfaceIdentifier.Eui64(HostHarness.OurMac));

    private readonly HostHarness _leader = new(configure: o => o with { Autoconf = new AutoconfOptions { InterfaceIds = InterfaceIdMode.Eui64 } });
    private readonly HostHarness _follower = new();
    private readonly List<(byte[] Message, Ipv6Address Source, Ipv6Address Destination, byte HopLimit)> _handed = [];

    public FollowingTests() =>
        _follower.Host.NdpHandOff = (message, source, destination, hopLimit) => _handed.Add((message.ToArray(), source, destination, hopLimit));

    /// <summary>Gives the leader what the follower handed over, and the follower the leader's configuration.</summary>
    private void Carry()
    {
        foreach (var (message, source, destination, hopLimit) in _handed) _leader.Host.OnHandedOffNdp(message, source, destination, hopLimit, _leader.Now);
        _handed.Clear();
        _follower.Host.Follow(_leader.Host.Configuration, _follower.Now);
    }

    [Fact]
    public void A_router_advertisement_on_the_follower_is_handed_over_not_processed_and_its_results_come_back()
    {
        _follower.Inject(RouterFrames.Frame(new Ra()));
        var (_, source, destination, hopLimit) = Assert.Single(_handed);
        Assert.Equal((RouterFrames.Router, Ipv6Address.AllNodes, (byte)255), (source, destination, hopLimit));
        Assert.Null(_follower.Host.Routes.LearnedGatewayV6);
        _follower.ExpectNothing();

        Carry();
        Assert.Equal(1, _leader.Host.Autoconf!.Statistics.RouterAdvertisementsAccepted);
        Assert.Equal(RouterFrames.Router, _follower.Host.Routes.LearnedGatewayV6);
        Assert.True(_follower.Host.Routes.IsOnLink(Ipv6Address.Parse("2001:db8:1::77")));
        Assert.Equal([Slaac], _follower.Host.Configuration.Tentative);
        Assert.False(_follower.Host.IsLocal(Slaac));

        _leader.Run(TimeSpan.FromSeconds(3)); // duplicate address detection passes
        Carry();
        Assert.True(_follower.Host.IsLocal(Slaac));
        Assert.Empty(_follower.Host.Configuration.Tentative);
        Assert.Equal((IpAddress)Slaac, _follower.Host.SelectSource(Ipv6Address.Parse("2001:db8:1::77")));
        _follower.ExpectNothing(); // the leader announced the address; the follower does not again
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_duplicate_of_a_followed_tentative_address_goes_to_the_leader_which_gives_it_up(bool probe)
    {
        _follower.Inject(RouterFrames.Frame(new Ra()));
        Carry();

        _follower.Inject(probe ? RouterFrames.DadProbe(Slaac) : RouterFrames.Advertisement(Slaac));
        Assert.Single(_handed);
        Carry();
        Assert.Equal(1, _leader.Host.Autoconf!.Statistics.DuplicateAddresses);
        Assert.Empty(_follower.Host.Configuration.Tentative);
        _leader.Run(TimeSpan.FromSeconds(3));
        Carry();
        Assert.False(_follower.Host.IsLocal(Slaac));
    }

    [Fact]
    public void A_follower_avoids_an_address_the_leader_deprecated_as_a_source()
    {
        _follower.Inject(RouterFrames.Frame(new Ra { Prefixes = [RouterFrames.Slaac(RouterFrames.Prefix, preferred: 2)] }));
        Carry();
        _leader.Run(TimeSpan.FromSeconds(5)); // assigned, then past its preferred lifetime
        Carry();

        Assert.True(_follower.Host.IsLocal(Slaac));
        Assert.Equal([Slaac], _follower.Host.Configuration.Deprecated);
        Assert.Equal((IpAddress)HostHarness.Our6, _follower.Host.SelectSource(Ipv6Address.Parse("2001:db8:1::77"))); // RFC 6724 rule 3
    }

    [Fact]
    public void A_follower_drops_what_the_leader_dropped_and_keeps_the_rest()
    {
        var leased = InterfaceAddress.Parse("198.51.100.9/24");
        _leader.Host.AddAddress(leased, _leader.Now);
        _leader.Host.Routes.GatewayV4 = Ipv4Address.Parse("198.51.100.1");
        Carry();
        Assert.True(_follower.Host.IsLocal(leased.Address));
        Assert.True(_follower.Host.CanReach(Ipv4Address.Parse("203.0.113.5")));
        Assert.True(_follower.Host.Configuration.SameAs(_leader.Host.Configuration));

        _leader.Host.RemoveAddress(leased.Address, _leader.Now);
        _leader.Host.Routes.GatewayV4 = null;
        Carry();
        Assert.False(_follower.Host.IsLocal(leased.Address));
        Assert.False(_follower.Host.CanReach(Ipv4Address.Parse("203.0.113.5")));
        Assert.True(_follower.Host.IsLocal(HostHarness.Our4)); // the configured ones stay
        Assert.True(_follower.Host.Configuration.SameAs(_leader.Host.Configuration));
    }

    [Fact]
    public void The_leader_says_when_its_configuration_may_have_changed()
    {
        int raised = 0;
        _leader.Host.ConfigurationChanged += () => raised++;
        _leader.Host.AddAddress(InterfaceAddress.Parse("198.51.100.9/24"), _leader.Now);
        Assert.Equal(1, raised);
        _leader.Inject(RouterFrames.Frame(new Ra()));
        Assert.Equal(2, raised);
        _leader.Host.RemoveAddress(Ipv4Address.Parse("198.51.100.9"), _leader.Now);
        Assert.Equal(3, raised);
    }
}
