using Stack.Sockets.Control;

namespace Stack.Apps.Inspect;

/// <summary>
/// Which running stack `stack ss` and `stack nstat` ask: `--control PATH`, else `--name NAME`, else the only stack
/// running for this user. None running, or several and no name, is an error that says what there is.
/// </summary>
public static class StackTarget
{
    /// <summary>The control socket's path, or the message that says why there is none (exit 1).</summary>
    public static bool TryResolve(string? name, string? controlPath, out string path, out string error)
    {
        error = "";
        path = "";
        if (controlPath is not null)
        {
            path = controlPath;
            return true;
        }
        if (name is not null)
        {
            if (!ControlPaths.IsValidName(name))
            {
                error = $"--name: '{name}' is not a stack name";
                return false;
            }
            path = ControlPaths.For(name);
            return true;
        }
        var running = ControlPaths.Running();
        switch (running.Count)
        {
            case 0:
                error = $"no stack is running (no control socket in {ControlPaths.Directory}); start one with stack serve";
                return false;
            case 1:
                path = ControlPaths.For(running[0]);
                return true;
            default:
                error = $"{running.Count} stacks are running ({string.Join(", ", running)}); pick one with --name";
                return false;
        }
    }

    /// <summary>Asks the stack; on failure writes one line to <paramref name="stderr"/> and returns null.</summary>
    public static ControlResponse? Ask(string? name, string? controlPath, string command, TextWriter stderr)
    {
        if (!TryResolve(name, controlPath, out var path, out var error))
        {
            stderr.WriteLine($"stack: {error}");
            return null;
        }
        try
        {
            var reply = ControlClient.Ask(path, command);
            if (reply.Ok) return reply;
            stderr.WriteLine($"stack: {path}: {reply.Error}");
            return null;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"stack: {e.Message}");
            return null;
        }
    }
}
