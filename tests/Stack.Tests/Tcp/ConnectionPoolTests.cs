using System.IO.Hashing;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Simulation;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tests.Support;

namespace Stack.Tests.Tcp;

/// <summary>
/// Pooled connections (TcpConnection.Pool.cs): a released connection that is done starts a later connection's
/// life in place. Its next life must not differ from a new connection's in any field, and a stream of
/// connections must go exactly as it goes with pooling off.
/// </summary>
public sealed class ConnectionPoolTests
{
    private static readonly IpAddress ServerAddress = IpAddress.Parse("192.0.2.2");

    /// <summary>
    /// Fields a reused connection may hold apart from a new one, and why: they are what pooling keeps on purpose.
    /// </summary>
    private static readonly string[] KeptOnPurpose =
    [
        "<Generation>k__BackingField", // Counts the lives, so the timer heap can tell an entry of an earlier one.
        "_ccSpare", // The last life's congestion control, reset in place when the next life starts one.
        "_writeEnds._ring", "_skbEnds._ring", // The push marks' rings, emptied and kept.
        "_plannedSkbEnds", "_hardSkbEnds", // Lists emptied and kept (null on a new connection until first used).
        "_recv._held", // The out-of-order range table keeps the room it grew to (bounded by the buffer's size).
    ];

    public static TheoryData<string> Lives => new() { "cubic", "reno-nosack", "options" };

    [Theory]
    [MemberData(nameof(Lives))]
    public void A_reused_connection_is_a_new_one_field_by_field(string life)
    {
        var config = Config(life);
        var (net, a, b, listener) = TwoHosts(config);
        var (client, server) = Open(net, a, listener);
        if (life == "options") Assert.True(client.EcnEnabled && server.EcnEnabled, "ECN agreed");
        // From here loss, duplicates and reordering in both directions: recovery, SACK, RACK, undo and the timers
        // all run (after the handshake, so every option it agrees is on).
        net.Impair(new ImpairmentSpec { Loss = 0.05, Duplicate = 0.02, Reorder = 0.05, Seed = 7 });
        Exercise(life, net, client, server);
        CloseAndRelease(net, client, server);
        RunToEnd(net, a, b);
        Assert.Equal(1, a.Tcp.PooledConnections);
        Assert.Equal(1, b.Tcp.PooledConnections);

        var active = ReusedAgainstNew(a.Tcp, client, passive: false, config);
        Assert.True(active.Count == 0, string.Join("\n", active));
        var passive = ReusedAgainstNew(b.Tcp, server, passive: true, config);
        Assert.True(passive.Count == 0, string.Join("\n", passive));
    }

    [Fact]
    public void Every_field_is_reset_even_one_no_life_dirtied()
    {
        var config = Config("cubic");
        var (net, a, b, listener) = TwoHosts(config);
        var (client, server) = Open(net, a, listener);
        CloseAndRelease(net, client, server);
        RunToEnd(net, a, b);
        Assert.Equal(1, a.Tcp.PooledConnections);

        // Every number, flag, enum and nullable of the pooled object and of the parts it owns is set to what a new
        // connection does not have; the next life must put every one back.
        var tuple = new FourTuple(IpAddress.Parse("192.0.2.1"), 40000, ServerAddress, 80);
        var fresh = new TcpConnection(a.Tcp, config, tuple, passive: false, tsOffset: 5);
        int poisoned = FieldPoisoner.Poison(client, fresh, KeptOnPurpose);
        Assert.True(poisoned > 200, $"{poisoned} fields poisoned");
        var reused = a.Tcp.NewConnection(config, tuple, passive: false, tsOffset: 5);
        Assert.Same(client, reused);
        var differences = FieldComparer.Differences(fresh, reused, KeptOnPurpose);
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    public static TheoryData<string> Parts => new() { "cubic", "newreno", "bbr", "rto", "rate", "segments", "send", "receive" };

    /// <summary>The parts a connection resets in place, each poisoned and reset against a new one.</summary>
    [Theory]
    [MemberData(nameof(Parts))]
    public void A_part_reset_in_place_is_a_new_one(string part)
    {
        var (fresh, victim, reset) = part switch
        {
            "cubic" => Twins(() => new Cubic(), c => c.ResetToNew()),
            "newreno" => Twins(() => new NewReno(), c => c.ResetToNew()),
            "bbr" => Twins(() => new Bbr(seed: 77), c => c.ResetToNew(77)),
            "rto" => Twins(() => new Stack.Tcp.Rto.RtoEstimator { InitialRto = TimeSpan.FromSeconds(2), MinRto = TimeSpan.FromMilliseconds(300) },
                r => r.ResetToNew(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(120), default)),
            "rate" => Twins(() => new Stack.Tcp.Sending.DeliveryRate(), r => r.ResetToNew()),
            "segments" => Twins(() => new Stack.Tcp.Sending.SentSegments(), s => s.ResetToNew()),
            "send" => Twins(() => new Stack.Tcp.Buffers.SendBuffer(4096), s => s.ResetToNew(4096)),
            _ => Twins(() => new Stack.Tcp.Buffers.ReceiveBuffer(8192), r => r.ResetToNew(8192)),
        };
        Assert.True(FieldPoisoner.Poison(victim, fresh) > 0);
        Assert.NotEmpty(FieldComparer.Differences(fresh, victim));
        reset();
        var differences = FieldComparer.Differences(fresh, victim);
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    private static (object Fresh, object Victim, Action Reset) Twins<T>(Func<T> make, Action<T> reset) where T : class
    {
        var victim = make();
        return (make(), victim, () => reset(victim));
    }

    [Fact]
    public void The_reflection_check_sees_a_field_a_life_left_dirty()
    {
        // The check above is only as good as FieldComparer's reach into the connection: a connection that lived
        // and was not reset differs from a new one.
        var config = Config("cubic");
        var (net, a, b, listener) = TwoHosts(config);
        var (client, _) = Open(net, a, listener);
        var fresh = new TcpConnection(a.Tcp, config, Tuple(client), passive: false, tsOffset: 5);
        var differences = FieldComparer.Differences(fresh, client, KeptOnPurpose);
        Assert.Contains(differences, d => d.StartsWith("_state", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("_cc", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("_rto.", StringComparison.Ordinal));
    }

    [Fact]
    public void Connections_go_the_same_with_pooling_on_and_off()
    {
        var pooled = Churn(poolSize: 1024);
        var unpooled = Churn(poolSize: 0);

        Assert.Equal(unpooled.Now, pooled.Now);
        Assert.Equal(unpooled.Frames, pooled.Frames);
        Assert.Equal(unpooled.Data, pooled.Data);
        Assert.Empty(FieldComparer.Differences(unpooled.Client, pooled.Client, "ConnectionsReused"));
        Assert.Empty(FieldComparer.Differences(unpooled.Server, pooled.Server, "ConnectionsReused"));
        Assert.Equal(0, unpooled.Client.ConnectionsReused);
        // Every connection after the first few starts in a pooled object (some are still in TIME-WAIT when the
        // next opens), on both sides.
        Assert.True(pooled.Client.ConnectionsReused >= Connections - 4, $"client reused {pooled.Client.ConnectionsReused}");
        Assert.True(pooled.Server.ConnectionsReused >= Connections - 4, $"server reused {pooled.Server.ConnectionsReused}");
    }

    [Fact]
    public void A_connection_not_released_is_never_pooled()
    {
        var config = Config("cubic");
        var (net, a, b, listener) = TwoHosts(config);
        var (client, server) = Open(net, a, listener);
        CloseAndRelease(net, client, server, releaseClient: false);
        RunToEnd(net, a, b);

        Assert.Equal(0, a.Tcp.PooledConnections); // Its owner may still read it: CLOSED, as it ended.
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Equal(1, b.Tcp.PooledConnections);
        var next = a.Tcp.Connect(null, 0, ServerAddress, 80, config, net.Now);
        Assert.NotSame(client, next);
        Assert.Equal(TcpState.Closed, client.State);
    }

    [Fact]
    public void A_pooled_connection_holds_no_buffer_even_with_data_left_unread()
    {
        var config = Config("cubic");
        var (net, a, b, listener) = TwoHosts(config);
        var (client, server) = Open(net, a, listener);
        Assert.Equal(5000, server.Send(new byte[5000], net.Now));
        Assert.True(net.RunUntil(() => client.Readable == 5000, TimeSpan.FromSeconds(5)));
        server.Abort(net.Now); // A RST: the client is CLOSED with the data still to read.
        Assert.True(net.RunUntil(() => client.State == TcpState.Closed, TimeSpan.FromSeconds(5)));
        Assert.True(client.HoldsBuffers);

        client.Release();

        Assert.Equal(1, a.Tcp.PooledConnections);
        Assert.False(client.HoldsBuffers);
    }

    [Fact]
    public void A_watched_connection_is_never_pooled()
    {
        var config = Config("cubic");
        var (net, a, b, listener) = TwoHosts(config);
        var (client, server) = Open(net, a, listener);
        var seen = new List<TcpState>();
        client.StateChanged += (_, t) => seen.Add(t.To);
        CloseAndRelease(net, client, server);
        RunToEnd(net, a, b);

        Assert.Equal(0, a.Tcp.PooledConnections);
        Assert.Equal(TcpState.Closed, seen[^1]); // The watcher saw the end of TIME-WAIT on the object it watches.
        Assert.Equal(TcpState.Closed, client.State);
    }

    [Fact]
    public void A_release_inside_a_notify_pools_the_connection_only_after_its_entry_point_is_done()
    {
        var config = Config("cubic");
        var (net, a, b, listener) = TwoHosts(config);
        var (client, server) = Open(net, a, listener);
        TcpConnection? reopened = null;
        int pooledInside = -1;
        // As a socket does: once closed and done, release it from inside Notify, and open the next at once.
        client.Notify = (c, _) =>
        {
            if (c.State != TcpState.Closed) return;
            c.Release();
            pooledInside = a.Tcp.PooledConnections;
            reopened = a.Tcp.Connect(null, 0, ServerAddress, 80, config, net.Now);
        };
        client.Abort(net.Now);

        Assert.Equal(0, pooledInside); // Not yet: Abort's bracket was still on the stack.
        Assert.NotNull(reopened);
        Assert.NotSame(client, reopened);
        Assert.Equal(1, a.Tcp.PooledConnections); // Pooled as Abort settled.
        Assert.Equal(TcpState.SynSent, reopened.State);
        Assert.True(net.RunUntil(() => server.State == TcpState.Closed, TimeSpan.FromSeconds(5)), "the RST reached the server");
    }

    private const int Connections = 24;

    private static (Instant Now, long Frames, ulong Data, TcpStatistics Client, TcpStatistics Server) Churn(int poolSize)
    {
        var config = TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(20) };
        var (net, a, b, listener) = TwoHosts(config, seed: 21, backlog: 8);
        a.Tcp.ConnectionPoolSize = poolSize;
        b.Tcp.ConnectionPoolSize = poolSize;
        net.Impair(new ImpairmentSpec { Loss = 0.03, Reorder = 0.03, Seed = 3 });
        var hash = new XxHash64();
        var buffer = new byte[16 * 1024];
        var payload = new byte[20_000];
        new Random(5).NextBytes(payload);
        for (int i = 0; i < Connections; i++)
        {
            var (client, server) = Open(net, a, listener);
            int sent = 0;
            bool shut = false;
            Assert.True(net.RunUntil(() =>
            {
                if (!shut) sent += server.Send(payload.AsSpan(sent), net.Now);
                if (sent == payload.Length && !shut)
                {
                    server.Close(net.Now);
                    shut = true;
                }
                int n;
                while ((n = client.Receive(buffer, net.Now)) > 0) hash.Append(buffer.AsSpan(0, n));
                return client.IsEndOfStream;
            }, TimeSpan.FromMinutes(5)), $"connection {i} delivered its data");
            client.Close(net.Now);
            client.Release();
            server.Release();
            net.RunUntil(() => false, TimeSpan.FromMilliseconds(5 * (i % 5))); // Some still in TIME-WAIT when the next opens.
        }
        RunToEnd(net, a, b);
        return (net.Now, net.FramesDelivered, hash.GetCurrentHashAsUInt64(), a.Tcp.Statistics, b.Tcp.Statistics);
    }

    private static List<string> ReusedAgainstNew(TcpLayer layer, TcpConnection pooled, bool passive, TcpConfig config)
    {
        var tuple = new FourTuple(IpAddress.Parse("192.0.2.1"), 40000, ServerAddress, 80);
        var reused = layer.NewConnection(config, tuple, passive, tsOffset: 5);
        Assert.Same(pooled, reused);
        var fresh = new TcpConnection(layer, config, tuple, passive, tsOffset: 5);
        return FieldComparer.Differences(fresh, reused, KeptOnPurpose);
    }

    private static (VirtualNetwork Net, VirtualHost A, VirtualHost B, TcpListener Listener) TwoHosts(TcpConfig config,
        int seed = 11, int backlog = 4)
    {
        var net = new VirtualNetwork(TimeSpan.FromMilliseconds(1));
        var a = net.AddHost(Host(1), seed, config);
        var b = net.AddHost(Host(2), seed + 1, config);
        return (net, a, b, b.Tcp.Listen(ServerAddress, 80, backlog, config));
    }

    private static void CloseAndRelease(VirtualNetwork net, TcpConnection client, TcpConnection server, bool releaseClient = true)
    {
        client.Close(net.Now);
        server.Close(net.Now);
        if (releaseClient) client.Release();
        server.Release();
    }

    private static void RunToEnd(VirtualNetwork net, VirtualHost a, VirtualHost b) =>
        Assert.True(net.RunUntil(() => a.Tcp.ConnectionCount + b.Tcp.ConnectionCount == 0, TimeSpan.FromMinutes(10)),
            "both ends finished, TIME-WAIT included");

    private static FourTuple Tuple(TcpConnection c) =>
        new(c.LocalEndPoint.Address, c.LocalEndPoint.Port, c.RemoteEndPoint.Address, c.RemoteEndPoint.Port);

    private static (TcpConnection Client, TcpConnection Server) Open(VirtualNetwork net, VirtualHost a, TcpListener listener)
    {
        var client = a.Tcp.Connect(null, 0, ServerAddress, 80, null, net.Now);
        TcpConnection? server = null;
        Assert.True(net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromMinutes(1)), "the connection opened");
        return (client, server!);
    }

    /// <summary>Data both ways through the impaired network, with the calls that set per-connection state.</summary>
    private static void Exercise(string life, VirtualNetwork net, TcpConnection client, TcpConnection server)
    {
        if (life == "options")
        {
            client.SetNoDelay(true, net.Now);
            client.SetCork(true, net.Now);
            client.SetKeepAlive(true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 3, net.Now);
            client.SetUserTimeout(TimeSpan.FromSeconds(30));
            client.SetSendBufferSize(64 * 1024);
            client.NotSentLowat = 4096;
            _ = client.ErrorQueue;
            _ = client.LossCounters;
        }
        var payload = new byte[300_000];
        new Random(9).NextBytes(payload);
        var sink = new byte[64 * 1024];
        int toServer = 0, toClient = 0;
        long atServer = 0, atClient = 0;
        var flags = life == "options" ? TcpSendFlags.More : TcpSendFlags.None;
        Assert.True(net.RunUntil(() =>
        {
            toServer += client.Send(payload.AsSpan(toServer, Math.Min(8000, payload.Length - toServer)), net.Now, flags);
            toClient += server.Send(payload.AsSpan(toClient, Math.Min(3000, payload.Length / 3 - toClient)), net.Now);
            int n;
            while ((n = server.Receive(sink, net.Now)) > 0) atServer += n;
            while ((n = client.Receive(sink, net.Now)) > 0) atClient += n;
            return atServer == payload.Length && atClient == payload.Length / 3;
        }, TimeSpan.FromMinutes(10)), $"the data went both ways ({atServer}, {atClient})");
        if (life == "options") client.SetCork(false, net.Now);
        Assert.True(client.TotalRetransmissions + server.TotalRetransmissions > 0, "the loss made someone resend");
    }

    private static TcpConfig Config(string life) => life switch
    {
        "reno-nosack" => TcpConfig.Default with
        {
            Msl = TimeSpan.FromMilliseconds(50), CongestionControl = CongestionControlKind.NewReno, Sack = false,
            Timestamps = false,
        },
        "options" => TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(50), Ecn = EcnMode.On, FqPacing = true },
        _ => TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(50) },
    };

    private static IpHostOptions Host(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24")],
    };
}
