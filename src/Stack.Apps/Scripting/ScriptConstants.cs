using Stack.Tcp;

namespace Stack.Apps.Scripting;

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
    };

    private static readonly Dictionary<string, TcpState> States =
        Enum.GetValues<TcpState>().ToDictionary(s => s.ToLinuxName(), StringComparer.Ordinal);

    /// <summary>Every known name, TCP state names included.</summary>
    public static IEnumerable<string> Names => Values.Keys.Concat(States.Keys);

    /// <summary>The value of a constant; a TCP state name's value is its Linux state number (TCP_ESTABLISHED → 1).</summary>
    public static bool TryGetValue(string name, out long value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Values.TryGetValue(name, out value)) return true;
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

    public static bool IsKnown(string name) => TryGetValue(name, out _);
}
