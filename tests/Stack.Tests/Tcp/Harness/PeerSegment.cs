using Stack.Tcp.Wire;

namespace Stack.Tests.Tcp.Harness;

/// <summary>
/// A segment from the harness's peer, with sequence and acknowledgment numbers relative to the peer's and our ISN
/// as packetdrill writes them. Start from a factory and change what the test is about with <c>with</c>:
/// <c>h.Inject(PeerSegment.PureAck(1, 1) with { Win = 0 })</c>.
/// </summary>
internal sealed record PeerSegment(TcpFlags Flags, uint Seq, uint Ack = 0)
{
    public ushort Win { get; init; } = 65535;
    public TcpOptions Options { get; init; }
    public byte[] Data { get; init; } = [];

    /// <summary>A SYN with the options of a SYN without timestamps (<c>&lt;mss 1460&gt;</c>).</summary>
    public static PeerSegment Syn(uint seq = 0) => new(TcpFlags.Syn, seq) { Options = new TcpOptions { Mss = 1460 } };

    public static PeerSegment SynAck(uint seq, uint ack) => Syn(seq) with { Flags = TcpFlags.Syn | TcpFlags.Ack, Ack = ack };

    public static PeerSegment PureAck(uint seq, uint ack) => new(TcpFlags.Ack, seq, ack);

    /// <summary>Data with PSH and ACK, as a write's last segment.</summary>
    public static PeerSegment Push(uint seq, uint ack, byte[] data) => new(TcpFlags.Psh | TcpFlags.Ack, seq, ack) { Data = data };

    public static PeerSegment Fin(uint seq, uint ack) => new(TcpFlags.Fin | TcpFlags.Ack, seq, ack);

    public static PeerSegment Rst(uint seq) => new(TcpFlags.Rst, seq);
}
