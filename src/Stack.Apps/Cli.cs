using Stack.Apps.Commands;
using Stack.Link.Devices;

namespace Stack.Apps;

/// <summary>The `stack` command's entry: picks the subcommand. Bad arguments: one line on stderr, exit 2.</summary>
public static class Cli
{
    private static readonly string Usage = string.Join(Environment.NewLine,
        "usage:",
        "  " + ServeCommand.Usage,
        "  " + DemoCommand.Usage,
        "  " + DaytimeCommand.Usage,
        "  " + EchoCommand.Usage,
        "  " + ResolveCommand.Usage,
        "  " + ScriptCommand.Usage,
        "  " + WebKernelCommand.Usage);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, TextReader.Null, stdout, stderr);

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var rest = new ArgReader(args.Skip(1));
        try
        {
            return args[0] switch
            {
                "serve" => ServeCommand.Run(rest, stdout, stderr),
                "demo" => DemoCommand.Run(rest, stdout),
                "daytime" => DaytimeCommand.Run(rest, stdout, stderr),
                "echo" => EchoCommand.Run(rest, stdin, stdout, stderr),
                "resolve" => ResolveCommand.Run(rest, stdout, stderr),
                "script" => ScriptCommand.Run(rest, stdout, stderr),
                "web-kernel" => WebKernelCommand.Run(rest, stdout),
                _ => throw new UsageException($"unknown command '{args[0]}' (try: stack --help)"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"stack: {e.Message}");
            return 2;
        }
        catch (LinkDeviceException e) when (e.NoSuchDevice)
        {
            // A TAP name that is not there is as much a bad argument as a bad option: exit 2, with how to make one.
            stderr.WriteLine($"stack: {e.Message}");
            return 2;
        }
        catch (LinkDeviceException e)
        {
            // The arguments were fine; the machine said no (no TAP, no permission): exit 1, with what to do.
            stderr.WriteLine($"stack: {e.Message}");
            return 1;
        }
    }
}
