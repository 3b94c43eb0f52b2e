namespace Stack.Scripting;

/// <summary>
/// Files, open() and sendfile(). A script's files never touch the host: the shell lines that make them
/// (<c>dd if=/dev/zero of=PATH …</c>, <c>rm -f PATH</c>) fill the runner's own table, and their bytes are zeros,
/// packetdrill's payload. sendfile() writes a file's bytes to a socket through the path write() takes.
/// </summary>
public sealed partial class ScriptRunner
{
    private const long OAccMode = 3, OCreat = 0x40, OTrunc = 0x200;

    private readonly Dictionary<string, long> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<int, FileDescription> _openFiles = [];

    /// <summary>An open file: its path and the file position.</summary>
    private sealed class FileDescription(string path)
    {
        public string Path { get; } = path;
        public long Position { get; set; }
    }

    /// <summary>A shell line made a file of <paramref name="size"/> zeros, or removed it (null).</summary>
    private void SetFile(string path, long? size)
    {
        if (size is { } bytes) _files[path] = bytes;
        else _files.Remove(path);
    }

    /// <summary>open(PATH, FLAGS[, MODE]) as Linux: ENOENT without O_CREAT for a file that is not there.</summary>
    private Outcome OpenFile(SyscallEvent s)
    {
        if (s.Arguments[0] is not SyscallArg.Bytes name)
            throw Fail("open(): argument 1 must be a path in quotes, such as \"/tmp/testfile\"");
        string path = System.Text.Encoding.UTF8.GetString([.. name.Value]);
        long flags = Number(s, 1, "open flags such as O_RDONLY");
        if (!_files.ContainsKey(path))
        {
            if ((flags & OCreat) == 0) return Outcome.Error("ENOENT");
            _files[path] = 0;
        }
        if ((flags & OTrunc) != 0 && (flags & OAccMode) != 0) _files[path] = 0;
        int fd = NewDescriptor(s);
        _openFiles[fd] = new FileDescription(path);
        return new Outcome(fd);
    }

    /// <summary>The calls on a file's descriptor: close; the rest are not socket calls (ENOTSOCK, as Linux's).</summary>
    private (Func<Outcome?>, bool, long?) PrepareFileCall(SyscallEvent s, int fd) => s.Name switch
    {
        "close" => (() =>
        {
            _openFiles.Remove(fd);
            return new Outcome(0);
        }, false, null),
        _ => (() => Outcome.Error("ENOTSOCK"), false, null),
    };

    /// <summary>
    /// sendfile(OUT, IN, OFFSET, COUNT) as Linux's: from <c>[N]</c> (the file position stays) or, with NULL, from
    /// the file position (which moves); at most what the file holds past there; onto the socket as write() would.
    /// </summary>
    private (Func<Outcome?>, bool, long?) SendFile(SyscallEvent s, int outFd)
    {
        int inFd = (int)Number(s, 1, "a descriptor");
        if (!_fds.TryGetValue(outFd, out var sock) || !_openFiles.TryGetValue(inFd, out var file))
            return (() => Outcome.Error("EBADF"), false, null);
        bool fromPosition = IsNull(s.Arguments[2]);
        long offset = fromPosition ? file.Position : Number(s, 2, "an offset such as [0], or NULL");
        long count = Math.Clamp(_files.GetValueOrDefault(file.Path) - offset, 0, Math.Max(0, Number(s, 3, "a byte count")));
        if (count == 0) return (() => new Outcome(0), false, null);
        var (attempt, mayBlock, timeout) = Write(s, sock, count, 0);
        return (() =>
        {
            var done = attempt();
            if (fromPosition && done is { Errno: null, Value: > 0 } sent) file.Position += sent.Value;
            return done;
        }, mayBlock, timeout);
    }
}
