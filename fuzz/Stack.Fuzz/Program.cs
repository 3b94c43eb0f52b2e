using SharpFuzz;
using Stack.Fuzz;

// Usage: Stack.Fuzz TARGET            the afl-fuzz entry point (input on stdin, or from afl-fuzz's fork server)
//        Stack.Fuzz TARGET FILE...    runs each file through the target once and says which throw
//        Stack.Fuzz seeds DIR         writes the seed inputs of every target under DIR/<target>/
if (args.Length == 2 && args[0] == "seeds")
{
    Seeds.WriteAll(args[1]);
    return 0;
}
if (args.Length < 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Stack.Fuzz {{{string.Join('|', FuzzTargets.All.Keys)}}} [FILE...] | seeds DIR");
    return 2;
}
if (args.Length > 1)
{
    int failed = 0;
    foreach (string file in args[1..])
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.Error.WriteLine($"{file}: {e}");
        }
    }
    return failed == 0 ? 0 : 1;
}
// In-process (persistent) mode: one .NET process runs input after input; an exception that escapes is a crash.
Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
