namespace Stack.Tcp.FastOpen;

/// <summary>
/// A stack's Fast Open settings (RFC 7413), Linux's <c>tcp_fastopen</c> and <c>tcp_fastopen_key</c> sysctls: the
/// modes, and the server key with an optional backup. Cookies made with the backup still count, so a key can be
/// rotated without failing the clients that hold the old one (Linux accepts both and hands out the primary's).
/// </summary>
public sealed class TcpFastOpen
{
    /// <summary>Linux's default: clients only.</summary>
    public FastOpenModes Modes { get; set; } = FastOpenModes.Client;

    public FastOpenKey Key { get; set; } = FastOpenKey.Random();

    public FastOpenKey? BackupKey { get; set; }

    public bool ServerEnabled => (Modes & FastOpenModes.Server) != 0;

    /// <summary>The Fast Open queue a new listener gets without TCP_FASTOPEN: its backlog when every listener does Fast Open, else none.</summary>
    public int DefaultQueueLength(int backlog) =>
        ServerEnabled && (Modes & FastOpenModes.ServerOnEveryListener) != 0 ? backlog : 0;
}
