using Microsoft.Extensions.Logging;
using Stack.Link.Diagnostics;
using Stack.Link.Neighbors;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.Link.Arp;

/// <summary>
/// An ARP packet seen on the link from another host (its sender MAC is not ours): what an address conflict
/// detector (RFC 5227) watches while it probes an address it does not yet own.
/// </summary>
public delegate void ArpSeen(ArpOperation operation, MacAddress senderMac, Ipv4Address senderIp, Ipv4Address targetIp, Instant now);

/// <summary>Tells the IP layer that a packet it queued could not be delivered.</summary>
public delegate void UndeliverablePacket(ReadOnlySpan<byte> packet);

/// <summary>
/// ARP (RFC 826) for one Ethernet interface: answers requests for our addresses, resolves next hops through a
/// <see cref="NeighborCache{T}"/>, and announces our addresses with gratuitous ARP.
/// </summary>
public sealed class ArpProtocol : INeighborActions<Ipv4Address>
{
    private readonly EthernetSender _link;
    private readonly Func<Ipv4Address, bool> _isLocal;
    private readonly Func<Ipv4Address, Ipv4Address> _sourceFor;
    private readonly RejectCounters _rejects;
    private readonly ILogger _log;
    private readonly byte[] _scratch = new byte[ArpPacket.Length];

    /// <param name="isLocal">Whether an address is one of ours.</param>
    /// <param name="sourceFor">Our address to ask from when resolving a target.</param>
    public ArpProtocol(EthernetSender link, Func<Ipv4Address, bool> isLocal, Func<Ipv4Address, Ipv4Address> sourceFor,
        NeighborTimings timings, RejectCounters rejects, ILogger log)
    {
        _link = link;
        _isLocal = isLocal;
        _sourceFor = sourceFor;
        _rejects = rejects;
        _log = log;
        Cache = new NeighborCache<Ipv4Address>(timings, this);
    }

    public NeighborCache<Ipv4Address> Cache { get; }

    public UndeliverablePacket? OnUndeliverable { get; set; }

    /// <summary>Another host claims one of our addresses (RFC 5227 §2.4): counted and logged, not defended.</summary>
    public long Conflicts { get; private set; }

    /// <summary>Raised on the loop for each well-formed ARP packet from another host, before it is processed.</summary>
    public event ArpSeen? Seen;

    public void OnPacket(ReadOnlySpan<byte> payload, MacAddress frameSource, Instant now)
    {
        if (!ArpPacket.TryParse(payload, out var arp, out var reason))
        {
            Reject(reason);
            return;
        }
        var sender = arp.SenderIp;
        if (arp.SenderMac.IsMulticast || sender.IsBroadcast || sender.IsMulticast)
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        if (arp.SenderMac != _link.Source) Seen?.Invoke(arp.Operation, arp.SenderMac, sender, arp.TargetIp, now);
        if (_isLocal(sender))
        {
            if (arp.SenderMac != _link.Source)
            {
                Conflicts++;
                LinkLog.AddressConflict(_log, arp.SenderMac, sender);
            }
            return;
        }
        bool forUs = _isLocal(arp.TargetIp);
        // RFC 826 "packet reception": update an entry we have; add one only when the packet is for us. An ARP
        // probe (sender 0.0.0.0, RFC 5227) teaches nothing.
        if (!sender.IsUnspecified)
        {
            if (arp.Operation == ArpOperation.Reply && forUs)
                Cache.LearnAdvertised(sender, arp.SenderMac, solicited: true, @override: true, now);
            else
                Cache.LearnUnsolicited(sender, arp.SenderMac, now, createIfMissing: forUs);
        }
        if (arp.Operation == ArpOperation.Request && forUs)
        {
            ArpPacket.Write(_scratch, ArpOperation.Reply, _link.Source, arp.TargetIp, arp.SenderMac, sender);
            _link.Send(frameSource, EtherType.Arp, _scratch);
        }
        else if (!forUs)
        {
            _rejects.Count(Layer.Arp, RejectReason.NotForUs);
        }
    }

    /// <summary>Gratuitous ARP (RFC 5227 §3): a request for our own address, so neighbours update their caches.</summary>
    public void Announce(Ipv4Address address)
    {
        ArpPacket.Write(_scratch, ArpOperation.Request, _link.Source, address, MacAddress.Zero, address);
        _link.Send(MacAddress.Broadcast, EtherType.Arp, _scratch);
    }

    /// <summary>
    /// An ARP probe (RFC 5227 §2.1.1): a broadcast request for <paramref name="address"/> with sender address
    /// 0.0.0.0, so that no neighbour learns a mapping for an address we do not own yet. Whoever owns it answers.
    /// </summary>
    public void Probe(Ipv4Address address)
    {
        ArpPacket.Write(_scratch, ArpOperation.Request, _link.Source, Ipv4Address.Any, MacAddress.Zero, address);
        _link.Send(MacAddress.Broadcast, EtherType.Arp, _scratch);
    }

    void INeighborActions<Ipv4Address>.Solicit(Ipv4Address target, MacAddress? unicastTo)
    {
        ArpPacket.Write(_scratch, ArpOperation.Request, _link.Source, _sourceFor(target), MacAddress.Zero, target);
        _link.Send(unicastTo ?? MacAddress.Broadcast, EtherType.Arp, _scratch);
    }

    void INeighborActions<Ipv4Address>.Deliver(Ipv4Address target, MacAddress mac, ReadOnlySpan<byte> packet) =>
        _link.Send(mac, EtherType.Ipv4, packet);

    void INeighborActions<Ipv4Address>.Unreachable(Ipv4Address target, ReadOnlySpan<byte> packet)
    {
        LinkLog.ArpUnreachable(_log, target);
        OnUndeliverable?.Invoke(packet);
    }

    private void Reject(RejectReason reason)
    {
        _rejects.Count(Layer.Arp, reason);
        LinkLog.Rejected(_log, Layer.Arp, reason);
    }
}
