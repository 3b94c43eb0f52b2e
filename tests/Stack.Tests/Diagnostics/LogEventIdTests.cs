using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stack.Tests.Support;

namespace Stack.Tests.Diagnostics;

/// <summary>Every kind of log event the stack writes has its own EventId, unique across the assemblies, and docs/metrics.md lists it.</summary>
public sealed partial class LogEventIdTests
{
    private static readonly string[] Assemblies = ["Stack.Link", "Stack.IP", "Stack.Udp", "Stack.Tcp", "Stack.Sockets", "Stack.Apps", "Stack.AspNetCore", "Stack.Scripting"];

    /// <summary>Every [LoggerMessage] method of the stack's assemblies, as (class.method, event id).</summary>
    private static List<(string Name, int Id)> Events() =>
    [
        .. Assemblies.Select(name => Assembly.Load(name == "Stack.Apps" ? "stack" : name))
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => ($"{x.Method.DeclaringType!.Name}.{x.Method.Name}", x.Attribute!.EventId)),
    ];

    [Fact]
    public void Every_log_message_has_an_event_id_of_its_own()
    {
        var events = Events();
        Assert.True(events.Count >= 40, $"found {events.Count} log messages");
        Assert.All(events, e => Assert.True(e.Id > 0, $"{e.Name} has no EventId"));
        var clashes = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Name))}").ToList();
        Assert.True(clashes.Count == 0, "event ids used twice: " + string.Join("; ", clashes));
    }

    [GeneratedRegex(@"\.Log(Trace|Debug|Information|Warning|Error|Critical)\(")]
    private static partial Regex DirectLogCall();

    [Fact]
    public void No_source_file_logs_around_the_generated_messages()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(TestNamespace.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => DirectLogCall().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(TestNamespace.RepoRoot, f))
            .ToList();
        Assert.True(offenders.Count == 0, "log calls without an event id (use a [LoggerMessage] method): " + string.Join(", ", offenders));
    }

    [Fact]
    public void Docs_list_every_event_id_with_its_name()
    {
        var doc = File.ReadAllText(Path.Combine(TestNamespace.RepoRoot, "docs", "metrics.md"));
        foreach (var (name, id) in Events())
            Assert.True(doc.Contains($"| {id} | `{name}` |", StringComparison.Ordinal), $"docs/metrics.md lacks the row for {id} {name}");
    }
}
