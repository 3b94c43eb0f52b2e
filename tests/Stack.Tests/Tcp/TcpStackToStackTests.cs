using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;

namespace Stack.Tests.Tcp;

/// <summary>Two stacks back to back through an in-test wire with a virtual clock: our TCP against itself.</summary>
public sealed class TcpStackToStackTests
{
    /// <summary>One end: an IpHost and its TcpLayer; frames it sends go onto the shared wire.</summary>
    private sealed class End(Queue<(End To, byte[] Frame)> wire) : IFrameTransmitter
    {
        public End? Peer;
        public IpHost Host = null!;
        public TcpLayer Tcp = null!;

        /// <summary>Frames to drop, by 1-based index of what this end sent (fault injection).</summary>
        public Func<int, bool> Drop = _ => false;

        private int _sent;

        public void Transmit(ReadOnlySpan<byte> frame)
        {
            if (!Drop(++_sent))
            {
                wire.Enqueue((Peer!, frame.ToArray()));
            }
        }
    }

    private sealed class Pair
    {
        private readonly Queue<(End To, byte[] Frame)> _wire = new();

        public Pair(bool v6, TcpConfig config)
        {
            A = Make("192.0.2.1/24", "2001:db8::1/64", 0x0200_0000_0001UL, 1);
            B = Make("192.0.2.2/24", "2001:db8::2/64", 0x0200_0000_0002UL, 2);
            A.Peer = B;
            B.Peer = A;
            AddressA = v6 ? IpAddress.Parse("2001:db8::1") : IpAddress.Parse("192.0.2.1");
            AddressB = v6 ? IpAddress.Parse("2001:db8::2") : IpAddress.Parse("192.0.2.2");
            A.Host.Start(Now);
            B.Host.Start(Now);
            End Make(string a4, string a6, ulong mac, int seed)
            {
                var end = new End(_wire);
                end.Host = new IpHost(new IpHostOptions
                {
                    Mac = new MacAddress(mac),
                    Addresses = [InterfaceAddress.Parse(a4), InterfaceAddress.Parse(a6)],
                    Random = new Random(seed),
                }, end);
                var random = new Random(seed);
                var key = new byte[16];
                key[0] = (byte)seed;
                end.Tcp = new TcpLayer(end.Host, new IsnGenerator(key), new EphemeralPorts(key, random: random), random)
                {
                    DefaultConfig = config,
                };
                return end;
            }
        }

        public End A { get; }
        public End B { get; }
        public IpAddress AddressA { get; }
        public IpAddress AddressB { get; }
        public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);

        /// <summary>Lets <paramref name="time"/> pass with nothing on the wire (timers due by then run).</summary>
        public void Wait(TimeSpan time)
        {
            Now += time;
            RunTimers();
        }

        /// <summary>Delivers one frame (each hop takes 100 µs), or runs the next timer; false when nothing is left.</summary>
        public bool Step()
        {
            if (_wire.TryDequeue(out var item))
            {
                Now += TimeSpan.FromTicks(1000);
                item.To.Host.OnFrame(item.Frame, Now);
                RunTimers();
                return true;
            }
            Instant next = Instant.Min(A.Host.NextDeadline, B.Host.NextDeadline);
            if (next == Instant.Never)
            {
                return false;
            }
            if (next > Now)
            {
                Now = next;
            }
            RunTimers();
            return true;
        }

        private void RunTimers()
        {
            if (A.Host.NextDeadline <= Now) A.Host.OnTimer(Now);
            if (B.Host.NextDeadline <= Now) B.Host.OnTimer(Now);
        }
    }

    /// <summary>An application that writes a payload, shuts down writing, and reads everything to end of stream.</summary>
    private sealed class Pump(TcpConnection c, byte[] toSend)
    {
        private int _sent;
        private readonly MemoryStream _received = new();
        private readonly byte[] _buffer = new byte[64 * 1024];

        public byte[] Received => _received.ToArray();
        public bool Done { get; private set; }

        public void Run(Instant now)
        {
            if (c.Error is not null || c.State == TcpState.SynSent)
            {
                return;
            }
            while (_sent < toSend.Length)
            {
                int n = c.Send(toSend.AsSpan(_sent), now);
                if (n == 0) break;
                _sent += n;
                if (_sent == toSend.Length)
                {
                    c.Shutdown(SocketShutdown.Send, now);
                }
            }
            int r;
            while ((r = c.Receive(_buffer, now)) > 0)
            {
                _received.Write(_buffer, 0, r);
            }
            Done = c.IsEndOfStream && _sent == toSend.Length;
        }
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 7)]
    public void One_mebibyte_each_way_arrives_bit_exact(bool v6, int dropEvery)
    {
        var config = TcpConfig.Default with { SendBufferSize = 64 * 1024, ReceiveBufferSize = 64 * 1024 };
        var pair = new Pair(v6, config);
        if (dropEvery > 0)
        {
            // Lose every 7th frame A sends after the handshake: retransmission must repair it all.
            pair.A.Drop = i => i > 10 && i % dropEvery == 0;
        }
        var listener = pair.B.Tcp.Listen(pair.AddressB, 5001, 5);
        var client = pair.A.Tcp.Connect(null, 0, pair.AddressB, 5001, null, pair.Now);

        var fromA = TcpHarness.Pattern(1 << 20, seed: 1);
        var fromB = TcpHarness.Pattern(1 << 20, seed: 2);
        var pumpA = new Pump(client, fromA);
        Pump? pumpB = null;

        int steps = 0;
        while (!(pumpA.Done && pumpB is { Done: true }))
        {
            Assert.True(pair.Step(), "both stacks went idle before the transfer finished");
            Assert.True(++steps < 2_000_000, "the transfer did not finish");
            if (pumpB is null && listener.TryAccept(out var server))
            {
                pumpB = new Pump(server, fromB);
            }
            pumpA.Run(pair.Now);
            pumpB?.Run(pair.Now);
        }

        Assert.Equal(fromA, pumpB!.Received);
        Assert.Equal(fromB, pumpA.Received);
        Assert.Equal(v6 ? 1440 - 12 : 1460 - 12, client.EffectiveMss);

        // Both sides shut down writing: one of them ends in TIME-WAIT, the other in CLOSED; then both are gone.
        while (pair.Step() && pair.Now < Instant.FromMilliseconds(1000) + TimeSpan.FromMinutes(10))
        {
        }
        Assert.Equal(0, pair.A.Tcp.ConnectionCount);
        Assert.Equal(0, pair.B.Tcp.ConnectionCount);
        if (dropEvery > 0)
        {
            Assert.True(pair.A.Tcp.Statistics.Retransmissions > 0);
        }
    }

    [Fact]
    public void Thousands_of_connections_time_out_in_order_through_the_timer_queue()
    {
        var pair = new Pair(false, TcpConfig.Default);
        pair.B.Drop = _ => true; // B is silent: nobody answers, ARP included.
        var connections = new List<TcpConnection>();
        var closedAt = new HashSet<Instant>();
        Instant start = pair.Now;
        for (int i = 0; i < 3000; i++)
        {
            var c = pair.A.Tcp.Connect(null, 0, pair.AddressB, (ushort)(1000 + i % 7), null, pair.Now);
            c.Notify = (_, e) =>
            {
                if (e.HasFlag(TcpEvents.Closed)) closedAt.Add(pair.Now);
            };
            connections.Add(c);
        }
        while (pair.Step())
        {
        }
        Assert.All(connections, c => Assert.Equal(TcpState.Closed, c.State));
        Assert.All(connections, c => Assert.Equal(SocketError.TimedOut, c.Error));
        Assert.Equal(0, pair.A.Tcp.ConnectionCount);
        Assert.Equal([start + TimeSpan.FromSeconds(75)], closedAt);
    }
    /// <summary>
    /// A client that comes back on the same port while the server still holds the last connection in TIME-WAIT (a
    /// busy client wraps its ephemeral range in seconds) is taken at once: its timestamps grow from one
    /// connection to the next (one offset per pair of addresses, as Linux's), so the record sees a newer
    /// timestamp (RFC 6191). With an offset drawn per connection, about half the SYNs were answered with the
    /// record's ACK and connected only after a 1 s retransmission.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_client_reusing_a_port_the_server_holds_in_time_wait_connects_at_once(bool v6)
    {
        var pair = new Pair(v6, TcpConfig.Default);
        var listener = pair.B.Tcp.Listen(pair.AddressB, 80, 5);
        for (int round = 0; round < 16; round++)
        {
            Instant start = pair.Now;
            var client = pair.A.Tcp.Connect(null, 50000, pair.AddressB, 80, null, pair.Now);
            TcpConnection? server = null;
            while (server is null || client.State != TcpState.Established)
            {
                Assert.True(pair.Step(), $"round {round}: the stacks went idle before the connection was made");
                if (server is null && listener.TryAccept(out var accepted)) server = accepted;
            }
            Assert.True(pair.Now - start < TimeSpan.FromMilliseconds(100), $"round {round}: connected after {(pair.Now - start).TotalMilliseconds} ms");

            // The server closes first and keeps the TIME-WAIT record; the client's side is gone.
            server.Close(pair.Now);
            while (client.State != TcpState.CloseWait) Assert.True(pair.Step());
            client.Close(pair.Now);
            while (client.State != TcpState.Closed) Assert.True(pair.Step());
            Assert.Equal(TcpState.TimeWait, server.State);
            server.Release();
            client.Release();
            pair.Wait(TimeSpan.FromMilliseconds(10));
        }
        Assert.Equal(15, pair.B.Tcp.Statistics.TimeWaitRecycled);
        Assert.Equal(0, pair.A.Tcp.Statistics.Retransmissions);
    }
}
