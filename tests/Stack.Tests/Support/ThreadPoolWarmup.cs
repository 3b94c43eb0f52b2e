using System.Runtime.CompilerServices;

namespace Stack.Tests.Support;

internal static class ThreadPoolWarmup
{
    /// <summary>
    /// Many tests wait synchronously (processes, sync socket calls over tasks) while in-process stacks run their
    /// services' continuations on the thread pool. On a 2-core machine the pool starts with 2 threads and adds
    /// about one a second when they are all blocked, which stalled an echo service for ~0.9 s mid-transfer. A
    /// larger floor removes that starvation; it changes no behaviour under test.
    /// </summary>
    [ModuleInitializer]
    internal static void Raise()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }
}
