using Microsoft.Extensions.Logging;
using Stack.Apps.Diagnostics;
using Stack.Sockets.Control;
using Stack.Sockets.Hosting;

namespace Stack.Apps.Inspect;

/// <summary>
/// The control socket `stack serve` opens for `stack ss` and `stack nstat`: at `--control PATH`, else under
/// `--name NAME`, else under the TAP's name. When the default name is taken by another running stack (two stacks
/// on tap0 in two namespaces), this one takes NAME-PID and says so. A socket asked for by name or path that cannot
/// be had fails the command (exit 1); the default one that cannot be had is a warning, and the stack runs without.
/// </summary>
public static class ControlHost
{
    public static ControlServer? Start(StackShards stack, string? name, string? controlPath, string defaultName, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(log);
        if (controlPath is not null) return ControlServer.Start(stack, stack.Name, controlPath, log);
        if (name is not null) return ControlServer.Start(stack, stack.Name, ControlPaths.For(name), log);
        if (!ControlPaths.IsValidName(defaultName)) defaultName = "stack";
        try
        {
            try
            {
                return ControlServer.Start(stack, stack.Name, ControlPaths.For(defaultName), log);
            }
            catch (ControlSocketInUseException)
            {
                var other = $"{defaultName}-{Environment.ProcessId}";
                AppLog.ControlRenamed(log, defaultName, other);
                return ControlServer.Start(stack, stack.Name, ControlPaths.For(other), log);
            }
        }
        catch (ControlSocketException e)
        {
            AppLog.NoControlSocket(log, e.Message);
            return null;
        }
    }
}
