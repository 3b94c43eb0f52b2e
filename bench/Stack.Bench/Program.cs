using BenchmarkDotNet.Running;

namespace Stack.Bench;

public static class Program
{
    /// <summary>`transfer [--mib N] [--ipv6]` runs the in-memory macro benchmark, `connlife` the connection-life probe, `timewait` the memory TIME-WAIT holds; anything else goes to BenchmarkDotNet.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "transfer") return TransferBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "connlife") return ConnectionLifeProbe.Run(args[1..]);
        if (args.Length > 0 && args[0] == "timewait") return TimeWaitMemoryProbe.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
