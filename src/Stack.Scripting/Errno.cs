using System.Net.Sockets;

namespace Stack.Scripting;

/// <summary>
/// Linux errno names, numbers (asm-generic/errno-base.h, errno.h) and strerror texts, as scripts write them
/// after <c>= -1</c>, and the mapping from the <see cref="SocketError"/> codes the socket API reports.
/// </summary>
public static class Errno
{
    private static readonly (string Name, int Number, string Text)[] Table =
    [
        ("EPERM", 1, "Operation not permitted"),
        ("ENOENT", 2, "No such file or directory"),
        ("EINTR", 4, "Interrupted system call"),
        ("EIO", 5, "Input/output error"),
        ("EBADF", 9, "Bad file descriptor"),
        ("EAGAIN", 11, "Resource temporarily unavailable"),
        ("ENOMEM", 12, "Cannot allocate memory"),
        ("EACCES", 13, "Permission denied"),
        ("EFAULT", 14, "Bad address"),
        ("EEXIST", 17, "File exists"),
        ("EINVAL", 22, "Invalid argument"),
        ("EMFILE", 24, "Too many open files"),
        ("ENOSPC", 28, "No space left on device"),
        ("EPIPE", 32, "Broken pipe"),
        ("ENOSYS", 38, "Function not implemented"),
        ("ENOTSOCK", 88, "Socket operation on non-socket"),
        ("EDESTADDRREQ", 89, "Destination address required"),
        ("EMSGSIZE", 90, "Message too long"),
        ("EPROTOTYPE", 91, "Protocol wrong type for socket"),
        ("ENOPROTOOPT", 92, "Protocol not available"),
        ("EPROTONOSUPPORT", 93, "Protocol not supported"),
        ("ESOCKTNOSUPPORT", 94, "Socket type not supported"),
        ("EOPNOTSUPP", 95, "Operation not supported"),
        ("EPFNOSUPPORT", 96, "Protocol family not supported"),
        ("EAFNOSUPPORT", 97, "Address family not supported by protocol"),
        ("EADDRINUSE", 98, "Address already in use"),
        ("EADDRNOTAVAIL", 99, "Cannot assign requested address"),
        ("ENETDOWN", 100, "Network is down"),
        ("ENETUNREACH", 101, "Network is unreachable"),
        ("ENETRESET", 102, "Network dropped connection on reset"),
        ("ECONNABORTED", 103, "Software caused connection abort"),
        ("ECONNRESET", 104, "Connection reset by peer"),
        ("ENOBUFS", 105, "No buffer space available"),
        ("ENOMSG", 42, "No message of desired type"),
        ("ENOTTY", 25, "Inappropriate ioctl for device"),
        ("EISCONN", 106, "Transport endpoint is already connected"),
        ("ENOTCONN", 107, "Transport endpoint is not connected"),
        ("ESHUTDOWN", 108, "Cannot send after transport endpoint shutdown"),
        ("ETIMEDOUT", 110, "Connection timed out"),
        ("ECONNREFUSED", 111, "Connection refused"),
        ("EHOSTDOWN", 112, "Host is down"),
        ("EHOSTUNREACH", 113, "No route to host"),
        ("EALREADY", 114, "Operation already in progress"),
        ("EINPROGRESS", 115, "Operation now in progress"),
        ("ECANCELED", 125, "Operation canceled"),
    ];

    /// <summary>Other names for the same number (glibc's aliases).</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["EWOULDBLOCK"] = "EAGAIN",
        ["ENOTSUP"] = "EOPNOTSUPP",
    };

    private static readonly Dictionary<string, (int Number, string Text)> ByName =
        Table.ToDictionary(e => e.Name, e => (e.Number, e.Text), StringComparer.Ordinal);

    private static readonly Dictionary<int, string> ByNumber = Table.ToDictionary(e => e.Number, e => e.Name);

    /// <summary>Every known name, aliases included.</summary>
    public static IEnumerable<string> Names => Table.Select(e => e.Name).Concat(Aliases.Keys);

    public static bool TryGetNumber(string name, out int number)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (ByName.TryGetValue(Aliases.GetValueOrDefault(name, name), out var e))
        {
            number = e.Number;
            return true;
        }
        number = 0;
        return false;
    }

    /// <summary>The canonical name for a number (11 → EAGAIN), or null.</summary>
    public static string? NameOf(int number) => ByNumber.GetValueOrDefault(number);

    /// <summary>The strerror text (ECONNRESET → "Connection reset by peer"), or null for an unknown name.</summary>
    public static string? Describe(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(Aliases.GetValueOrDefault(name, name), out var e) ? e.Text : null;
    }

    /// <summary>True when two names mean the same errno (EWOULDBLOCK and EAGAIN).</summary>
    public static bool SameErrno(string a, string b) =>
        TryGetNumber(a, out int x) && TryGetNumber(b, out int y) ? x == y : string.Equals(a, b, StringComparison.Ordinal);

    /// <summary>
    /// The Linux errno name for a socket error, as .NET maps errno to <see cref="SocketError"/> on Linux
    /// (EPIPE → Shutdown, so Shutdown → EPIPE). Null for <see cref="SocketError.Success"/> and codes with no errno.
    /// </summary>
    public static string? FromSocketError(SocketError error) => error switch
    {
        SocketError.AccessDenied => "EACCES",
        SocketError.AddressAlreadyInUse => "EADDRINUSE",
        SocketError.AddressFamilyNotSupported => "EAFNOSUPPORT",
        SocketError.AddressNotAvailable => "EADDRNOTAVAIL",
        SocketError.AlreadyInProgress => "EALREADY",
        SocketError.ConnectionAborted => "ECONNABORTED",
        SocketError.ConnectionRefused => "ECONNREFUSED",
        SocketError.ConnectionReset => "ECONNRESET",
        SocketError.DestinationAddressRequired => "EDESTADDRREQ",
        SocketError.Fault => "EFAULT",
        SocketError.HostDown => "EHOSTDOWN",
        SocketError.HostUnreachable => "EHOSTUNREACH",
        SocketError.InProgress => "EINPROGRESS",
        SocketError.Interrupted => "EINTR",
        SocketError.InvalidArgument => "EINVAL",
        SocketError.IsConnected => "EISCONN",
        SocketError.MessageSize => "EMSGSIZE",
        SocketError.NetworkDown => "ENETDOWN",
        SocketError.NetworkReset => "ENETRESET",
        SocketError.NetworkUnreachable => "ENETUNREACH",
        SocketError.NoBufferSpaceAvailable => "ENOBUFS",
        SocketError.NotConnected => "ENOTCONN",
        SocketError.NotSocket => "ENOTSOCK",
        SocketError.OperationAborted => "ECANCELED",
        SocketError.OperationNotSupported => "EOPNOTSUPP",
        SocketError.ProtocolFamilyNotSupported => "EPFNOSUPPORT",
        SocketError.ProtocolNotSupported => "EPROTONOSUPPORT",
        SocketError.ProtocolOption => "ENOPROTOOPT",
        SocketError.ProtocolType => "EPROTOTYPE",
        SocketError.Shutdown => "EPIPE",
        SocketError.SocketNotSupported => "ESOCKTNOSUPPORT",
        SocketError.TimedOut => "ETIMEDOUT",
        SocketError.TooManyOpenSockets => "EMFILE",
        SocketError.WouldBlock => "EAGAIN",
        _ => null,
    };
}
