namespace Stack.Tcp;

/// <summary>
/// The send sequence variables (RFC 9293 §3.3.1), as one connection keeps them. A plain mutable struct held in a
/// field of the connection; its fields keep the RFC's names.
/// </summary>
internal struct SendSequence
{
    /// <summary>ISS: our initial sequence number.</summary>
    public SeqNum Iss;

    /// <summary>SND.UNA: the oldest unacknowledged sequence number.</summary>
    public SeqNum Una;

    /// <summary>SND.NXT: the next sequence number to send.</summary>
    public SeqNum Nxt;

    /// <summary>
    /// The highest sequence number sent, plus one (Linux's snd_nxt). Equal to <see cref="Nxt"/> but for a
    /// zero-window probe's byte, which is sent without moving SND.NXT.
    /// </summary>
    public SeqNum Max;

    /// <summary>The end of the last segment sent shorter than the MSS (Linux's snd_sml, for Minshall's Nagle).</summary>
    public SeqNum Sml;

    /// <summary>SND.WL1 and SND.WL2: the segment sequence and ACK numbers of the last window update.</summary>
    public SeqNum Wl1, Wl2;

    /// <summary>The sequence number of the send buffer's first byte (SND.UNA, or one past a SYN not yet acknowledged).</summary>
    public SeqNum BufStart;

    /// <summary>SND.WND, scaled.</summary>
    public long Wnd;

    /// <summary>The largest window the peer has offered (RFC 9293 §3.8.6.2.1, sender SWS avoidance).</summary>
    public long MaxWnd;

    /// <summary>The shift applied to the peer's window field (RFC 7323 Snd.Wind.Shift).</summary>
    public int Wscale;

    /// <summary>Sequence space sent and not acknowledged (FlightSize, RFC 5681).</summary>
    public readonly int Outstanding => Max - Una;
}

/// <summary>The receive sequence variables (RFC 9293 §3.3.1) and what the ACK rules remember of them.</summary>
internal struct ReceiveSequence
{
    /// <summary>IRS: the peer's initial sequence number.</summary>
    public SeqNum Irs;

    /// <summary>RCV.NXT.</summary>
    public SeqNum Nxt;

    /// <summary>RCV.NXT + RCV.WND as last advertised: it never moves left (RFC 7323 §2.4).</summary>
    public SeqNum Edge;

    /// <summary>Last.ACK.sent (RFC 7323 §4.3): the ACK number of the last segment we sent.</summary>
    public SeqNum LastAckSent;

    /// <summary>The shift the peer applies to our window field (RFC 7323 Rcv.Wind.Shift).</summary>
    public int Wscale;

    /// <summary>The largest payload received so far (Linux rcv_mss): "full-sized" for the delayed-ACK rule.</summary>
    public int Mss;
}

/// <summary>What the handshake settled (RFC 9293 §3.7.1, RFC 7323, RFC 2018).</summary>
internal struct NegotiatedOptions
{
    /// <summary>Both sides sent the window scale option.</summary>
    public bool WindowScale;

    /// <summary>Both sides sent timestamps.</summary>
    public bool Timestamps;

    /// <summary>Both sides sent sackOK.</summary>
    public bool Sack;

    /// <summary>TS.Recent (RFC 7323 §4.3): the timestamp to echo.</summary>
    public uint TsRecent;

    /// <summary>The peer's MSS option, or the RFC 9293 §3.7.1 default.</summary>
    public int PeerMss;
}
