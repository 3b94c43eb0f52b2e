using Microsoft.Extensions.Logging;
using Stack.Apps.Services;
using Stack.Apps.Diagnostics;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack web-kernel`: the app `stack serve --services http` runs, on Kestrel's own sockets (the host's TCP) instead
/// of the stack — the reference bench/http-bench.sh measures the stack against. Runs until SIGINT or SIGTERM.
/// </summary>
public static class WebKernelCommand
{
    public const string Usage = "stack web-kernel [--port N] [--log-level LEVEL]";

    public static int Run(ArgReader args, TextWriter stdout)
    {
        int port = args.OptionalInt("--port", 1, 65535) ?? 8080;
        var level = StackArgs.ParseLevel(args.Optional("--log-level")) ?? LogLevel.Information;
        args.EnsureConsumed();
        using var logs = StackArgs.CreateLogs(level);
        using var stopping = new StopSignal();
        var web = WebService.StartAsync(null, ["http"], null, logs, httpPort: port).GetAwaiter().GetResult();
        AppLog.WebKernel(logs.CreateLogger("stack.web"), port);
        stdout.Flush();
        stopping.Wait();
        web.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
