using System.Buffers.Binary;
using PacketDotNet;

namespace Stack.Tests.Plots;

/// <summary>
/// The test's own reading of a little-endian microsecond pcap (as PcapWriter writes it), with PacketDotNet for
/// the headers: an independent count to hold the plot's marks against.
/// </summary>
internal static class PcapRecords
{
    public static IEnumerable<(long Micros, byte[] Frame)> Read(byte[] pcap)
    {
        int at = 24;
        while (at + 16 <= pcap.Length)
        {
            long micros = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at)) * 1_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 4));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 8));
            if (at + 16 + length > pcap.Length) yield break;
            yield return (micros, pcap.AsSpan(at + 16, length).ToArray());
            at += 16 + length;
        }
    }

    /// <summary>The TCP segments from <paramref name="sourcePort"/> to <paramref name="destinationPort"/> in capture order.</summary>
    public static List<TcpPacket> Segments(byte[] pcap, ushort? sourcePort, ushort? destinationPort)
    {
        var list = new List<TcpPacket>();
        foreach (var (_, frame) in Read(pcap))
        {
            if (Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<TcpPacket>() is { } tcp
                && (sourcePort is null || tcp.SourcePort == sourcePort) && (destinationPort is null || tcp.DestinationPort == destinationPort))
            {
                list.Add(tcp);
            }
        }
        return list;
    }

    /// <summary>Whether the segment's options (read from its header bytes) hold a SACK option (kind 5).</summary>
    public static bool HasSack(TcpPacket tcp)
    {
        var header = tcp.HeaderData;
        for (int i = 20; i < header.Length;)
        {
            byte kind = header[i];
            if (kind == 0) break;
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (kind == 5) return true;
            if (i + 1 >= header.Length || header[i + 1] < 2) break;
            i += header[i + 1];
        }
        return false;
    }

    /// <summary>
    /// Retransmitted data segments, counted as "its first byte was already in an earlier data segment" (the plot
    /// counts "it starts below the highest byte sent so far": the same thing said another way).
    /// </summary>
    public static int Retransmissions(List<TcpPacket> data)
    {
        var sent = new List<(uint Start, uint End)>();
        int count = 0;
        foreach (var s in data)
        {
            uint start = s.SequenceNumber;
            if (sent.Any(r => unchecked(start - r.Start) < unchecked(r.End - r.Start))) count++;
            sent.Add((start, unchecked(start + (uint)s.PayloadData.Length)));
        }
        return count;
    }
}
