using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Sockets;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack daytime HOST`: brings a stack up on a TAP and prints HOST's date (RFC 867). TCP, as the seed's figure
/// 1.5: connect, read until end of file, print. With --udp: a datagram, sent again each second until a reply
/// comes or the timeout passes (the first one may be lost while the TAP's bridge port comes up).
/// </summary>
public static class DaytimeCommand
{
    /// <summary>How long the close may wait for the server's ACK of our FIN before the process (and its stack) ends.</summary>
    private const int CloseWaitMs = 2000;

    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = new ClientArgOptions(DaytimeService.WellKnownPort);
        var command = new Command("daytime", "Bring a stack up on a TAP and print HOST's date (RFC 867, port 13).");
        options.AddTo(command);
        command.SetAction(result => Run(options.Read(result), context.Stdout, context.Stderr));
        return command;
    }

    private static int Run(ClientArgs options, TextWriter stdout, TextWriter stderr)
    {
        using var logs = StackArgs.CreateLogs(options.Stack.LogLevel);
        using var stack = StackInstance.Start(options.Stack.ToOptions(logs));
        try
        {
            return options.Udp ? RunUdp(stack, options, stdout, stderr) : RunTcp(stack, options, stdout);
        }
        catch (StackSocketException e)
        {
            stderr.WriteLine($"stack daytime: {options.Server}: {e.Message}");
            return 1;
        }
    }

    private static int RunTcp(StackInstance stack, ClientArgs options, TextWriter stdout)
    {
        var socket = StreamClient.Connect(stack, options);
        try
        {
            socket.ReceiveTimeout = (int)options.Timeout.TotalMilliseconds;
            var text = new StringBuilder();
            var buffer = new byte[2048];
            int n;
            while ((n = socket.Receive(buffer)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            stdout.Write(text.Replace("\r\n", "\n").ToString());
            stdout.Flush();
            return 0;
        }
        finally
        {
            socket.Close(CloseWaitMs);
        }
    }

    private static int RunUdp(StackInstance stack, ClientArgs options, TextWriter stdout, TextWriter stderr)
    {
        using var socket = StackSocket.Create(stack, options.Server.AddressFamily, SocketType.Dgram);
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
}
