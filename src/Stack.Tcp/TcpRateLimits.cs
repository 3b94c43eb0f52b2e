namespace Stack.Tcp;

/// <summary>
/// How often a <see cref="TcpLayer"/> answers segments it will not take: RSTs to segments for no connection,
/// ACKs to invalid segments of a connection, and RFC 5961 challenge ACKs. One set per layer, as Linux's are
/// per network namespace. A record: <c>TcpRateLimits.Default with { ResetsPerSecond = null }</c>.
/// </summary>
/// <remarks>
/// A blind flood of forged segments would otherwise draw one reply each: bandwidth and CPU spent on an attacker,
/// replies reflected at a spoofed victim, and (for ACK loops between two confused ends) traffic without end.
/// The limits only thin the replies; every segment is still checked and counted.
/// </remarks>
public sealed record TcpRateLimits
{
    public static TcpRateLimits Default { get; } = new();

    /// <summary>
    /// RSTs per second in reply to segments that belong to no connection (closed ports, a bad ACK to a
    /// listener) or that a handshake refuses (a bad ACK in SYN-SENT or SYN-RECEIVED); null: no limit.
    /// Default 200, FreeBSD's net.inet.icmp.icmplim, which its badport_bandlim applies to these RSTs ("Limiting
    /// closed port RST response"). Linux does not limit them: we follow FreeBSD here. RSTs that end a connection
    /// of ours (abort, close with unread data, keep-alive failure) are never limited.
    /// </summary>
    public int? ResetsPerSecond { get; init; } = 200;

    /// <summary>RSTs that may go at once after a quiet spell, before <see cref="ResetsPerSecond"/> applies. Default 200 (one second's worth).</summary>
    public int ResetBurst { get; init; } = 200;

    /// <summary>
    /// Linux net.ipv4.tcp_invalid_ratelimit: per connection, after an ACK to an invalid segment (out of window,
    /// PAWS, TIME-WAIT, a repeated SYN in SYN-RECEIVED) or a challenge ACK, no other such reply for this long.
    /// Data segments without SYN are always acknowledged (Linux tcp_oow_rate_limited). Default 500 ms (HZ/2);
    /// zero: off.
    /// </summary>
    public TimeSpan InvalidInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Linux net.ipv4.tcp_challenge_ack_limit: challenge ACKs per second across every connection of the layer,
    /// the budget of each second drawn at random from [limit/2, limit·3/2) (Linux since CVE-2016-5696); null or
    /// <see cref="int.MaxValue"/>: no limit. Default null, as Linux since 6.0 (commit 79e3602caa6f, "per net-ns
    /// and default disabled"): a budget shared by all connections is a side channel that tells an off-path
    /// attacker when its guesses hit someone else's connection, and <see cref="InvalidInterval"/> already limits
    /// each connection. Linux 4.7 to 5.19 used 1000.
    /// </summary>
    public int? ChallengeAcksPerSecond { get; init; }

    internal void Validate()
    {
        if (ResetsPerSecond is int r)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(r, nameof(ResetsPerSecond));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ResetBurst);
        ArgumentOutOfRangeException.ThrowIfLessThan(InvalidInterval, TimeSpan.Zero);
        if (ChallengeAcksPerSecond is int c)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(c, nameof(ChallengeAcksPerSecond));
        }
    }
}
