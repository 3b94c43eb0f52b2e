using BenchmarkDotNet.Attributes;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets.Simulation;
using Stack.Tcp;

namespace Stack.Bench;

/// <summary>
/// The whole life of one daytime connection between two stacks on a <see cref="VirtualNetwork"/> (one thread, a
/// virtual clock): the client's SYN, the server's SYN-ACK, the ACK, accept, the server writes a 26-byte reply and
/// closes, the client reads it and the FIN and closes, the last ACK, and the server's TIME-WAIT (2 MSL) expires.
/// Everything both stacks do is included (parsing, checksums, demultiplexing, the listener, the timer queue, ARP is
/// settled in set-up); the wire between them is the network's pooled buffers. The figure that matters is
/// "Allocated" (per connection, both ends): issue 17 asks for 0 in steady state.
/// </summary>
[MemoryDiagnoser]
public class ConnectionLifeBench
{
    private ConnectionLife _life = null!;

    [GlobalSetup]
    public void Setup()
    {
        _life = new ConnectionLife();
        for (int i = 0; i < 2000; i++) _life.Run(); // Warm up: tables, pools and the timer heap reach their size.
    }

    /// <summary>One connection, SYN to the end of TIME-WAIT.</summary>
    [Benchmark]
    public int Connection() => _life.Run();
}

/// <summary>The daytime exchange between two virtual hosts, run to the end of TIME-WAIT (shared with the tests' copy).</summary>
internal sealed class ConnectionLife
{
    private static readonly IpAddress Server = IpAddress.Parse("192.0.2.2");
    private readonly VirtualNetwork _net = new(TimeSpan.FromMicroseconds(50));
    private readonly VirtualHost _a;
    private readonly VirtualHost _b;
    private readonly TcpListener _listener;
    private readonly byte[] _reply = "Sun Dec  6 21:12:00 2026\r\n"u8.ToArray();
    private readonly byte[] _buffer = new byte[256];
    private readonly int _standing;
    private readonly int _held; // Connections of both hosts, TIME-WAIT included, between runs.
    private readonly int _live;

    /// <param name="standing">
    /// TIME-WAIT records the server holds throughout (`connlife --standing N`): connections to other ports, closed by
    /// the server with an MSL of a year, so none of them ends while the measured connections come and go.
    /// </param>
    /// <param name="live">
    /// Established connections standing throughout (`connlife --live N`), idle, to other server ports: the live
    /// connections a bind() or listen() on the server must not conflict with.
    /// </param>
    public ConnectionLife(int standing = 0, int live = 0)
    {
        // TIME-WAIT is 2 MSL of virtual time per connection. At the default MSL (30 s) every connection would
        // outlast the neighbour cache's stale lifetime and the benchmark would measure ARP re-resolution, not TCP;
        // a short MSL changes how long TIME-WAIT waits, not the work it does.
        var config = TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(50), MaxTimeWait = Math.Max(TcpConfig.DefaultMaxTimeWait, 2 * standing) };
        _a = _net.AddHost(Host(1), seed: 1, config);
        _b = _net.AddHost(Host(2), seed: 2, config);
        _listener = _b.Tcp.Listen(Server, 13, 16);
        Stand(standing);
        _standing = _b.Tcp.TimeWaitCount;
        StandLive(live);
        _live = _b.Tcp.Connections.Count();
        _held = _a.Tcp.ConnectionCount + _b.Tcp.ConnectionCount;
    }

    /// <summary>Leaves <paramref name="count"/> connections established between the hosts, from explicit client ports.</summary>
    private void StandLive(int count)
    {
        const int PortsPerListener = 50_000;
        var listeners = new List<TcpListener>();
        for (int i = 0; i < count; i++)
        {
            if (i % PortsPerListener == 0) listeners.Add(_b.Tcp.Listen(Server, (ushort)(1000 + listeners.Count), 16));
            var listener = listeners[^1];
            var client = _a.Tcp.Connect(null, (ushort)(10_000 + i % PortsPerListener), Server, listener.LocalEndPoint.Port, null, _net.Now);
            TcpConnection? server;
            while (!listener.TryAccept(out server) || client.State != TcpState.Established) Step();
        }
        foreach (var l in listeners) l.Close(_net.Now);
        if (_b.Tcp.Connections.Count() != count) throw new InvalidOperationException($"{_b.Tcp.Connections.Count()} connections stand, not {count}.");
    }

    /// <summary>The established connections the server holds besides the measured connection.</summary>
    public int Live => _live;

    /// <summary>
    /// The time of one listen() on the server to port 0 and its close (TcpLayer.Listen, which picks a free port at
    /// random as bind(0) does), in microseconds, over <paramref name="count"/> calls.
    /// </summary>
    public double ListenMicroseconds(int count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < count; i++) _b.Tcp.Listen(Server, 0, 16).Close(_net.Now);
        return watch.Elapsed.TotalMicroseconds / count;
    }

    /// <summary>Leaves <paramref name="count"/> records in TIME-WAIT on the server, from explicit client ports (no two alike).</summary>
    private void Stand(int count)
    {
        const int PortsPerListener = 50_000;
        // Each measured connection takes ~0.1 s of virtual time (its own TIME-WAIT): a year outlasts any run.
        var config = _b.Tcp.DefaultConfig with { Msl = TimeSpan.FromDays(365) };
        var listeners = new List<TcpListener>();
        for (int i = 0; i < count; i++)
        {
            if (i % PortsPerListener == 0) listeners.Add(_b.Tcp.Listen(Server, (ushort)(14 + listeners.Count), 16, config));
            var listener = listeners[^1];
            var client = _a.Tcp.Connect(null, (ushort)(10_000 + i % PortsPerListener), Server, listener.LocalEndPoint.Port, null, _net.Now);
            TcpConnection? server;
            while (!listener.TryAccept(out server)) Step();
            server.Close(_net.Now);
            while (!client.IsEndOfStream) Step();
            client.Close(_net.Now);
            while (client.State != TcpState.Closed || server.State != TcpState.TimeWait) Step();
            client.Release();
            server.Release();
        }
        foreach (var l in listeners) l.Close(_net.Now);
        if (_b.Tcp.TimeWaitCount != count) throw new InvalidOperationException($"{_b.Tcp.TimeWaitCount} records stand, not {count}.");
    }

    /// <summary>The TIME-WAIT records the server holds besides the measured connection's.</summary>
    public int Standing => _standing;

    /// <summary>
    /// The time of one bind() to port 0 on the server (TcpLayer.ChooseBindPort, without SO_REUSEADDR: the case
    /// where a TIME-WAIT record holds its port), in microseconds, over <paramref name="count"/> calls.
    /// </summary>
    public double BindMicroseconds(int count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < count; i++) _b.Tcp.ChooseBindPort(Server, reuseAddress: false);
        return watch.Elapsed.TotalMicroseconds / count;
    }

    /// <summary>The TIME-WAIT records the server holds now (<see cref="Standing"/> between runs).</summary>
    public int TimeWaitCount => _b.Tcp.TimeWaitCount;

    public int Run()
    {
        var client = _a.Tcp.Connect(null, 0, Server, 13, null, _net.Now);
        TcpConnection? server;
        while (!_listener.TryAccept(out server)) Step();
        server.Send(_reply, _net.Now);
        server.Close(_net.Now);
        int received = 0;
        while (!client.IsEndOfStream)
        {
            received += client.Receive(_buffer, _net.Now);
            if (!client.IsEndOfStream) Step();
        }
        client.Close(_net.Now);
        // Both owners are done with their objects, as a socket is once closed: the layers pool them, and the
        // next connection starts its life in them (TcpConnection.Release).
        client.Release();
        server.Release();
        while (_a.Tcp.ConnectionCount + _b.Tcp.ConnectionCount > _held) Step();
        if (received != _reply.Length) throw new InvalidOperationException($"The client read {received} bytes.");
        return received;
    }

    private void Step()
    {
        if (!_net.Step()) throw new InvalidOperationException("The network went idle before the connection ended.");
    }

    private static IpHostOptions Host(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24")],
    };
}
