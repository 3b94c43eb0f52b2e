using Microsoft.Extensions.Logging;
using Stack.IP;
using Stack.IP.Autoconf;
using Stack.Apps.Diagnostics;

namespace Stack.Apps.Commands;

/// <summary>
/// Logs what IPv6 autoconfiguration learns and loses, one line each: `address 2001:db8::…/64 assigned (SLAAC)`,
/// `default router fe80::1`, `DNS server 2001:db8::1 (RDNSS)`. The lines come from the event loop as it happens.
/// </summary>
public static class AutoconfReport
{
    /// <summary>Subscribes to <paramref name="host"/>'s autoconfiguration; nothing when it is off.</summary>
    public static void Attach(IpHost host, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Autoconf is not { } autoconf) return;
        autoconf.Changed += change => AppLog.AutoconfChanged(log, Describe(change));
    }

    public static string Describe(AutoconfChange change) => change.Kind switch
    {
        AutoconfChangeKind.AddressTentative => $"address {change.Address}/64 tentative (SLAAC, duplicate address detection)",
        AutoconfChangeKind.AddressAssigned => $"address {change.Address}/64 assigned (SLAAC)",
        AutoconfChangeKind.AddressDeprecated => $"address {change.Address}/64 deprecated",
        AutoconfChangeKind.AddressRemoved => $"address {change.Address}/64 removed",
        AutoconfChangeKind.AddressDuplicate => $"address {change.Address}/64 is in use by another node; not assigned",
        AutoconfChangeKind.RouterAdded => $"default router {change.Address}",
        AutoconfChangeKind.RouterRemoved => $"default router {change.Address} gone",
        AutoconfChangeKind.PrefixAdded => $"on-link prefix {change.Address}",
        AutoconfChangeKind.PrefixRemoved => $"on-link prefix {change.Address} gone",
        AutoconfChangeKind.DnsServerAdded => $"DNS server {change.Address} (RDNSS)",
        AutoconfChangeKind.DnsServerRemoved => $"DNS server {change.Address} gone",
        _ => change.ToString(),
    };
}
