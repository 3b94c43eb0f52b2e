using Stack.IP.Routing;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

// Stateless address autoconfiguration (RFC 4862 §5.5.3 and §5.5.4): an address per /64 prefix with the A flag,
// tentative until DAD passes, preferred until its preferred lifetime ends, deprecated until its valid lifetime ends,
// then removed. SLAAC addresses bring no on-link prefix of their own (RFC 5942 §4): the L flag does that.
public sealed partial class Ipv6Autoconf
{
    /// <summary>RFC 4862 §5.5.3(d): a prefix and an interface identifier together make 128 bits.</summary>
    private const int SlaacPrefixLength = 64;

    private void OnAutonomousPrefix(Ipv6Address prefix, int length, uint validSeconds, uint preferredSeconds, Instant now)
    {
        if (length != SlaacPrefixLength)
        {
            Reject(RejectReason.BadField); // §5.5.3(d): ignored, and worth a log line
            return;
        }
        var formed = FindByPrefix(prefix);
        if (formed is null)
        {
            if (validSeconds == 0) return;
            if (_formed.Count >= Options.MaxAddresses)
            {
                Statistics.AddressesNotFormed++;
                return;
            }
            Form(prefix, 0, Lifetime.Expiry(now, preferredSeconds), Lifetime.Expiry(now, validSeconds), now);
            return;
        }
        formed.PreferredUntil = Lifetime.Expiry(now, preferredSeconds);
        if (formed.State == SlaacState.Deprecated && formed.PreferredUntil > now)
        {
            formed.State = SlaacState.Preferred; // §5.5.4: a new preferred lifetime makes it preferred again
            Raise(AutoconfChangeKind.AddressAssigned, formed.Address, now);
        }
        formed.ValidUntil = NewValidUntil(formed.ValidUntil, validSeconds, now);
    }

    /// <summary>
    /// RFC 4862 §5.5.3(e), the two-hour rule: an unauthenticated advertisement may lengthen a valid lifetime, or
    /// set it to anything over two hours, but may cut it to no less than two hours, so that a forged advertisement
    /// cannot take an address away at once.
    /// </summary>
    private Instant NewValidUntil(Instant current, uint validSeconds, Instant now)
    {
        var received = Lifetime.Expiry(now, validSeconds);
        if (validSeconds == Lifetime.Infinite || TimeSpan.FromSeconds(validSeconds) > Lifetime.TwoHours || received > current)
            return received;
        Statistics.ValidLifetimesHeld++;
        return current <= now + Lifetime.TwoHours ? current : now + Lifetime.TwoHours;
    }

    private Formed? FindByPrefix(Ipv6Address prefix)
    {
        foreach (var f in _formed)
            if (f.Prefix == prefix) return f;
        return null;
    }

    /// <summary>Forms the address for <paramref name="prefix"/> with DAD counter <paramref name="dadCounter"/> and starts DAD.</summary>
    private void Form(Ipv6Address prefix, int dadCounter, Instant preferredUntil, Instant validUntil, Instant now)
    {
        ulong id = Options.InterfaceIds == InterfaceIdMode.Eui64
            ? InterfaceIdentifier.Eui64(_host.Mac)
            : InterfaceIdentifier.StablePrivacy(prefix, _host.Mac, ref dadCounter, _secret);
        var address = new Ipv6Address(prefix.Value | id);
        if (_host.IsLocal(address)) return; // configured already, by hand
        var formed = new Formed(address, prefix)
        {
            PreferredUntil = preferredUntil,
            ValidUntil = validUntil,
            DadCounter = dadCounter,
            // Linux delays each DAD by up to rtr_solicit_delay (RFC 4862 §5.4.2 asks it of the first message only).
            DadAt = now + RandomDelay(Options.RouterSolicitationDelay),
        };
        _formed.Add(formed);
        Raise(AutoconfChangeKind.AddressTentative, address, now);
    }

    /// <summary>DAD steps, deprecation and removal, for every address whose time has come.</summary>
    private void OnAddressTimers(Instant now)
    {
        for (int i = _formed.Count - 1; i >= 0; i--)
        {
            var f = _formed[i];
            if (f.ValidUntil <= now)
            {
                Remove(f, now);
                continue;
            }
            if (f.State == SlaacState.Tentative)
            {
                if (f.DadAt <= now) OnDadTimer(f, now);
            }
            else if (f.State == SlaacState.Preferred && f.PreferredUntil <= now)
            {
                f.State = SlaacState.Deprecated;
                Raise(AutoconfChangeKind.AddressDeprecated, f.Address, now);
            }
        }
    }

    private void Assign(Formed f, Instant now)
    {
        f.State = SlaacState.Preferred;
        f.DadAt = Instant.Never;
        _host.AddAddress(new InterfaceAddress(f.Address, SlaacPrefixLength), now, onLink: false);
        Statistics.AddressesAssigned++;
        Raise(AutoconfChangeKind.AddressAssigned, f.Address, now);
        if (f.PreferredUntil <= now)
        {
            f.State = SlaacState.Deprecated;
            Raise(AutoconfChangeKind.AddressDeprecated, f.Address, now);
        }
    }

    /// <summary>§5.5.4: at the end of its valid lifetime an address goes (the transports hear of it from the host).</summary>
    private void Remove(Formed f, Instant now)
    {
        _formed.Remove(f);
        if (f.State != SlaacState.Tentative)
        {
            _host.RemoveAddress(f.Address, now);
            Statistics.AddressesRemoved++;
        }
        Raise(AutoconfChangeKind.AddressRemoved, f.Address, now);
    }

    private sealed class Formed(Ipv6Address address, Ipv6Address prefix)
    {
        public Ipv6Address Address { get; } = address;
        public Ipv6Address Prefix { get; } = prefix;
        public SlaacState State { get; set; } = SlaacState.Tentative;
        public Instant PreferredUntil { get; set; }
        public Instant ValidUntil { get; set; }
        public int DadCounter { get; init; }
        public int DadSent { get; set; }
        public Instant DadAt { get; set; }

        public Instant NextEvent => State switch
        {
            SlaacState.Tentative => Instant.Min(DadAt, ValidUntil),
            SlaacState.Preferred => Instant.Min(PreferredUntil, ValidUntil),
            _ => ValidUntil,
        };
    }
}
