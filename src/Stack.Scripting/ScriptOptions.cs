namespace Stack.Scripting;

/// <summary>One of packetdrill's command-line flags, as a script may give it on a <c>--name[=value]</c> line.</summary>
public sealed record ScriptOption(string Name, bool TakesValue, string Meaning);

/// <summary>
/// Every flag packetdrill's <c>config.c</c> accepts. Those that change the run here (tolerances, family, addresses,
/// MTU/MSS, timestamp matching) are read into <see cref="ScriptSettings"/>; the rest configure packetdrill's own
/// plumbing (wire mode, shared-object mode, debugging) and are accepted with a warning.
/// </summary>
public static class ScriptOptions
{
    private static readonly ScriptOption[] All =
    [
        new("ip_version", true, "ipv4, ipv6 or ipv4-mapped-ipv6"),
        new("bind_port", true, "the port bind() gives"),
        new("connect_port", true, "the port connect() goes to"),
        new("remote_ip", true, "the script's address"),
        new("local_ip", true, "the address of the stack under test"),
        new("gateway_ip", true, "the gateway the kernel routes through"),
        new("netmask_ip", true, "the netmask of the test network"),
        new("speed", true, "the tun device's link speed"),
        new("mss", true, "gso_size for inbound TCP packets (GRO)"),
        new("mtu", true, "the tun device's MTU"),
        new("init_scripts", true, "scripts run before the test"),
        new("tolerance_usecs", true, "how late an event may be"),
        new("tolerance_percent", true, "a lateness allowance in percent of the time since the start"),
        new("tcp_ts_ecr_scaled", false, "infer inbound TS ecr from the first outbound TS val"),
        new("tcp_ts_tick_usecs", true, "microseconds per TS val tick, to check outbound TS values"),
        new("strict_segments", false, "do not let a TSO segment stand for several expected ones"),
        new("non_fatal", true, "classes of mismatch that only warn"),
        new("dry_run", false, "parse only"),
        new("is_anyip", false, "the local address is an anyip one"),
        new("send_omit_free", false, "MSG_ZEROCOPY test plumbing"),
        new("psp_udp_port", true, "the PSP encapsulation port"),
        new("code_command", true, "the python used for %{ }% blocks"),
        new("code_format", true, "the format of TCP_INFO for %{ }% blocks"),
        new("code_sockopt", true, "the getsockopt for %{ }% blocks"),
        new("wire_client", false, "remote wire mode"),
        new("wire_server", false, "remote wire mode"),
        new("wire_server_ip", true, "remote wire mode"),
        new("wire_server_at", true, "remote wire mode"),
        new("wire_server_port", true, "remote wire mode"),
        new("wire_client_dev", true, "remote wire mode"),
        new("wire_server_dev", true, "remote wire mode"),
        new("so_filename", true, "a shared object to test instead of the kernel"),
        new("so_flags", true, "flags for the shared object"),
        new("debug", false, "debug output"),
        new("define", true, "a -D NAME=VALUE substitution"),
        new("verbose", false, "verbose output"),
    ];

    public static string Names { get; } = string.Join(", ", All.Select(o => "--" + o.Name));

    public static ScriptOption? Find(string name) => Array.Find(All, o => o.Name == name);
}
