using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;
using Stack.Apps.Commands;
using Stack.Link.Devices;

namespace Stack.Apps;

/// <summary>
/// The `stack` command's entry, on System.CommandLine: every command has `--help`, typed options and typo
/// suggestions. Bad arguments: one line on stderr naming the bad option, exit 2 (not the library's 1 and help dump).
/// Adding a command is a file with a <c>static Command Create(CliContext context)</c> and a line in <see cref="CreateRoot"/>.
/// </summary>
public static class Cli
{
    /// <summary>No response files: an argument starting with '@' is taken as it is, as before System.CommandLine.</summary>
    internal static readonly ParserConfiguration ParserSettings = new() { ResponseFileTokenReplacer = null };

    /// <summary>Help lines wrap at this width (the same whether or not stdout is a terminal, so tests see what users see).</summary>
    private const int HelpWidth = 110;

    /// <summary>The assembly's informational version, as `stack --version` prints it.</summary>
    public static string Version { get; } =
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Cli).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, TextReader.Null, stdout, stderr);

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var result = CreateRoot(new CliContext(stdin, stdout, stderr)).Parse(args, ParserSettings);
        if (CliErrors.Describe(result) is { } error)
        {
            stderr.WriteLine($"stack: {error}");
            return 2;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                // Exceptions are ours to turn into exit codes; SIGINT and SIGTERM are the commands' (StopSignal).
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
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
        catch (Stack.Sockets.Control.ControlSocketException e)
        {
            // The control socket asked for by --name or --control cannot be had (taken, or its directory not private).
            stderr.WriteLine($"stack: {e.Message}");
            return 1;
        }
        catch (LinkDeviceException e)
        {
            // The arguments were fine; the machine said no (no TAP, no permission): exit 1, with what to do.
            stderr.WriteLine($"stack: {e.Message}");
            return 1;
        }
    }

    /// <summary>The `stack` command and its subcommands, their actions writing to <paramref name="context"/>'s streams.</summary>
    internal static RootCommand CreateRoot(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = new RootCommand("A userspace TCP/IP stack in C# on a Linux TAP device, and clients and tools around it.")
        {
            ServeCommand.Create(context),
            DemoCommand.Create(context),
            DaytimeCommand.Create(context),
            EchoCommand.Create(context),
            ResolveCommand.Create(context),
            ScriptCommand.Create(context),
            WebKernelCommand.Create(context),
            InspectCommands.Ss(context),
            InspectCommands.Nstat(context),
            InspectCommands.Plot(context),
        };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new Help(new HelpAction { MaxWidth = HelpWidth });
        help.Description = "show the command's options and what they do";
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new PrintVersion(context.Stdout);
        version.Description = "print the version";
        // No command: the synopses on stderr and exit 2, as any other usage error.
        root.SetAction(_ =>
        {
            WriteSynopses(root, context.Stderr);
            return 2;
        });
        return root;
    }

    private static void WriteSynopses(Command root, TextWriter output)
    {
        output.WriteLine("usage:");
        foreach (var command in root.Subcommands.Where(c => !c.Hidden)) output.WriteLine("  " + Synopsis.Of(command));
    }

    /// <summary>`--help`: System.CommandLine's, and for `stack --help` every command's synopsis after it.</summary>
    private sealed class Help(HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            inner.Invoke(parseResult);
            if (parseResult.CommandResult.Command is RootCommand root)
            {
                var output = parseResult.InvocationConfiguration.Output;
                WriteSynopses(root, output);
                output.WriteLine();
                output.WriteLine("`stack COMMAND --help` lists a command's options and what they do.");
            }
            return 0;
        }
    }

    /// <summary>`--version`: this assembly's version (System.CommandLine's own would name the entry assembly, a test host under tests).</summary>
    private sealed class PrintVersion(TextWriter stdout) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            stdout.WriteLine(Version);
            return 0;
        }
    }
}
