using Stack.Link.Time;

namespace Stack.IP;

/// <summary>
/// A protocol client that lives on the host but is not a transport (a DHCP client, a resolver): it has timers
/// that the host's event loop must run. Called only on the loop.
/// </summary>
public interface IHostClient
{
    /// <summary>The client's earliest timer, or <see cref="Instant.Never"/>.</summary>
    Instant NextDeadline { get; }

    /// <summary>Runs the client's due timers; a call with nothing due does nothing.</summary>
    void OnTimer(Instant now);
}

public sealed partial class IpHost
{
    private readonly List<IHostClient> _clients = [];

    /// <summary>Runs <paramref name="client"/>'s timers with the host's own from now on.</summary>
    public void AddClient(IHostClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!_clients.Contains(client)) _clients.Add(client);
    }

    /// <summary>Stops running <paramref name="client"/>'s timers; false when it was not added.</summary>
    public bool RemoveClient(IHostClient client) => _clients.Remove(client);

    private Instant ClientDeadline()
    {
        var next = Instant.Never;
        foreach (var c in _clients) next = Instant.Min(next, c.NextDeadline);
        return next;
    }

    private void OnClientTimers(Instant now)
    {
        // A client may add or remove clients from its timer: walk a copy.
        if (_clients.Count == 0) return;
        foreach (var c in _clients.ToArray())
            if (c.NextDeadline <= now) c.OnTimer(now);
    }
}
