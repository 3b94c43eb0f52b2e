using Microsoft.Extensions.Time.Testing;

namespace Stack.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when a timer is made on it. A test that moves the clock past a
/// timeout started on another thread (a synchronous Receive with ReceiveTimeout) first waits for that timer: moved
/// any earlier, the clock would leave the timer due a whole timeout after the test's last step.
/// </summary>
public sealed class WatchedClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the next timer is made; call it before starting what makes one.</summary>
    public Task NextTimer()
    {
        lock (_gate) return _next.Task;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TaskCompletionSource made;
        lock (_gate)
        {
            made = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        made.SetResult();
        return timer;
    }
}
