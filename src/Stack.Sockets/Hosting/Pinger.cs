using System.Collections.Concurrent;
using System.Diagnostics;
using Stack.IP;
using Stack.Link.Time;

namespace Stack.Sockets.Hosting;

/// <summary>The stack's own ping: echo requests from a stack instance, with the round-trip time of each reply.</summary>
public sealed class Pinger : IDisposable
{
    private readonly StackInstance _stack;
    private readonly ushort _identifier;
    private readonly ConcurrentDictionary<ushort, TaskCompletionSource<TimeSpan>> _waiting = new();
    private readonly ConcurrentDictionary<ushort, long> _sentAt = new();

    public Pinger(StackInstance stack, ushort identifier)
    {
        _stack = stack ?? throw new ArgumentNullException(nameof(stack));
        _identifier = identifier;
        _stack.Host.EchoReply += OnReply;
    }

    /// <summary>Sends one request and waits for its reply; null when none came within <paramref name="timeout"/>.</summary>
    public async Task<TimeSpan?> PingAsync(IpAddress destination, ushort sequence, int size, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[sequence] = done;
        _sentAt[sequence] = Stopwatch.GetTimestamp();
        var data = new byte[size];
        for (int i = 0; i < size; i++) data[i] = (byte)i;
        var result = await _stack.InvokeAsync((host, now) => host.SendEchoRequest(destination, _identifier, sequence, data, now))
            .ConfigureAwait(false);
        if (result is not (SendResult.Sent or SendResult.Queued)) return null;
        var finished = await Task.WhenAny(done.Task, Task.Delay(timeout)).ConfigureAwait(false);
        _waiting.TryRemove(sequence, out _);
        return finished == done.Task ? done.Task.Result : null;
    }

    private void OnReply(IpAddress from, ushort identifier, ushort sequence, ReadOnlySpan<byte> data, Instant now)
    {
        if (identifier != _identifier || !_waiting.TryGetValue(sequence, out var done)) return;
        if (_sentAt.TryRemove(sequence, out var sent)) done.TrySetResult(Stopwatch.GetElapsedTime(sent));
    }

    public void Dispose() => _stack.Host.EchoReply -= OnReply;
}
