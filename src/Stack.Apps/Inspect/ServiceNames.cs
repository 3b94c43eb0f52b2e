namespace Stack.Apps.Inspect;

/// <summary>Port names from /etc/services (as ss prints them without -n); empty where the file is missing.</summary>
public static class ServiceNames
{
    private static readonly Lazy<(Dictionary<(string, int), string> ByPort, Dictionary<string, int> ByName)> Table = new(Load);

    /// <summary>The service name of <paramref name="port"/> over <paramref name="protocol"/> ("tcp", "udp"), or null.</summary>
    public static string? Name(string protocol, int port) => Table.Value.ByPort.GetValueOrDefault((protocol, port));

    /// <summary>The port of a service name, or null.</summary>
    public static int? Port(string name) => Table.Value.ByName.TryGetValue(name, out int port) ? port : null;

    private static (Dictionary<(string, int), string>, Dictionary<string, int>) Load()
    {
        var byPort = new Dictionary<(string, int), string>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            foreach (var raw in File.ReadLines("/etc/services"))
            {
                var line = raw.Split('#', 2)[0];
                var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 2) continue;
                var portProto = fields[1].Split('/');
                if (portProto.Length != 2 || !int.TryParse(portProto[0], out int port)) continue;
                byPort.TryAdd((portProto[1], port), fields[0]);
                foreach (var name in fields.Skip(2).Prepend(fields[0])) byName.TryAdd(name, port);
            }
        }
        catch (IOException)
        {
            // No /etc/services: numbers only.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (byPort, byName);
    }
}
