using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp.Wire;

namespace Stack.Sockets.Dhcp;

// RFC 5227 §2.1: before it takes an acknowledged address the client ARP-probes it; an answer, or another host's
// probe for it, is a conflict: DHCPDECLINE (RFC 2131 §3.1.5) and start over after a while.
public sealed partial class DhcpClient
{
    /// <summary>The acknowledged lease being checked.</summary>
    private DhcpLease? _candidate;

    private int _probesSent;
    private Instant _probeAt = Instant.Never;

    private void StartProbe(DhcpLease candidate, Instant now)
    {
        Transition(DhcpState.Probing);
        _candidate = candidate;
        _sendAt = Instant.Never;
        _probesSent = 0;
        if (_options.ProbeCount <= 0)
        {
            Bind(now);
            return;
        }
        _probeAt = now + Between(TimeSpan.Zero, _options.ProbeWait);
    }

    private void ProbeStep(Instant now)
    {
        var candidate = _candidate!;
        if (_probesSent >= _options.ProbeCount)
        {
            Bind(now);
            return;
        }
        _host.Probe(candidate.Address.Address.V4, now);
        Statistics.Probes++;
        _probesSent++;
        _probeAt = now + (_probesSent < _options.ProbeCount ? Between(_options.ProbeMin, _options.ProbeMax) : _options.AnnounceWait);
    }

    /// <summary>
    /// An ARP packet from another host. While probing, one whose sender is the candidate address, or another
    /// host's probe for it (RFC 5227 §2.1.1), means the address is taken.
    /// </summary>
    public void OnArp(ArpOperation operation, MacAddress senderMac, Ipv4Address senderIp, Ipv4Address targetIp, Instant now)
    {
        if (State != DhcpState.Probing || _candidate is not { } candidate || senderMac == _host.Mac) return;
        var address = candidate.Address.Address.V4;
        bool conflict = senderIp == address || (senderIp.IsUnspecified && operation == ArpOperation.Request && targetIp == address);
        if (conflict) Decline(candidate, now);
    }

    private void Decline(DhcpLease candidate, Instant now)
    {
        // RFC 2131 §4.4.4 / table 5: broadcast, ciaddr 0, the address in option 50 and the server in option 54.
        Send(new DhcpRequest(DhcpMessageType.Decline, _xid, _host.Mac)
        {
            RequestedAddress = candidate.Address.Address.V4,
            ServerIdentifier = candidate.Server,
        }, Ipv4Address.Broadcast, now);
        Statistics.Declines++;
        _candidate = null;
        _probeAt = Instant.Never;
        _requested = null;
        Changed?.Invoke(new DhcpEvent(DhcpEventKind.Declined, candidate, now));
        Restart(now + _options.DeclineBackoff);
    }

    /// <summary>The check passed: the address is ours (RFC 2131 §4.4.1, BOUND).</summary>
    private void Bind(Instant now)
    {
        var lease = _candidate!;
        _candidate = null;
        _probeAt = Instant.Never;
        _sendAt = Instant.Never;
        _naks = 0;
        _requested = lease.Address.Address.V4;
        Transition(DhcpState.Bound);
        Lease = lease;
        _host.Apply(lease, null, now);
        Changed?.Invoke(new DhcpEvent(DhcpEventKind.Bound, lease, now));
    }
}
