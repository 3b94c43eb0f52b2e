using Stack.Link.Time;
using Stack.Tcp.FastOpen;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// TCP Fast Open (RFC 7413) on the client, as Linux does it (tcp_fastopen_defer_connect, tcp_send_syn_data,
// tcp_rcv_fastopen_synack). A Fast Open connect first looks the server up in the layer's FastOpenCache. With a
// cookie (or with cookies not needed, tcp_fastopen bit 0x4) the SYN is held back until the first Send, which it
// then carries: as much of that write as fits (SynDataSpace), with the cookie. Without one the SYN goes at once
// and asks for a cookie. Only the first SYN carries the option and the data: a retransmitted SYN is a plain one,
// in case a middlebox dropped it for them. The SYN-ACK teaches the cache (cookie, MSS, lost SYN-data); data it
// does not acknowledge is resent at once, as Linux's sent skb of it is (ResendSynData).
public sealed partial class TcpConnection
{
    /// <summary>Linux reserves the whole option space (MAX_TCP_OPTION_SPACE) for a SYN's data, for middleboxes that add options.</summary>
    private const int SynDataOptionReserve = 40;

    private bool _synDeferred;
    private bool _firstSynSent;

    /// <summary>The Fast Open option the first SYN carries: a cookie, or the empty request; null for none.</summary>
    private FastOpenCookie? _synCookie;
    private bool _synCookieExperimental;

    /// <summary>The server's MSS as cached, which bounds the SYN's data (Linux's mss_clamp in tcp_send_syn_data).</summary>
    private int _cachedServerMss;

    /// <summary>The first SYN carried the Fast Open option (Linux syn_fastopen / syn_fastopen_exp).</summary>
    private bool _synFastOpen;
    private bool _synFastOpenExperimental;

    /// <summary>Bytes the first SYN carried (Linux syn_data when nonzero).</summary>
    private int _synDataLength;

    /// <summary>The SYN was sent again because the path MTU dropped under its data (Linux total_retrans).</summary>
    private bool _synResentForTooBig;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetFastOpenClient()
    {
        (_synDeferred, _firstSynSent, _synCookie, _synCookieExperimental) = (false, false, null, false);
        (_cachedServerMss, _synFastOpen, _synFastOpenExperimental, _synDataLength) = (0, false, false, 0);
        (_synResentForTooBig, WritePending) = (false, false);
    }

    /// <summary>
    /// A Fast Open connect holds its SYN for the data of the first <see cref="Send(ReadOnlySpan{byte}, Instant)"/> (Linux's defer_connect,
    /// TCP_FASTOPEN_CONNECT): the connection is in SYN-SENT and nothing has been sent yet.
    /// </summary>
    public bool IsSynDeferred => _synDeferred;

    /// <summary>Linux's TCP_DELACK_MAX: how long the ACK of a SYN-ACK waits for a blocked writer's data.</summary>
    private static readonly TimeSpan SynAckAckHold = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// An application write waits for the handshake to end (Linux sk_write_pending): the ACK of the SYN-ACK is
    /// held back (up to 200 ms) so that the data it is about to write carries it, saving a segment.
    /// </summary>
    public bool WritePending { get; set; }

    /// <summary>
    /// Linux tcp_fastopen_defer_connect / tcp_fastopen_cookie_check: true when the SYN should wait for data (a
    /// cookie is cached, or cookies are not needed); false when it goes now, asking for a cookie (or plain, when
    /// the client side of Fast Open is off).
    /// </summary>
    private bool BeginFastOpen()
    {
        FastOpenModes modes = _layer.FastOpen.Modes;
        if ((modes & FastOpenModes.Client) == 0)
        {
            return false;
        }
        FastOpenCacheEntry? entry = _layer.FastOpenCache.Get(Tuple.RemoteAddress);
        _cachedServerMss = entry?.Mss ?? 0;
        if ((modes & FastOpenModes.ClientWithoutCookie) != 0)
        {
            _synCookie = null; // Data without a cookie, and no option at all.
            _synDeferred = true;
            return true;
        }
        if (entry is { Cookie: { } cookie } known)
        {
            _synCookie = cookie;
            _synCookieExperimental = known.CookieExperimental;
            _synDeferred = true;
            return true;
        }
        _synCookie = FastOpenCookie.Request;
        _synCookieExperimental = entry?.RequestExperimental ?? false;
        return false;
    }

    /// <summary>
    /// The first Send of a deferred Fast Open connect: as much of <paramref name="data"/> as fits in the SYN goes
    /// with it (none when <paramref name="data"/> is empty); returns the bytes taken. The rest waits for the
    /// handshake, as on Linux, where the caller writes it again.
    /// </summary>
    private int SendWithSyn(ReadOnlySpan<byte> data, Instant now)
    {
        bool outermost = Enter();
        try
        {
            _synDeferred = false;
            int n = _send.Write(data[..Math.Min(data.Length, SynDataSpace(now))]);
            if (n > 0)
            {
                RecordWrite(_snd.BufStart, n, final: true);
            }
            _synDataLength = n;
            _snd.Max = _snd.Iss + 1 + n; // The SYN-ACK may acknowledge the data.
            _connectStart = now;
            SendSyn(now);
            return n;
        }
        catch (Exception e) when (outermost && !IsFatal(e))
        {
            Fault(e, now);
            return 0;
        }
        finally
        {
            Leave(now);
        }
    }

    /// <summary>
    /// Room for data in the SYN (Linux tcp_send_syn_data): the server's cached MSS (else ours), bounded by the
    /// path and TCP_MAXSEG, less the whole 40 bytes of option space.
    /// </summary>
    private int SynDataSpace(Instant now)
    {
        int mss = Math.Min(_cachedServerMss > 0 ? _cachedServerMss : AnnouncedMss, PathMss(now));
        return Math.Max(0, mss - SynDataOptionReserve);
    }

    /// <summary>
    /// Adds the Fast Open option to the first SYN and returns the bytes of data it carries; a retransmitted SYN
    /// gets neither (Linux clears the request after the first transmission).
    /// </summary>
    private int TakeFastOpenForSyn(ref TcpOptions options)
    {
        if (_firstSynSent)
        {
            return 0;
        }
        _firstSynSent = true;
        if (_synCookie is { } cookie)
        {
            options.FastOpen = cookie;
            options.FastOpenExperimental = _synCookieExperimental;
            _synFastOpen = true;
            _synFastOpenExperimental = _synCookieExperimental;
            _synCookie = null;
        }
        return _synDataLength;
    }

    /// <summary>
    /// The path MTU dropped under a SYN that carried data (Linux tcp_v4_mtu_reduced / tcp_v6_mtu_reduced, then
    /// tcp_simple_retransmit, which takes SYN-data in SYN-SENT as lost whatever its size): the SYN goes again at
    /// once, plain and announcing the smaller MSS, without a backoff; the data follows the handshake. It counts
    /// as a retransmission, so a SYN-ACK that leaves the data marks the SYN-data lost in the cache.
    /// </summary>
    private void ResendSynForTooBig(Instant now)
    {
        if (_synDataLength == 0 || !_config.PathMtuDiscovery)
        {
            return;
        }
        _synResentForTooBig = true;
        _layer.Statistics.Retransmissions++;
        _rto.OnRetransmit();
        SendSyn(now);
    }

    /// <summary>
    /// The SYN-ACK left [SND.UNA, end of the SYN's data): as Linux, that data was sent and is resent. Linux's
    /// tcp_send_syn_data keeps the SYN's data as a sent skb (ACK|PSH) in the retransmit queue, and
    /// tcp_rcv_fastopen_synack marks what the SYN-ACK left of it lost (tcp_mark_skb_lost) and resends it through
    /// tcp_non_congestion_loss_retransmit: a retransmission (tcpi_retrans, total_retrans), in the loss state
    /// without a cwnd reduction, the PSH of the write's end kept.
    /// </summary>
    private void ResendSynData()
    {
        SeqNum end = _snd.Iss + 1 + _synDataLength;
        if (_cc is null || !_segments.IsEmpty || _snd.Una >= end)
        {
            return;
        }
        _segments.Append(_snd.Una, end, fin: false, _connectStart);
        _segments.MarkLost(0);
        _snd.Nxt = end;
        EnterNonCongestionLoss();
    }

    /// <summary>
    /// Linux tcp_rcv_fastopen_synack, once the SYN-ACK is taken: the cache learns its MSS and cookie (not an
    /// unsolicited one), which option to ask in next time, and whether SYN-data was lost; the SYN's data counts as
    /// accepted only when all of it is acknowledged (TCPI_OPT_SYN_DATA), else what is left goes again at once.
    /// </summary>
    private void OnFastOpenSynAck(in TcpOptions options, bool synResent, Instant now)
    {
        if (!_synFastOpen && _synDataLength == 0)
        {
            return;
        }
        // Linux's cookie->len: a cookie (> 0), an empty option (0) or none / malformed (< 0).
        FastOpenCookie? cookie = _synFastOpen ? options.FastOpen : null;
        bool noCookie = cookie is null;
        bool dataLeft = _synDataLength > 0 && _snd.Una < _snd.Iss + 1 + _synDataLength;
        bool synLost = false;
        int tryExperimental = 0;
        if (!_synFastOpen)
        {
            // Unsolicited (cookie-less mode sent none): not cached.
        }
        else if (synResent)
        {
            // The SYN timed out and the SYN-ACK has no cookie and leaves the data: the server saw only the plain
            // SYN that followed, so the SYN-data (or its SYN-ACK) was dropped on the way.
            synLost = noCookie && dataLeft;
        }
        else if (noCookie && _synDataLength == 0)
        {
            // Asked and got nothing: try the other option format next time (Linux try_exp).
            tryExperimental = _synFastOpenExperimental ? 2 : 1;
        }
        _layer.FastOpenCache.Set(Tuple.RemoteAddress, options.Mss ?? 0, cookie, options.FastOpenExperimental, synLost,
            tryExperimental, now);
        if (dataLeft)
        {
            _layer.Statistics.FastOpenActiveFail++;
            ResendSynData();
            return;
        }
        SynDataAccepted = _synDataLength > 0;
        if (SynDataAccepted)
        {
            _layer.Statistics.FastOpenActive++;
        }
    }
}
