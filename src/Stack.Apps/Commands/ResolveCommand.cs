using System.CommandLine;
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
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = new Argument<string?>("NAME")
        {
            Description = "the host name to look up, such as www.example",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (DnsName.TryLabels(text, out _, out var error)) return text;
                result.AddError($"'{text}' is not a domain name: {error}");
                return null;
            },
        };
        var servers = CliOptions.Repeated("--server", "ADDR", "a DNS server's IPv4 or IPv6 address; repeatable, asked in order",
            text => IPAddress.TryParse(text, out var address)
                ? DnsResolverOptions.Server(address)
                : throw new UsageException($"--server wants an IPv4 or IPv6 address, not '{text}'"));
        Synopsis.ShowAsRequired(name);
        Synopsis.ShowAsRequired(servers);
        var v4 = CliOptions.Flag("-4", "ask for A records only");
        var v6 = CliOptions.Flag("-6", "ask for AAAA records only");
        var timeout = CliOptions.Int("--timeout", 1, 60, "how long to wait for each answer (default 2)", "SECONDS");
        var attempts = CliOptions.Int("--attempts", 1, 10, "how many times to ask each server (default 2)");
        var stackOptions = new StackArgOptions(LogLevel.Warning);
        var command = new Command("resolve",
            "Bring a stack up on a TAP and look NAME's A and AAAA records up through the stack's own DNS resolver.") { name, servers, v4, v6, timeout, attempts };
        stackOptions.AddTo(command);
        command.SetAction(result =>
        {
            bool only4 = result.GetValue(v4), only6 = result.GetValue(v6);
            if (only4 && only6) throw new UsageException("-4 and -6 exclude each other (give neither for both families)");
            var list = result.GetValue(servers) ?? [];
            if (list.Length == 0) throw new UsageException("--server is required (the address of a DNS server; repeatable)");
            var stack = stackOptions.Read(result);
            var host = result.GetValue(name) ?? throw new UsageException("NAME is required (a host name such as www.example)");
            DnsRecordType[] types = only4 ? [DnsRecordType.A] : only6 ? [DnsRecordType.AAAA] : [DnsRecordType.A, DnsRecordType.AAAA];
            var dns = new DnsResolverOptions
            {
                Servers = list,
                Timeout = TimeSpan.FromSeconds(result.GetValue(timeout) ?? 2),
                Attempts = result.GetValue(attempts) ?? 2,
            };
            return Run(host, types, dns, stack, context.Stdout, context.Stderr);
        });
        return command;
    }

    private static int Run(string name, DnsRecordType[] types, DnsResolverOptions dns, StackArgs stackArgs, TextWriter stdout, TextWriter stderr)
    {
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
}
