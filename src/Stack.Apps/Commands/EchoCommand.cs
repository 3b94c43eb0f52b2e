using System.Net.Sockets;
using System.Text;
using Stack.Apps.Hosting;
using Stack.Apps.Services;
using Stack.Apps.Sockets;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack echo HOST --udp`: brings a stack up on a TAP, sends each line of stdin (with its newline, as nc does)
/// to HOST's echo service (RFC 862) and prints each reply. One line at a time: a line is sent again each second
/// until its echo comes back, and replies that are not its echo (a late duplicate) are skipped. Exits 0 when
/// stdin ends and every line came back, 1 when one did not within the timeout.
/// </summary>
public static class EchoCommand
{
    public const string Usage = "stack echo " + ClientArgs.Usage;

    public static int Run(ArgReader args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        var options = ClientArgs.Read(args, EchoService.WellKnownPort);
        using var logs = StackArgs.CreateLogs(options.Stack.LogLevel);
        using var stack = LinkFactory.StartOnTap(options.Stack, logs);
        using var socket = StackSocket.Create(stack, options.Server.AddressFamily, SocketType.Dgram);
        var reply = new byte[ushort.MaxValue];
        try
        {
            socket.Connect(options.Server);
            while (stdin.ReadLine() is { } line)
            {
                var request = Encoding.UTF8.GetBytes(line + "\n");
                if (!Exchange(socket, request, reply, DateTime.UtcNow + options.Timeout))
                {
                    stderr.WriteLine($"stack echo: no echo from {options.Server} within {options.Timeout.TotalSeconds:0} s");
                    return 1;
                }
                stdout.WriteLine(line);
                stdout.Flush();
            }
            return 0;
        }
        catch (StackSocketException e)
        {
            stderr.WriteLine($"stack echo: {options.Server}: {e.Message}");
            return 1;
        }
    }

    private static bool Exchange(StackSocket socket, byte[] request, byte[] reply, DateTime deadline)
    {
        while (DateTime.UtcNow < deadline)
        {
            socket.Send(request);
            var tryEnds = DateTime.UtcNow + UdpClientRetry.Interval;
            while (UdpClientRetry.Receive(socket, reply, tryEnds < deadline ? tryEnds : deadline) is { } n)
            {
                if (reply.AsSpan(0, n).SequenceEqual(request)) return true;
            }
        }
        return false;
    }
}
