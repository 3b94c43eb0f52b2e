using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stack.Sockets.Control;

/// <summary>
/// The control socket's protocol, version 1 (docs/control.md): one JSON object per line each way. A request is
/// <c>{"v":1,"command":"sockets"}</c> (or "counters", "hello"); the reply is <c>{"v":1,"ok":true,...}</c> with the
/// command's member, or <c>{"v":1,"ok":false,"error":"..."}</c>. A request longer than
/// <see cref="MaxRequestBytes"/> gets an error and the connection is closed.
/// </summary>
public static class ControlProtocol
{
    public const int Version = 1;

    /// <summary>The longest request line, newline excluded.</summary>
    public const int MaxRequestBytes = 4096;

    public const string Hello = "hello";
    public const string Sockets = "sockets";
    public const string Counters = "counters";

    public static IReadOnlyList<string> Commands { get; } = [Hello, Sockets, Counters];

    public static byte[] Request(string command) =>
        JsonSerializer.SerializeToUtf8Bytes(new ControlRequest(Version, command), ControlJson.Default.ControlRequest);

    public static byte[] Encode(ControlResponse response) =>
        JsonSerializer.SerializeToUtf8Bytes(response, ControlJson.Default.ControlResponse);

    public static ControlResponse? DecodeResponse(ReadOnlySpan<byte> line) =>
        JsonSerializer.Deserialize(line, ControlJson.Default.ControlResponse);

    /// <summary>
    /// Reads a request line: the command it names, or why it cannot be served (not JSON, not an object, another
    /// version, no or an unknown command).
    /// </summary>
    public static bool TryParseRequest(ReadOnlySpan<byte> line, out string command, out string error)
    {
        command = "";
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("a request is a JSON object", out error);
            if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version))
                return Fail("the request has no version (\"v\":1)", out error);
            if (version != Version) return Fail($"protocol version {version} is not spoken here (this stack speaks {Version})", out error);
            if (!root.TryGetProperty("command", out var c) || c.ValueKind != JsonValueKind.String)
                return Fail("the request names no command", out error);
            command = c.GetString()!;
            if (!Commands.Contains(command))
                return Fail($"unknown command '{Truncate(command)}' (known: {string.Join(", ", Commands)})", out error);
            error = "";
            return true;
        }
        catch (JsonException e)
        {
            return Fail($"not JSON: {e.Message}", out error);
        }
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static bool Fail(string why, out string error)
    {
        error = why;
        return false;
    }
}

public sealed record ControlRequest(int V, string Command);

/// <summary>A reply: <see cref="Ok"/> with the command's member set, or the <see cref="Error"/>.</summary>
public sealed record ControlResponse(int V, bool Ok, string? Error = null, StackSummary? Hello = null,
    IReadOnlyList<SocketEntry>? Sockets = null, IReadOnlyList<CounterEntry>? Counters = null)
{
    public static ControlResponse Failure(string error) => new(ControlProtocol.Version, false, error);
}

/// <summary>What "hello" answers: which stack this is.</summary>
public sealed record StackSummary(string Name, int Pid, string Version, string Mac, int Mtu, IReadOnlyList<string> Addresses, double UptimeSeconds);

/// <summary>One counter on the wire: its nstat name, value, and whether it is a level rather than a total.</summary>
public sealed record CounterEntry(string Name, long Value, bool Gauge = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
internal sealed partial class ControlJson : JsonSerializerContext;
