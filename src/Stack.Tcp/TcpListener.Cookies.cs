using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Isn;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

/// <summary>SYN cookies (RFC 4987 §3.6): the SYN-ACK that keeps no state, and the ACK that brings the state back.</summary>
public sealed partial class TcpListener
{
    /// <summary>When the SYN queue last overflowed into cookies; cookie ACKs are taken only for a while after.</summary>
    private Instant? _lastOverflow;

    /// <summary>
    /// Answers a SYN with a cookie SYN-ACK: the cookie is its sequence number, what else the SYN offered rides in
    /// the low bits of TSval (SynCookieCodec), and nothing is remembered.
    /// </summary>
    private void SendCookie(in TcpHeader syn, in TcpOptions options, FourTuple tuple, bool overflow, Instant now)
    {
        if (overflow)
        {
            if (_lastOverflow is not { } last || now - last >= CookieWindow)
            {
                TcpLog.SynFlood(_layer.Log, LocalEndPoint); // Once per episode, as Linux warns once.
            }
            _lastOverflow = now;
        }
        bool v6 = tuple.RemoteAddress.IsIpv6;
        ushort peerMss = options.Mss is ushort m && m > 0 ? m : (ushort)(v6 ? 1220 : 536);
        SeqNum iss = _layer.Cookies.Make(tuple, new SeqNum(syn.SequenceNumber), peerMss, now);
        var reply = new TcpOptions { Mss = (ushort)(_layer.Host.Mtu - (v6 ? 40 : 20) - TcpHeader.MinLength) };
        // Without timestamps there is nowhere to keep window scaling or SACK: offer neither (Linux tcp_clear_options).
        if (Config.Timestamps && options.HasTimestamps)
        {
            bool sack = Config.Sack && options.SackPermitted;
            byte? peerShift = Config.WindowScaling ? options.WindowScale : null;
            reply.SackPermitted = sack;
            if (peerShift is not null)
            {
                reply.WindowScale = (byte)TcpConnection.ReceiveShift(Config);
            }
            reply.HasTimestamps = true;
            uint clock = unchecked((uint)now.Milliseconds + _layer.TimestampOffset(tuple));
            reply.TsVal = SynCookieCodec.EncodeTimestamp(clock, peerShift, sack);
            reply.TsEcr = options.TsVal;
        }
        var repr = new TcpRepr(tuple.LocalPort, tuple.RemotePort, iss.Value, syn.SequenceNumber + 1u,
            TcpFlags.Syn | TcpFlags.Ack, (ushort)Math.Min(Config.ReceiveBufferSize, ushort.MaxValue), reply);
        _layer.Statistics.SynCookiesSent++;
        _layer.Transmit(tuple, repr, null, 0, 0, now);
    }

    /// <summary>
    /// An ACK for no connection reached this listener: if it carries a valid cookie, the connection is made
    /// (and the ACK, with any data on it, handed to it). False means the caller answers with a RST.
    /// </summary>
    internal bool OnCookieAck(in TcpHeader ack, in TcpOptions options, FourTuple tuple, Instant now)
    {
        SynCookieMode mode = _layer.SynCookies;
        if (mode == SynCookieMode.Off
            || (mode == SynCookieMode.WhenFull && (_lastOverflow is not { } last || now - last >= CookieWindow)))
        {
            return false; // Linux tcp_synq_no_recent_overflow: no cookies went out lately, so this is none.
        }
        uint? echo = Config.Timestamps && options.HasTimestamps ? options.TsEcr : null;
        if (!_layer.Cookies.TryCheck(tuple, new SeqNum(ack.SequenceNumber), new SeqNum(ack.AcknowledgmentNumber), echo,
                now, out var cookie))
        {
            _layer.Statistics.SynCookiesInvalid++;
            return false;
        }
        if (IsAcceptQueueFull)
        {
            Overflow(tuple);
            return true; // Dropped, not reset: the client's retransmission may find room.
        }
        _layer.Statistics.SynCookiesValid++;
        var c = _layer.CreatePassive(this, tuple);
        c.StartFromCookie(ack, options, cookie, now);
        c.OnSegment(ack, options, now);
        return true;
    }

    /// <summary>How long after an overflow cookie ACKs are looked at: as long as a cookie stays good.</summary>
    private static TimeSpan CookieWindow => TimeSpan.FromMinutes(SynCookieCodec.MaxAgeMinutes);
}
