using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp.Wire;

namespace Stack.Sockets.Dhcp;

// What the client sends in each state, and when it sends again (RFC 2131 §4.1, §4.4, table 5).
public sealed partial class DhcpClient
{
    private void Transmit(Instant now)
    {
        switch (State)
        {
            case DhcpState.Init:
                BeginExchange(DhcpState.Selecting, now);
                goto case DhcpState.Selecting;
            case DhcpState.Selecting:
                Broadcast(Message(DhcpMessageType.Discover, now) with { RequestedAddress = _requested }, now);
                break;
            case DhcpState.InitReboot:
                BeginExchange(DhcpState.Rebooting, now);
                goto case DhcpState.Rebooting;
            case DhcpState.Rebooting:
            case DhcpState.Requesting:
                if (_attempts >= _options.MaxRequestAttempts)
                {
                    // RFC 2131 §3.2, §4.4.1: no answer to the REQUEST; start over with a DISCOVER.
                    Restart(now);
                    return;
                }
                if (_attempts == 0) _requestSent = now;
                // SELECTING's REQUEST names the server and the offered address; INIT-REBOOT's only the address.
                Broadcast(Message(DhcpMessageType.Request, now) with
                {
                    RequestedAddress = State == DhcpState.Requesting ? _offer!.YourAddress : _requested,
                    ServerIdentifier = State == DhcpState.Requesting ? _offer!.ServerIdentifier : null,
                }, now);
                break;
            case DhcpState.Renewing:
            case DhcpState.Rebinding:
                Extend(now);
                break;
            default:
                _sendAt = Instant.Never;
                break;
        }
    }

    /// <summary>
    /// RENEWING: a REQUEST with ciaddr, unicast to the lease's server; REBINDING: the same, broadcast to any server
    /// (RFC 2131 §4.4.5). Sent again after half the time left until T2 (or the expiry), but at least 60 s.
    /// </summary>
    private void Extend(Instant now)
    {
        var lease = Lease!;
        if (_attempts == 0) _requestSent = now;
        var message = Message(DhcpMessageType.Request, now) with { Broadcast = false, ClientAddress = lease.Address.Address.V4 };
        bool renewing = State == DhcpState.Renewing;
        Send(message, renewing ? lease.Server : Ipv4Address.Broadcast, now);
        _attempts++;
        var limit = renewing ? lease.RebindAt : lease.ExpiresAt;
        var wait = TimeSpan.FromTicks(Math.Max(_options.MinRenewRetransmit.Ticks, (limit - now).Ticks / 2));
        _sendAt = Instant.Min(now + wait, limit);
    }

    private DhcpRequest Message(DhcpMessageType type, Instant now) => new(type, _xid, _host.Mac)
    {
        Seconds = (ushort)Math.Clamp((long)(now - _secsStart).TotalSeconds, 0, ushort.MaxValue),
        Broadcast = _options.RequestBroadcast,
    };

    /// <summary>Sends to the limited broadcast and schedules the retransmission by RFC 2131 §4.1's backoff.</summary>
    private void Broadcast(DhcpRequest message, Instant now)
    {
        Send(message, Ipv4Address.Broadcast, now);
        _attempts++;
        _sendAt = now + Backoff(_attempts);
    }

    private void Send(DhcpRequest message, Ipv4Address destination, Instant now)
    {
        int length = message.Write(_tx);
        Statistics.CountSent(message.Type);
        _host.Send(_tx.AsSpan(0, length), destination, now);
    }

    /// <summary>RFC 2131 §4.1: 4 s before the first retransmission, doubled each time up to 64 s, each ±1 s at random.</summary>
    private TimeSpan Backoff(int sent)
    {
        long ticks = _options.RetransmitInitial.Ticks << Math.Min(sent - 1, 16);
        ticks = Math.Min(ticks, _options.RetransmitMax.Ticks);
        var jitter = _options.RetransmitJitter;
        ticks += Between(-jitter, jitter).Ticks;
        return TimeSpan.FromTicks(Math.Max(ticks, TimeSpan.TicksPerMillisecond));
    }
}
