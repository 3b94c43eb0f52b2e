using System.CommandLine;
using Stack.Scripting;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack script FILE.pkt`: runs one packetdrill script against a fresh stack on a virtual clock and reports.
/// Exit 0 when it passes, 1 when it fails, 2 for bad arguments or a script that does not parse, 3 when the
/// script cannot run in the family asked for (it pins addresses of the other one).
/// </summary>
public static class ScriptCommand
{
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = new Argument<string?>("FILE.pkt")
        {
            Description = "the packetdrill script to run",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Synopsis.ShowAsRequired(file);
        var family = CliOptions.Value<ScriptIpVersion?>("--ip-version", "4|6",
            "the IP family to run in (default: the script's own, else 4)",
            text => text switch
            {
                "4" => ScriptIpVersion.Ipv4,
                "6" => ScriptIpVersion.Ipv6,
                _ => throw new UsageException($"--ip-version must be 4 or 6, not '{text}'"),
            }, "4", "6");
        var verbose = CliOptions.Flag("--verbose", "print the transcript: every event with its virtual time, packets as the stack sent them");
        var diagram = new Option<string>("--diagram")
        {
            HelpName = "FILE.svg",
            Description = "draw the run as a ladder diagram (segments, system calls, the stack's state changes) in FILE.svg",
            Arity = ArgumentArity.ExactlyOne,
        };
        var command = new Command("script",
            "Run a packetdrill script against a fresh stack on a virtual clock: exit 0 when it passes, 1 when it fails.") { file, family, verbose, diagram };
        command.SetAction(result => Run(result.GetValue(file) ?? throw new UsageException("script needs a FILE.pkt"),
            result.GetValue(family), result.GetValue(verbose), result.GetValue(diagram), context.Stdout, context.Stderr));
        return command;
    }

    private static int Run(string path, ScriptIpVersion? family, bool verbose, string? diagram, TextWriter stdout, TextWriter stderr)
    {
        Script script;
        try
        {
            script = ScriptParser.ParseFile(path);
        }
        catch (ScriptParseException e)
        {
            stderr.WriteLine($"stack: {e.Message}");
            return 2;
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }

        if (family is { } asked && script.Settings.FamilyConflict(asked) is { } conflict)
        {
            stdout.WriteLine($"{path}: not run in {(asked == ScriptIpVersion.Ipv6 ? "ipv6" : "ipv4")}: {conflict}");
            return 3;
        }
        var result = ScriptRunner.Run(script, family);
        if (diagram is not null && !WriteDiagram(result, diagram, stderr)) return 1;
        if (verbose)
        {
            foreach (var line in result.Transcript) stdout.WriteLine(line);
        }
        else
        {
            foreach (var w in script.Warnings) stdout.WriteLine(w);
        }
        if (result.Passed)
        {
            stdout.WriteLine(result);
            return 0;
        }
        if (!verbose) stdout.WriteLine(result.Failure); // The transcript ends with it already.
        stdout.WriteLine($"{path}: FAILED ({(result.IpVersion == ScriptIpVersion.Ipv6 ? "ipv6" : "ipv4")})");
        return 1;
    }

    /// <summary>`--diagram FILE.svg`: the run's ladder diagram, passed or failed (a failed one shows where).</summary>
    private static bool WriteDiagram(ScriptResult result, string path, TextWriter stderr)
    {
        try
        {
            using var output = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
            Stack.Apps.Plots.ScriptDiagram.Write(result, output);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stack: cannot write {path}: {e.Message}");
            return false;
        }
    }
}
