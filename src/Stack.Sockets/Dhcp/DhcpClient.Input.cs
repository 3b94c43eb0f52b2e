using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp.Wire;

namespace Stack.Sockets.Dhcp;

// Messages from servers: checked, matched to the exchange in progress, and acted on (RFC 2131 §4.4).
public sealed partial class DhcpClient
{
    /// <summary>A datagram received on port 68: a server's OFFER, ACK or NAK, or something to reject and count.</summary>
    public void OnMessage(ReadOnlySpan<byte> payload, Instant now)
    {
        Statistics.Received++;
        if (!DhcpReply.TryParse(payload, out var reply, out var reason))
        {
            Reject(reason);
            return;
        }
        if (reply.ClientMac != _host.Mac)
        {
            Reject(DhcpRejectReason.WrongClientAddress);
            return;
        }
        if (State is not (DhcpState.Selecting or DhcpState.Requesting or DhcpState.Rebooting or DhcpState.Renewing or DhcpState.Rebinding))
        {
            Reject(DhcpRejectReason.UnexpectedMessage);
            return;
        }
        if (reply.Xid != _xid)
        {
            Reject(DhcpRejectReason.WrongXid);
            return;
        }
        if (reply.Type is not (DhcpMessageType.Offer or DhcpMessageType.Ack or DhcpMessageType.Nak)
            || (reply.Type == DhcpMessageType.Offer) != (State == DhcpState.Selecting))
        {
            Reject(DhcpRejectReason.UnexpectedMessage);
            return;
        }
        if (reply.ServerIdentifier is not { } server)
        {
            Reject(DhcpRejectReason.MissingServerIdentifier);
            return;
        }
        // The server we asked must be the one that answers; in REBOOTING and REBINDING any server may.
        var asked = State switch
        {
            DhcpState.Requesting => _offer!.ServerIdentifier,
            DhcpState.Renewing => Lease!.Server,
            _ => null,
        };
        if (asked is { } expected && expected != server)
        {
            Reject(DhcpRejectReason.WrongServer);
            return;
        }
        if (reply.Type != DhcpMessageType.Nak && !IsHostAddress(reply.YourAddress))
        {
            Reject(DhcpRejectReason.BadYourAddress);
            return;
        }
        if (reply.Type == DhcpMessageType.Ack && reply.LeaseSeconds is null)
        {
            Reject(DhcpRejectReason.MissingLeaseTime);
            return;
        }
        Statistics.Accepted++;
        switch (reply.Type)
        {
            case DhcpMessageType.Offer:
                // Linux's clients take the first offer (dhclient's select-timeout is 0).
                _offer = reply;
                Transition(DhcpState.Requesting);
                _attempts = 0;
                _sendAt = now;
                break;
            case DhcpMessageType.Ack:
                OnAck(reply, now);
                break;
            default:
                OnNak(now);
                break;
        }
        OnTimer(now);
    }

    private void OnAck(DhcpReply reply, Instant now)
    {
        var lease = LeaseFrom(reply, server: reply.ServerIdentifier!.Value);
        if (Lease is { } current && (State is DhcpState.Renewing or DhcpState.Rebinding))
        {
            if (current.Address == lease.Address)
            {
                var kind = State == DhcpState.Renewing ? DhcpEventKind.Renewed : DhcpEventKind.Rebound;
                Transition(DhcpState.Bound);
                _sendAt = Instant.Never;
                Lease = lease;
                Statistics.Renewals++;
                _host.Apply(lease, current, now);
                Changed?.Invoke(new DhcpEvent(kind, lease, now));
                return;
            }
            // A different address for the same client: the old one goes, the new one is checked like any other.
            Lose(DhcpEventKind.Expired, now);
        }
        StartProbe(lease, now);
    }

    private void OnNak(Instant now)
    {
        // RFC 2131 §3.1.4, §4.4.5: the address is no longer ours (if it was); start over. After a second NAK in a
        // row, wait as a retransmission would, so a confused server cannot make the client spin.
        Statistics.Naks++;
        _naks++;
        _requested = null;
        Lose(DhcpEventKind.Nak, now);
        Restart(_naks > 1 ? now + Backoff(_naks - 1) : now);
    }

    /// <summary>The lease an ACK grants, its T1 and T2 checked (T1 &lt; T2 &lt; lease, else RFC 2131 §4.4.5's 1/2 and 7/8).</summary>
    private DhcpLease LeaseFrom(DhcpReply reply, Ipv4Address server)
    {
        uint seconds = reply.LeaseSeconds!.Value;
        if (seconds == uint.MaxValue)
        {
            return new DhcpLease
            {
                Address = AddressOf(reply), Server = server, Routers = reply.Routers, DnsServers = reply.DnsServers,
                Mtu = reply.Mtu, Duration = TimeSpan.MaxValue, RenewalTime = TimeSpan.MaxValue,
                RebindingTime = TimeSpan.MaxValue, Start = _requestSent,
            };
        }
        var duration = TimeSpan.FromSeconds(seconds);
        if (_options.MaxLeaseTime is { } max && duration > max) duration = max;
        var t2 = reply.RebindingSeconds is { } r && TimeSpan.FromSeconds(r) < duration ? TimeSpan.FromSeconds(r) : duration * 0.875;
        var t1 = reply.RenewalSeconds is { } n && TimeSpan.FromSeconds(n) < t2 ? TimeSpan.FromSeconds(n) : t2 * (4.0 / 7.0);
        return new DhcpLease
        {
            Address = AddressOf(reply), Server = server, Routers = reply.Routers, DnsServers = reply.DnsServers,
            Mtu = reply.Mtu, Duration = duration, RenewalTime = t1, RebindingTime = t2, Start = _requestSent,
        };
    }

    private void Reject(DhcpRejectReason reason)
    {
        Statistics.Reject(reason);
        _host.Rejected(reason);
    }
}
