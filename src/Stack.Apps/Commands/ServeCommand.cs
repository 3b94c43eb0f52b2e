using System.CommandLine;
using Microsoft.Extensions.Logging;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Apps.Diagnostics;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack serve`: brings the stack up on a TAP device and runs until SIGINT or SIGTERM, then shuts down
/// cleanly (the pcap trace flushed) and writes the TCP statistics to stderr as `tcp.NAME=VALUE` lines
/// (<see cref="Stack.Tcp.TcpStatistics"/>'s counters; bench/loss-bench.sh reads them).
/// </summary>
public static class ServeCommand
{
    /// <summary>What `--services` knows: the small services on UDP and TCP, and ASP.NET Core on 80 and 443.</summary>
    private const string KnownServices = ServiceHost.DefaultList + "," + WebService.Names;

    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stackOptions = new StackArgOptions(allowDhcp: true);
        var services = CliOptions.Value("--services", "LIST",
            $"the services to run, comma-separated, from {KnownServices}; default {ServiceHost.DefaultList}; none for none",
            ReadServices);
        var cert = new Option<string>("--cert")
        {
            HelpName = "FILE",
            Description = "the https service's certificate, PEM with its key or PKCS#12 (default: one made at start, its fingerprint logged)",
            Arity = ArgumentArity.ExactlyOne,
        };
        var name = new Option<string>("--name")
        {
            HelpName = "NAME",
            Description = "the stack's name, for stack ss and stack nstat (--name NAME) and in logs and metrics; default the TAP's",
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = r => Stack.Sockets.Control.ControlPaths.IsValidName(r.Tokens[0].Value)
                ? r.Tokens[0].Value
                : throw new UsageException($"--name wants letters, digits, '.', '_' or '-' (at most 64), not '{r.Tokens[0].Value}'"),
        };
        var control = new Option<string>("--control")
        {
            HelpName = "PATH",
            Description = "where to put the control socket stack ss and stack nstat ask (default /run/stack/NAME.sock for root; docs/control.md)",
            Arity = ArgumentArity.ExactlyOne,
        };
        var busyPoll = CliOptions.Int("--busy-poll", 0, (int)StackOptions.MaxBusyPoll.TotalMicroseconds,
            "spin up to USEC microseconds reading the TAP before the loop sleeps, as SO_BUSY_POLL: lower echo latency for a busy core (default 0, off)",
            "USEC");
        var command = new Command("serve",
            "Bring the stack up on a TAP device and serve daytime, echo, discard and chargen (and HTTP) until SIGINT or SIGTERM.");
        stackOptions.AddTo(command);
        command.Add(services);
        command.Add(cert);
        command.Add(name);
        command.Add(control);
        command.Add(busyPoll);
        command.SetAction(result => Run(stackOptions.Read(result), result.GetValue(services) ?? ReadServices(ServiceHost.DefaultList),
            result.GetValue(cert), (result.GetValue(name), result.GetValue(control)),
            TimeSpan.FromMicroseconds(result.GetValue(busyPoll) ?? 0), context.Stdout, context.Stderr));
        return command;
    }

    private static int Run(StackArgs options, IReadOnlyList<string> services, string? certificate, (string? Name, string? Path) control,
        TimeSpan busyPoll, TextWriter stdout, TextWriter stderr)
    {
        var web = services.Where(n => WebService.Names.Split(',').Contains(n)).ToList();
        var small = services.Except(web).ToList();
        if (certificate is not null && !web.Contains("https")) throw new UsageException("--cert is for the https service (--services ...,https)");
        if (certificate is not null && !File.Exists(certificate)) throw new UsageException($"--cert: no such file '{certificate}'");
        using var logs = StackArgs.CreateLogs(options.LogLevel);
        var log = logs.CreateLogger("stack.serve");
        using var stopping = new StopSignal();

        // The services are bound before the link comes up: the first datagram or SYN finds them.
        ServiceHost? started = null;
        var stackOptions = options.ToOptions(logs);
        if (control.Name is not null) stackOptions = stackOptions with { Name = control.Name };
        stackOptions = stackOptions with { BusyPoll = busyPoll };
        using (var stack = StackInstance.Start(stackOptions,
            configure: s =>
            {
                AutoconfReport.Attach(s.Host, logs.CreateLogger("stack.autoconf"));
                DhcpLines.Print(s.Dhcp, stdout);
                started = ServiceHost.Start(s, small, log: logs.CreateLogger("stack.services"));
            }))
        {
            // ASP.NET Core starts once the link is up (Kestrel binds from its own threads, not the loop's).
            var webRunning = web.Count == 0 ? null : WebService.StartAsync(stack, web, certificate, logs).GetAwaiter().GetResult();
            using (var running = started!)
            using (Stack.Apps.Inspect.ControlHost.Start(stack, control.Name, control.Path, options.Tap, log))
            using (new MemoryTrimmer(TimeSpan.FromSeconds(5), () => stack.Loop.FramesHandled, logs.CreateLogger("stack.memory")))
            {
                AppLog.StackUp(log, options.Tap, stack.Host.Mac, string.Join(", ", stack.Host.Addresses), stack.Host.Mtu);
                if (running.Services.Count > 0)
                {
                    AppLog.UdpServices(log, string.Join(", ", running.Services.Select(s => $"{s.Name} {s.Port}")));
                    AppLog.TcpServices(log,
                        string.Join(", ", running.Services.OfType<IStreamService>().Select(s => $"{s.Name} {s.Port}")));
                }
                if (webRunning is not null)
                    AppLog.WebServices(log, string.Join(", ", web.Select(n => n == "http" ? $"http {WebService.HttpPort}" : $"https {WebService.HttpsPort}")));
                stdout.Flush();
                stopping.Wait();
                AppLog.ShuttingDown(log);
                webRunning?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                foreach (var (layer, reason, count) in stack.Host.Rejects.Snapshot())
                    AppLog.RejectedTotal(log, layer, reason, count);
            }
            // Plain lines whatever the log level, after the services have closed their connections.
            foreach (var (name, value) in stack.Tcp.Statistics.Snapshot()) stderr.WriteLine($"tcp.{name}={value}");
            stderr.Flush();
        }
        return 0;
    }

    /// <summary>`--services LIST`: default the four small ones; "none" for none; an unknown name is a usage error.</summary>
    private static IReadOnlyList<string> ReadServices(string text) =>
        ServiceHost.TryParseList(text, out var names, out var error, KnownServices)
            ? names
            : throw new UsageException($"--services: {error}");
}
