using System.CommandLine;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Tcp;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack demo`: the main job without root or TAP: two stack instances on an in-memory link, talking to each
/// other (ping, then daytime and echo over UDP, then over TCP, against b's services), with a transcript on
/// stdout that shows the TCP state transitions of both ends.
/// </summary>
public static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var count = CliOptions.Int("--count", 1, 100, "pings per address (default 3)");
        var level = CliOptions.LogLevel(LogLevel.Warning);
        var command = new Command("demo",
            "Two stacks on an in-memory link ping each other and talk daytime and echo over UDP and TCP, showing the TCP state transitions (no root needed).") { count, level };
        command.SetAction(result => Run(result.GetValue(count) ?? 3, result.GetValue(level) ?? LogLevel.Warning, context.Stdout));
        return command;
    }

    private static int Run(int count, LogLevel level, TextWriter stdout)
    {
        using var logs = StackArgs.CreateLogs(level);

        var (linkA, linkB) = MemoryLink.CreatePair();
        using var a = StackInstance.Start("a", linkA, Options(0x02, "192.0.2.2/24", "2001:db8::2/64"), logs: logs);
        // b's services are bound before its link comes up (see StackInstance.Start).
        ServiceHost? started = null;
        using var b = StackInstance.Start("b", linkB, Options(0x03, "192.0.2.3/24", "2001:db8::3/64"), logs: logs,
            configure: s => started = ServiceHost.Start(s, ServiceHost.TryParseList(ServiceHost.DefaultList, out var all, out _) ? all : []));
        stdout.WriteLine($"stack a: {a.Host.Mac}  {string.Join("  ", a.Host.Addresses)}");
        stdout.WriteLine($"stack b: {b.Host.Mac}  {string.Join("  ", b.Host.Addresses)}");

        int failures = 0;
        using var pinger = new Pinger(a, identifier: 0x5354);
        foreach (var target in new[] { IpAddress.Parse("192.0.2.3"), IpAddress.Parse("2001:db8::3") })
        {
            stdout.WriteLine($"a: ping {target}");
            for (ushort seq = 1; seq <= count; seq++)
            {
                var rtt = pinger.PingAsync(target, seq, 56, TimeSpan.FromSeconds(2)).GetAwaiter().GetResult();
                if (rtt is { } t) stdout.WriteLine($"  64 bytes from {target}: icmp_seq={seq} time={t.TotalMilliseconds:F3} ms");
                else
                {
                    stdout.WriteLine($"  no reply from {target}: icmp_seq={seq}");
                    failures++;
                }
            }
        }
        using (started!)
        {
            foreach (var target in new[] { IPAddress.Parse("192.0.2.3"), IPAddress.Parse("2001:db8::3") })
                failures += UdpExchange(a, target, stdout);

            // Transitions are raised on each stack's loop thread, while the exchange prints from this one.
            var transcript = TextWriter.Synchronized(stdout);
            WatchTransitions(a, "a", transcript);
            WatchTransitions(b, "b", transcript);
            foreach (var target in new[] { IPAddress.Parse("192.0.2.3"), IPAddress.Parse("2001:db8::3") })
                failures += TcpExchange(a, target, transcript);
        }
        stdout.WriteLine(failures == 0 ? "demo: all replies received" : $"demo: {failures} requests unanswered");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>a asks b's daytime service for the date, then has b's echo service return a line.</summary>
    private static int UdpExchange(StackInstance from, IPAddress target, TextWriter stdout)
    {
        using var socket = StackSocket.Create(from, target.AddressFamily, SocketType.Dgram);
        socket.ReceiveTimeout = 2000;
        var buffer = new byte[2048];
        var host = target.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{target}]" : target.ToString();
        try
        {
            stdout.WriteLine($"a: daytime {host}:13 over UDP");
            socket.SendTo([], new IPEndPoint(target, DaytimeService.WellKnownPort));
            int n = socket.ReceiveFrom(buffer, out var from13);
            stdout.WriteLine($"  {from13}: {Encoding.ASCII.GetString(buffer, 0, n).TrimEnd('\r', '\n')}");

            var line = $"hello over UDP from port {socket.LocalEndPoint?.Port}";
            stdout.WriteLine($"a: echo {host}:7 over UDP: {line}");
            socket.SendTo(Encoding.UTF8.GetBytes(line), new IPEndPoint(target, EchoService.WellKnownPort));
            n = socket.ReceiveFrom(buffer, out var from7);
            stdout.WriteLine($"  {from7}: {Encoding.UTF8.GetString(buffer, 0, n)}");
            return 0;
        }
        catch (StackSocketException e)
        {
            stdout.WriteLine($"  failed: {e.Message}");
            return 1;
        }
    }

    /// <summary>Prints every state change of every connection <paramref name="stack"/> makes from now on.</summary>
    private static void WatchTransitions(StackInstance stack, string name, TextWriter stdout)
    {
        stack.Loop.InvokeAsync(_ =>
        {
            stack.Tcp.ConnectionCreated += c => c.StateChanged += (_, t) =>
                stdout.WriteLine($"  {name}: {StateName(t.From)} -> {StateName(t.To)} ({t.Cause})");
            return true;
        }).GetAwaiter().GetResult();
    }

    /// <summary>The state names netstat prints.</summary>
    private static string StateName(TcpState state) => state switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynReceived => "SYN_RCVD",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN_WAIT_1",
        TcpState.FinWait2 => "FIN_WAIT_2",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        _ => state.ToString(),
    };

    /// <summary>
    /// a reads b's daytime over TCP until b closes (figure 1.5), then sends a line to b's echo service,
    /// half-closes and reads the echo until b closes too.
    /// </summary>
    private static int TcpExchange(StackInstance from, IPAddress target, TextWriter stdout)
    {
        var host = target.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{target}]" : target.ToString();
        var buffer = new byte[2048];
        try
        {
            stdout.WriteLine($"a: daytime {host}:13 over TCP");
            var daytime = StackSocket.Create(from, target.AddressFamily, SocketType.Stream);
            daytime.ReceiveTimeout = 2000;
            daytime.Connect(new IPEndPoint(target, DaytimeService.WellKnownPort));
            var text = new StringBuilder();
            int n;
            while ((n = daytime.Receive(buffer)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            stdout.WriteLine($"  {daytime.RemoteEndPoint}: {text.ToString().TrimEnd('\r', '\n')}");
            daytime.Close(2000);

            stdout.WriteLine($"a: echo {host}:7 over TCP");
            var echo = StackSocket.Create(from, target.AddressFamily, SocketType.Stream);
            echo.ReceiveTimeout = 2000;
            echo.Connect(new IPEndPoint(target, EchoService.WellKnownPort));
            var line = $"hello over TCP from port {echo.LocalEndPoint?.Port}";
            stdout.WriteLine($"  send: {line}, then shutdown(SHUT_WR)");
            echo.Send(Encoding.UTF8.GetBytes(line));
            echo.Shutdown(SocketShutdown.Send);
            text.Clear();
            while ((n = echo.Receive(buffer)) > 0) text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            stdout.WriteLine($"  {echo.RemoteEndPoint}: {text}");
            echo.Close(2000);
            return text.ToString() == line ? 0 : 1;
        }
        catch (StackSocketException e)
        {
            stdout.WriteLine($"  failed: {e.Message}");
            return 1;
        }
    }

    private static IpHostOptions Options(byte last, string v4, string v6)
    {
        return new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0000UL | last),
            Addresses = [InterfaceAddress.Parse(v4), InterfaceAddress.Parse(v6)],
        };
    }
}
