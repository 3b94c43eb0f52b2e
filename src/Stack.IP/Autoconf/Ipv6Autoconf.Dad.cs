using Stack.IP.Diagnostics;
using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

// Duplicate address detection (RFC 4862 §5.4) for the addresses SLAAC forms: DupAddrDetectTransmits
// solicitations from the unspecified address, RetransTimer apart, and the address is assigned when none is
// answered. Meanwhile the host listens on the address's solicited-node group (IpHost.IsJoinedGroup asks
// IsTentativeGroup) but neither accepts packets for it nor uses it as a source: it is not in the host's list yet.
// Linux also sends RFC 7527's nonce option to recognise its own looped-back probes; the Ethernet layer here
// drops frames from our own MAC, which covers a bridge that reflects them.
public sealed partial class Ipv6Autoconf
{
    private void OnDadTimer(Formed f, Instant now)
    {
        if (f.DadSent < Options.DupAddrDetectTransmits)
        {
            SendDadProbe(f.Address);
            f.DadSent++;
            f.DadAt = now + _host.Ndp.Cache.Timings.RetransTimer;
            return;
        }
        Assign(f, now);
    }

    /// <summary>RFC 4862 §5.4.2: from ::, to the solicited-node group, without a source link-layer option.</summary>
    private void SendDadProbe(Ipv6Address target)
    {
        int length = NdpWriter.WriteNeighborSolicitation(_scratch, target, null);
        var message = _scratch.AsSpan(0, length);
        var group = target.SolicitedNodeMulticast;
        Icmpv6Message.FillChecksum(message, Ipv6Address.Unspecified, group);
        _host.SendToNeighbor(Ipv6Address.Unspecified, group, IpProtocol.Icmpv6, message, MacAddress.ForIpv6Multicast(group), NdHopLimit);
        Statistics.DadSolicitationsSent++;
    }

    /// <summary>True when <paramref name="group"/> is the solicited-node group of a tentative address.</summary>
    internal bool IsTentativeGroup(Ipv6Address group)
    {
        foreach (var f in _formed)
            if (f.State == SlaacState.Tentative && f.Address.SolicitedNodeMulticast == group) return true;
        return false;
    }

    /// <inheritdoc cref="IsTentativeGroup(Ipv6Address)"/>
    internal bool IsTentativeGroup(MacAddress group)
    {
        foreach (var f in _formed)
            if (f.State == SlaacState.Tentative && MacAddress.ForIpv6Multicast(f.Address.SolicitedNodeMulticast) == group) return true;
        return false;
    }

    /// <summary>
    /// A solicitation from :: (another node's DAD, §5.4.3) or any advertisement (§5.4.4) for
    /// <paramref name="target"/>: when it is tentative here, it is a duplicate and is given up (§5.4.5). In
    /// stable-privacy mode a new identifier is tried (RFC 7217 §6), up to <see cref="AutoconfOptions.IdgenRetries"/>
    /// times. False when <paramref name="target"/> is not tentative here.
    /// </summary>
    internal bool OnDadConflict(Ipv6Address target, Instant now)
    {
        Formed? found = null;
        foreach (var f in _formed)
            if (f.State == SlaacState.Tentative && f.Address == target) found = f;
        if (found is null) return false;
        Statistics.DuplicateAddresses++;
        IpLog.DuplicateAddress(_host.Log, target);
        _formed.Remove(found);
        Raise(AutoconfChangeKind.AddressDuplicate, target, now);
        if (Options.InterfaceIds == InterfaceIdMode.StablePrivacy && found.DadCounter < Options.IdgenRetries)
            Form(found.Prefix, found.DadCounter + 1, found.PreferredUntil, found.ValidUntil, now);
        Publish();
        Recompute();
        return true;
    }
}
