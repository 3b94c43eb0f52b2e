namespace Stack.Tcp.FastOpen;

/// <summary>What Fast Open (RFC 7413) the stack does, with the bits of Linux's <c>tcp_fastopen</c> sysctl.</summary>
[Flags]
public enum FastOpenModes
{
    None = 0,

    /// <summary>Clients may send data in their SYN (MSG_FASTOPEN, TCP_FASTOPEN_CONNECT). Linux's default.</summary>
    Client = 0x1,

    /// <summary>Listeners may take data from a SYN, those with a Fast Open queue (TCP_FASTOPEN) or all of them.</summary>
    Server = 0x2,

    /// <summary>A client sends data in its SYN without a cookie.</summary>
    ClientWithoutCookie = 0x4,

    /// <summary>A listener takes the data of a SYN without a cookie (a closed network only: RFC 7413 §7.2 warns).</summary>
    ServerWithoutCookie = 0x200,

    /// <summary>Every listener does Fast Open, with its backlog as its queue, without TCP_FASTOPEN.</summary>
    ServerOnEveryListener = 0x400,
}
