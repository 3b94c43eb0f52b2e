using Stack.Link.Wire;

namespace Stack.Link.Devices.Memory;

/// <summary>
/// An in-memory learning switch. It learns which port each unicast source MAC lives behind and forwards frames for
/// a known MAC to that port only; frames for unknown, broadcast or multicast destinations go to every other port.
/// Entries never age out; a MAC that shows up on another port moves there.
/// </summary>
public sealed class MemoryHub : IMemoryWire
{
    private readonly object _lock = new();
    private readonly List<MemoryPort> _ports = [];
    private readonly Dictionary<MacAddress, MemoryPort> _table = [];
    private readonly int _mtu;
    private readonly int _queueCapacity;
    private int _created;
    private long _forwarded, _flooded, _filtered, _runts;

    public MemoryHub(int mtu = 1500, int queueCapacity = MemoryLink.DefaultQueueCapacity)
    {
        _mtu = mtu;
        _queueCapacity = queueCapacity;
    }

    /// <summary>Frames sent to the one port their destination was learnt on.</summary>
    public long FramesForwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Frames copied to every other port (unknown, broadcast or multicast destination).</summary>
    public long FramesFlooded => Interlocked.Read(ref _flooded);

    /// <summary>Frames dropped because their destination lives behind the port they came in on.</summary>
    public long FramesFiltered => Interlocked.Read(ref _filtered);

    /// <summary>Frames too short to hold an Ethernet header, dropped.</summary>
    public long Runts => Interlocked.Read(ref _runts);

    /// <summary>A new port, named "hub:0", "hub:1"…, that receives the frames the switch sends it.</summary>
    public MemoryPort CreatePort()
    {
        lock (_lock)
        {
            var port = new MemoryPort($"hub:{_created++}", _mtu, _queueCapacity, this);
            _ports.Add(port);
            return port;
        }
    }

    /// <summary>The port a MAC was learnt on, if any.</summary>
    public MemoryPort? PortOf(MacAddress mac)
    {
        lock (_lock) return _table.GetValueOrDefault(mac);
    }

    void IMemoryWire.Carry(MemoryPort from, ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetFrame.HeaderLength)
        {
            Interlocked.Increment(ref _runts);
            return;
        }
        var destination = MacAddress.Read(frame);
        var source = MacAddress.Read(frame[MacAddress.Length..]);
        // Deliver only copies into the port's queue, so holding the lock never runs a sink.
        lock (_lock)
        {
            if (!source.IsMulticast) _table[source] = from;
            if (!destination.IsMulticast && _table.TryGetValue(destination, out var to))
            {
                if (to == from)
                {
                    _filtered++;
                    return;
                }
                to.Deliver(frame);
                _forwarded++;
                return;
            }
            foreach (var port in _ports)
            {
                if (port != from) port.Deliver(frame);
            }
            _flooded++;
        }
    }

    void IMemoryWire.Detach(MemoryPort port)
    {
        lock (_lock)
        {
            _ports.Remove(port);
            foreach (var mac in _table.Where(e => e.Value == port).Select(e => e.Key).ToList()) _table.Remove(mac);
        }
    }
}
