namespace Stack.Tests.Support;

/// <summary>Runs the `stack` command in process, its output captured: (exit code, stdout, stderr).</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = global::Stack.Apps.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
