namespace Stack.Sockets;

/// <summary>
/// A <see cref="Stream"/> over a connected stream <see cref="StackSocket"/>, as <see cref="System.Net.Sockets.NetworkStream"/>
/// is over a <see cref="System.Net.Sockets.Socket"/>: Read waits for data and returns 0 at end of stream; Write
/// returns when every byte is queued; Flush does nothing (there is no buffer in between). Disposing it closes
/// the socket only when it owns the socket.
/// </summary>
public sealed class StackNetworkStream : Stream
{
    private readonly bool _ownsSocket;
    private volatile bool _disposed;

    public StackNetworkStream(StackSocket socket, bool ownsSocket = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != System.Net.Sockets.SocketType.Stream)
            throw new ArgumentException("A StackNetworkStream needs a stream (TCP) socket.", nameof(socket));
        Socket = socket;
        _ownsSocket = ownsSocket;
    }

    public StackSocket Socket { get; }

    public override bool CanRead => !_disposed;
    public override bool CanWrite => !_disposed;
    public override bool CanSeek => false;
    public override bool CanTimeout => true;

    /// <summary>The socket's <see cref="StackSocket.ReceiveTimeout"/> (0: none; Stream's convention -1 is taken as none too).</summary>
    public override int ReadTimeout
    {
        get => Socket.ReceiveTimeout <= 0 ? Timeout.Infinite : Socket.ReceiveTimeout;
        set => Socket.ReceiveTimeout = value < 0 ? 0 : value;
    }

    public override int WriteTimeout
    {
        get => Socket.SendTimeout <= 0 ? Timeout.Infinite : Socket.SendTimeout;
        set => Socket.SendTimeout = value < 0 ? 0 : value;
    }

    public override long Length => throw new NotSupportedException("A network stream has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A network stream has no position.");
        set => throw new NotSupportedException("A network stream has no position.");
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Socket.Receive(buffer);
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Socket.ReceiveAsync(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Socket.Send(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await Socket.SendAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A network stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A network stream has no length.");

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing && _ownsSocket) Socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
