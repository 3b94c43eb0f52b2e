using SocketError = System.Net.Sockets.SocketError;
using SocketException = System.Net.Sockets.SocketException;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets.Simulation;
using Stack.Tcp;
using Stack.Tcp.Ports;

namespace Stack.Tests.Tcp;

/// <summary>
/// bind()/listen() conflicts answered from the layer's port counts (TcpLayer.PortIndex.cs) agree with the walk over
/// every listener, connection and TIME-WAIT record that they replaced (<see cref="Walk"/>, computed here from public
/// state): one rule a test, then a seeded run of opens, closes and binds on a few ports and addresses.
/// </summary>
public sealed class PortIndexTests
{
    private static readonly IpAddress A4 = IpAddress.Parse("192.0.2.1");
    private static readonly IpAddress A6 = IpAddress.Parse("2001:db8::1");
    private static readonly IpAddress B4 = IpAddress.Parse("192.0.2.2");
    private static readonly IpAddress B4b = IpAddress.Parse("192.0.2.3");
    private static readonly IpAddress B6 = IpAddress.Parse("2001:db8::2");
    private static readonly IpAddress[] Locals = [IpAddress.AnyV4, IpAddress.AnyV6, B4, B4b, B6];
    private static readonly ushort[] Ports = [7000, 7001, 7002];
    private static readonly TcpConfig Reuse = TcpConfig.Default with { ReuseAddress = true };

    private readonly VirtualNetwork _net = new();
    private readonly VirtualHost _a;
    private readonly VirtualHost _b;

    public PortIndexTests()
    {
        // A short MSL so that TIME-WAIT records end within a run.
        var config = TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(200) };
        _a = _net.AddHost(Options(1, "192.0.2.1/24", "2001:db8::1/64"), seed: 1, config);
        _b = _net.AddHost(Options(2, "192.0.2.2/24", "192.0.2.3/24", "2001:db8::2/64"), seed: 2, config);
        _peerListeners = [_a.Tcp.Listen(IpAddress.AnyV4, 80, 1000), _a.Tcp.Listen(IpAddress.AnyV6, 80, 1000)];
    }

    private readonly TcpListener[] _peerListeners;

    private TcpLayer Tcp => _b.Tcp;

    /// <summary>The walk the counts replaced (Linux inet_csk_bind_conflict as the layer keeps it), over public state.</summary>
    private static bool Walk(TcpLayer tcp, IpAddress local, ushort port, bool reuse)
    {
        foreach (var l in tcp.Listeners)
        {
            var k = l.LocalEndPoint;
            if (k.Port == port && k.Address.IsIpv6 == local.IsIpv6 && (k.Address == local || k.Address.IsUnspecified || local.IsUnspecified))
                return true;
        }
        foreach (var c in tcp.Connections)
        {
            if (c.LocalEndPoint.Port == port && (local.IsUnspecified || c.LocalEndPoint.Address == local)
                && !(reuse && (c.State == TcpState.TimeWait || c.Config.ReuseAddress)))
                return true;
        }
        foreach (var tw in tcp.TimeWaits)
        {
            if (!reuse && tw.LocalEndPoint.Port == port && (local.IsUnspecified || tw.LocalEndPoint.Address == local))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Every local address, port and SO_REUSEADDR: the counts' answer is the walk's. Returns how many were "taken",
    /// and how many of those SO_REUSEADDR shares.
    /// </summary>
    private static (int Taken, int Shared) CheckAll(TcpLayer tcp)
    {
        int taken = 0, shared = 0;
        foreach (var local in Locals)
            foreach (var port in Ports)
                foreach (bool reuse in (bool[])[false, true])
                {
                    bool expected = Walk(tcp, local, port, reuse);
                    Assert.True(expected == tcp.PortInUse(local, port, reuse), $"{local} port {port} reuse {reuse}: the walk says {expected}");
                    if (expected) taken++;
                    if (expected && !reuse && !Walk(tcp, local, port, true)) shared++;
                }
        return (taken, shared);
    }

    private TcpConnection ConnectFrom(IpAddress local, ushort port, TcpConfig? config = null) =>
        Tcp.Connect(local, port, local.IsIpv6 ? A6 : A4, 80, config, _net.Now);

    private void Settle() => _net.RunUntil(() => false, TimeSpan.FromMilliseconds(50));

    [Fact]
    public void A_listener_conflicts_with_binds_of_its_family_whose_address_overlaps()
    {
        Tcp.Listen(B4, 7000, 5);
        Assert.True(Tcp.PortInUse(B4, 7000, reuseAddress: true)); // SO_REUSEADDR never shares a listener's port.
        Assert.True(Tcp.PortInUse(IpAddress.AnyV4, 7000, false));
        Assert.False(Tcp.PortInUse(B4b, 7000, false)); // Another address of ours.
        Assert.False(Tcp.PortInUse(IpAddress.AnyV6, 7000, false)); // The other family.
        Assert.False(Tcp.PortInUse(B4, 7001, false));

        Tcp.Listen(IpAddress.AnyV6, 7001, 5);
        Assert.True(Tcp.PortInUse(B6, 7001, false));
        Assert.False(Tcp.PortInUse(B4, 7001, false));
        CheckAll(Tcp);
    }

    [Fact]
    public void A_closed_listener_frees_its_port()
    {
        var listener = Tcp.Listen(IpAddress.AnyV4, 7000, 5);
        listener.Close(_net.Now);
        Assert.False(Tcp.PortInUse(B4, 7000, false));
        Assert.False(Tcp.PortInUse(IpAddress.AnyV4, 7000, false));
        listener.Close(_net.Now); // Twice: the port's count stays at 0.
        Tcp.Listen(IpAddress.AnyV4, 7000, 5);
        Assert.True(Tcp.PortInUse(IpAddress.AnyV4, 7000, false));
    }

    [Fact]
    public void A_connection_holds_its_port_unless_so_reuseaddr_is_on_both_sides()
    {
        ConnectFrom(B4, 7000);
        ConnectFrom(B4, 7001, Reuse);
        Assert.True(Tcp.PortInUse(B4, 7000, false));
        Assert.True(Tcp.PortInUse(B4, 7000, true));
        Assert.True(Tcp.PortInUse(B4, 7001, false));
        Assert.False(Tcp.PortInUse(B4, 7001, true));
        CheckAll(Tcp);
    }

    [Fact]
    public void A_connection_holds_its_address_and_port_against_that_address_and_any_address_of_either_family()
    {
        ConnectFrom(B4, 7000);
        Assert.True(Tcp.PortInUse(IpAddress.AnyV4, 7000, false));
        Assert.True(Tcp.PortInUse(IpAddress.AnyV6, 7000, false)); // The walk asked only the port for an unspecified bind.
        Assert.False(Tcp.PortInUse(B4b, 7000, false));
        Assert.False(Tcp.PortInUse(B6, 7000, false));
        CheckAll(Tcp);
    }

    [Fact]
    public void A_connection_frees_its_port_when_it_closes_and_a_pooled_one_counts_its_next_life_afresh()
    {
        var c = ConnectFrom(B4, 7000);
        c.Abort(_net.Now);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.False(Tcp.PortInUse(IpAddress.AnyV4, 7000, false));
        c.Release();
        Assert.Equal(1, Tcp.PooledConnections);

        var next = ConnectFrom(B6, 7001, Reuse); // The pooled object, another tuple and SO_REUSEADDR.
        Assert.Same(c, next);
        Assert.False(Tcp.PortInUse(B4, 7000, false));
        Assert.False(Tcp.PortInUse(B6, 7001, true));
        Assert.True(Tcp.PortInUse(B6, 7001, false));
        CheckAll(Tcp);
    }

    [Fact]
    public void A_connection_whose_created_handler_throws_leaves_no_count()
    {
        Tcp.ConnectionCreated += Throw;
        Assert.Throws<InvalidOperationException>(() => ConnectFrom(B4, 7000));
        Tcp.ConnectionCreated -= Throw;
        Assert.False(Tcp.PortInUse(B4, 7000, false));

        static void Throw(TcpConnection _) => throw new InvalidOperationException("a handler's bug");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_connection_in_time_wait_gives_way_to_so_reuseaddr_before_and_after_its_record_takes_over(bool ipv6)
    {
        // An MSL of a day: the record stands however far the network's steps move the clock.
        var listener = Tcp.Listen(ipv6 ? B6 : B4, 7000, 5, TcpConfig.Default with { Msl = TimeSpan.FromDays(1) });
        var client = _a.Tcp.Connect(null, 0, ipv6 ? B6 : B4, 7000, null, _net.Now);
        TcpConnection? server = null;
        Assert.True(_net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromSeconds(1)));
        listener.Close(_net.Now);
        var seen = new List<(bool Plain, bool Reuse)>();
        server!.StateChanged += (c, t) =>
        {
            // Here the connection is still in the table, in TIME-WAIT: its entry point has not settled yet.
            if (t.To == TcpState.TimeWait)
                seen.Add((Tcp.PortInUse(c.LocalEndPoint.Address, 7000, false), Tcp.PortInUse(c.LocalEndPoint.Address, 7000, true)));
            CheckAll(Tcp);
        };
        server.Close(_net.Now);
        Settle();
        client.Close(_net.Now);
        Settle();

        Assert.Equal(TcpState.TimeWait, server.State);
        Assert.Equal((true, false), Assert.Single(seen));
        Assert.Equal(1, Tcp.TimeWaitCount);
        Assert.True(Tcp.PortInUse(server.LocalEndPoint.Address, 7000, false)); // The record's hold.
        Assert.False(Tcp.PortInUse(server.LocalEndPoint.Address, 7000, true));
        CheckAll(Tcp);
    }

    [Fact]
    public void Bind_to_port_zero_never_picks_a_port_a_connection_holds()
    {
        // All but one in a hundred ports of the ephemeral range held by connections: a bind to 0 finds one of those.
        for (int p = EphemeralPorts.DefaultFirst; p <= EphemeralPorts.DefaultLast; p++)
        {
            if (p % 100 != 0) ConnectFrom(B4, (ushort)p);
        }
        for (int i = 0; i < 20; i++) Assert.Equal(0, Tcp.ChooseBindPort(IpAddress.AnyV4, reuseAddress: false) % 100);
        Assert.Throws<SocketException>(() => Tcp.Listen(B4, 49153, 5));
    }

    [Fact]
    public void The_counts_answer_as_the_walk_through_a_seeded_run_of_opens_closes_and_binds()
    {
        var random = new Random(17);
        var listeners = new List<TcpListener>();
        var ours = new List<TcpConnection>(); // Connections of either host, for closing.
        int checks = 0, taken = 0, shared = 0, inTimeWait = 0;
        Tcp.ConnectionCreated += created =>
        {
            if (random.Next(2) != 0) return; // Half are watched (and so never pooled); the rest go through the pool.
            created.StateChanged += (_, t) =>
            {
                if (t.To == TcpState.TimeWait) inTimeWait++;
                Tally(CheckAll(Tcp));
            };
        };
        for (int step = 0; step < 4000; step++)
        {
            var local = Locals[random.Next(Locals.Length)];
            ushort port = Ports[random.Next(Ports.Length)];
            var config = random.Next(2) == 0 ? TcpConfig.Default : Reuse;
            switch (random.Next(10))
            {
                case 0 or 1: // listen(): throws exactly when the walk says the port is taken.
                    bool conflict = Walk(Tcp, local, port, config.ReuseAddress);
                    try
                    {
                        listeners.Add(Tcp.Listen(local, port, 100, config));
                        Assert.False(conflict, $"listen on {local} port {port} succeeded where the walk finds a conflict");
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
                    {
                        Assert.True(conflict, $"listen on {local} port {port} failed where the walk finds none");
                    }
                    break;
                case 2 when listeners.Count > 0:
                    int li = random.Next(listeners.Count);
                    listeners[li].Close(_net.Now);
                    listeners.RemoveAt(li);
                    break;
                case 3 or 4 when listeners.Count > 0: // The peer connects to one of our listeners.
                    var l = listeners[random.Next(listeners.Count)].LocalEndPoint;
                    var to = !l.Address.IsUnspecified ? l.Address : l.Address.IsIpv6 ? B6 : random.Next(2) == 0 ? B4 : B4b;
                    ours.Add(_a.Tcp.Connect(null, 0, to, l.Port, null, _net.Now));
                    break;
                case 5 when !local.IsUnspecified: // We connect out from one of the ports.
                    try
                    {
                        ours.Add(ConnectFrom(local, port, config));
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
                    {
                        // That four-tuple is live or in TIME-WAIT already.
                    }
                    break;
                case 6 when ours.Count > 0: // Close (or abort) one, and maybe let it go to the pool.
                    int ci = random.Next(ours.Count);
                    var c = ours[ci];
                    if (random.Next(4) == 0) c.Abort(_net.Now);
                    else c.Close(_net.Now);
                    if (random.Next(2) == 0)
                    {
                        c.Release();
                        ours.RemoveAt(ci);
                    }
                    break;
                case 7 when ours.Count > 0: // Both ends close, one of ours first: it goes through TIME-WAIT.
                    var mine = ours[random.Next(ours.Count)];
                    if (Tcp.Find(mine.LocalEndPoint, mine.RemoteEndPoint) != mine) break;
                    mine.Close(_net.Now);
                    _net.Step();
                    _a.Tcp.Find(mine.RemoteEndPoint, mine.LocalEndPoint)?.Close(_net.Now);
                    break;
                case 8:
                    _net.RunUntil(() => false, TimeSpan.FromMilliseconds(random.Next(1, 300)));
                    break;
                default:
                    for (int i = random.Next(1, 10); i > 0 && _net.Step(); i--) { }
                    break;
            }
            foreach (var listener in listeners.Concat(_peerListeners))
            {
                while (listener.TryAccept(out var accepted)) ours.Add(accepted);
            }
            foreach (var done in ours.Where(x => x.State == TcpState.Closed).ToList())
            {
                done.Release(); // To the pool, if no one watches it.
                ours.Remove(done);
            }
            Tally(CheckAll(Tcp));
        }
        // The run reached the cases that matter: ports taken and free, ports SO_REUSEADDR shares, connections in
        // TIME-WAIT (records, and in the table as they enter it), pooled connections starting a next life.
        Assert.InRange(taken, checks, checks * 30 - checks);
        Assert.True(shared > checks / 10, $"{shared} answers of {checks * 30} where SO_REUSEADDR shares the port");
        Assert.True(inTimeWait > 20, $"{inTimeWait} watched connections entered TIME-WAIT");
        Assert.True(Tcp.Statistics.ConnectionsReused > 10, $"{Tcp.Statistics.ConnectionsReused} pooled connections reused");

        void Tally((int Taken, int Shared) answers)
        {
            taken += answers.Taken;
            shared += answers.Shared;
            checks++;
        }
    }

    private static IpHostOptions Options(byte last, params string[] addresses) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [.. addresses.Select(InterfaceAddress.Parse)],
    };
}
