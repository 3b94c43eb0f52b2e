using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// The named constants scripts pass to system calls, with their Linux values (sys/socket.h, netinet/in.h,
/// netinet/tcp.h, fcntl.h, poll.h), and the TCP state names of <c>tcpi_state</c> (<see cref="TcpStateExtensions.ToLinuxName"/>).
/// </summary>
public static class ScriptConstants
{
    private static readonly Dictionary<string, long> Values = new(StringComparer.Ordinal)
    {
        ["AF_UNSPEC"] = 0,
        ["AF_INET"] = 2,
        ["AF_INET6"] = 10,
        ["PF_INET"] = 2,
        ["PF_INET6"] = 10,
        ["SOCK_STREAM"] = 1,
        ["SOCK_DGRAM"] = 2,
        ["IPPROTO_IP"] = 0,
        ["IPPROTO_TCP"] = 6,
        ["IPPROTO_UDP"] = 17,
        ["IPPROTO_IPV6"] = 41,
        ["SOL_SOCKET"] = 1,
        ["SOL_TCP"] = 6,
        ["SOL_IP"] = 0,
        ["SOL_IPV6"] = 41,
        ["IP_TOS"] = 1,
        ["IP_MTU_DISCOVER"] = 10,
        ["IP_PMTUDISC_DONT"] = 0,
        ["IP_PMTUDISC_WANT"] = 1,
        ["IP_PMTUDISC_DO"] = 2,
        ["IP_PMTUDISC_PROBE"] = 3,
        ["IP_FREEBIND"] = 15,
        ["IPV6_MTU_DISCOVER"] = 23,
        ["IPV6_TCLASS"] = 67,
        ["IPV6_PMTUDISC_DONT"] = 0,
        ["IPV6_PMTUDISC_WANT"] = 1,
        ["IPV6_PMTUDISC_DO"] = 2,
        ["IPV6_PMTUDISC_PROBE"] = 3,
        ["SO_REUSEADDR"] = 2,
        ["SO_TYPE"] = 3,
        ["SO_ERROR"] = 4,
        ["SO_SNDBUF"] = 7,
        ["SO_RCVBUF"] = 8,
        ["SO_KEEPALIVE"] = 9,
        ["SO_LINGER"] = 13,
        ["SO_REUSEPORT"] = 15,
        ["SO_RCVLOWAT"] = 18,
        ["SO_SNDLOWAT"] = 19,
        ["SO_RCVTIMEO"] = 20,
        ["SO_SNDTIMEO"] = 21,
        ["TCP_NODELAY"] = 1,
        ["TCP_MAXSEG"] = 2,
        ["TCP_CORK"] = 3,
        ["TCP_KEEPIDLE"] = 4,
        ["TCP_KEEPINTVL"] = 5,
        ["TCP_KEEPCNT"] = 6,
        ["TCP_SYNCNT"] = 7,
        ["TCP_LINGER2"] = 8,
        ["TCP_DEFER_ACCEPT"] = 9,
        ["TCP_WINDOW_CLAMP"] = 10,
        ["TCP_INFO"] = 11,
        ["TCP_QUICKACK"] = 12,
        ["TCP_USER_TIMEOUT"] = 18,
        ["TCP_FASTOPEN"] = 23,
        ["TCP_FASTOPEN_CONNECT"] = 30,
        ["TCP_FASTOPEN_KEY"] = 33,
        ["TCP_FASTOPEN_NO_COOKIE"] = 34,
        ["SHUT_RD"] = 0,
        ["SHUT_WR"] = 1,
        ["SHUT_RDWR"] = 2,
        ["F_GETFL"] = 3,
        ["F_SETFL"] = 4,
        ["O_RDONLY"] = 0,
        ["O_WRONLY"] = 1,
        ["O_RDWR"] = 2,
        ["O_CREAT"] = 0x40,
        ["O_TRUNC"] = 0x200,
        ["O_NONBLOCK"] = 0x800,
        ["POLLIN"] = 0x1,
        ["POLLPRI"] = 0x2,
        ["POLLOUT"] = 0x4,
        ["POLLERR"] = 0x8,
        ["POLLHUP"] = 0x10,
        ["POLLNVAL"] = 0x20,
        ["POLLRDNORM"] = 0x40,
        ["POLLWRNORM"] = 0x100,
        ["POLLRDHUP"] = 0x2000,
        ["MSG_OOB"] = 0x1,
        ["MSG_PEEK"] = 0x2,
        ["MSG_DONTWAIT"] = 0x40,
        ["MSG_WAITALL"] = 0x100,
        ["MSG_NOSIGNAL"] = 0x4000,
        ["MSG_FASTOPEN"] = 0x20000000,
        ["MSG_EOR"] = 0x80,
        ["MSG_MORE"] = 0x8000,
        ["TCP_NOTSENT_LOWAT"] = 25,
        ["MSG_CTRUNC"] = 0x8,
        ["MSG_TRUNC"] = 0x20,
        ["MSG_ERRQUEUE"] = 0x2000,
        ["MSG_ZEROCOPY"] = 0x4000000,
        // The error queue (linux/errqueue.h, linux/net_tstamp.h, asm-generic/socket.h).
        ["SO_MARK"] = 36,
        ["SO_TIMESTAMPING"] = 37,
        ["SO_ZEROCOPY"] = 60,
        ["SCM_TIMESTAMPING"] = 37,
        ["SCM_TIMESTAMPING_OPT_STATS"] = 54,
        ["SCM_TSTAMP_SND"] = 0,
        ["SCM_TSTAMP_SCHED"] = 1,
        ["SCM_TSTAMP_ACK"] = 2,
        ["IP_RECVERR"] = 11,
        ["IPV6_RECVERR"] = 25,
        ["SO_EE_ORIGIN_NONE"] = 0,
        ["SO_EE_ORIGIN_LOCAL"] = 1,
        ["SO_EE_ORIGIN_ICMP"] = 2,
        ["SO_EE_ORIGIN_ICMP6"] = 3,
        ["SO_EE_ORIGIN_TXSTATUS"] = 4,
        ["SO_EE_ORIGIN_TIMESTAMPING"] = 4,
        ["SO_EE_ORIGIN_ZEROCOPY"] = 5,
        ["SO_EE_CODE_ZEROCOPY_COPIED"] = 1,
        ["SOF_TIMESTAMPING_TX_HARDWARE"] = 1 << 0,
        ["SOF_TIMESTAMPING_TX_SOFTWARE"] = 1 << 1,
        ["SOF_TIMESTAMPING_RX_HARDWARE"] = 1 << 2,
        ["SOF_TIMESTAMPING_RX_SOFTWARE"] = 1 << 3,
        ["SOF_TIMESTAMPING_SOFTWARE"] = 1 << 4,
        ["SOF_TIMESTAMPING_SYS_HARDWARE"] = 1 << 5,
        ["SOF_TIMESTAMPING_RAW_HARDWARE"] = 1 << 6,
        ["SOF_TIMESTAMPING_OPT_ID"] = 1 << 7,
        ["SOF_TIMESTAMPING_TX_SCHED"] = 1 << 8,
        ["SOF_TIMESTAMPING_TX_ACK"] = 1 << 9,
        ["SOF_TIMESTAMPING_OPT_CMSG"] = 1 << 10,
        ["SOF_TIMESTAMPING_OPT_TSONLY"] = 1 << 11,
        ["SOF_TIMESTAMPING_OPT_STATS"] = 1 << 12,
        ["SOF_TIMESTAMPING_OPT_PKTINFO"] = 1 << 13,
        ["SOF_TIMESTAMPING_OPT_TX_SWHW"] = 1 << 14,
        ["SOF_TIMESTAMPING_OPT_ID_TCP"] = 1 << 16,
        ["SIOCINQ"] = 0x541B,
        ["FIONREAD"] = 0x541B,
        ["SIOCOUTQ"] = 0x5411,
        ["TIOCOUTQ"] = 0x5411,
        ["SIOCOUTQNSD"] = 0x894B,
        ["EPOLL_CTL_ADD"] = 1,
        ["EPOLL_CTL_DEL"] = 2,
        ["EPOLL_CTL_MOD"] = 3,
        ["EPOLLIN"] = 0x1,
        ["EPOLLPRI"] = 0x2,
        ["EPOLLOUT"] = 0x4,
        ["EPOLLERR"] = 0x8,
        ["EPOLLHUP"] = 0x10,
        ["EPOLLRDNORM"] = 0x40,
        ["EPOLLWRNORM"] = 0x100,
        ["EPOLLRDHUP"] = 0x2000,
        ["EPOLLEXCLUSIVE"] = 1L << 28,
        ["EPOLLONESHOT"] = 1L << 30,
        ["EPOLLET"] = 1L << 31,
        // A null pointer: the calls that take a buffer fail with EFAULT, as Linux's copy to or from user memory does.
        ["NULL"] = 0,
        ["SPLICE_F_MOVE"] = 1,
        ["SPLICE_F_NONBLOCK"] = 2,
        ["SPLICE_F_MORE"] = 4,
        ["SIOCATMARK"] = 0x8905,
        ["TCP_INQ"] = 36,
        ["TCP_CM_INQ"] = 36,
    };

    /// <summary>
    /// Names whose value depends on the family a script runs in, as packetdrill's run_all.py defines them per
    /// family with -D: the level and type of the sock_extended_err cmsg (SOL_IP/IP_RECVERR or SOL_IPV6/IPV6_RECVERR).
    /// </summary>
    private static readonly Dictionary<string, (long V4, long V6)> FamilyValues = new(StringComparer.Ordinal)
    {
        ["CMSG_LEVEL_IP"] = (0, 41),
        ["CMSG_TYPE_RECVERR"] = (11, 25),
    };

    /// <summary>The value of a family-dependent name (<see cref="FamilyValues"/>) in IPv4 or IPv6.</summary>
    public static bool TryGetFamilyValue(string name, bool ipv6, out long value)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool found = FamilyValues.TryGetValue(name, out var v);
        value = ipv6 ? v.V6 : v.V4;
        return found;
    }

    private static readonly Dictionary<string, TcpState> States =
        Enum.GetValues<TcpState>().ToDictionary(s => s.ToLinuxName(), StringComparer.Ordinal);

    /// <summary>Every known name, TCP state names included.</summary>
    public static IEnumerable<string> Names => Values.Keys.Concat(States.Keys);

    /// <summary>The value of a constant; a TCP state name's value is its Linux state number (TCP_ESTABLISHED → 1).</summary>
    public static bool TryGetValue(string name, out long value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Values.TryGetValue(name, out value)) return true;
        if (Errno.TryGetNumber(name, out int errno))
        {
            value = errno;
            return true;
        }
        if (States.TryGetValue(name, out var state))
        {
            value = state.ToLinuxCode();
            return true;
        }
        return false;
    }

    /// <summary>A Linux TCP state name (TCP_SYN_RECV) as this stack's <see cref="TcpState"/>.</summary>
    public static bool TryGetState(string name, out TcpState state)
    {
        ArgumentNullException.ThrowIfNull(name);
        return States.TryGetValue(name, out state);
    }

    /// <summary>A constant, a family-dependent name, or an errno name (ee_errno=ENOMSG).</summary>
    public static bool IsKnown(string name) => TryGetValue(name, out _) || FamilyValues.ContainsKey(name);
}
