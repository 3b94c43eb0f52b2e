using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace Stack.Bench;

/// <summary>
/// `connlife [--count N] [--warmup N] [--types] [--sockets] [--standing N] [--live N]`: runs <see cref="ConnectionLife"/> (with --sockets,
/// the socket-API connection of <see cref="SocketCallBench.TcpConnection"/> instead) and prints bytes allocated in
/// the process and time per connection without BenchmarkDotNet's start-up; with --types, the runtime's allocation
/// samples (one per ~100 KB) by type, to see where the bytes go; with --standing, N TIME-WAIT records held on the
/// server throughout, to see whether they slow a new connection (making them runs the same code as many times: give
/// every run the same long --warmup, or the JIT's tiering shows as a difference); with --live, N established
/// connections standing, which bind() and listen() on the server must not conflict with.
/// </summary>
internal static class ConnectionLifeProbe
{
    public static int Run(string[] args)
    {
        int count = 20_000;
        bool types = false;
        int standing = 0;
        int live = 0;
        int warmup = 2000;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--count" && i + 1 < args.Length) count = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--types") types = true;
            else if (args[i] == "--warmup" && i + 1 < args.Length) warmup = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--standing" && i + 1 < args.Length) standing = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--live" && i + 1 < args.Length) live = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
        }
        Action run;
        ConnectionLife? life = null;
        SocketCallBench? sockets = null;
        if (args.Contains("--sockets"))
        {
            // Through the socket API with real loops: every thread's allocations count.
            sockets = new SocketCallBench();
            sockets.Setup();
            run = () => sockets.TcpConnection().GetAwaiter().GetResult();
        }
        else
        {
            var setup = Stopwatch.StartNew();
            life = new ConnectionLife(standing, live);
            if (standing > 0) Console.WriteLine($"{life.Standing} TIME-WAIT records standing ({setup.Elapsed.TotalSeconds:F1} s to make)");
            if (live > 0) Console.WriteLine($"{life.Live} established connections standing ({setup.Elapsed.TotalSeconds:F1} s to make)");
            run = () => life.Run();
        }
        for (int i = 0; i < warmup; i++) run();
        // Exceptions thrown and caught cost tens of microseconds each: count them, and show where the first came from.
        long exceptions = 0;
        string? first = null;
        AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
        {
            Interlocked.Increment(ref exceptions);
            first ??= e.Exception.ToString();
        };
        using var listener = types ? new AllocationSamples() : null;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) run();
        watch.Stop();
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        sockets?.Cleanup();
        Console.WriteLine($"{count} connections: {(double)bytes / count:F0} bytes and {watch.Elapsed.TotalMicroseconds / count:F2} µs per connection, {(double)exceptions / count:F2} exceptions");
        if (life is not null)
        {
            // The standing connections settle in the oldest generation first: else the first collections the
            // listeners' allocations cause promote them, and that shows as listen() cost.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            life.BindMicroseconds(1000);
            Console.WriteLine($"bind() to port 0 on the server: {life.BindMicroseconds(5000):F2} µs per call");
            life.ListenMicroseconds(1000);
            Console.WriteLine($"listen() on port 0 and close on the server: {life.ListenMicroseconds(5000):F2} µs per call");
        }
        if (life is { Standing: > 0 } && life.TimeWaitCount != life.Standing)
            throw new InvalidOperationException($"{life.TimeWaitCount} records stand at the end, not {life.Standing}.");
        if (first is not null) Console.WriteLine($"The first exception: {first}");
        if (listener is not null)
        {
            foreach (var (type, n) in listener.ByType.OrderByDescending(p => p.Value).Take(30)) Console.WriteLine($"{n,8:N0} KB~ {type}");
        }
        return 0;
    }

    private sealed class AllocationSamples : EventListener
    {
        public Dictionary<string, long> ByType { get; } = [];

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
            int i = e.PayloadNames!.IndexOf("TypeName");
            string type = i >= 0 ? e.Payload[i] as string ?? "?" : "?";
            lock (ByType) ByType[type] = ByType.GetValueOrDefault(type) + 100;
        }
    }
}
