namespace Stack.IP.Autoconf;

/// <summary>How the stack forms the interface identifier of a SLAAC address.</summary>
public enum InterfaceIdMode
{
    /// <summary>
    /// RFC 7217 stable, semantically opaque identifiers: a hash of the prefix, the MAC, a DAD counter and a secret.
    /// Stable on one network, different on each, and they do not reveal the MAC (RFC 8064 recommends them).
    /// Linux's addr_gen_mode 2 (stable_privacy), or 3 (random) when no secret is given.
    /// </summary>
    StablePrivacy,

    /// <summary>RFC 4291 §2.5.1 modified EUI-64 from the MAC, as the link-local address (Linux's addr_gen_mode 0).</summary>
    Eui64,
}

/// <summary>
/// IPv6 autoconfiguration of one interface: router solicitation, router advertisements (RFC 4861 §6.3), SLAAC
/// (RFC 4862) and RDNSS (RFC 8106). The defaults are RFC 4861 §10's constants with Linux's choices where they
/// differ; the caps bound what a flood of advertisements can make the host keep.
/// </summary>
public sealed record AutoconfOptions
{
    /// <summary>How interface identifiers are formed; see <see cref="InterfaceIdMode"/>.</summary>
    public InterfaceIdMode InterfaceIds { get; init; } = InterfaceIdMode.StablePrivacy;

    /// <summary>
    /// RFC 7217's secret_key (at least 16 bytes). Keep it to keep the same addresses across restarts; when not
    /// given, one is drawn at start (from the seeded generator in tests), and addresses change with each run.
    /// </summary>
    public byte[]? StableSecret { get; init; }

    /// <summary>RFC 4861 §10 MAX_RTR_SOLICITATION_DELAY: the random delay before the first solicitation (and DAD).</summary>
    public TimeSpan RouterSolicitationDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>RFC 4861 §10 RTR_SOLICITATION_INTERVAL: the first retransmission interval.</summary>
    public TimeSpan RouterSolicitationInterval { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>RFC 7559 §2 MAX_RTR_SOLICITATION_INTERVAL (Linux rtr_solicit_max_interval): where backoff stops.</summary>
    public TimeSpan MaxRouterSolicitationInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Solicitations sent before giving up; null sends on with backoff until an advertisement arrives, as Linux does
    /// (rtr_solicits = -1, RFC 7559). RFC 4861 §10's MAX_RTR_SOLICITATIONS is 3.
    /// </summary>
    public int? MaxRouterSolicitations { get; init; }

    /// <summary>RFC 4862 §5.1 DupAddrDetectTransmits: solicitations per DAD; 0 assigns addresses without DAD.</summary>
    public int DupAddrDetectTransmits { get; init; } = 1;

    /// <summary>RFC 7217 §6 IDGEN_RETRIES: new identifiers tried after a duplicate (stable-privacy mode only).</summary>
    public int IdgenRetries { get; init; } = 3;

    /// <summary>Default routers kept (NetBSD/FreeBSD net.inet6.ip6.maxifdefrouters); more are ignored.</summary>
    public int MaxRouters { get; init; } = 16;

    /// <summary>On-link prefixes kept (NetBSD/FreeBSD net.inet6.ip6.maxifprefixes); more are ignored.</summary>
    public int MaxPrefixes { get; init; } = 16;

    /// <summary>SLAAC addresses kept, tentative ones included (Linux max_addresses); more are not formed.</summary>
    public int MaxAddresses { get; init; } = 16;

    /// <summary>
    /// RDNSS servers kept (RFC 8106 §5.3.1 MaxRDNSS; 3, as glibc's MAXNS); a new one replaces the one that
    /// would expire first.
    /// </summary>
    public int MaxDnsServers { get; init; } = 3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that cannot work.</summary>
    public void Validate()
    {
        if (StableSecret is { Length: < 16 }) throw new ArgumentException("the stable secret needs at least 16 bytes", nameof(StableSecret));
        if (MaxRouters < 1 || MaxPrefixes < 1 || MaxAddresses < 1 || MaxDnsServers < 1)
            throw new ArgumentException("the list caps must be at least 1");
        if (DupAddrDetectTransmits < 0 || IdgenRetries < 0 || MaxRouterSolicitations < 0)
            throw new ArgumentException("counts cannot be negative");
    }
}
