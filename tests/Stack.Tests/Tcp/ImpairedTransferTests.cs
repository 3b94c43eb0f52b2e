using System.Globalization;
using System.IO.Hashing;
using Stack.Sockets.Simulation;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Tests.Tcp;

/// <summary>
/// Stack to stack over a lossy, duplicating, reordering <see cref="VirtualNetwork"/>: the bytes that arrive are
/// the bytes sent, bit for bit. 64 MiB per seed (about a second each); STACK_IMPAIRED_MIB sets another size.
/// </summary>
public sealed class ImpairedTransferTests
{
    private static readonly int Mib =
        int.TryParse(Environment.GetEnvironmentVariable("STACK_IMPAIRED_MIB"), CultureInfo.InvariantCulture, out int m) && m > 0 ? m : 64;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int seed = 1; seed <= 20; seed++) data.Add(seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Bytes_arrive_intact_through_loss_duplication_and_reordering(int seed)
    {
        var result = Transfer(seed, (long)Mib << 20, TcpConfig.Default);
        Assert.Equal(result.Sent, result.Received);
    }

    internal static (UInt128 Sent, UInt128 Received, TimeSpan Virtual, long Retransmissions, long Timeouts) Transfer(
        int seed, long total, TcpConfig config, ImpairmentSpec? spec = null)
    {
        var net = new VirtualNetwork(TimeSpan.FromMilliseconds(1));
        var a = net.AddHost(Options(1), seed: seed * 2, config);
        var b = net.AddHost(Options(2), seed: seed * 2 + 1, config);
        net.Impair(spec ?? new ImpairmentSpec { Loss = 0.10, Duplicate = 0.02, Reorder = 0.05, Seed = seed * 100 });
        var start = net.Now;

        var listener = b.Tcp.Listen(IpAddress.Parse("192.0.2.2"), 5001, 1);
        var client = a.Tcp.Connect(null, 0, IpAddress.Parse("192.0.2.2"), 5001, null, net.Now);
        TcpConnection? server = null;
        Assert.True(net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromMinutes(2)), "the connection opened");

        var random = new Random(seed);
        var chunk = new byte[64 * 1024];
        var sink = new byte[64 * 1024];
        var sentHash = new XxHash128();
        var receivedHash = new XxHash128();
        long sent = 0, received = 0;
        int offset = chunk.Length;
        bool closed = false;
        var end = net.Now + TimeSpan.FromHours(2);
        while (!(server!.IsEndOfStream) && net.Now < end)
        {
            while (sent < total)
            {
                if (offset == chunk.Length)
                {
                    random.NextBytes(chunk);
                    offset = 0;
                }
                int n = client.Send(chunk.AsSpan(offset, (int)Math.Min(chunk.Length - offset, total - sent)), net.Now);
                if (n == 0) break;
                sentHash.Append(chunk.AsSpan(offset, n));
                offset += n;
                sent += n;
            }
            if (sent == total && !closed)
            {
                client.Shutdown(System.Net.Sockets.SocketShutdown.Send, net.Now);
                closed = true;
            }
            int r;
            while ((r = server.Receive(sink, net.Now)) > 0)
            {
                receivedHash.Append(sink.AsSpan(0, r));
                received += r;
            }
            Assert.Null(client.Error);
            Assert.Null(server.Error);
            if (!net.Step()) break;
        }
        Assert.True(server.IsEndOfStream, $"seed {seed}: stalled at {received} of {total} bytes after {net.Now - start}: " +
            $"client {client.State} una {client.SndUna} nxt {client.SndNxt} wnd {client.SendWindow} rto {client.Rto} " +
            $"next {client.NextDeadline}; server {server.State} rcvnxt {server.RcvNxt} readable {server.Readable} now {net.Now} " +
            $"paws {a.Tcp.Statistics.PawsRejected}/{b.Tcp.Statistics.PawsRejected} oow {a.Tcp.Statistics.OutOfWindow}/{b.Tcp.Statistics.OutOfWindow} " +
            $"retx {a.Tcp.Statistics.Retransmissions} frames {net.FramesDelivered}");
        Assert.Equal(total, received);
        return (sentHash.GetCurrentHashAsUInt128(), receivedHash.GetCurrentHashAsUInt128(), net.Now - start,
            a.Tcp.Statistics.Retransmissions, a.Tcp.Statistics.RetransmissionTimeouts);
    }

    /// <summary>
    /// BBR over 10 % loss in each direction (data and ACKs): its window does not collapse with random loss, so
    /// RACK keeps finding the holes from the SACKs of what was sent after them and the retransmission timer
    /// seldom has to. Measured with these seeds: 2, 1 and 7 timeouts against CUBIC's 104, 106 and 108 on the same
    /// path (which also takes ~45 s of virtual time to BBR's ~1 s). 16 MiB per seed, each algorithm.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Bbr_carries_16_mib_bit_exact_through_10_percent_loss_each_way_with_few_timeouts(int seed)
    {
        var spec = new ImpairmentSpec { Loss = 0.10, Seed = seed * 100 };
        var bbr = Transfer(seed, 16 << 20, TcpConfig.Default with { CongestionControl = CongestionControlKind.Bbr }, spec);
        Assert.Equal(bbr.Sent, bbr.Received);
        Assert.True(bbr.Retransmissions > 0, "the impairment lost something");
        Assert.InRange(bbr.Timeouts, 0, 10);

        var cubic = Transfer(seed, 16 << 20, TcpConfig.Default with { CongestionControl = CongestionControlKind.Cubic }, spec);
        Assert.Equal(cubic.Sent, cubic.Received);
        // The point of loss-insensitivity: an order of magnitude fewer timeouts than a loss-based window.
        Assert.True(bbr.Timeouts * 10 < cubic.Timeouts, $"BBR {bbr.Timeouts} timeouts, CUBIC {cubic.Timeouts}");
    }

    /// <summary>
    /// An echo: what the client sends comes back through the server, so both directions carry data, ACKs with
    /// SACK blocks ride on data segments, and both ends recover from loss at once. 64 MiB per seed (STACK_IMPAIRED_MIB).
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void An_echo_returns_every_byte_through_loss_duplication_and_reordering(int seed)
    {
        long total = (long)Mib << 20;
        var net = new VirtualNetwork(TimeSpan.FromMilliseconds(1));
        var a = net.AddHost(Options(1), seed: seed * 2, TcpConfig.Default);
        var b = net.AddHost(Options(2), seed: seed * 2 + 1, TcpConfig.Default);
        net.Impair(new ImpairmentSpec { Loss = 0.10, Duplicate = 0.02, Reorder = 0.05, Seed = seed * 100 + 7 });
        var listener = b.Tcp.Listen(IpAddress.Parse("192.0.2.2"), 7, 1);
        var client = a.Tcp.Connect(null, 0, IpAddress.Parse("192.0.2.2"), 7, null, net.Now);
        TcpConnection? server = null;
        Assert.True(net.RunUntil(() => listener.TryAccept(out server), TimeSpan.FromMinutes(2)), "the connection opened");

        var random = new Random(seed);
        var data = new byte[total];
        random.NextBytes(data);
        var echoed = new byte[total];
        var relay = new byte[256 * 1024];
        int relayStart = 0, relayEnd = 0;
        long sent = 0, received = 0;
        var end = net.Now + TimeSpan.FromHours(2);
        while (received < total && net.Now < end)
        {
            if (client.Error is not null || server!.Error is not null)
            {
                Assert.Fail($"seed {seed} at {net.Now}: client {client.State} {client.Error} una {client.SndUna} nxt {client.SndNxt} rcvnxt {client.RcvNxt} wnd {client.SendWindow} cwnd {client.CongestionWindow} rec {client.InFastRecovery}; " +
                    $"server {server!.State} {server.Error} una {server.SndUna} nxt {server.SndNxt} rcvnxt {server.RcvNxt} wnd {server.SendWindow} cwnd {server.CongestionWindow} rec {server.InFastRecovery} " +
                    $"sndmax {client.SendHighWater} sent {sent} received {received} paws {a.Tcp.Statistics.PawsRejected}/{b.Tcp.Statistics.PawsRejected} oow {a.Tcp.Statistics.OutOfWindow}/{b.Tcp.Statistics.OutOfWindow}");
            }
            if (sent < total)
            {
                sent += client.Send(data.AsSpan((int)sent, (int)Math.Min(64 * 1024, total - sent)), net.Now);
            }
            if (relayStart == relayEnd)
            {
                relayStart = 0;
                relayEnd = server!.Receive(relay, net.Now);
            }
            if (relayEnd > relayStart)
            {
                relayStart += server!.Send(relay.AsSpan(relayStart, relayEnd - relayStart), net.Now);
            }
            received += client.Receive(echoed.AsSpan((int)received), net.Now);
            if (!net.Step()) break;
        }
        Assert.True(received == total, $"seed {seed}: stalled at {received} of {total} bytes echoed at {net.Now}: " +
            $"client {client.State} una {client.SndUna} nxt {client.SndNxt} rcvnxt {client.RcvNxt} wnd {client.SendWindow} cwnd {client.CongestionWindow} unacked {client.Unacknowledged} readable {client.Readable} next {client.NextDeadline}; " +
            $"server {server!.State} una {server.SndUna} nxt {server.SndNxt} rcvnxt {server.RcvNxt} wnd {server.SendWindow} cwnd {server.CongestionWindow} unacked {server.Unacknowledged} readable {server.Readable} next {server.NextDeadline}; relay {relayEnd - relayStart} sent {sent}");
        Assert.Equal(XxHash128.HashToUInt128(data), XxHash128.HashToUInt128(echoed));
    }

    private static IpHostOptions Options(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"192.0.2.{last}/24"))],
    };
}
