using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Stack.Sockets;
using Stack.Sockets.Diagnostics;
using Stack.Sockets.Hosting;
using Stack.Tests.Sockets;

namespace Stack.Tests.Diagnostics;

/// <summary>The meter of each stack instance, read in-process through a <see cref="MeterListener"/> as a collector would.</summary>
public sealed class StackMetricsTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>One collection of <paramref name="stack"/>'s observable instruments: (instrument, tags) to value.</summary>
    private static Dictionary<string, long> Collect(StackInstance stack)
    {
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == stack.Metrics!.Meter) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name + string.Concat(tags.ToArray().OrderBy(t => t.Key).Select(t => $" {t.Key}={t.Value}"));
            values[key] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Fact]
    public void The_meter_is_named_Stack_and_tagged_with_the_instance()
    {
        var meter = StackA.Metrics!.Meter;
        Assert.Equal(StackMetrics.MeterName, meter.Name);
        Assert.Equal("Stack", meter.Name);
        Assert.Contains(meter.Tags!, t => t.Key == "stack.name" && (string?)t.Value == "a");
    }

    [Fact]
    public async Task The_byte_counters_match_a_transfer_and_connections_show_by_state()
    {
        const int Total = 1 << 20;
        var before = Collect(StackB);
        using var listener = StackSocket.Create(StackB, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7100));
        listener.Listen(4);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7100)).AsTask().WaitAsync(Patience);
        using var server = await accepting.AsTask().WaitAsync(Patience);
        Assert.Equal(1, Collect(StackB)["stack.tcp.connections tcp.state=established"]);
        Assert.Equal(0, Collect(StackB)["stack.tcp.connections tcp.state=time-wait"]);

        var data = new byte[Total];
        new Random(3).NextBytes(data);
        var sending = Task.Run(async () =>
        {
            for (int i = 0; i < Total; i += 50_000) await client.SendAsync(data.AsMemory(i, Math.Min(50_000, Total - i)));
            client.Shutdown(SocketShutdown.Send);
        });
        long received = 0;
        var buffer = new byte[65536];
        int n;
        while ((n = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Patience)) > 0) received += n;
        await sending.WaitAsync(Patience);
        Assert.Equal(Total, received);

        var b = Collect(StackB);
        var a = Collect(StackA);
        Assert.Equal(Total, b["stack.tcp.bytes network.io.direction=receive"] - before.GetValueOrDefault("stack.tcp.bytes network.io.direction=receive"));
        Assert.Equal(0, b["stack.tcp.bytes network.io.direction=transmit"]);
        Assert.Equal(0, a["stack.tcp.retransmissions"]);
        Assert.Equal(Total, a["stack.tcp.bytes network.io.direction=transmit"]);
        // B has the client's FIN and has not closed: CLOSE-WAIT. A has sent it: FIN-WAIT-1, or FIN-WAIT-2 once B's
        // ACK of it (on its way from B's loop to A's) has arrived.
        Assert.Equal(1, b["stack.tcp.connections tcp.state=close-wait"]);
        Assert.Equal(0, b["stack.tcp.connections tcp.state=established"]);
        Assert.Equal(1, a["stack.tcp.connections tcp.state=fin-wait-1"] + a["stack.tcp.connections tcp.state=fin-wait-2"]);
        Assert.Equal(0, a["stack.tcp.connections tcp.state=established"]);
        Assert.True(b["stack.tcp.segments network.io.direction=receive"] >= Total / 1460);
        Assert.Equal(b["stack.tcp.segments network.io.direction=receive"], b["stack.ip.packets network.io.direction=receive network.type=ipv4"] - before.GetValueOrDefault("stack.ip.packets network.io.direction=receive network.type=ipv4"));
    }

    [Fact]
    public async Task A_rejection_shows_with_its_layer_and_reason()
    {
        Assert.DoesNotContain(Collect(StackB).Keys, k => k.StartsWith("stack.rejections", StringComparison.Ordinal) && k.Contains("layer=udp"));
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        await socket.SendToAsync("x"u8.ToArray(), new IPEndPoint(B(false), 9999)).AsTask().WaitAsync(Patience);
        // The port unreachable B answers with comes back to A: then B has counted the datagram.
        var deadline = DateTime.UtcNow + Patience;
        while (StackA.Host.Statistics.Icmpv4.In(3) == 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        var b = Collect(StackB);
        Assert.Equal(1, b["stack.rejections layer=udp reason=no_listener"]);
        Assert.Equal(0, b["stack.udp.datagrams network.io.direction=receive"]);
        Assert.Equal(1, Collect(StackA)["stack.udp.datagrams network.io.direction=transmit"]);
    }
}
