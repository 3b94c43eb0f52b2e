namespace Stack.Apps;

/// <summary>The `stack` command's entry: picks the subcommand. Bad arguments: one line on stderr, exit 2.</summary>
public static class Cli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stderr);
        stderr.WriteLine("stack: not yet implemented");
        return 2;
    }
}
