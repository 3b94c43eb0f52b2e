using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Apps.Plots;

/// <summary>A TCP segment seen in a capture: when (µs since 1970), between which ends, and its header fields.</summary>
internal sealed record CapturedSegment(long Microseconds, TcpEndPoint Source, TcpEndPoint Destination, uint Seq, uint Ack,
    TcpFlags Flags, ushort Window, int PayloadLength, TcpOptions Options)
{
    public bool Has(TcpFlags flag) => (Flags & flag) != 0;

    /// <summary>RFC 9293 §3.3.1 SEG.LEN: payload plus one for SYN and one for FIN.</summary>
    public int SequenceLength => PayloadLength + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);
}
