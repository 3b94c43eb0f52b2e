using System.Runtime.InteropServices;
using Stack.Link.Diagnostics;

namespace Stack.Link.Devices.Tap;

public sealed unsafe partial class TapDevice
{
    public int ReceiveBatch(IFrameSink sink, int max)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (IsGone) return IPollableDevice.Gone;
        var fd = (int)_fd.DangerousGetHandle();
        int read = 0;
        fixed (byte* buffer = _receiveBuffer)
        {
            while (read < max)
            {
                var n = LibC.Read(fd, buffer, ReceiveBufferSize);
                if (n <= 0)
                {
                    if (n == 0) break;
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR) continue;
                    if (errno == LibC.EBADFD)
                    {
                        MarkGone("read", errno);
                        return read > 0 ? read : IPollableDevice.Gone;
                    }
                    if (errno != LibC.EAGAIN) ReceiveFailed("read", errno);
                    break;
                }
                read++;
                Deliver(new Span<byte>(buffer, (int)n), sink);
            }
        }
        return read;
    }

    private void Deliver(Span<byte> frame, IFrameSink sink)
    {
        Interlocked.Increment(ref _framesReceived);
        if (Offload)
        {
            if (!VirtioNetHeader.TryParse(frame, out var header, out var reason))
            {
                Rejects.Count(Layer.VirtioNet, reason);
                if (_logger is { } log) LinkLog.VirtioRejected(log, Name, reason);
                return;
            }
            frame = frame[VirtioNetHeader.Length..];
            header.CompleteChecksum(frame);
            if (header.IsGso) Interlocked.Increment(ref _gsoFramesReceived);
        }
        try
        {
            sink.OnFrame(frame);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _sinkErrors);
            if (_logger is { } log) LinkLog.SinkThrew(log, e, Name);
        }
    }

    public bool SegmentationOffload => Offload;

    /// <summary>
    /// Sends <paramref name="frame"/>. With offloads, on the thread that flushes (the event loop's), a TCP segment
    /// that continues the held super-frame joins it, and one that could start one is held; the rest go at once.
    /// </summary>
    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (!Offload || Environment.CurrentManagedThreadId != _flushThread)
        {
            Write(frame, withHeader: Offload);
            return;
        }
        if (_coalescer.TryAppend(frame)) return;
        Flush();
        if (_coalescer.TryStart(frame)) return;
        Write(frame, withHeader: true);
    }

    /// <summary>
    /// Writes the held super-frame, if any. The first thread to call it becomes the one whose segments are joined
    /// (the event loop, at the end of each round); other threads' frames always go at once.
    /// </summary>
    public void Flush()
    {
        if (!Offload) return;
        if (_flushThread != Environment.CurrentManagedThreadId)
        {
            if (_flushThread != 0) return;
            _flushThread = Environment.CurrentManagedThreadId;
        }
        if (!_coalescer.IsHolding) return;
        if (_coalescer.Segments > 1) Interlocked.Increment(ref _gsoFramesSent);
        Write(_coalescer.Take(), withHeader: false);
    }

    /// <summary>
    /// With checksum offload the stack's TCP writes partial checksums (see <see cref="TryEnableChecksumOffload"/>):
    /// every TCP segment we write then says NEEDS_CSUM, whichever thread sends it.
    /// </summary>
    public bool TryEnableChecksumOffload()
    {
        if (!Offload) return false;
        _checksumPartial = true;
        _coalescer.ChecksumsPartial = true;
        return true;
    }

    /// <summary>
    /// Writes one frame. With <paramref name="withHeader"/> a virtio header goes first, in an iovec of its own so the
    /// frame is not copied to make room: plain, or NEEDS_CSUM for a TCP segment when checksums are offloaded.
    /// Without, the bytes carry their own header, or the device has none.
    /// </summary>
    private void Write(ReadOnlySpan<byte> frame, bool withHeader)
    {
        if (IsGone)
        {
            // Said once already; a write would only answer EBADFD again.
            Interlocked.Increment(ref _transmitErrors);
            return;
        }
        var added = false;
        _fd.DangerousAddRef(ref added); // throws ObjectDisposedException after Dispose
        try
        {
            var fd = (int)_fd.DangerousGetHandle();
            byte* header = stackalloc byte[VirtioNetHeader.Length];
            if (withHeader)
            {
                var h = _checksumPartial ? VirtioNetHeader.ForPartialTcp(frame) : default;
                h.Write(new Span<byte>(header, VirtioNetHeader.Length));
            }
            fixed (byte* p = frame)
            {
                var iov = stackalloc LibC.IoVec[2];
                iov[0] = new LibC.IoVec { Base = header, Length = VirtioNetHeader.Length };
                iov[1] = new LibC.IoVec { Base = p, Length = (nuint)frame.Length };
                int skip = withHeader ? 0 : 1;
                long expected = frame.Length + (withHeader ? VirtioNetHeader.Length : 0);
                for (var attempt = 0; attempt < 16; attempt++)
                {
                    var n = LibC.Writev(fd, iov + skip, 2 - skip);
                    if (n == expected)
                    {
                        Interlocked.Increment(ref _framesSent);
                        if (_transmitFailing) _transmitFailing = false;
                        return;
                    }
                    var errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
                    if (errno is LibC.EINTR or LibC.EAGAIN) continue;
                    var count = Interlocked.Increment(ref _transmitErrors);
                    if (errno == LibC.EBADFD) MarkGone("write", errno);
                    else if (!_transmitFailing && _logger is { } log)
                        LinkLog.TransmitFailed(log, Name, frame.Length, n < 0 ? LibC.Describe(errno) : $"short write of {n}", count);
                    // One line per run of failures (a TAP down sends EIO for every frame), not one per frame.
                    _transmitFailing = true;
                    return;
                }
                Interlocked.Increment(ref _transmitErrors);
            }
        }
        finally
        {
            if (added) _fd.DangerousRelease();
        }
    }
}
