using System.Net.Sockets;
using Stack.Scripting;
using Stack.Tcp;

namespace Stack.Tests.Scripts;

public sealed class ErrnoAndConstantsTests
{
    [Theory]
    [InlineData("EPERM", 1)]
    [InlineData("ENOENT", 2)]
    [InlineData("EINTR", 4)]
    [InlineData("EBADF", 9)]
    [InlineData("EAGAIN", 11)]
    [InlineData("EWOULDBLOCK", 11)]
    [InlineData("ENOMEM", 12)]
    [InlineData("EFAULT", 14)]
    [InlineData("EINVAL", 22)]
    [InlineData("EPIPE", 32)]
    [InlineData("ENOTSOCK", 88)]
    [InlineData("EMSGSIZE", 90)]
    [InlineData("EPROTOTYPE", 91)]
    [InlineData("ENOPROTOOPT", 92)]
    [InlineData("EOPNOTSUPP", 95)]
    [InlineData("EAFNOSUPPORT", 97)]
    [InlineData("EADDRINUSE", 98)]
    [InlineData("EADDRNOTAVAIL", 99)]
    [InlineData("ENETUNREACH", 101)]
    [InlineData("ECONNABORTED", 103)]
    [InlineData("ECONNRESET", 104)]
    [InlineData("EISCONN", 106)]
    [InlineData("ENOTCONN", 107)]
    [InlineData("ETIMEDOUT", 110)]
    [InlineData("ECONNREFUSED", 111)]
    [InlineData("EHOSTUNREACH", 113)]
    [InlineData("EALREADY", 114)]
    [InlineData("EINPROGRESS", 115)]
    public void Errno_numbers_are_linuxs(string name, int number)
    {
        Assert.True(Errno.TryGetNumber(name, out int n));
        Assert.Equal(number, n);
        Assert.NotNull(Errno.Describe(name));
    }

    [Fact]
    public void Names_numbers_and_texts_agree()
    {
        Assert.Equal("EAGAIN", Errno.NameOf(11));
        Assert.Null(Errno.NameOf(9999));
        Assert.False(Errno.TryGetNumber("EBOGUS", out _));
        Assert.Equal("Connection reset by peer", Errno.Describe("ECONNRESET"));
        Assert.True(Errno.SameErrno("EWOULDBLOCK", "EAGAIN"));
        Assert.False(Errno.SameErrno("EPIPE", "EAGAIN"));
        Assert.Equal("-1 ECONNREFUSED (Connection refused)", SyscallResult.Error("ECONNREFUSED").ToString());
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, "ECONNREFUSED")]
    [InlineData(SocketError.ConnectionReset, "ECONNRESET")]
    [InlineData(SocketError.TimedOut, "ETIMEDOUT")]
    [InlineData(SocketError.WouldBlock, "EAGAIN")]
    [InlineData(SocketError.InProgress, "EINPROGRESS")]
    [InlineData(SocketError.AlreadyInProgress, "EALREADY")]
    [InlineData(SocketError.AddressAlreadyInUse, "EADDRINUSE")]
    [InlineData(SocketError.AddressNotAvailable, "EADDRNOTAVAIL")]
    [InlineData(SocketError.NotConnected, "ENOTCONN")]
    [InlineData(SocketError.IsConnected, "EISCONN")]
    [InlineData(SocketError.MessageSize, "EMSGSIZE")]
    [InlineData(SocketError.HostUnreachable, "EHOSTUNREACH")]
    [InlineData(SocketError.NetworkUnreachable, "ENETUNREACH")]
    [InlineData(SocketError.Shutdown, "EPIPE")]
    [InlineData(SocketError.InvalidArgument, "EINVAL")]
    [InlineData(SocketError.ConnectionAborted, "ECONNABORTED")]
    [InlineData(SocketError.ProtocolOption, "ENOPROTOOPT")]
    [InlineData(SocketError.NotSocket, "ENOTSOCK")]
    [InlineData(SocketError.OperationNotSupported, "EOPNOTSUPP")]
    [InlineData(SocketError.Success, null)]
    public void Socket_errors_map_to_errno_names(SocketError error, string? name)
    {
        Assert.Equal(name, Errno.FromSocketError(error));
        if (name is not null) Assert.True(Errno.TryGetNumber(name, out _));
    }

    [Fact]
    public void Every_socket_error_maps_to_a_known_name_or_to_nothing()
    {
        foreach (var error in Enum.GetValues<SocketError>())
            if (Errno.FromSocketError(error) is { } name)
                Assert.True(Errno.TryGetNumber(name, out _), $"{error} → {name}");
    }

    [Theory]
    [InlineData("SOCK_STREAM", 1)]
    [InlineData("IPPROTO_TCP", 6)]
    [InlineData("SOL_SOCKET", 1)]
    [InlineData("SOL_TCP", 6)]
    [InlineData("SO_REUSEADDR", 2)]
    [InlineData("SO_ERROR", 4)]
    [InlineData("SO_SNDBUF", 7)]
    [InlineData("SO_RCVBUF", 8)]
    [InlineData("SO_KEEPALIVE", 9)]
    [InlineData("SO_LINGER", 13)]
    [InlineData("TCP_NODELAY", 1)]
    [InlineData("TCP_MAXSEG", 2)]
    [InlineData("TCP_KEEPIDLE", 4)]
    [InlineData("TCP_KEEPINTVL", 5)]
    [InlineData("TCP_KEEPCNT", 6)]
    [InlineData("TCP_LINGER2", 8)]
    [InlineData("TCP_INFO", 11)]
    [InlineData("SHUT_RD", 0)]
    [InlineData("SHUT_WR", 1)]
    [InlineData("SHUT_RDWR", 2)]
    [InlineData("F_GETFL", 3)]
    [InlineData("F_SETFL", 4)]
    [InlineData("O_RDWR", 2)]
    [InlineData("O_NONBLOCK", 0x800)]
    [InlineData("POLLIN", 1)]
    [InlineData("POLLOUT", 4)]
    [InlineData("POLLERR", 8)]
    [InlineData("POLLHUP", 0x10)]
    [InlineData("POLLRDHUP", 0x2000)]
    [InlineData("AF_INET", 2)]
    [InlineData("AF_INET6", 10)]
    [InlineData("TCP_ESTABLISHED", 1)]
    [InlineData("TCP_CLOSE", 7)]
    [InlineData("TCP_LISTEN", 10)]
    [InlineData("ENOMSG", 42)]
    [InlineData("SO_ZEROCOPY", 60)]
    [InlineData("MSG_ZEROCOPY", 0x4000000)]
    [InlineData("MSG_ERRQUEUE", 0x2000)]
    [InlineData("SO_EE_ORIGIN_ZEROCOPY", 5)]
    [InlineData("SOF_TIMESTAMPING_OPT_ID", 128)]
    [InlineData("TCP_CM_INQ", 36)]
    public void Constants_have_linuxs_values(string name, long value)
    {
        Assert.True(ScriptConstants.TryGetValue(name, out long v));
        Assert.Equal(value, v);
    }

    [Fact]
    public void Every_tcp_state_has_a_script_name()
    {
        foreach (var state in Enum.GetValues<TcpState>())
        {
            Assert.True(ScriptConstants.TryGetState(state.ToLinuxName(), out var back));
            Assert.Equal(state, back);
        }
        Assert.False(ScriptConstants.TryGetState("SOCK_STREAM", out _));
        Assert.False(ScriptConstants.IsKnown("SOCK_STRAEM"));
    }
}
