using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Time;

namespace Stack.Tcp;

// ICMP errors about our segments, as Linux's tcp_v4_err / tcp_v6_err (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c)
// take them, state by state:
//
// - SYN-RECEIVED of a plain passive open (Linux's request sock, tcp_req_err): believed only if it quotes our ISN;
//   a "fatal" one (IPv4 net/host unreachable, time exceeded, parameter problem; for IPv6 those icmpv6_err_convert
//   calls fatal) drops the half-open connection silently, as POSIX wants no network error from accept();
// - SYN-SENT, and a Fast Open child not yet accepted: a hard error (Linux tcp_done_with_error). This is Linux,
//   not RFC 1122 §4.2.3.9 (which says soft): connect() fails at once with EHOSTUNREACH and the like; the Fast
//   Open child is closed and stays in the accept queue, its SYN's data still readable, then the error;
// - every other state: a soft error, reported only if the connection times out (no IP_RECVERR here).
//
// In all of them the quoted sequence number must lie within SND.UNA..SND.MAX (for a Fast Open child, from its
// ISN), else the error is counted as out of window and ignored (RFC 5927 §4.1). Too-big errors lower the MSS
// (OnPacketTooBig) and are never fatal.
public sealed partial class TcpConnection
{
    /// <summary>An ICMP error about a segment of ours (see the notes above this type).</summary>
    internal void OnIcmpError(IcmpErrorKind kind, int mtu, SeqNum quotedSeq, Instant now)
    {
        bool ipv6 = Tuple.RemoteAddress.IsIpv6;
        bool request = _state == TcpState.SynReceived && IsPassive && !IsFastOpenPending;
        if (request ? quotedSeq != _snd.Iss : quotedSeq < _snd.Una || quotedSeq > _snd.Max)
        {
            _layer.Statistics.OutOfWindowIcmps++;
            return;
        }
        bool outermost = Enter();
        try
        {
            if (request)
            {
                if (AbortsRequest(kind, ipv6))
                {
                    _layer.Statistics.IcmpDroppedRequests++;
                    SetState(TcpState.Closed, "ICMP error in SYN-RECEIVED");
                }
            }
            else if (kind == IcmpErrorKind.PacketTooBig)
            {
                OnPacketTooBig(mtu, now);
            }
            else if (ErrorFor(kind, ipv6) is { } error)
            {
                bool opening = _state == TcpState.SynSent
                    || (_state == TcpState.SynReceived && Listener is not null); // Not yet accepted.
                if (opening)
                {
                    Fail(error, "ICMP error while opening");
                }
                else
                {
                    _softError = error;
                }
            }
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

    /// <summary>
    /// Linux tcp_v4_err's abort argument to tcp_req_err (IPv4), and icmpv6_err_convert's "fatal" (IPv6).
    /// </summary>
    private static bool AbortsRequest(IcmpErrorKind kind, bool ipv6) => ipv6
        ? kind is IcmpErrorKind.HostUnreachable or IcmpErrorKind.AdministrativelyProhibited or IcmpErrorKind.PortUnreachable
            or IcmpErrorKind.ParameterProblem or IcmpErrorKind.ProtocolUnreachable
        : kind is IcmpErrorKind.NetUnreachable or IcmpErrorKind.HostUnreachable or IcmpErrorKind.TimeExceeded
            or IcmpErrorKind.ParameterProblem;

    /// <summary>
    /// The errno Linux reports (icmp_err_convert, icmpv6_err_convert). Parameter problems (EPROTO) have no
    /// SocketError and are left out: nothing is recorded for them.
    /// </summary>
    private static SocketError? ErrorFor(IcmpErrorKind kind, bool ipv6) => kind switch
    {
        IcmpErrorKind.NetUnreachable => ipv6 ? SocketError.HostUnreachable : SocketError.NetworkUnreachable,
        IcmpErrorKind.HostUnreachable or IcmpErrorKind.OtherUnreachable or IcmpErrorKind.TimeExceeded => SocketError.HostUnreachable,
        IcmpErrorKind.AdministrativelyProhibited => ipv6 ? SocketError.AccessDenied : SocketError.HostUnreachable,
        IcmpErrorKind.PortUnreachable => SocketError.ConnectionRefused,
        IcmpErrorKind.ProtocolUnreachable => ipv6 ? null : SocketError.ProtocolOption,
        _ => null,
    };
}
