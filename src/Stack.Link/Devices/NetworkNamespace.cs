using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Stack.Link.Devices;

/// <summary>
/// Runs a piece of code inside a named network namespace (one made by <c>ip netns add</c>) without moving the
/// process. Linux network namespaces are per thread, so the code runs on a short-lived thread that calls
/// setns(2) first and then ends. File descriptors and sockets opened there stay bound to that namespace's
/// devices and can then be used from any thread.
/// </summary>
internal static class NetworkNamespace
{
    public const string Directory = "/var/run/netns";

    public static T Run<T>(string? netns, Func<T> action)
    {
        if (netns is null) return action();
        if (netns.Length == 0 || netns.Contains('/', StringComparison.Ordinal) || netns is "." or "..")
            throw new ArgumentException($"'{netns}' is not a network namespace name", nameof(netns));
        var path = Path.Combine(Directory, netns);
        if (!File.Exists(path))
            throw new LinkDeviceException(
                $"Network namespace '{netns}' does not exist ({path} is missing): create it with `sudo scripts/tap-setup up --netns {netns}`.",
                LibC.ENOENT);

        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(netns, path);
                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = $"netns {netns}",
        };
        thread.Start();
        thread.Join();
        if (error is not null) ExceptionDispatchInfo.Throw(error);
        return result;
    }

    private static void Enter(string netns, string path)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new LinkDeviceException($"Cannot open {path}: {LibC.Describe(errno)}. Run as root.", errno);
        }
        try
        {
            if (LibC.SetNs(fd, LibC.CLONE_NEWNET) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new LinkDeviceException(
                    $"Cannot enter network namespace '{netns}': {LibC.Describe(errno)}. Entering a namespace needs CAP_SYS_ADMIN (run as root).",
                    errno);
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }
}
