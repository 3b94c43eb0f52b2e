namespace Stack.Tcp;

/// <summary>When a listener answers a SYN with a cookie instead of keeping state (Linux net.ipv4.tcp_syncookies).</summary>
public enum SynCookieMode
{
    /// <summary>Never: a full SYN queue drops SYNs (tcp_syncookies = 0).</summary>
    Off,

    /// <summary>When a listener's SYN queue, or the stack's half-open total, is full (tcp_syncookies = 1, Linux's default).</summary>
    WhenFull,

    /// <summary>For every SYN (tcp_syncookies = 2): no SYN-RECEIVED state at all.</summary>
    Always,
}
