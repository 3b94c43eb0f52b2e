using System.Runtime.InteropServices;
using Stack.IP;

namespace Stack.Tcp;

// bind() and listen() ask "is this port taken?" (Linux inet_csk_bind_conflict) of counts kept as connections and
// listeners come and go, not by walking them: a bind to port 0 tries random ports, and a walk of every connection
// for each try cost O(connections × tries). The counts are per local port (for a bind to the unspecified address)
// and per local address and port, as TIME-WAIT's records have theirs (TcpLayer.TimeWait.cs); they are bounded by
// the ports in use, not by the connections (a server's are all on its listening port).
//
// Where the counts change: a connection enters the 4-tuple table (Connect, CreatePassive: AddConnection) and leaves
// it (CLOSED, the hand-off to a TIME-WAIT record, a ConnectionCreated handler that threw: RemoveConnection,
// Untable); a connection in the table enters TIME-WAIT (TcpConnection.SetState: OnTimeWaitEntered), after which
// SO_REUSEADDR binds beside it. Nothing else a conflict depends on changes while a connection is in the table:
// its tuple and TcpConfig.ReuseAddress are set by Open, which only a connection out of the table (new or pooled)
// goes through. Listeners: Listen and RemoveListener.
public sealed partial class TcpLayer
{
    private readonly Dictionary<ushort, PortHolders> _livePorts = [];
    private readonly Dictionary<TcpEndPoint, PortHolders> _liveEndPoints = [];

    // Listeners per port and family, keyed by the family's unspecified address: a bind to the unspecified address
    // conflicts with any listener of its family on the port.
    private readonly Dictionary<TcpEndPoint, int> _listenerPorts = [];

    /// <summary>
    /// Connections in the table on a port: all of them, and those that hold it even against SO_REUSEADDR
    /// (neither in TIME-WAIT nor with <see cref="TcpConfig.ReuseAddress"/> themselves).
    /// </summary>
    private record struct PortHolders(int All, int Exclusive);

    /// <summary>Puts <paramref name="c"/> in the 4-tuple table and counts it on its port.</summary>
    private void AddConnection(FourTuple tuple, TcpConnection c)
    {
        _connections.Add(tuple, c);
        c.HoldsPortExclusively = !(c.Config.ReuseAddress || c.State == TcpState.TimeWait);
        CountLive(c, +1);
    }

    /// <summary>Takes <paramref name="c"/>, which is in the table, out of it and off its port's counts.</summary>
    private void Untable(TcpConnection c)
    {
        _connections.Remove(c.Tuple);
        CountLive(c, -1);
        c.HoldsPortExclusively = false;
    }

    /// <summary>
    /// A connection went to TIME-WAIT: while it stays in the table (until its entry point settles and hands it to
    /// a record) SO_REUSEADDR binds beside it, as the walk this replaced let them.
    /// </summary>
    internal void OnTimeWaitEntered(TcpConnection c)
    {
        if (!c.HoldsPortExclusively)
        {
            return; // Not in the table, or counted as shared already.
        }
        Count(_livePorts, c.Tuple.LocalPort, 0, -1);
        Count(_liveEndPoints, new TcpEndPoint(c.Tuple.LocalAddress, c.Tuple.LocalPort), 0, -1);
        c.HoldsPortExclusively = false;
    }

    private void CountLive(TcpConnection c, int delta)
    {
        int exclusive = c.HoldsPortExclusively ? delta : 0;
        Count(_livePorts, c.Tuple.LocalPort, delta, exclusive);
        Count(_liveEndPoints, new TcpEndPoint(c.Tuple.LocalAddress, c.Tuple.LocalPort), delta, exclusive);
    }

    /// <summary>Adds to a key's counts in one look-up; a key no connection holds leaves the table.</summary>
    private static void Count<TKey>(Dictionary<TKey, PortHolders> counts, TKey key, int all, int exclusive) where TKey : notnull
    {
        ref var holders = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        holders = new PortHolders(holders.All + all, holders.Exclusive + exclusive);
        if (holders.All == 0)
        {
            counts.Remove(key);
        }
    }

    private void CountListener(TcpEndPoint local, int delta)
    {
        var key = new TcpEndPoint(Unspecified(local.Address), local.Port);
        ref int n = ref CollectionsMarshal.GetValueRefOrAddDefault(_listenerPorts, key, out _);
        n += delta;
        if (n == 0) _listenerPorts.Remove(key);
    }

    private static IpAddress Unspecified(IpAddress a) => a.IsIpv6 ? IpAddress.AnyV6 : IpAddress.AnyV4;

    /// <summary>Is there a listener, of either family, on <paramref name="port"/>? (Connect's ephemeral port search.)</summary>
    private bool ListenerOnPort(ushort port) =>
        _listenerPorts.ContainsKey(new TcpEndPoint(IpAddress.AnyV4, port)) || _listenerPorts.ContainsKey(new TcpEndPoint(IpAddress.AnyV6, port));

    /// <summary>
    /// bind() rules (Linux inet_csk_bind_conflict): a listener of the same family on the port whose address
    /// overlaps (the same, or either unspecified) is a conflict; so is a connection on the port and address (any
    /// address when <paramref name="local"/> is unspecified), unless SO_REUSEADDR is set on both sides or the
    /// connection is in TIME-WAIT and it is set here; a TIME-WAIT record holds its port against a bind without
    /// SO_REUSEADDR. Each an O(1) look-up.
    /// </summary>
    internal bool PortInUse(IpAddress local, ushort port, bool reuseAddress)
    {
        var any = new TcpEndPoint(Unspecified(local), port);
        if (local.IsUnspecified
                ? _listenerPorts.ContainsKey(any)
                : _listeners.ContainsKey(new TcpEndPoint(local, port)) || _listeners.ContainsKey(any))
        {
            return true;
        }
        var holders = local.IsUnspecified ? _livePorts.GetValueOrDefault(port) : _liveEndPoints.GetValueOrDefault(new TcpEndPoint(local, port));
        if (reuseAddress ? holders.Exclusive > 0 : holders.All > 0)
        {
            return true;
        }
        return !reuseAddress && TimeWaitHoldsPort(local, port);
    }
}
