using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

public sealed class MemoryHubTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly MacAddress Mac0 = new(0x02_00_00_00_00_10);
    private static readonly MacAddress Mac1 = new(0x02_00_00_00_00_11);
    private static readonly MacAddress Mac2 = new(0x02_00_00_00_00_12);
    private static readonly MacAddress Nobody = new(0x02_00_00_00_00_99);
    private static readonly MacAddress AllNodesV6 = new(0x33_33_00_00_00_01);
    private static readonly MacAddress MarkerMac = new(0x02_00_00_00_00_FF);

    private readonly MemoryHub _hub = new();
    private readonly MemoryPort[] _ports;
    private readonly FrameRecorder[] _rx;
    private readonly MemoryPort _marker;

    public MemoryHubTests()
    {
        _ports = [_hub.CreatePort(), _hub.CreatePort(), _hub.CreatePort()];
        _rx = [new(), new(), new()];
        for (var i = 0; i < 3; i++) _ports[i].Start(_rx[i]);
        _marker = _hub.CreatePort();
    }

    public void Dispose()
    {
        foreach (var p in _ports) p.Dispose();
        _marker.Dispose();
    }

    private static byte[] Frame(MacAddress to, MacAddress from, byte tag)
    {
        var f = new byte[60];
        to.Write(f);
        from.Write(f.AsSpan(6));
        f[12] = 0x88;
        f[13] = 0xB5; // local experimental EtherType
        f[14] = tag;
        return f;
    }

    /// <summary>A broadcast from a fourth port, so that it reaches ports 0, 1 and 2.</summary>
    private void SendMarker() => _marker.Transmit(Frame(MacAddress.Broadcast, MarkerMac, 0xFF));

    /// <summary>Frames queue in order, so once the marker is in, any earlier frame for that port is too.</summary>
    private byte[] TagsAt(int port)
    {
        Assert.NotNull(_rx[port].WaitFor(f => f[14] == 0xFF, Wait));
        return [.. _rx[port].Frames.Select(f => f[14]).TakeWhile(t => t != 0xFF)];
    }

    [Fact]
    public void Broadcast_goes_to_every_other_port_but_not_back()
    {
        _ports[0].Transmit(Frame(MacAddress.Broadcast, Mac0, 1));
        SendMarker();

        Assert.Equal([1], TagsAt(1));
        Assert.Equal([1], TagsAt(2));
        Assert.Equal([], TagsAt(0));
        Assert.Equal("hub:0", _ports[0].Name);
    }

    [Fact]
    public void Unknown_unicast_and_multicast_flood_known_unicast_goes_to_one_port()
    {
        _ports[0].Transmit(Frame(Nobody, Mac0, 1));          // unknown: flood
        _ports[1].Transmit(Frame(AllNodesV6, Mac1, 2));      // multicast: flood (and port 1 is learnt)
        _ports[0].Transmit(Frame(Mac1, Mac0, 3));            // known: port 1 only
        SendMarker();

        Assert.Equal([2], TagsAt(0));
        Assert.Equal([1, 3], TagsAt(1));
        Assert.Equal([1, 2], TagsAt(2));
        Assert.Same(_ports[0], _hub.PortOf(Mac0));
        Assert.Same(_ports[1], _hub.PortOf(Mac1));
        Assert.Equal(1, _hub.FramesForwarded);
        Assert.Equal(3, _hub.FramesFlooded); // the unknown, the multicast and the marker
    }

    [Fact]
    public void A_mac_that_moves_is_relearnt_on_its_new_port()
    {
        _ports[1].Transmit(Frame(MacAddress.Broadcast, Mac1, 1));
        _ports[2].Transmit(Frame(MacAddress.Broadcast, Mac1, 2)); // Mac1 now behind port 2
        _ports[0].Transmit(Frame(Mac1, Mac0, 3));
        SendMarker();

        Assert.Equal([2], TagsAt(1));
        Assert.Equal([1, 3], TagsAt(2));
    }

    [Fact]
    public void A_frame_for_a_mac_behind_its_own_port_is_filtered()
    {
        _ports[1].Transmit(Frame(MacAddress.Broadcast, Mac1, 1));
        _ports[1].Transmit(Frame(Mac1, Mac0, 2)); // Mac1 lives on port 1: a switch does not send it back
        SendMarker();

        Assert.Equal([], TagsAt(1));
        Assert.Equal(1, _hub.FramesFiltered);
    }

    [Fact]
    public void A_runt_is_dropped_and_counted()
    {
        _ports[0].Transmit(new byte[13]);
        Assert.Equal(1, _hub.Runts);
    }

    [Fact]
    public void A_disposed_port_is_forgotten()
    {
        _ports[2].Transmit(Frame(MacAddress.Broadcast, Mac2, 1));
        _ports[2].Dispose();
        Assert.Null(_hub.PortOf(Mac2));
        _ports[0].Transmit(Frame(Mac2, Mac0, 2)); // unknown again: floods to port 1
        SendMarker();
        Assert.Equal([1, 2], TagsAt(1));
    }
}
