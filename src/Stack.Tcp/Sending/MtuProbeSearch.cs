using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>Linux's tcp_mtu_probing sysctl: when packetization-layer path MTU discovery (RFC 4821) runs.</summary>
public enum MtuProbing
{
    /// <summary>Never (Linux 0, the default).</summary>
    Off = 0,

    /// <summary>Only once a black hole is suspected: retransmission timeouts beyond tcp_retries1 (Linux 1).</summary>
    AfterBlackHole = 1,

    /// <summary>From the start of every connection (Linux 2).</summary>
    Always = 2,
}

/// <summary>
/// The search of RFC 4821 packetization-layer path MTU discovery, as Linux keeps it in icsk_mtup: a binary search
/// between an MTU known to work (<see cref="Low"/>) and one that may not (<see cref="High"/>), one probe at a time.
/// Sizes are MTUs (whole IP packets); the connection converts them to and from its MSS. Sans-I/O: the connection
/// decides when a probe may leave and reports what became of it.
/// </summary>
public struct MtuProbeSearch
{
    /// <summary>Probing runs (Linux icsk_mtup.enabled).</summary>
    public bool Enabled { get; private set; }

    /// <summary>The largest MTU known to get through (search_low).</summary>
    public int Low { get; private set; }

    /// <summary>The smallest MTU not yet known to fail (search_high).</summary>
    public int High { get; private set; }

    /// <summary>The MTU of the probe in flight, or 0 when none is (probe_size).</summary>
    public int ProbeSize { get; private set; }

    /// <summary>When the current search began (probe_timestamp): a new one starts an interval later.</summary>
    public Instant Started { get; private set; }

    /// <summary>The sequence space of the probe in flight (Linux tp->mtu_probe).</summary>
    public SeqNum ProbeStart { get; private set; }

    /// <inheritdoc cref="ProbeStart"/>
    public SeqNum ProbeEnd { get; private set; }

    /// <summary>The probe's MTU: the middle of the range (Linux tcp_mtu_probe).</summary>
    public readonly int NextProbe => (High + Low) >> 1;

    /// <summary>Linux tcp_mtup_init: a new search over [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public void Init(bool enabled, int high, int low, Instant now)
    {
        Enabled = enabled;
        High = high;
        Low = low;
        ProbeSize = 0;
        if (enabled)
        {
            Started = now;
        }
    }

    /// <summary>Linux tcp_sync_mss: the path MTU fell to <paramref name="pathMtu"/>; no probe above it can succeed.</summary>
    public void CapHigh(int pathMtu) => High = Math.Min(High, pathMtu);

    /// <summary>A probe of <paramref name="mtu"/> left, covering [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void ProbeSent(int mtu, SeqNum start, SeqNum end)
    {
        ProbeSize = mtu;
        ProbeStart = start;
        ProbeEnd = end;
    }

    /// <summary>Linux tcp_mtup_probe_success: the probe arrived, its size works.</summary>
    public void ProbeSucceeded()
    {
        Low = ProbeSize;
        ProbeSize = 0;
    }

    /// <summary>Linux tcp_mtup_probe_failed: the probe was lost, the path takes less.</summary>
    public void ProbeFailed()
    {
        High = ProbeSize - 1;
        ProbeSize = 0;
    }

    /// <summary>Linux tcp_mtu_check_reprobe: has <paramref name="interval"/> passed since the search began?</summary>
    public readonly bool ReprobeDue(TimeSpan interval, Instant now) => now - Started >= interval;

    /// <summary>
    /// Linux tcp_mtu_probing (on a timeout that suggests a black hole): the first turns probing on; later ones
    /// lower the search's floor to <paramref name="low"/>.
    /// </summary>
    public void OnBlackHole(int low, Instant now)
    {
        if (!Enabled)
        {
            Enabled = true;
            Started = now;
        }
        else
        {
            Low = low;
        }
    }
}
