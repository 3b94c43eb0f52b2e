using Stack.Link.Devices;
using Stack.Link.Devices.Memory;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>
/// The loop as a SynchronizationContext: what is posted to it, from the loop or from anywhere else, runs on the
/// loop thread in the order it was posted, on both the polling and the portable path; an await on the loop
/// resumes there.
/// </summary>
public sealed class LoopSynchronizationContextTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed class IdleCore : ILinkProtocol
    {
        public Instant NextDeadline => Instant.Never;

        public void Start(Instant now)
        {
        }

        public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
        {
        }

        public void OnTimer(Instant now)
        {
        }
    }

    /// <summary>A started loop on a pollable device (polling) or an in-memory port (portable).</summary>
    private static EventLoop StartLoop(bool polling)
    {
        ILinkDevice device = polling ? new PollableQueueDevice() : MemoryLink.CreatePair().A;
        var loop = new EventLoop(device);
        loop.Start(new IdleCore());
        Assert.Equal(polling, loop.IsPolling);
        return loop;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Posts_from_other_threads_and_from_the_loop_run_on_the_loop_in_order(bool polling)
    {
        using var loop = StartLoop(polling);
        var context = loop.SynchronizationContext;
        var ran = new List<(int Index, bool OnLoop)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        for (int i = 0; i < 100; i++)
        {
            int index = i;
            context.Post(_ => ran.Add((index, loop.IsLoopThread)), null);
        }
        // From the loop itself: no wake-up is signalled, yet the loop must not sleep on them.
        context.Post(_ =>
        {
            for (int i = 100; i < 200; i++)
            {
                int index = i;
                context.Post(_ => ran.Add((index, loop.IsLoopThread)), null);
            }
            context.Post(_ => done.SetResult(), null);
        }, null);

        await done.Task.WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(0, 200), ran.Select(r => r.Index));
        Assert.All(ran, r => Assert.True(r.OnLoop));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_loop_thread_has_the_context_installed_and_an_await_there_resumes_there(bool polling)
    {
        using var loop = StartLoop(polling);
        var resumed = new TaskCompletionSource<(bool Installed, bool OnLoop)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Post(now =>
        {
            bool installed = SynchronizationContext.Current == loop.SynchronizationContext;
            _ = Resume();

            async Task Resume()
            {
                await gate.Task;
                resumed.SetResult((installed, loop.IsLoopThread));
            }
        });
        await Task.Run(gate.SetResult);

        var (installed, onLoop) = await resumed.Task.WaitAsync(Wait);
        Assert.True(installed);
        Assert.True(onLoop);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Work_posted_with_its_state_runs_in_order_with_the_rest_and_gets_its_state(bool polling)
    {
        using var loop = StartLoop(polling);
        var ran = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Post(_ => ran.Add("action"));
        loop.Post(static (_, s) => s.ran.Add(s.name), (ran, name: "boxed tuple"));
        loop.Post(static (_, list) => list.Add("list itself"), ran);
        loop.SynchronizationContext.Post(static s => ((List<string>)s!).Add("callback"), ran);
        loop.Post(static (now, s) => s.Add($"now {now > Instant.Zero}"), ran);
        loop.Post(_ => done.SetResult());

        await done.Task.WaitAsync(Wait);
        Assert.Equal(["action", "boxed tuple", "list itself", "callback", "now True"], ran);
    }

    /// <summary>
    /// A static lambda and a state object that exists already cost the posting thread nothing, through
    /// <see cref="EventLoop.Post{TState}"/> and the context's Post (an await resuming on the loop) alike; a lambda
    /// capturing the state costs a closure and a delegate, about 90 B, per post. The queue's segments grow in the
    /// first window; the fewest bytes of three windows is what a post costs.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Posting_work_with_its_state_allocates_nothing(bool polling)
    {
        using var loop = StartLoop(polling);
        var counter = new int[1];
        long fewest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 500; i++)
            {
                loop.Post(static (_, c) => c[0]++, counter);
                loop.SynchronizationContext.Post(static c => ((int[])c!)[0]++, counter);
            }
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            await loop.InvokeAsync(_ => true).WaitAsync(Wait); // drained before the next window
        }
        Assert.Equal(3 * 1000, await loop.InvokeAsync(_ => counter[0]).WaitAsync(Wait));
        Assert.True(fewest < 1000, $"{fewest} B for 1,000 posts");
    }

    [Fact]
    public async Task Send_runs_inline_on_the_loop_and_blocks_elsewhere_until_the_loop_ran_it()
    {
        using var loop = StartLoop(polling: false);
        var context = loop.SynchronizationContext;

        bool ranOnLoop = false;
        await Task.Run(() => context.Send(_ => ranOnLoop = loop.IsLoopThread, null));
        Assert.True(ranOnLoop);

        var inline = await loop.InvokeAsync(_ =>
        {
            int depth = 0;
            context.Send(_ => depth++, null);
            return depth; // ran before Send returned: inline, not queued behind this very item
        }).WaitAsync(Wait);
        Assert.Equal(1, inline);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Task.Run(() => context.Send(_ => throw new InvalidOperationException("from the loop"), null)));
        Assert.Equal("from the loop", thrown.Message);
    }
}
