using System.Net;
using Microsoft.Extensions.Logging;

namespace Stack.Apps.Commands;

/// <summary>
/// What the client commands (`stack daytime`, `stack echo`) share: `HOST [--port N] [--udp] [--timeout S]` and
/// the options of the stack they bring up (<see cref="StackArgs"/>). TCP unless --udp. The timeout bounds the
/// UDP wait for each reply (default 5 s), and for TCP the connect and each wait for data (default 10 s).
/// </summary>
public sealed record ClientArgs(IPEndPoint Server, TimeSpan Timeout, StackArgs Stack, bool Udp = false)
{
    public const string Usage = "HOST [--port N] [--udp] [--timeout SECONDS] " + StackArgs.Usage;

    public static ClientArgs Read(ArgReader args, ushort defaultPort)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool udp = args.Flag("--udp");
        int port = args.OptionalInt("--port", 1, 65535) ?? defaultPort;
        int timeout = args.OptionalInt("--timeout", 1, 3600) ?? (udp ? 5 : 10);
        var stack = StackArgs.Read(args, LogLevel.Warning);
        // Options first: their values would otherwise look like the positional HOST.
        var host = args.Positional() ?? throw new UsageException("HOST is required (an IPv4 or IPv6 address)");
        args.EnsureConsumed();
        if (!IPAddress.TryParse(host, out var address))
            throw new UsageException($"HOST must be an IPv4 or IPv6 address (the stack has no DNS), not '{host}'");
        return new ClientArgs(new IPEndPoint(address, port), TimeSpan.FromSeconds(timeout), stack, udp);
    }
}
