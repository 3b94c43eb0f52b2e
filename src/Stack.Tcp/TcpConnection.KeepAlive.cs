using System.Net.Sockets;
using Stack.Link.Time;
using Stack.Tcp.Timers;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Keep-alive (RFC 1122 §4.2.3.6; SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT as Linux's tcp_keepalive_timer): off by
// default. After KeepAliveIdle without hearing from the peer, and with nothing of ours in flight, a probe goes
// every KeepAliveInterval: an ACK whose sequence number is SND.UNA − 1, which the peer must answer. Any segment
// from the peer ends the probing; KeepAliveProbes unanswered probes and one more interval fail the connection
// with TimedOut (and a RST, as Linux).
public sealed partial class TcpConnection
{
    private Instant _lastHeard;
    private int _keepAliveProbesSent;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetKeepAlive()
    {
        (_lastHeard, _keepAliveProbesSent) = (default, 0);
    }

    /// <summary>The settings this connection runs with (the keep-alive ones as last set).</summary>
    public TcpConfig Config => _config;

    /// <summary>
    /// SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT on a live connection, as Linux allows at any time (a
    /// server typically turns keep-alive on for each accepted socket). The idle time counts from the last
    /// segment heard, so a shorter idle time can make the first probe due at once.
    /// </summary>
    public void SetKeepAlive(bool enabled, TimeSpan idle, TimeSpan interval, int probes, Instant now)
    {
        var config = _config with { KeepAlive = enabled, KeepAliveIdle = idle, KeepAliveInterval = interval, KeepAliveProbes = probes };
        config.Validate();
        bool outermost = Enter();
        try
        {
            _config = config;
            _timers.Cancel(TimerKind.KeepAlive); // Re-armed on the way out from the new idle time.
        }
        catch (Exception e) when (outermost && !IsFatal(e))
        {
            Fault(e, now);
        }
        finally
        {
            Leave(now);
        }
    }

    private bool KeepAliveApplies => _config.KeepAlive
        && _state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait2;

    /// <summary>A segment arrived from the peer: the idle time starts again (the timer catches up lazily).</summary>
    private void OnHeardFromPeer(Instant now)
    {
        _lastHeard = now;
        _keepAliveProbesSent = 0;
    }

    /// <summary>Arms the keep-alive timer when it should run and does not; called as each entry point leaves.</summary>
    private void ArmKeepAlive()
    {
        if (KeepAliveApplies)
        {
            _timers.ArmIfIdle(TimerKind.KeepAlive, _lastHeard + _config.KeepAliveIdle);
        }
        else
        {
            _timers.Cancel(TimerKind.KeepAlive);
        }
    }

    private void OnKeepAliveTimeout(Instant now)
    {
        if (!KeepAliveApplies)
        {
            return;
        }
        if (_snd.Max != _snd.Una || _snd.BufStart + _send.Count - _snd.Nxt > 0)
        {
            // Data is in flight or waiting: the retransmission or persist timer watches the peer instead.
            _timers.Arm(TimerKind.KeepAlive, now + _config.KeepAliveIdle);
            return;
        }
        TimeSpan idle = now - _lastHeard;
        if (idle < _config.KeepAliveIdle)
        {
            _timers.Arm(TimerKind.KeepAlive, _lastHeard + _config.KeepAliveIdle);
            return;
        }
        if (_keepAliveProbesSent >= _config.KeepAliveProbes)
        {
            _layer.SendReset(Tuple, _snd.Nxt, _rcv.Nxt, TcpFlags.Rst | TcpFlags.Ack, now);
            Fail(SocketError.TimedOut, "keep-alive probes unanswered");
            return;
        }
        SendOldSequenceAck(now);
        _keepAliveProbesSent++;
        _timers.Arm(TimerKind.KeepAlive, now + _config.KeepAliveInterval);
    }

    /// <summary>
    /// An ACK with SND.UNA − 1, a sequence number the peer has already seen (Linux tcp_xmit_probe_skb): it must
    /// answer with an ACK showing its window. Keep-alive and zero-window probes both use it.
    /// </summary>
    private void SendOldSequenceAck(Instant now)
    {
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, (_snd.Una - 1).Value, _rcv.Nxt.Value, TcpFlags.Ack,
            ComputeWindow(), SegmentOptions(now));
        OnAckSent();
        Transmit(repr, null, 0, 0, now);
    }
}
