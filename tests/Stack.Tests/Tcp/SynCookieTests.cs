using Stack.IP;
using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>SYN cookies (RFC 4987 §3.6) and the bounds on half-open state, as packet traces.</summary>
public sealed class SynCookieTests
{
    private static readonly Ipv4Address Spoofed = Ipv4Address.Parse("192.0.2.77");

    [Fact]
    public void A_full_syn_queue_answers_with_a_cookie_and_its_ack_makes_the_connection()
    {
        var h = new TcpHarness();
        var listener = h.Listen(backlog: 2);
        FillSynQueue(h, 2);

        h.Inject(TcpFlags.Syn, 0, win: 65535, options: LinuxSyn(tsVal: 100));
        var synAck = h.Expect("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
        Assert.Equal(2, listener.IncompleteCount); // The cookie kept no state.
        Assert.Equal(2, h.Tcp.ConnectionCount);
        Assert.Equal(1, h.Tcp.Statistics.SynCookiesSent);
        Assert.Equal(7u | 1u << 4, synAck.Options.TsVal & 0x3F); // The SYN's wscale and SACK-permitted ride in TSval.

        h.Inject(TcpFlags.Ack | TcpFlags.Psh, 1, 1, win: 502, options: Ts(101, synAck.Options.TsVal), data: Pattern(100));
        h.Expect(". 1:1(0) ack 101 **");
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(1, h.Tcp.Statistics.SynCookiesValid);
        Assert.Equal(1460, c.PeerMss);
        Assert.Equal((7, 7), c.WindowScale);
        Assert.True(c.SackEnabled);
        Assert.True(c.TimestampsEnabled);
        Assert.Equal(502L << 7, c.SendWindow);
        Assert.Equal(100, c.Readable); // The data on the cookie's ACK was kept.

        // Our timestamps go on from the cookie's, never back (the peer's PAWS would drop them).
        h.Advance(TimeSpan.FromMilliseconds(5));
        c.Send(Pattern(10), h.Now);
        var data = h.Expect("P. 1:11(10) ack 101 win * <nop,nop,TS val * ecr 101>");
        Assert.True(unchecked((int)(data.Options.TsVal - synAck.Options.TsVal)) > 0);
    }

    [Fact]
    public void Without_timestamps_a_cookie_offers_no_window_scaling_or_sack_and_rounds_the_mss_down()
    {
        var h = new TcpHarness();
        var listener = h.Listen(backlog: 1);
        FillSynQueue(h, 1);

        h.Inject(TcpFlags.Syn, 0, options: new TcpOptions { Mss = 1400, SackPermitted = true, WindowScale = 7 });
        h.Expect("S. 0:0(0) ack 1 win 65535 <mss 1460>");
        h.Inject(TcpFlags.Ack, 1, 1, win: 8192);

        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(1300, c.PeerMss); // Linux's table: 536, 1300, 1440, 1460.
        Assert.Equal((0, 0), c.WindowScale);
        Assert.False(c.SackEnabled);
        Assert.False(c.TimestampsEnabled);
    }

    [Fact]
    public void Forged_stale_or_misaddressed_cookies_are_reset_and_counted()
    {
        var h = new TcpHarness();
        h.Listen(backlog: 1);
        FillSynQueue(h, 1);
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(tsVal: 100));
        var synAck = h.Expect("S. 0:0(0) ack 1 **");

        h.Inject(TcpFlags.Ack, 1, 1 + 12345, options: Ts(101, synAck.Options.TsVal));
        h.Expect("R 12346:12346(0) win 0");
        h.Inject(TcpFlags.Ack, 1, 1, options: Ts(101, synAck.Options.TsVal), from: PeerPort + 1);
        h.Expect("R 1:1(0) win 0");
        Assert.Equal(2, h.Tcp.Statistics.SynCookiesInvalid);

        // Two minutes on the cookie is stale, even though the queue overflowed again just now.
        h.Advance(TimeSpan.FromSeconds(130));
        while (h.SentCount > 0)
        {
            h.Next(); // The first filler's SYN-ACK retransmissions.
        }
        FillSynQueue(h, 1, firstPort: 51000);
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(tsVal: 200), from: 52000);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, options: Ts(131_101, synAck.Options.TsVal));
        h.Expect("R 1:1(0) win 0");
        Assert.Equal(3, h.Tcp.Statistics.SynCookiesInvalid);
        Assert.Equal(0, h.Tcp.Statistics.SynCookiesValid);
    }

    [Fact]
    public void Without_a_recent_overflow_an_ack_to_a_listener_is_reset_without_a_cookie_check()
    {
        var h = new TcpHarness();
        h.Listen();
        h.Inject(TcpFlags.Ack, 1, 5, absolute: true);
        h.Expect("R 5:5(0) win 0");
        Assert.Equal(0, h.Tcp.Statistics.SynCookiesInvalid);
    }

    [Fact]
    public void Always_on_cookies_keep_no_half_open_state()
    {
        var h = new TcpHarness(cookies: SynCookieMode.Always);
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(tsVal: 100));
        var synAck = h.Expect("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
        Assert.Equal(0, h.Tcp.ConnectionCount);
        Assert.Equal(0, listener.IncompleteCount);

        h.Inject(TcpFlags.Ack, 1, 1, win: 502, options: Ts(101, synAck.Options.TsVal));
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void With_cookies_off_syns_beyond_the_backlog_are_dropped()
    {
        var h = new TcpHarness(cookies: SynCookieMode.Off);
        h.Listen(backlog: 1);
        FillSynQueue(h, 1);
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn());
        h.ExpectNothing();
        Assert.Equal(1, h.Tcp.Statistics.ListenOverflows);
        Assert.Equal(0, h.Tcp.Statistics.SynCookiesSent);
    }

    [Fact]
    public void The_stack_wide_half_open_cap_sends_cookies_for_every_listener()
    {
        var h = new TcpHarness(maxHalfOpen: 2);
        h.Listen(backlog: 10);
        var other = h.Tcp.Listen(Our4, OurPort + 1, 10);
        FillSynQueue(h, 2);
        Assert.Equal(2, h.Tcp.HalfOpenCount);

        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(), to: OurPort + 1);
        h.Expect("S. 0:0(0) ack 1 **");
        Assert.Equal(0, other.IncompleteCount);
        Assert.Equal(1, h.Tcp.Statistics.SynCookiesSent);
    }

    [Fact]
    public void A_spoofed_syn_flood_holds_bounded_state_and_the_listener_keeps_serving()
    {
        var h = new TcpHarness();
        var listener = h.Listen(backlog: 128);
        var random = new Random(12);
        for (int i = 0; i < 20_000; i++)
        {
            SpoofSyn(h, (ushort)random.Next(1024, 65536), (uint)random.Next());
        }
        Assert.Equal(128, listener.IncompleteCount);
        Assert.Equal(128, h.Tcp.ConnectionCount);
        Assert.True(h.Tcp.Statistics.SynCookiesSent >= 19_500, $"{h.Tcp.Statistics.SynCookiesSent} cookies");
        Assert.True(h.Host.Arp.Cache.Count <= 2, $"{h.Host.Arp.Cache.Count} ARP entries"); // The spoofed source, and the peer.

        // A real client still gets through, during the flood.
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(tsVal: 100));
        var synAck = h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, options: Ts(101, synAck.Options.TsVal));
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(TcpState.Established, c.State);

        // The half-open entries give up on schedule though their SYN-ACKs never left (no ARP answer): 1+2+…+32 s.
        h.Advance(TimeSpan.FromSeconds(64));
        Assert.Equal(0, listener.IncompleteCount);
        Assert.Equal(0, h.Tcp.HalfOpenCount);
        Assert.Equal(1, h.Tcp.ConnectionCount);
        Assert.Equal(128, h.Tcp.Statistics.SynReceivedTimeouts);
    }

    [Fact]
    public void After_a_burst_of_half_open_connections_times_out_the_tables_shrink_back()
    {
        var h = new TcpHarness(cookies: SynCookieMode.Off, maxHalfOpen: 10_000);
        var listener = h.Listen(backlog: TcpListener.SoMaxConn);
        var random = new Random(13);
        for (int i = 0; i < 4_000; i++)
        {
            SpoofSyn(h, (ushort)(1024 + i), (uint)random.Next());
        }
        Assert.Equal(4_000, listener.IncompleteCount);
        Assert.True(h.Tcp.ConnectionTableCapacity >= 4_000);

        h.Advance(TimeSpan.FromSeconds(64));
        Assert.Equal(0, h.Tcp.ConnectionCount);
        Assert.True(h.Tcp.ConnectionTableCapacity <= 1024, $"capacity {h.Tcp.ConnectionTableCapacity} with no connections");
    }

    [Fact]
    public void A_cookie_checks_out_within_its_minutes_and_not_after()
    {
        var codec = new SynCookieCodec(new IsnGenerator(new byte[16]));
        var tuple = new FourTuple(IpAddress.Parse("192.0.2.2"), 80, IpAddress.Parse("192.0.2.1"), 40000);
        var peerIsn = new SeqNum(123456);
        var made = Instant.FromMilliseconds(10 * 60_000 + 59_000);
        SeqNum cookie = codec.Make(tuple, peerIsn, 1460, made);

        Assert.True(codec.TryCheck(tuple, peerIsn + 1, cookie + 1, null, made, out var back));
        Assert.Equal(new SynCookie(1460, null, false), back);
        Assert.True(codec.TryCheck(tuple, peerIsn + 1, cookie + 1, null, made + TimeSpan.FromSeconds(60), out _));
        Assert.False(codec.TryCheck(tuple, peerIsn + 1, cookie + 1, null, made + TimeSpan.FromSeconds(61), out _));
        Assert.False(codec.TryCheck(tuple, peerIsn + 1001, cookie + 1, null, made, out _));
        Assert.False(codec.TryCheck(tuple with { RemotePort = 40001 }, peerIsn + 1, cookie + 1, null, made, out _));

        uint ts = SynCookieCodec.EncodeTimestamp(1_000_000, 9, sack: true);
        Assert.True(ts <= 1_000_000 && 1_000_000 - ts < 64);
        Assert.True(codec.TryCheck(tuple, peerIsn + 1, cookie + 1, ts, made, out back));
        Assert.Equal(new SynCookie(1460, 9, true), back);
    }

    /// <summary>SYNs from the peer's address on <paramref name="count"/> other ports, never completed.</summary>
    private static void FillSynQueue(TcpHarness h, int count, ushort firstPort = 50000)
    {
        for (int i = 0; i < count; i++)
        {
            h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(), from: (ushort)(firstPort + i));
            h.Expect("S. 0:0(0) ack 1 **");
        }
    }

    /// <summary>A SYN from an on-link address that never answers ARP, as hping3 -a sends them.</summary>
    private static void SpoofSyn(TcpHarness h, ushort port, uint seq)
    {
        var repr = new TcpRepr(port, OurPort, seq, 0, TcpFlags.Syn, 512, default);
        var tcp = new byte[repr.HeaderLength];
        repr.Write(tcp, [], InternetChecksum.PseudoHeader(Spoofed, Our4, (byte)IpProtocol.Tcp, tcp.Length));
        h.InjectIp(IpProtocol.Tcp, tcp, Spoofed);
    }
}
