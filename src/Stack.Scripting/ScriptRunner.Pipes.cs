namespace Stack.Scripting;

/// <summary>
/// pipe() and splice() between a socket and a pipe, as Linux's: a pipe holds up to 16 pages (64 KiB); splice
/// from a socket reads as tcp_splice_read does (stopping at an urgent mark, where it returns 0 while data waits
/// beyond, rather than block), and splice into a socket writes as write() does.
/// </summary>
public sealed partial class ScriptRunner
{
    private const long PipeCapacity = 65536, SpliceNonBlock = 0x2;

    private readonly Dictionary<int, PipeEnd> _pipes = [];

    /// <summary>A pipe's bytes (the script never sees their values) and its ends still open.</summary>
    private sealed class Pipe
    {
        public long Bytes { get; set; }
    }

    private sealed record PipeEnd(Pipe Pipe, bool IsWriteEnd);

    /// <summary>pipe([R, W]): the descriptors the script names when free, else the lowest free ones.</summary>
    private Outcome MakePipe(SyscallEvent s)
    {
        if (s.Arguments[0] is not SyscallArg.ArrayLiteral { Items.Count: 2 } fds)
            throw Fail("pipe(): argument 1 must be the two descriptors, such as [5, 6]");
        var pipe = new Pipe();
        for (int i = 0; i < 2; i++)
        {
            int fd = fds.Items[i].TryEvaluate(out long wanted) && wanted >= FirstFd && !IsDescriptorInUse((int)wanted)
                ? (int)wanted : LowestFreeDescriptor();
            _pipes[fd] = new PipeEnd(pipe, IsWriteEnd: i == 1);
        }
        return new Outcome(0);
    }

    private int LowestFreeDescriptor()
    {
        int fd = FirstFd;
        while (IsDescriptorInUse(fd)) fd++;
        return fd;
    }

    /// <summary>splice(IN, NULL, OUT, NULL, LEN, FLAGS): socket to pipe, or pipe to socket.</summary>
    private (Func<Outcome?>, bool, long?) Splice(SyscallEvent s)
    {
        int inFd = (int)Number(s, 0, "a descriptor"), outFd = (int)Number(s, 2, "a descriptor");
        long length = Number(s, 4, "a byte count"), flags = Number(s, 5, "splice flags");
        if (_fds.TryGetValue(inFd, out var from) && _pipes.TryGetValue(outFd, out var to) && to.IsWriteEnd)
        {
            bool nonBlocking = from.NonBlocking || (flags & SpliceNonBlock) != 0;
            return (() => SpliceFromSocket(from, to.Pipe, length, nonBlocking), !nonBlocking, null);
        }
        if (_pipes.TryGetValue(inFd, out var source) && !source.IsWriteEnd && _fds.TryGetValue(outFd, out var sock))
        {
            long count = Math.Min(length, source.Pipe.Bytes);
            if (count == 0) return (() => new Outcome(0), false, null);
            var (attempt, mayBlock, timeout) = Write(s, sock, count, 0);
            return (() =>
            {
                var done = attempt();
                if (done is { Errno: null, Value: > 0 } sent) source.Pipe.Bytes -= sent.Value;
                return done;
            }, mayBlock, timeout);
        }
        return (() => Outcome.Error(IsDescriptorInUse(inFd) && IsDescriptorInUse(outFd) ? "EINVAL" : "EBADF"), false, null);
    }

    /// <summary>
    /// Linux tcp_splice_read: what the pipe has room for; 0 at the end of the stream, or when data waits behind an
    /// urgent mark (the fix for the splice loop); else EAGAIN or block.
    /// </summary>
    private Outcome? SpliceFromSocket(ScriptSocket sock, Pipe pipe, long length, bool nonBlocking)
    {
        if (sock.Connection is not { } c) return Outcome.Error("ENOTCONN");
        long room = Math.Min(length, PipeCapacity - pipe.Bytes);
        if (room <= 0) return nonBlocking ? Outcome.Error("EAGAIN") : null;
        int n;
        try
        {
            n = c.ReceiveToUrgentMark(new byte[(int)Math.Min(room, 65536)], _now);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return Reported(sock, e.SocketErrorCode);
        }
        finally
        {
            DrainFrames();
        }
        pipe.Bytes += n;
        if (n > 0 || c.Readable > 0 || c.IsEndOfStream) return new Outcome(n);
        return nonBlocking ? Outcome.Error("EAGAIN") : null;
    }

    /// <summary>close() of a pipe's end.</summary>
    private (Func<Outcome?>, bool, long?) PreparePipeCall(SyscallEvent s, int fd) => s.Name switch
    {
        "close" => (() =>
        {
            _pipes.Remove(fd);
            return new Outcome(0);
        }, false, null),
        _ => (() => Outcome.Error("ENOTSOCK"), false, null),
    };
}
