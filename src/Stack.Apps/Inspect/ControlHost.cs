using Microsoft.Extensions.Logging;
using Stack.Sockets.Control;
using Stack.Sockets.Hosting;

namespace Stack.Apps.Inspect;

/// <summary>
/// The control socket `stack serve` opens for `stack ss` and `stack nstat`: at `--control PATH`, else under
/// `--name NAME`, else under the TAP's name. When the default name is taken by another running stack (two stacks
/// on tap0 in two namespaces), this one takes NAME-PID and says so; a name asked for and taken is an error.
/// </summary>
public static class ControlHost
{
    public static ControlServer Start(StackInstance stack, string? name, string? controlPath, string defaultName, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(log);
        if (controlPath is not null) return ControlServer.Start(stack, controlPath, log);
        if (name is not null) return ControlServer.Start(stack, ControlPaths.For(name), log);
        try
        {
            return ControlServer.Start(stack, ControlPaths.For(defaultName), log);
        }
        catch (ControlSocketInUseException)
        {
            var other = $"{defaultName}-{Environment.ProcessId}";
            log.LogInformation("a stack named {Name} is running already; this one is {Other} (stack ss --name {Other})", defaultName, other, other);
            return ControlServer.Start(stack, ControlPaths.For(other), log);
        }
    }
}
