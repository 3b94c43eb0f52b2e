using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tcp.Ports;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>
/// A two-shard stack (<see cref="StackShards"/>) on an in-memory stand-in for a 2-queue TAP (<see cref="SteeredLink"/>),
/// with a one-loop peer whose frames the test steers to either queue: what lands on the shard that does not own it
/// goes round the ring (UDP datagrams, ICMP errors) to the one that does, and only the last shard asked answers.
/// One fake clock that never moves: nothing here waits on a timer.
/// </summary>
public sealed class ShardHandOffTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly WatchedClock _clock = new();
    private readonly SteeredLink _link = new(queues: 2);
    private readonly StackShards _shards;
    private readonly StackInstance _peer;

    public ShardHandOffTests()
    {
        _shards = StackShards.Start(new StackOptions
        {
            Link = StackLink.Queues(_link.Queues),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
            Mac = new MacAddress(0x0200_0000_0002UL),
            Time = _clock,
        }, queues: 2);
        _peer = StackInstance.Start("peer", _link, new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0001UL),
            Addresses = [InterfaceAddress.Parse("192.0.2.1/24"), InterfaceAddress.Parse("2001:db8::1/64")],
        }, _clock);
    }

    private StackInstance Shard0 => _shards.Shards[0];
    private StackInstance Shard1 => _shards.Shards[1];
    private static IPAddress Peer(bool v6) => IPAddress.Parse(v6 ? "2001:db8::1" : "192.0.2.1");
    private static IPAddress Us(bool v6) => IPAddress.Parse(v6 ? "2001:db8::2" : "192.0.2.2");
    private static AddressFamily Family(bool v6) => v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_to_a_udp_client_on_shard_1_that_lands_on_shard_0_reaches_it(bool v6)
    {
        _link.Queue = 0; // the kernel's flow hash picks queue 0 for everything the peer sends
        using var timeout = new CancellationTokenSource(Patience);
        using var server = StackSocket.Create(_peer, Family(v6), SocketType.Dgram);
        server.Bind(new IPEndPoint(Peer(v6), 7000));
        using var client = StackSocket.Create(Shard1, Family(v6), SocketType.Dgram);
        await client.SendToAsync(Encoding.ASCII.GetBytes("ping"), new IPEndPoint(Peer(v6), 7000), timeout.Token);
        var buffer = new byte[100];
        var request = await server.ReceiveFromAsync(buffer, timeout.Token);
        await server.SendToAsync(buffer.AsMemory(0, request.ReceivedBytes), (IPEndPoint)request.RemoteEndPoint, timeout.Token);

        var reply = await client.ReceiveFromAsync(buffer, timeout.Token);
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, reply.ReceivedBytes));
        var (first, last) = EphemeralPorts.Slice(1, 2);
        Assert.InRange(client.LocalEndPoint!.Port, first, last); // shard 1's slice: no socket on shard 0 shares it
        var (handed0, noPorts0, received0) = await Udp(Shard0);
        var (handed1, noPorts1, received1) = await Udp(Shard1);
        Assert.Equal((1, 0, 0), (handed0, noPorts0, received0));
        Assert.Equal((0, 0, 1), (handed1, noPorts1, received1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_datagram_for_a_port_no_shard_has_is_answered_once_by_the_last_shard(bool v6)
    {
        _link.Queue = 0;
        using var timeout = new CancellationTokenSource(Patience);
        using var sender = StackSocket.Create(_peer, Family(v6), SocketType.Dgram);
        await sender.ConnectAsync(new IPEndPoint(Us(v6), 9), timeout.Token);
        await sender.SendAsync(new byte[10], timeout.Token);

        var e = await Assert.ThrowsAsync<StackSocketException>(async () => await sender.ReceiveAsync(new byte[10], timeout.Token));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal((1, 0, 0), await Udp(Shard0));
        Assert.Equal((0, 1, 0), await Udp(Shard1));
        Assert.Equal(0, await Shard0.Loop.InvokeAsync(_ => Shard0.Host.Statistics.IcmpErrorsSent));
        Assert.Equal(1, await Shard1.Loop.InvokeAsync(_ => Shard1.Host.Statistics.IcmpErrorsSent));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_too_big_error_for_a_connection_on_shard_1_that_lands_on_shard_0_lowers_its_mss(bool v6)
    {
        _link.Queue = 0; // the SYN-ACK too: the connection is made through the TCP hand-off
        using var timeout = new CancellationTokenSource(Patience);
        using var listener = StackSocket.Create(_peer, Family(v6), SocketType.Stream);
        listener.Bind(new IPEndPoint(Peer(v6), 80));
        listener.Listen();
        using var client = StackSocket.Create(Shard1, Family(v6), SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(Peer(v6), 80), timeout.Token);
        var (port, una, mss) = await Shard1.Loop.InvokeAsync(_ =>
            Shard1.Tcp.Connections.Single() is var c ? (c.LocalEndPoint.Port, c.SndUna.Value, c.EffectiveMss) : default);

        int mtu = v6 ? 1280 : 1200;
        await SendTooBigFromPeer(v6, port, una, mtu);

        await WaitUntil(Shard1, () => Shard1.Tcp.Connections.Single().EffectiveMss < mss);
        var ip = IpAddress.FromIPAddress(Peer(v6));
        Assert.Equal(mtu, await Shard1.Loop.InvokeAsync(now => Shard1.Host.PathMtu(ip, now)));
        // Shard 1 posted what it learned to shard 0 as it learned it, before this read.
        Assert.Equal(mtu, await Shard0.Loop.InvokeAsync(now => Shard0.Host.PathMtu(ip, now)));
        Assert.Equal(1, await Shard0.Loop.InvokeAsync(_ => Shard0.Host.Statistics.IcmpErrorsHandedOff));
        Assert.Equal(0, await Shard1.Loop.InvokeAsync(_ => Shard1.Host.Statistics.IcmpErrorsHandedOff));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_path_mtu_learned_on_shard_0_lowers_the_mss_of_a_connection_on_shard_1_to_the_same_peer(bool v6)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var listener = StackSocket.Create(_peer, Family(v6), SocketType.Stream);
        listener.Bind(new IPEndPoint(Peer(v6), 80));
        listener.Listen();
        _link.Queue = 1; // Each connection's SYN-ACK lands on its own shard: no hand-off.
        using var onShard1 = StackSocket.Create(Shard1, Family(v6), SocketType.Stream);
        await onShard1.ConnectAsync(new IPEndPoint(Peer(v6), 80), timeout.Token);
        _link.Queue = 0;
        using var onShard0 = StackSocket.Create(Shard0, Family(v6), SocketType.Stream);
        await onShard0.ConnectAsync(new IPEndPoint(Peer(v6), 80), timeout.Token);
        var (port, una, mss0) = await Shard0.Loop.InvokeAsync(_ =>
            Shard0.Tcp.Connections.Single() is var c ? (c.LocalEndPoint.Port, c.SndUna.Value, c.EffectiveMss) : default);
        int mss1 = await Shard1.Loop.InvokeAsync(_ => Shard1.Tcp.Connections.Single().EffectiveMss);

        // The error quotes shard 0's connection and lands on shard 0: only shard 0 hears it.
        int mtu = v6 ? 1280 : 1200;
        await SendTooBigFromPeer(v6, port, una, mtu);
        await WaitUntil(Shard0, () => Shard0.Tcp.Connections.Single().EffectiveMss < mss0);
        var ip = IpAddress.FromIPAddress(Peer(v6));
        // Shard 0 posted the path MTU to shard 1 as it learned it, before this read; nothing was handed off.
        Assert.Equal(mtu, await Shard1.Loop.InvokeAsync(now => Shard1.Host.PathMtu(ip, now)));
        Assert.Equal(0, await Shard0.Loop.InvokeAsync(_ => Shard0.Host.Statistics.IcmpErrorsHandedOff));
        Assert.Equal(mss1, await Shard1.Loop.InvokeAsync(_ => Shard1.Tcp.Connections.Single().EffectiveMss));

        // Shard 1's connection reads its route again as its next segment leaves, and sends full segments that fit.
        await onShard1.SendAsync(new byte[100], timeout.Token);
        await onShard1.SendAsync(new byte[20_000], timeout.Token);
        await WaitUntil(Shard1, () => Shard1.Tcp.Connections.Single().EffectiveMss < mss1);
        int mss = await Shard1.Loop.InvokeAsync(_ => Shard1.Tcp.Connections.Single().EffectiveMss);
        Assert.InRange(mss, mtu - (v6 ? 60 : 40) - 12, mtu - (v6 ? 60 : 40)); // Less timestamps, if they were agreed.
        Assert.Equal(0, await Shard1.Loop.InvokeAsync(_ => Shard1.Tcp.Statistics.IcmpTooBigIgnored));
    }

    [Fact]
    public async Task A_host_unreachable_for_a_connection_on_shard_1_that_lands_on_shard_0_is_its_soft_error()
    {
        _link.Queue = 1;
        using var timeout = new CancellationTokenSource(Patience);
        using var listener = StackSocket.Create(_peer, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(Peer(false), 80));
        listener.Listen();
        using var client = StackSocket.Create(Shard1, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(Peer(false), 80), timeout.Token);
        var (port, una) = await Shard1.Loop.InvokeAsync(_ => Shard1.Tcp.Connections.Single() is var c ? (c.LocalEndPoint.Port, c.SndUna.Value) : default);

        _link.Queue = 0;
        await SendErrorFromPeer(false, port, 80, una, (byte)Icmpv4Type.DestinationUnreachable, Icmpv4Code.HostUnreachable, 0);

        await WaitUntil(Shard1, () => Shard1.Tcp.Connections.Single().SoftError is not null);
        Assert.Equal(SocketError.HostUnreachable, await Shard1.Loop.InvokeAsync(_ => Shard1.Tcp.Connections.Single().SoftError));
    }

    [Fact]
    public async Task An_error_no_shard_claims_goes_round_once_and_stops()
    {
        _link.Queue = 0;
        await SendErrorFromPeer(false, 50000, 80, 1, (byte)Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded, 1200);
        await WaitUntil(Shard0, () => Shard0.Host.Statistics.IcmpErrorsHandedOff == 1);
        // The hand-off was posted to shard 1's loop before this read: it has run there, and stopped (the last shard).
        Assert.Equal(0, await Shard1.Loop.InvokeAsync(_ => Shard1.Host.Statistics.IcmpErrorsHandedOff));
        var ip = IpAddress.FromIPAddress(Peer(false));
        Assert.Equal(1500, await Shard1.Loop.InvokeAsync(now => Shard1.Host.PathMtu(ip, now)));
        Assert.Equal(1500, await Shard0.Loop.InvokeAsync(now => Shard0.Host.PathMtu(ip, now)));
    }

    [Fact]
    public async Task One_queue_sets_no_hand_off_and_keeps_the_whole_port_range()
    {
        using var link = new SteeredLink(queues: 1);
        using var one = StackShards.Start(new StackOptions
        {
            Link = StackLink.Queues(link.Queues),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
            Time = _clock,
        }, queues: 1);
        var s = one.Shards[0];
        Assert.Equal((true, true, true, ((ushort)49152, (ushort)65535)),
            await s.Loop.InvokeAsync(_ => (s.Tcp.HandOff is null, s.Udp.HandOff is null, s.Host.IcmpHandOff is null, s.Udp.EphemeralRange)));
    }

    /// <summary>The peer's IP layer sends an ICMP error about a TCP segment we sent from <paramref name="localPort"/>.</summary>
    /// <summary>The peer's "fragmentation needed" (IPv4) or "packet too big" (IPv6) quoting our segment from <paramref name="localPort"/> to port 80.</summary>
    private Task<long> SendTooBigFromPeer(bool v6, int localPort, uint seq, int mtu) =>
        SendErrorFromPeer(v6, localPort, 80, seq, v6 ? (byte)Icmpv6Type.PacketTooBig : (byte)Icmpv4Type.DestinationUnreachable,
            v6 ? (byte)0 : Icmpv4Code.FragmentationNeeded, (uint)mtu);

    private Task<long> SendErrorFromPeer(bool v6, int localPort, int remotePort, uint seq, byte type, byte code, uint rest)
    {
        var quote = new byte[(v6 ? 40 : 20) + 8];
        if (v6)
        {
            quote[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(quote.AsSpan(4), 1460);
            quote[6] = (byte)IpProtocol.Tcp;
            quote[7] = 64;
            Us(true).GetAddressBytes().CopyTo(quote, 8);
            Peer(true).GetAddressBytes().CopyTo(quote, 24);
        }
        else
        {
            quote[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(quote.AsSpan(2), 1500);
            quote[6] = 0x40; // DF
            quote[8] = 64;
            quote[9] = (byte)IpProtocol.Tcp;
            Us(false).GetAddressBytes().CopyTo(quote, 12);
            Peer(false).GetAddressBytes().CopyTo(quote, 16);
        }
        var tcp = quote.AsSpan(v6 ? 40 : 20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)localPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)remotePort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        return _peer.Loop.InvokeAsync(now =>
        {
            if (v6) _peer.Host.SendIcmpv6Error(quote, (Icmpv6Type)type, code, rest, now);
            else _peer.Host.SendIcmpv4Error(quote, (Icmpv4Type)type, code, rest, now);
            return _peer.Host.Statistics.IcmpErrorsSent;
        });
    }

    private static Task<(long HandedOff, long NoPorts, long Received)> Udp(StackInstance shard) =>
        shard.Loop.InvokeAsync(_ => (shard.Udp.Statistics.HandedOff, shard.Udp.Statistics.NoPorts, shard.Udp.Statistics.DatagramsReceived));

    /// <summary>Waits, read on <paramref name="shard"/>'s loop, until <paramref name="condition"/> holds (a bound only stops a broken run).</summary>
    private static async Task WaitUntil(StackInstance shard, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await shard.Loop.InvokeAsync(_ => condition()))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(5);
        }
    }

    public void Dispose()
    {
        _shards.Dispose();
        _peer.Dispose();
    }
}
