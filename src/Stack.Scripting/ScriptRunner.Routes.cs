using Stack.Scripting.Shell;
using Stack.IP;
using Stack.IP.Routing;

namespace Stack.Scripting;

public sealed partial class ScriptRunner
{
    /// <summary>
    /// An <c>ip route</c> line: its metrics go on the stack's route to the script's host, never on the host
    /// running this. The destination must be the script's address in either family (a script runs in both); an MTU
    /// written for the other family moves by <see cref="ScriptIcmp.FamilyMtuDelta"/>, as the runner's IPv6 link is
    /// that much larger, so that the MSS it gives is the same in both.
    /// </summary>
    private void ApplyRoute(ShellRoute route)
    {
        if (!IpAddress.TryParse(route.Destination, out var destination)
            || !(destination.IsIpv6 ? destination.V6.Equals(_script6) : destination.V4.Equals(_script4)))
        {
            _transcript.Add($"{Seconds(ScriptNow)} unsupported: route to {route.Destination}: only the script's host ({_script4}, {_script6}) is reached");
            return;
        }
        int delta = destination.IsIpv6 == (_family == ScriptIpVersion.Ipv6) ? 0
            : _family == ScriptIpVersion.Ipv6 ? ScriptIcmp.FamilyMtuDelta : -ScriptIcmp.FamilyMtuDelta;
        _host.Routes.SetMetrics(ScriptAddress, new RouteMetrics(route.Mtu + delta, route.MtuLocked, route.AdvertisedMss, route.InitialCwnd));
    }
}
