using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Stack.Sockets.Dns;
using Stack.Sockets.Dns.Wire;
using Stack.Sockets.Hosting;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack resolve NAME`: brings a stack up on a TAP and looks NAME up through the stack's own DNS resolver (its
/// UDP, and TCP when an answer comes truncated), printing each A and AAAA record as `NAME TTL IN TYPE ADDRESS`,
/// the canonical name when NAME is an alias. -4 or -6 asks for one family only. Exits 0 when some address was
/// found, 1 when none was (NXDOMAIN, NODATA, or no server answered).
/// </summary>
public static class ResolveCommand
{
    public const string Usage = "stack resolve NAME --server ADDR [--server ADDR ...] [-4|-6] [--timeout SECONDS] [--attempts N] " + StackArgs.Usage;

    public static int Run(ArgReader args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var (name, types, dns, stackArgs) = Read(args);
        using var logs = StackArgs.CreateLogs(stackArgs.LogLevel);
        using var stack = StackInstance.Start(stackArgs.ToOptions(logs) with { Dns = dns });
        bool found = false;
        foreach (var type in types)
        {
            DnsAnswer answer;
            try
            {
                answer = stack.Dns.LookupAsync(name, type).AsTask().GetAwaiter().GetResult();
            }
            catch (DnsResolveException e)
            {
                stderr.WriteLine($"stack resolve: {e.Message}");
                continue;
            }
            if (!DnsName.Comparer.Equals(answer.CanonicalName, answer.Name))
                stdout.WriteLine($"{answer.Name} is an alias for {answer.CanonicalName}");
            foreach (var a in answer.Addresses)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{answer.CanonicalName}\t{(long)a.Ttl.TotalSeconds}\tIN\t{type}\t{a.Address}"));
            if (answer.IsNameError) stderr.WriteLine($"stack resolve: {name} {type}: no such name (NXDOMAIN)");
            else if (answer.IsNoData) stderr.WriteLine($"stack resolve: {name}: no {type} record");
            found |= answer.Addresses.Count > 0;
        }
        if (stack.Dns.Statistics.TcpQueries > 0) stderr.WriteLine($"stack resolve: truncated over UDP, asked again over TCP ({stack.Dns.Statistics.TcpQueries}x)");
        if (stack.Dns.Statistics.Rejected > 0)
            stderr.WriteLine("stack resolve: ignored " + string.Join(", ", stack.Dns.Statistics.RejectSnapshot().Select(r => $"{r.Reason}={r.Count}")));
        return found ? 0 : 1;
    }

    private static (string Name, DnsRecordType[] Types, DnsResolverOptions Dns, StackArgs Stack) Read(ArgReader args)
    {
        bool v4 = args.Flag("-4"), v6 = args.Flag("-6");
        if (v4 && v6) throw new UsageException("-4 and -6 exclude each other (give neither for both families)");
        var servers = new List<IPEndPoint>();
        foreach (var text in args.All("--server"))
        {
            if (!IPAddress.TryParse(text, out var address)) throw new UsageException($"--server wants an IPv4 or IPv6 address, not '{text}'");
            servers.Add(DnsResolverOptions.Server(address));
        }
        if (servers.Count == 0) throw new UsageException("--server is required (the address of a DNS server; repeatable)");
        int timeout = args.OptionalInt("--timeout", 1, 60) ?? 2;
        int attempts = args.OptionalInt("--attempts", 1, 10) ?? 2;
        var stack = StackArgs.Read(args, LogLevel.Warning);
        var name = args.Positional() ?? throw new UsageException("NAME is required (a host name such as www.example)");
        args.EnsureConsumed();
        if (!DnsName.TryLabels(name, out _, out var error)) throw new UsageException($"'{name}' is not a domain name: {error}");
        DnsRecordType[] types = v4 ? [DnsRecordType.A] : v6 ? [DnsRecordType.AAAA] : [DnsRecordType.A, DnsRecordType.AAAA];
        var dns = new DnsResolverOptions { Servers = servers, Timeout = TimeSpan.FromSeconds(timeout), Attempts = attempts };
        return (name, types, dns, stack);
    }
}
