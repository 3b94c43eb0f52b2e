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
        var queues = CliOptions.Int("--queues", 1, StackShards.MaxQueues,
            "event loops, one per queue of a multi-queue TAP (default 1); each owns the connections the kernel steers to its queue (docs/multiqueue.md)");
        var busyPoll = CliOptions.Int("--busy-poll", 0, (int)StackOptions.MaxBusyPoll.TotalMicroseconds,
            "spin up to USEC microseconds reading the TAP before the loop sleeps, as SO_BUSY_POLL: lower echo latency for a busy core (default 0, off)",
            "USEC");
        var maxTimeWait = CliOptions.Int("--max-tw-buckets", 0, int.MaxValue,
            $"connections kept in TIME-WAIT at most, as Linux's net.ipv4.tcp_max_tw_buckets; past it a closing connection keeps none (default {Stack.Tcp.TcpConfig.DefaultMaxTimeWait})");
        var command = new Command("serve",
            "Bring the stack up on a TAP device and serve daytime, echo, discard and chargen (and HTTP) until SIGINT or SIGTERM.");
        stackOptions.AddTo(command);
        command.Add(services);
        command.Add(cert);
        command.Add(name);
        command.Add(control);
        command.Add(queues);
        command.Add(busyPoll);
        command.Add(maxTimeWait);
        command.SetAction(result => Run(stackOptions.Read(result), result.GetValue(services) ?? ReadServices(ServiceHost.DefaultList),
            result.GetValue(cert), (result.GetValue(name), result.GetValue(control)), result.GetValue(queues) ?? 1,
            (TimeSpan.FromMicroseconds(result.GetValue(busyPoll) ?? 0), result.GetValue(maxTimeWait) ?? Stack.Tcp.TcpConfig.DefaultMaxTimeWait),
            context.Stdout, context.Stderr));
        return command;
    }

    private static int Run(StackArgs options, IReadOnlyList<string> services, string? certificate, (string? Name, string? Path) control,
        int queues, (TimeSpan BusyPoll, int MaxTimeWait) tuning, TextWriter stdout, TextWriter stderr)
    {
        var web = services.Where(n => WebService.Names.Split(',').Contains(n)).ToList();
        var small = services.Except(web).ToList();
        if (certificate is not null && !web.Contains("https")) throw new UsageException("--cert is for the https service (--services ...,https)");
        if (certificate is not null && !File.Exists(certificate)) throw new UsageException($"--cert: no such file '{certificate}'");
        using var logs = StackArgs.CreateLogs(options.LogLevel);
        var log = logs.CreateLogger("stack.serve");
        using var stopping = new StopSignal();

        // The services are bound before the link comes up: the first datagram or SYN finds them. With several
        // queues, on every shard: each one's listeners take the SYNs the kernel steers to its queue.
        var started = new List<ServiceHost>();
        var stackOptions = options.ToOptions(logs);
        if (control.Name is not null) stackOptions = stackOptions with { Name = control.Name };
        stackOptions = stackOptions with { BusyPoll = tuning.BusyPoll, Tcp = stackOptions.Tcp with { MaxTimeWait = tuning.MaxTimeWait } };
        using (var shards = StackShards.Start(stackOptions, queues,
            configure: s =>
            {
                AutoconfReport.Attach(s.Host, logs.CreateLogger("stack.autoconf"));
                DhcpLines.Print(s.Dhcp, stdout);
                started.Add(ServiceHost.Start(s, small, log: logs.CreateLogger("stack.services")));
            }))
        {
            var stack = shards.Shards[0];
            // ASP.NET Core starts once the link is up (Kestrel binds from its own threads, not the loop's). It listens
            // on the first shard; connections the kernel steers to another are handed over to it.
            var webRunning = web.Count == 0 ? null : WebService.StartAsync(stack, web, certificate, logs).GetAwaiter().GetResult();
            try
            {
                using (Stack.Apps.Inspect.ControlHost.Start(shards, control.Name, control.Path, options.Tap, log))
                using (new MemoryTrimmer(TimeSpan.FromSeconds(5), () => shards.Shards.Sum(s => s.Loop.FramesHandled), logs.CreateLogger("stack.memory")))
                {
                    AppLog.StackUp(log, options.Tap, stack.Host.Mac, string.Join(", ", stack.Host.Addresses), stack.Host.Mtu);
                    if (queues > 1) AppLog.Queues(log, queues);
                    var running = started[0];
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
                    foreach (var shard in shards.Shards)
                        foreach (var (layer, reason, count) in shard.Host.Rejects.Snapshot())
                            AppLog.RejectedTotal(log, layer, reason, count);
                }
            }
            finally
            {
                foreach (var running in started) running.Dispose();
            }
            // Plain lines whatever the log level, after the services have closed their connections: the sums over
            // the shards, then with several queues each shard's own (qK.tcp.NAME=VALUE).
            WriteStatistics(shards, stderr);
        }
        return 0;
    }

    private static void WriteStatistics(StackShards shards, TextWriter stderr)
    {
        var sums = shards.Shards.SelectMany(s => s.Tcp.Statistics.Snapshot()).GroupBy(c => c.Name, (n, cs) => (n, cs.Sum(c => c.Value)));
        foreach (var (name, value) in sums) stderr.WriteLine($"tcp.{name}={value}");
        if (shards.Shards.Count > 1)
            for (int k = 0; k < shards.Shards.Count; k++)
                foreach (var (name, value) in shards.Shards[k].Tcp.Statistics.Snapshot()) stderr.WriteLine($"q{k}.tcp.{name}={value}");
        stderr.Flush();
    }

    /// <summary>`--services LIST`: default the four small ones; "none" for none; an unknown name is a usage error.</summary>
    private static IReadOnlyList<string> ReadServices(string text) =>
        ServiceHost.TryParseList(text, out var names, out var error, KnownServices)
            ? names
            : throw new UsageException($"--services: {error}");
}
