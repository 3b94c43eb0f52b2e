using Stack.Link.Time;

namespace Stack.IP;

/// <summary>
/// A protocol client that lives on the host but is not a transport (MLD, IGMP, a DHCP client): it has timers
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
        // By index, without a copy (this runs on every timer tick): a client its timer adds is reached in this
        // pass, and one removed is not run.
        for (int i = 0; i < _clients.Count; i++)
        {
            var c = _clients[i];
            if (c.NextDeadline <= now) c.OnTimer(now);
        }
    }
}
