using System.CommandLine;
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
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var port = CliOptions.Int("--port", 1, 65535, "the TCP port to serve HTTP on (default 8080)");
        var level = CliOptions.LogLevel(LogLevel.Information);
        var command = new Command("web-kernel",
            "Run serve's ASP.NET Core app on Kestrel's own sockets (the host's TCP), the reference bench/http-bench.sh measures against.") { port, level };
        command.SetAction(result => Run(result.GetValue(port) ?? 8080, result.GetValue(level) ?? LogLevel.Information, context.Stdout));
        return command;
    }

    private static int Run(int port, LogLevel level, TextWriter stdout)
    {
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
