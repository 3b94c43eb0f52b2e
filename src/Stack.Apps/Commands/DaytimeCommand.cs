using System.Net.Sockets;
using System.Text;
using Stack.Apps.Hosting;
using Stack.Apps.Services;
using Stack.Apps.Sockets;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack daytime HOST --udp`: brings a stack up on a TAP, asks HOST's daytime service (RFC 867) for the date
/// and prints it. The request is sent again each second until a reply comes or the timeout passes: the first
/// one may be lost while the TAP's bridge port comes up.
/// </summary>
public static class DaytimeCommand
{
    public const string Usage = "stack daytime " + ClientArgs.Usage;

    public static int Run(ArgReader args, TextWriter stdout, TextWriter stderr)
    {
        var options = ClientArgs.Read(args, DaytimeService.WellKnownPort);
        using var logs = StackArgs.CreateLogs(options.Stack.LogLevel);
        using var stack = LinkFactory.StartOnTap(options.Stack, logs);
        using var socket = StackSocket.Create(stack, options.Server.AddressFamily, SocketType.Dgram);
        try
        {
            socket.Connect(options.Server);
            var reply = new byte[2048];
            var deadline = DateTime.UtcNow + options.Timeout;
            while (DateTime.UtcNow < deadline)
            {
                socket.Send([]);
                if (UdpClientRetry.Receive(socket, reply, deadline) is { } n)
                {
                    stdout.WriteLine(Encoding.ASCII.GetString(reply, 0, n).TrimEnd('\r', '\n'));
                    return 0;
                }
            }
            stderr.WriteLine($"stack daytime: no reply from {options.Server} within {options.Timeout.TotalSeconds:0} s");
            return 1;
        }
        catch (StackSocketException e)
        {
            stderr.WriteLine($"stack daytime: {options.Server}: {e.Message}");
            return 1;
        }
    }
}
