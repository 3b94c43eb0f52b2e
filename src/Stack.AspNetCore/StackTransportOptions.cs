namespace Stack.AspNetCore;

/// <summary>How <see cref="StackTransportFactory"/> serves Kestrel: the listen backlog and the pipes' limits.</summary>
public sealed class StackTransportOptions
{
    /// <summary>Connections waiting for Kestrel to accept them (listen()'s backlog).</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Received bytes held for Kestrel before the transport stops reading from the connection (then the TCP
    /// receive window closes and the client waits): back-pressure. Kestrel's socket transport's default, 1 MiB.
    /// </summary>
    public long MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>Response bytes Kestrel may have queued before its writes wait for the connection. Kestrel's default, 64 KiB.</summary>
    public long MaxWriteBufferSize { get; set; } = 64 * 1024;
}
