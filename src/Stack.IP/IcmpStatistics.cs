namespace Stack.IP;

/// <summary>
/// ICMP or ICMPv6 messages in and out, by type, as Linux's /proc/net/snmp Icmp/IcmpMsg (and snmp6 Icmp6) count
/// them. Written only by the event loop; read by anyone (a torn read of a counter being incremented is harmless).
/// </summary>
public sealed class IcmpStatistics
{
    private readonly long[] _in = new long[256];
    private readonly long[] _out = new long[256];

    /// <summary>Messages received, malformed ones included (Linux counts InMsgs before the checksum check).</summary>
    public long InMessages;

    /// <summary>Messages received that were malformed: too short or a bad checksum (InErrors).</summary>
    public long InErrors;

    /// <summary>Messages received with a bad checksum (InCsumErrors; also counted in <see cref="InErrors"/>).</summary>
    public long InChecksumErrors;

    /// <summary>Messages handed to IP to send, of every type (OutMsgs).</summary>
    public long OutMessages;

    /// <summary>Well-formed messages of <paramref name="type"/> received (IcmpMsg InTypeN).</summary>
    public long In(byte type) => Volatile.Read(ref _in[type]);

    /// <summary>Messages of <paramref name="type"/> sent (IcmpMsg OutTypeN).</summary>
    public long Out(byte type) => Volatile.Read(ref _out[type]);

    internal void CountIn(byte type)
    {
        InMessages++;
        _in[type]++;
    }

    internal void CountMalformed(bool badChecksum)
    {
        InMessages++;
        InErrors++;
        if (badChecksum) InChecksumErrors++;
    }

    internal void CountOut(byte type)
    {
        OutMessages++;
        _out[type]++;
    }
}
