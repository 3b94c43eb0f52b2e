using System.Runtime.ExceptionServices;

namespace Stack.Link.Loop;

/// <summary>
/// The event loop as a <see cref="SynchronizationContext"/>: code awaiting on the loop thread resumes there, in
/// the order its completions were posted, so a service can run to completion on the loop (as a Netty or
/// Seastar handler does) with no thread hop between a socket's completion and the code that uses it. The loop
/// installs it on its own thread.
/// </summary>
/// <remarks>
/// <see cref="Post"/> queues the callback on the loop's inbox; posted from the loop thread itself it does not
/// wake the loop, which drains its inbox before it sleeps. <see cref="Send"/> runs the callback inline on the
/// loop thread; from any other thread it posts and blocks until the loop has run it (rethrowing what it threw),
/// so it must not be called while holding something the loop needs.
/// </remarks>
public sealed class LoopSynchronizationContext : SynchronizationContext
{
    private readonly EventLoop _loop;

    internal LoopSynchronizationContext(EventLoop loop) => _loop = loop;

    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _loop.Post(d, state);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (_loop.IsLoopThread)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim(false);
        ExceptionDispatchInfo? failure = null;
        _loop.Post(_ =>
        {
            try { d(state); }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); }
            finally { done.Set(); }
        });
        // A stopped loop never runs it: give up rather than hang.
        while (!done.Wait(100))
            ObjectDisposedException.ThrowIf(_loop.IsStopping, _loop);
        failure?.Throw();
    }

    /// <summary>One loop, one context: copies are the same object, so awaiting code compares them as equal.</summary>
    public override SynchronizationContext CreateCopy() => this;
}
