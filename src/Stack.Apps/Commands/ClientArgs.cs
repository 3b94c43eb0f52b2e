using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Stack.Apps.Commands;

/// <summary>
/// What the client commands (`stack daytime`, `stack echo`) share: `HOST [--port N] [--udp] [--timeout S]` and
/// the options of the stack they bring up (<see cref="StackArgs"/>). TCP unless --udp. The timeout bounds the
/// UDP wait for each reply (default 5 s), and for TCP the connect and each wait for data (default 10 s).
/// </summary>
public sealed record ClientArgs(IPEndPoint Server, TimeSpan Timeout, StackArgs Stack, bool Udp = false);

/// <summary>The options behind <see cref="ClientArgs"/>, for a client command of the service on <c>defaultPort</c>.</summary>
public sealed class ClientArgOptions(ushort defaultPort)
{
    public Argument<IPAddress?> Host { get; } = new("HOST")
    {
        Description = "the server's IPv4 or IPv6 address",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (IPAddress.TryParse(text, out var address)) return address;
            result.AddError($"HOST must be an IPv4 or IPv6 address (the stack has no DNS), not '{text}'");
            return null;
        },
    };

    public Option<int?> Port { get; } = CliOptions.Int("--port", 1, 65535, $"the server's port (default {defaultPort})");

    public Option<bool> Udp { get; } = CliOptions.Flag("--udp", "over UDP, each request sent again every second until answered (default TCP)");

    public Option<int?> Timeout { get; } = CliOptions.Int("--timeout", 1, 3600,
        "how long to wait: for TCP the connect and each read (default 10), for UDP each reply (default 5)", "SECONDS");

    public StackArgOptions Stack { get; } = new(LogLevel.Warning);

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Add(Host);
        Synopsis.ShowAsRequired(Host);
        command.Add(Port);
        command.Add(Udp);
        command.Add(Timeout);
        Stack.AddTo(command);
    }

    public ClientArgs Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        bool udp = result.GetValue(Udp);
        var stack = Stack.Read(result);
        var host = result.GetValue(Host) ?? throw new UsageException("HOST is required (an IPv4 or IPv6 address)");
        var timeout = TimeSpan.FromSeconds(result.GetValue(Timeout) ?? (udp ? 5 : 10));
        return new ClientArgs(new IPEndPoint(host, result.GetValue(Port) ?? defaultPort), timeout, stack, udp);
    }
}
