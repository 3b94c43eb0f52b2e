namespace Stack.Tcp.Wire;

/// <summary>The control bits in byte 13 of the TCP header (RFC 9293 §3.1; ECE and CWR from RFC 3168).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 1,
    Syn = 2,
    Rst = 4,
    Psh = 8,
    Ack = 16,
    Urg = 32,
    Ece = 64,
    Cwr = 128,
}
