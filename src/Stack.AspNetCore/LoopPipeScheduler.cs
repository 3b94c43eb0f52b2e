using System.IO.Pipelines;
using Stack.Link.Loop;

namespace Stack.AspNetCore;

/// <summary>
/// A <see cref="PipeScheduler"/> that runs a pipe's continuations on the stack's event loop: the transport's side
/// of each pipe (the input's writer, the output's reader) then resumes where its socket calls complete.
/// </summary>
internal sealed class LoopPipeScheduler(EventLoop loop) : PipeScheduler
{
    public override void Schedule(Action<object?> action, object? state) => loop.Post(_ => action(state));
}
