using System.Threading.Tasks.Sources;
using Stack.Link.Loop;
using Stack.Link.Time;

namespace Stack.Sockets;

/// <summary>
/// A socket call waiting on the event loop (a receive for data, a send for buffer space), awaited through a
/// <see cref="ValueTask{TResult}"/> it backs itself. Each socket keeps one per direction and reuses it call after
/// call; only a second call of the same direction made while the first still waits gets a new one (as
/// <see cref="System.Net.Sockets.Socket"/> caches its own). Everything but <see cref="GetResult"/> runs on the loop;
/// completions never run the caller's continuation on the loop thread unless the caller awaited there.
/// </summary>
internal abstract class LoopOperation<TResult> : LineMember, IValueTaskSource<TResult>
{
    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private EventLoop? _cancelOn;
    private Action<LoopOperation<TResult>, short, CancellationToken>? _cancel;
    private short _cancelVersion;
    private volatile bool _completed;

    /// <summary>
    /// The task for the call this operation now carries. A cancellation of <paramref name="token"/> posts
    /// <paramref name="cancel"/> to the loop, told which call it was for, so a late one cannot cancel a later call.
    /// </summary>
    public ValueTask<TResult> Await(EventLoop loop, Action<LoopOperation<TResult>, short, CancellationToken> cancel, CancellationToken token)
    {
        short version = _core.Version;
        if (token.CanBeCanceled && !_completed) Register(loop, cancel, version, token);
        return new ValueTask<TResult>(this, version);
    }

    // The registration carries this operation and nothing made per call; the call's version is kept here until
    // the result is read (GetResult disposes the registration, waiting out a callback already running, before
    // the version moves on), so a late cancellation still names the call it was for.
    private void Register(EventLoop loop, Action<LoopOperation<TResult>, short, CancellationToken> cancel, short version, CancellationToken token)
    {
        _cancelOn = loop;
        _cancel = cancel;
        _cancelVersion = version;
        _cancellation = token.UnsafeRegister(static (state, token) => ((LoopOperation<TResult>)state!).Cancelled(token), this);
    }

    private void Cancelled(CancellationToken token)
    {
        var (loop, cancel, version) = (_cancelOn!, _cancel!, _cancelVersion);
        loop.Post(_ => cancel(this, version, token));
    }

    /// <summary>Which call this operation carries now; a completed call's operation moves on once its result is read.</summary>
    public short Version => _core.Version;

    /// <summary>True while the call of <paramref name="version"/> is the one this operation carries and has not completed.</summary>
    public bool IsPending(short version) => !_completed && _core.Version == version;

    public void Succeed(TResult result)
    {
        if (_completed) return;
        _completed = true;
        _core.SetResult(result);
    }

    public void Fail(Exception error)
    {
        if (_completed) return;
        _completed = true;
        _core.SetException(error);
    }

    public bool IsCompleted => _completed;

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _cancellation.Dispose();
            _cancellation = default;
            Clear();
            // The version moves on before the operation counts as pending again, so a late cancellation of the
            // call just finished can never match it.
            _core.Reset();
            _completed = false;
            Release();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Forgets the caller's buffers, so an idle operation holds no memory of theirs.</summary>
    protected abstract void Clear();

    /// <summary>Puts this operation back where its socket finds it for the next call.</summary>
    protected abstract void Release();
}

/// <summary>One idle operation of a kind, kept by a socket for its next call of that direction.</summary>
internal sealed class OperationSlot<TOperation> where TOperation : class
{
    private TOperation? _idle;

    /// <summary>The idle operation, or null when the socket's last one is still in use (then make another).</summary>
    public TOperation? TryTake() => Interlocked.Exchange(ref _idle, null);

    public void Put(TOperation operation) => Volatile.Write(ref _idle, operation);
}
