using Microsoft.Extensions.Logging;
using Stack.IP;
using Stack.Link.Time;
using Stack.Sockets.Dhcp;

namespace Stack.Sockets.Hosting;

// DHCP and IPv6 autoconfiguration on a multi-queue stack. Shard 0 owns their state machines (the DHCP client, router
// advertisement processing and SLAAC with its duplicate address detection): whatever they must see and lands on
// another shard's queue (a DHCP reply to port 68, an ARP packet during the client's RFC 5227 probes, a router
// advertisement, a DAD solicitation or advertisement about a tentative address) is posted to shard 0, a copy, bounded
// by the hand-off limit. Whenever shard 0's host changes what they set (an address comes, goes or is deprecated, a
// default router, an on-link prefix, the hop limit, MTU or neighbour timings), it posts the new HostConfiguration to
// every other shard, which follows it (IpHost.Follow); DNS servers go to every shard's resolver.
//
// Why one owner and not "whoever receives it": these machines hold state across messages (a DHCP transaction's xid,
// its timers and lease; a router list; a tentative address's DAD probes) and the kernel spreads their messages over
// the queues with no regard for it (an OFFER on one queue, the ACK on another), so each message must meet the one
// copy of that state; sharing it between loops would need locks on every shard's input path. Shard 0 is always there
// (with one queue it is the stack), is the one an application reads StackInstance.Dhcp and IpHost.Autoconf from, and
// its messages are few: a copy and a post each costs nothing that matters.
public sealed partial class StackShards
{
    // Written and read on shard 0's loop only: a share is posted and not yet run, and what was shared last.
    private bool _sharePending;
    private HostConfiguration? _shared;

    /// <summary>On shard <paramref name="k"/>'s loop, before it reads a frame: owning the configuration (shard 0) or following it.</summary>
    private void WireConfiguration(int k, StackInstance s, DhcpClientOptions? dhcp, ILoggerFactory logs)
    {
        if (_shards.Length == 1) return;
        if (k == 0)
        {
            s.StartConfiguration(dhcp, logs, () => s.ShareDnsServers(Resolvers()));
            s.Host.ConfigurationChanged += () => ScheduleShare(s);
            // A renewed lease may change the router alone, which no address change announces.
            if (s.Dhcp is { } client) client.Changed += _ => ScheduleShare(s);
            return;
        }
        s.Host.NdpHandOff = (message, source, destination, hopLimit) =>
        {
            var copy = message.ToArray();
            ToOwner(k, (owner, now) => owner.Host.OnHandedOffNdp(copy, source, destination, hopLimit, now));
        };
        if (dhcp is not null) DhcpForwarder.Start(s, work => ToOwner(k, work));
    }

    /// <summary>
    /// Once every shard has started: shard 0 shares what it has, which a shard that was still starting when it last
    /// shared would otherwise miss.
    /// </summary>
    private void ShareConfigurationOnceStarted()
    {
        if (_shards.Length == 1 || _shards[0] is not { } owner) return;
        owner.Loop.Post(_ =>
        {
            ShareConfiguration(owner, always: true);
            owner.ShareDnsServers(Resolvers());
        });
    }

    /// <summary>Every started shard's DNS resolver.</summary>
    private List<Dns.DnsResolver> Resolvers() => [.. _shards.OfType<StackInstance>().Select(s => s.Dns)];

    /// <summary>
    /// On shard 0's loop: shares its configuration once the work in hand is done, so that the many changes of one
    /// router advertisement or lease make one post.
    /// </summary>
    private void ScheduleShare(StackInstance owner)
    {
        if (_sharePending) return;
        _sharePending = true;
        owner.Loop.Post(_ => ShareConfiguration(owner, always: false));
    }

    private void ShareConfiguration(StackInstance owner, bool always)
    {
        _sharePending = false;
        var configuration = owner.Host.Configuration;
        if (!always && configuration.SameAs(_shared)) return;
        _shared = configuration;
        Share(0, (t, now) => t.Host.Follow(configuration, now));
    }

    /// <summary>
    /// Shard <paramref name="from"/> has something for shard 0's configuration machines: posted there, unless
    /// <see cref="MaxHandOffsInFlight"/> hand-offs already wait for it (a flood of router advertisements or ARP);
    /// false then, and it is dropped.
    /// </summary>
    private bool ToOwner(int from, Action<StackInstance, Instant> work)
    {
        if (from == 0 || _shards[0] is not { } owner || !TryReserve(0)) return false;
        if (_shards[from] is { } sender) sender.Host.Statistics.ConfigurationHandedOff++; // on its loop
        owner.Loop.Post(now =>
        {
            try
            {
                work(owner, now);
            }
            finally
            {
                Release(0);
            }
        });
        return true;
    }
}
