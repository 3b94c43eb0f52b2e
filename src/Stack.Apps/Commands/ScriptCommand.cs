using Stack.Scripting;

namespace Stack.Apps.Commands;

/// <summary>
/// `stack script FILE.pkt`: runs one packetdrill script against a fresh stack on a virtual clock and reports.
/// Exit 0 when it passes, 1 when it fails, 2 for bad arguments or a script that does not parse, 3 when the
/// script cannot run in the family asked for (it pins addresses of the other one).
/// </summary>
public static class ScriptCommand
{
    public const string Usage = "stack script FILE.pkt [--ip-version 4|6] [--verbose]";

    public static int Run(ArgReader args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        bool verbose = args.Flag("--verbose");
        ScriptIpVersion? family = args.Optional("--ip-version") switch
        {
            null => null,
            "4" => ScriptIpVersion.Ipv4,
            "6" => ScriptIpVersion.Ipv6,
            var other => throw new UsageException($"--ip-version must be 4 or 6, not '{other}'"),
        };
        string path = args.Positional() ?? throw new UsageException("script needs a FILE.pkt");
        args.EnsureConsumed();

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
}
