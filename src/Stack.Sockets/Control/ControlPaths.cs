using System.Runtime.InteropServices;

namespace Stack.Sockets.Control;

/// <summary>
/// Where a running stack's control socket lives: <c>/run/stack/NAME.sock</c> for root, else
/// <c>$XDG_RUNTIME_DIR/stack/NAME.sock</c>, else <c>/tmp/stack-UID/NAME.sock</c>. The directory is the user's own
/// (mode 0700), so the file system already keeps other users out; the server checks the peer's uid as well.
/// </summary>
public static partial class ControlPaths
{
    /// <summary>The effective uid of this process (the owner every control connection must match).</summary>
    public static uint EffectiveUid => geteuid();

    /// <summary>The directory for this user's control sockets (and nstat's history files).</summary>
    public static string Directory
    {
        get
        {
            uint uid = EffectiveUid;
            if (uid == 0) return "/run/stack";
            var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return !string.IsNullOrEmpty(runtime) && Path.IsPathRooted(runtime)
                ? Path.Combine(runtime, "stack")
                : $"/tmp/stack-{uid}";
        }
    }

    /// <summary>The control socket of the stack named <paramref name="name"/>.</summary>
    public static string For(string name)
    {
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a stack name (letters, digits, '.', '_', '-'; at most 64)", nameof(name));
        return Path.Combine(Directory, name + ".sock");
    }

    /// <summary>A name that makes a plain file name: 1–64 of letters, digits, '.', '_', '-', not starting with '.'.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && name[0] != '.'
        && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-');

    /// <summary>
    /// The names of the stacks that answer on a control socket in <see cref="Directory"/>, sorted. A socket file
    /// nobody listens on (its stack was killed) is not one of them; it is removed, as the next stack of that name
    /// would replace it anyway.
    /// </summary>
    public static IReadOnlyList<string> Running()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var names = new List<string>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.sock"))
        {
            if (Answers(path)) names.Add(Path.GetFileNameWithoutExtension(path));
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static bool Answers(string path)
    {
        var answer = Probe(path);
        if (answer == System.Net.Sockets.SocketError.ConnectionRefused) TryDelete(path);
        return answer == System.Net.Sockets.SocketError.Success;
    }

    /// <summary>
    /// Whether a stack answers on <paramref name="path"/>: Success when one does, ConnectionRefused for a socket file
    /// nobody listens on (its stack was killed), another error for anything else there.
    /// </summary>
    internal static System.Net.Sockets.SocketError Probe(string path)
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix,
            System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            return System.Net.Sockets.SocketError.Success;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's, or gone already: not ours to list either way.
        }
    }

    /// <summary>
    /// Makes <paramref name="directory"/> (mode 0700) or checks the one there: a directory, not a link, with no
    /// access for group or others. Anything else could let another user swap the socket, so it is refused.
    /// </summary>
    internal static void EnsurePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("control sockets are for Unix");
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var info = System.IO.Directory.CreateDirectory(directory, owner);
        if (info.LinkTarget is not null)
            throw new IOException($"{directory} is a symbolic link; the control socket wants a private directory");
        if ((info.UnixFileMode & ~owner) != 0)
            throw new IOException($"{directory} is open to group or others ({info.UnixFileMode}); make it 0700 or remove it");
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial uint geteuid();
}
