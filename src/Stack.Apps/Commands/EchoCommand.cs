using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Sockets;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack echo HOST`: brings a stack up on a TAP and talks to HOST's echo service (RFC 862). TCP, as the seed's
/// chapter 5 client: stdin lines go to the server and what comes back goes to stdout as it arrives; end of file
/// on stdin half-closes (shutdown(SHUT_WR)) and the rest is read until the server's end of file. With --udp:
/// each line (with its newline, as nc does) is one datagram, sent again each second until its echo comes back;
/// replies that are not its echo (a late duplicate) are skipped. Exits 0 when every line came back, 1 otherwise.
/// </summary>
public static class EchoCommand
{
    private const int CloseWaitMs = 2000;

    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = new ClientArgOptions(EchoService.WellKnownPort);
        var command = new Command("echo",
            "Bring a stack up on a TAP and send stdin's lines to HOST's echo service (RFC 862, port 7), printing what comes back.");
        options.AddTo(command);
        command.SetAction(result => Run(options.Read(result), context.Stdin, context.Stdout, context.Stderr));
        return command;
    }

    private static int Run(ClientArgs options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        using var logs = StackArgs.CreateLogs(options.Stack.LogLevel);
        using var stack = StackInstance.Start(options.Stack.ToOptions(logs));
        try
        {
            return options.Udp ? RunUdp(stack, options, stdin, stdout, stderr) : RunTcp(stack, options, stdin, stdout);
        }
        catch (StackSocketException e)
        {
            stderr.WriteLine($"stack echo: {options.Server}: {e.Message}");
            return 1;
        }
    }

    private static int RunTcp(StackInstance stack, ClientArgs options, TextReader stdin, TextWriter stdout)
    {
        var socket = StreamClient.Connect(stack, options);
        try
        {
            // Armed only once stdin has ended: until then the user may take as long as they like.
            using var drain = new CancellationTokenSource();
            var reading = Task.Run(() => CopyToAsync(socket, stdout, drain.Token));
            while (stdin.ReadLine() is { } line)
            {
                socket.Send(Encoding.UTF8.GetBytes(line + "\n"));
                if (reading.IsCompleted) break; // the server closed or reset: stop sending
            }
            if (!reading.IsCompleted) socket.Shutdown(SocketShutdown.Send);
            drain.CancelAfter(options.Timeout);
            try
            {
                reading.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested)
            {
                throw new StackSocketException(SocketError.TimedOut, $"the echo did not end within {options.Timeout.TotalSeconds:0} s of the end of input");
            }
            return 0;
        }
        finally
        {
            socket.Close(CloseWaitMs);
        }
    }

    /// <summary>Copies the socket's bytes to <paramref name="stdout"/> as UTF-8 text until end of stream.</summary>
    private static async Task CopyToAsync(StackSocket socket, TextWriter stdout, CancellationToken token)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[16 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        int n;
        while ((n = await socket.ReceiveAsync(bytes, token).ConfigureAwait(false)) > 0)
        {
            int c = decoder.GetChars(bytes, 0, n, chars, 0);
            await stdout.WriteAsync(chars.AsMemory(0, c), token).ConfigureAwait(false);
            await stdout.FlushAsync(token).ConfigureAwait(false);
        }
    }

    private static int RunUdp(StackInstance stack, ClientArgs options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        using var socket = StackSocket.Create(stack, options.Server.AddressFamily, SocketType.Dgram);
        var reply = new byte[ushort.MaxValue];
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
