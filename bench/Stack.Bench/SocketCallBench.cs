using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;

namespace Stack.Bench;

/// <summary>
/// One round trip of <see cref="StackSocket"/> calls between two stacks on an in-memory link (real loops, real
/// clock): a 32-byte request and its echo, over UDP and over TCP. The allocated bytes per operation show what the
/// reusable completions save (each direction's call reuses one; before them every call made a task source);
/// what remains is the loops' own work per frame and the sender endpoint a UDP receive reports.
/// </summary>
[MemoryDiagnoser]
public class SocketCallBench
{
    private readonly byte[] _request = new byte[32];
    private readonly byte[] _buffer = new byte[64];
    private StackInstance _a = null!;
    private StackInstance _b = null!;
    private StackSocket _udpClient = null!;
    private StackSocket _udpServer = null!;
    private StackSocket _tcpClient = null!;
    private StackSocket _tcpServer = null!;
    private StackSocket _listener = null!;
    private readonly IPEndPoint _server = new(IPAddress.Parse("192.0.2.3"), 13);
    private readonly byte[] _reply = new byte[26];

    [GlobalSetup]
    public void Setup()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        _a = StackInstance.Start(Options(linkA, 2));
        _b = StackInstance.Start(Options(linkB, 3));
        var server = new IPEndPoint(IPAddress.Parse("192.0.2.3"), 7);

        _udpServer = StackSocket.Create(_b, AddressFamily.InterNetwork, SocketType.Dgram);
        _udpServer.Bind(server);
        _udpClient = StackSocket.Create(_a, AddressFamily.InterNetwork, SocketType.Dgram);
        _udpClient.Connect(server);
        _udpServer.Connect(new IPEndPoint(IPAddress.Parse("192.0.2.2"), _udpClient.LocalEndPoint!.Port));

        _listener = StackSocket.Create(_b, AddressFamily.InterNetwork, SocketType.Stream);
        _listener.Bind(_server);
        _listener.Listen(64);

        using var listener = StackSocket.Create(_b, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(server);
        listener.Listen(1);
        var accepting = listener.AcceptAsync().AsTask();
        _tcpClient = StackSocket.Create(_a, AddressFamily.InterNetwork, SocketType.Stream);
        _tcpClient.NoDelay = true;
        _tcpClient.Connect(server);
        _tcpServer = accepting.GetAwaiter().GetResult();
        _tcpServer.NoDelay = true;
    }

    [Benchmark]
    public Task UdpRoundTrip() => RoundTrip(_udpClient, _udpServer);

    [Benchmark]
    public Task TcpRoundTrip() => RoundTrip(_tcpClient, _tcpServer);

    private async Task RoundTrip(StackSocket client, StackSocket server)
    {
        await client.SendAsync(_request);
        int n = await server.ReceiveAsync(_buffer);
        await server.SendAsync(_buffer.AsMemory(0, n));
        int got = 0;
        while (got < _request.Length) got += await client.ReceiveAsync(_buffer.AsMemory(got));
    }

    /// <summary>
    /// One daytime-shaped connection through the socket API: connect, accept, a 26-byte reply, the server closes,
    /// the client reads to the end and closes. Both loops' work and both socket layers' objects are in the
    /// allocated figure (TIME-WAIT's end is not: on the real clock it comes 60 s later); compare with
    /// ConnectionLifeBench, TCP alone, to see what the socket layer adds per connection.
    /// </summary>
    [Benchmark]
    public async Task TcpConnection()
    {
        var accepting = _listener.AcceptAsync();
        using var client = StackSocket.Create(_a, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(_server);
        using (var accepted = await accepting)
        {
            await accepted.SendAsync(_reply);
        }
        int got;
        while ((got = await client.ReceiveAsync(_buffer)) > 0) { }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        foreach (var s in new[] { _udpClient, _udpServer, _tcpClient, _tcpServer }) s.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    private static StackOptions Options(MemoryPort port, byte last) => new()
    {
        Link = StackLink.Device(port),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24")],
        Mac = new MacAddress(0x0200_0000_0000UL | last),
    };
}
