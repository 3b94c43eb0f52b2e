using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

// Router solicitation (RFC 4861 §6.3.7): a random delay of up to MAX_RTR_SOLICITATION_DELAY, then solicitations
// until an advertisement arrives. Linux differs from RFC 4861's letter in two ways, and this follows Linux: it
// does not stop after MAX_RTR_SOLICITATIONS (3) but keeps on with RFC 7559's exponential backoff up to an hour,
// and it stops at any valid advertisement, not only one with a non-zero router lifetime (IF_RA_RCVD).
public sealed partial class Ipv6Autoconf
{
    private const byte NdHopLimit = 255;

    private Instant _solicitAt = Instant.Never;
    private TimeSpan _solicitInterval;
    private int _solicitsSent;

    private void OnSolicitTimer(Instant now)
    {
        SendRouterSolicitation(now);
        _solicitsSent++;
        if (Options.MaxRouterSolicitations is { } max && _solicitsSent >= max)
        {
            _solicitAt = Instant.Never;
            return;
        }
        _solicitAt = now + _solicitInterval;
        _solicitInterval = Backoff(_solicitInterval);
    }

    /// <summary>RFC 7559 §2 (RFC 3315 §14's): RT = 2·RT + RAND·RT, RAND in ±0.1, and at the cap MRT + RAND·MRT.</summary>
    private TimeSpan Backoff(TimeSpan interval)
    {
        double rand = (_random.NextDouble() * 0.2) - 0.1;
        var next = (2 * interval) + (rand * interval);
        var max = Options.MaxRouterSolicitationInterval;
        return next > max ? max + (rand * max) : next;
    }

    private void StopSoliciting() => _solicitAt = Instant.Never;

    /// <summary>RFC 4861 §4.1, from our link-local address with its source link-layer option, to all routers.</summary>
    private void SendRouterSolicitation(Instant now)
    {
        int length = NdpWriter.WriteRouterSolicitation(_scratch, _host.Mac);
        var message = _scratch.AsSpan(0, length);
        Icmpv6Message.FillChecksum(message, _host.LinkLocal, Ipv6Address.AllRouters);
        _host.Send(_host.LinkLocal, Ipv6Address.AllRouters, IpProtocol.Icmpv6, message, now, NdHopLimit);
        Statistics.RouterSolicitationsSent++;
    }
}
