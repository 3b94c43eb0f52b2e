using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Stack.Link.Loop;
using Stack.Sockets;

namespace Stack.AspNetCore;

/// <summary>
/// One accepted stack connection as Kestrel sees it: a duplex pipe. A receive loop moves what the connection
/// delivers into the input pipe (and stops reading while Kestrel has <see cref="StackTransportOptions.MaxReadBufferSize"/>
/// unread, so the TCP window closes on the client); a send loop moves what Kestrel writes into the connection's
/// send buffer (each send completes once the bytes are queued, so a full send buffer holds Kestrel's writes).
/// When Kestrel completes its output the connection sends its FIN; <see cref="Abort"/> resets it.
/// </summary>
/// <remarks>
/// With <see cref="StackTransportOptions.PumpOnLoop"/> both pumps run on the stack's event loop (started there,
/// resuming there through the loop's context and the pipes' <see cref="LoopPipeScheduler"/>): they never block,
/// and a socket call that can complete at once does so inline. Kestrel's own code stays on the thread pool, and so
/// does the <c>ConnectionClosed</c> notification, which runs Kestrel's callbacks.
/// </remarks>
internal sealed class StackConnection : ConnectionContext
{
    private static long s_lastId;
    private readonly StackSocket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private readonly EventLoop? _loop;
    private Task<(Task Receiving, Task Sending)> _pumps = Task.FromResult((Task.CompletedTask, Task.CompletedTask));
    private volatile bool _aborted;

    /// <param name="loop">The loop to run the pumps on; null runs them on the thread pool.</param>
    public StackConnection(StackSocket socket, StackTransportOptions options, EventLoop? loop)
    {
        _socket = socket;
        _loop = loop;
        var transport = loop is null ? PipeScheduler.ThreadPool : new LoopPipeScheduler(loop);
        _input = new Pipe(new PipeOptions(writerScheduler: transport, pauseWriterThreshold: options.MaxReadBufferSize,
            resumeWriterThreshold: options.MaxReadBufferSize / 2, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(readerScheduler: transport, pauseWriterThreshold: options.MaxWriteBufferSize,
            resumeWriterThreshold: options.MaxWriteBufferSize / 2, useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        ConnectionId = $"stack-{Interlocked.Increment(ref s_lastId):x}";
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public void Start() => _pumps = _loop is null
        ? Task.FromResult((ReceiveAsync(), SendAsync()))
        : _loop.InvokeAsync(_ => (ReceiveAsync(), SendAsync()));

    /// <summary>Where the pumps' socket awaits resume: on the loop through its context when they run there.</summary>
    private bool OnLoop => _loop is not null;

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        try
        {
            var writer = _input.Writer;
            while (true)
            {
                var memory = writer.GetMemory(16 * 1024);
                int n = await _socket.ReceiveAsync(memory).ConfigureAwait(OnLoop);
                if (n == 0) break;
                writer.Advance(n);
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (StackSocketException e)
        {
            error = _aborted ? new ConnectionAbortedException("The connection was aborted", e) : Translate(e);
        }
        await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
        // The client is gone or has half-closed: Kestrel aborts what it was doing for it (HttpContext.RequestAborted).
        FireClosed();
    }

    private async Task SendAsync()
    {
        Exception? error = null;
        try
        {
            var reader = _output.Reader;
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                foreach (var segment in result.Buffer)
                    await _socket.SendAsync(segment).ConfigureAwait(OnLoop);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (StackSocketException e)
        {
            error = Translate(e);
        }
        await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
        if (error is null && !_aborted)
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is StackSocketException or ObjectDisposedException)
            {
                // Already reset or closed: nothing left to finish.
            }
        }
    }

    /// <summary>Kestrel gives up on the connection: a RST to the client, and both loops end.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        _aborted = true;
        try
        {
            _socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
        _output.Reader.CancelPendingRead();
        FireClosed();
    }

    public override async ValueTask DisposeAsync()
    {
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        // The send loop drains what Kestrel wrote and sends the FIN before the socket closes.
        var (receiving, sending) = await _pumps.ConfigureAwait(false);
        await sending.ConfigureAwait(false);
        _socket.Dispose();
        await receiving.ConfigureAwait(false);
        _closed.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Tells Kestrel the connection is over; off the loop, since the token runs Kestrel's callbacks.</summary>
    private void FireClosed()
    {
        if (_loop is { IsLoopThread: true })
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), this, preferLocal: false);
            return;
        }
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static Exception Translate(StackSocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionReset or SocketError.Shutdown or SocketError.TimedOut => new ConnectionResetException(e.Message, e),
        _ => new ConnectionAbortedException(e.Message, e),
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
