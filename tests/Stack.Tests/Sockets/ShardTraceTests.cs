using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tcp.Ports;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>A multi-queue stack's pcap trace (<see cref="StackOptions.PcapFile"/>): one file with every shard's frames.</summary>
public sealed class ShardTraceTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"stack-shards-{Guid.NewGuid():N}.pcap");

    [Fact]
    public async Task Both_shards_frames_go_into_one_trace_in_time_order()
    {
        var clock = new WatchedClock();
        var link = new SteeredLink(queues: 2);
        int[] ports = new int[2];
        using (var shards = StackShards.Start(new StackOptions
        {
            Link = StackLink.Queues(link.Queues),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
            Mac = new MacAddress(0x0200_0000_0002UL),
            Time = clock,
            PcapFile = _path,
        }, queues: 2))
        using (var peer = StackInstance.Start("peer", link, new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0001UL),
            Addresses = [InterfaceAddress.Parse("192.0.2.1/24")],
        }, clock))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var server = StackSocket.Create(peer, AddressFamily.InterNetwork, SocketType.Dgram);
            server.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 7000));
            var buffer = new byte[10];
            for (int k = 0; k < 2; k++)
            {
                link.Queue = k; // the answer to shard k's ARP request comes back on its queue
                using var client = StackSocket.Create(shards.Shards[k], AddressFamily.InterNetwork, SocketType.Dgram);
                await client.SendToAsync(new byte[] { (byte)k }, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 7000), timeout.Token);
                await server.ReceiveFromAsync(buffer, timeout.Token);
                ports[k] = ((IPEndPoint)client.LocalEndPoint!).Port;
                clock.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        var frames = Read(File.ReadAllBytes(_path));
        // Shard k's datagram, from its slice of the ports, is in the trace: sent through queue k's traced device.
        var udpSources = frames.Where(f => f.Frame.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.Frame.AsSpan(12)) == 0x0800 && f.Frame[23] == 17)
            .Select(f => (int)BinaryPrimitives.ReadUInt16BigEndian(f.Frame.AsSpan(34))).ToList();
        Assert.Equal(ports, udpSources);
        for (int k = 0; k < 2; k++)
        {
            var (first, last) = EphemeralPorts.Slice(k, 2);
            Assert.InRange(ports[k], first, last);
        }
        // Two ARP requests, two replies (one per queue), two datagrams at least; stamps never go back.
        Assert.True(frames.Count >= 6, $"{frames.Count} frames");
        Assert.Equal(frames.Select(f => f.Micros).Order(), frames.Select(f => f.Micros));
    }

    /// <summary>The records of a classic pcap file (little-endian, microseconds, as PcapWriter writes it).</summary>
    private static List<(long Micros, byte[] Frame)> Read(byte[] pcap)
    {
        var frames = new List<(long, byte[])>();
        for (int at = 24; at + 16 <= pcap.Length;)
        {
            long micros = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at)) * 1_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 4));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 8));
            frames.Add((micros, pcap.AsSpan(at + 16, length).ToArray()));
            at += 16 + length;
        }
        return frames;
    }

    public void Dispose() => File.Delete(_path);
}
