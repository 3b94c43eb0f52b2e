using Stack.Scripting.Shell;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tcp.FastOpen;

namespace Stack.Tests.Scripts;

/// <summary>Shell lines of packetdrill scripts are read into settings, never run.</summary>
public sealed class ScriptShellTests
{
    [Fact]
    public void Sysctl_lines_with_quotes_arithmetic_redirections_and_several_commands_are_read()
    {
        var outcome = ScriptShell.Read(
            "sysctl -q net.ipv4.tcp_rmem=\"4096 540000 $((15*1024*1024))\" net.ipv4.tcp_sack=0 > /dev/null 2>&1; " +
            "echo 2 > /proc/sys/net/ipv4/tcp_syncookies && sysctl -w net/ipv4/tcp_timestamps=1\n" +
            " ../common/set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x207", directory: null);
        Assert.Equal(
        [
            ("net.ipv4.tcp_rmem", "4096 540000 15728640"),
            ("net.ipv4.tcp_sack", "0"),
            ("net.ipv4.tcp_syncookies", "2"),
            ("net.ipv4.tcp_timestamps", "1"),
            ("net.ipv4.tcp_fastopen", "0x207"),
        ], outcome.Sysctls);
        Assert.Empty(outcome.Unsupported);
    }

    [Theory]
    [InlineData("tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0", true)]
    [InlineData("tc qdisc replace dev tun0 root pfifo limit 0", true)]
    [InlineData("tc qdisc replace dev tun0 root pfifo limit 0; tc qdisc del dev tun0 root", false)]
    [InlineData("tc qdisc replace dev tun0 root pfifo limit 100", false)]
    [InlineData("tc qdisc replace dev tun0 root fq", false)]
    public void A_fifo_qdisc_with_no_room_drops_everything_until_replaced_or_deleted(string command, bool dropsAll)
    {
        var outcome = ScriptShell.Read(command, directory: null);
        Assert.Equal(dropsAll, outcome.QdiscDropsAll);
        Assert.Empty(outcome.Unsupported);
    }

    [Fact]
    public void Files_of_zeros_made_by_dd_and_removed_by_rm_are_noted_not_made()
    {
        var outcome = ScriptShell.Read(
            "/bin/rm -f /tmp/testfile\n/bin/dd bs=1 count=5 if=/dev/zero of=/tmp/testfile status=none\n" +
            "dd if=/dev/zero of=/tmp/big bs=1k count=3\ndd if=/dev/urandom of=/tmp/random bs=1 count=5", directory: null);
        Assert.Equal([("/tmp/testfile", null), ("/tmp/testfile", 5), ("/tmp/big", 3072)], outcome.Files);
        Assert.Single(outcome.Unsupported); // Random bytes: packetdrill's payloads are zeros.
        Assert.False(File.Exists("/tmp/big"));
    }

    [Fact]
    public void Both_sides_of_or_are_read_and_a_metrics_flush_is_noted()
    {
        var outcome = ScriptShell.Read(
            "sysctl -q net.ipv4.tcp_timestamps=1 &> /dev/null ||\\\n ip tcp_metrics flush all &> /dev/null",
            directory: null);
        Assert.Equal([("net.ipv4.tcp_timestamps", "1")], outcome.Sysctls);
        Assert.True(outcome.FlushMetrics);
        Assert.False(ScriptShell.Read("sysctl -q net.ipv4.tcp_sack=1", directory: null).FlushMetrics);
    }

    [Fact]
    public void A_sh_file_beside_the_script_is_read_line_by_line_and_unknown_commands_are_reported()
    {
        string dir = Directory.CreateTempSubdirectory("stack-shell-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "common"));
            File.WriteAllText(Path.Combine(dir, "common", "defaults.sh"),
                "#!/bin/bash\n# comment\nip tcp_metrics flush all > /dev/null 2>&1\nsysctl -q net.ipv4.tcp_sack=1\n" +
                "tc qdisc add dev tun0 root pfifo\nnstat -n\n");
            var outcome = ScriptShell.Read("common/defaults.sh\n/tmp/sysctl_restore_${PPID}.sh\nrm -rf /", dir);
            Assert.Equal([("net.ipv4.tcp_sack", "1")], outcome.Sysctls);
            Assert.Equal(["`nstat -n`: no counterpart in this runner", "`rm -rf /`: no counterpart in this runner"], outcome.Unsupported);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bad_arithmetic_is_reported_not_thrown()
    {
        var outcome = ScriptShell.Read("sysctl -q net.ipv4.tcp_rmem=\"1 2 $((3/0))\"", null);
        Assert.Empty(outcome.Sysctls);
        Assert.Single(outcome.Unsupported);
    }

    [Theory]
    [InlineData("15*1024*1024", 15L << 20)]
    [InlineData("(1 + 2) * -3 % 5", -4)]
    [InlineData("0x10 / 3", 5)]
    public void Arithmetic_is_the_shells(string expression, long value) => Assert.Equal(value, Arithmetic.Evaluate(expression));

    [Theory]
    [InlineData(6L << 20, 7)] // Linux's default tcp_rmem maximum
    [InlineData(15L << 20, 8)] // packetdrill's defaults.sh
    [InlineData(65536, 2)] // below rmem_max (212992): the scale is chosen for rmem_max
    public void Tcp_rmem_sets_the_buffer_and_the_window_scale_as_Linux_chooses_it(long max, int scale)
    {
        var state = SysctlState.Linux;
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_rmem", $"4096 540000 {max}"));
        Assert.Equal(540000, state.Config.ReceiveBufferSize);
        Assert.Equal(scale, state.Config.WindowScale);
    }

    [Fact]
    public void Sysctls_map_onto_the_configuration_and_the_rest_is_reported()
    {
        var state = SysctlState.Linux;
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_congestion_control", "reno"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_syn_retries", "5"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_syncookies", "2"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_fack", "0"));
        Assert.Equal(CongestionControlKind.NewReno, state.Config.CongestionControl);
        Assert.Equal(TimeSpan.FromSeconds(63), state.Config.ConnectTimeout); // 1 + 2 + 4 + 8 + 16 + 32 s
        Assert.Equal(SynCookieMode.Always, state.SynCookies);
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_fastopen", "0x603"));
        Assert.Equal(FastOpenModes.Client | FastOpenModes.Server | FastOpenModes.ServerWithoutCookie | FastOpenModes.ServerOnEveryListener,
            state.FastOpen);
        Assert.Equal("sysctl net.ipv4.tcp_fastopen=0x70403: bits 0x70000 are not Fast Open modes the stack has (kept: 0x403)",
            LinuxSysctls.Apply(ref state, "net.ipv4.tcp_fastopen", "0x70403"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4,00000001-2-3-4"));
        Assert.Equal("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4", state.FastOpenKey?.ToString());
        Assert.Equal("00000001-00000002-00000003-00000004", state.FastOpenBackupKey?.ToString());
        Assert.NotNull(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_fastopen_key", "not-a-key"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_ecn", "1"));
        Assert.Equal(EcnMode.On, state.Config.Ecn);
        Assert.Equal("sysctl net.ipv4.tcp_ecn=3: the stack has no such setting", LinuxSysctls.Apply(ref state, "net.ipv4.tcp_ecn", "3"));
        Assert.NotNull(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_sack", "lots"));
    }

    [Fact]
    public void Ip_route_lines_give_their_metrics_and_offload_switches_are_nothing_to_do()
    {
        var outcome = ScriptShell.Read(
            "ip route change 192.0.2.1 via 192.0.2.3 dev tun0 advmss 600 mtu lock 640 initcwnd 11\n" +
            " ip -6 route add 2001:DB8::1 dev tun0 mtu 1400\n ethtool -K tun0 gso off tso off", directory: null);
        Assert.Equal(
        [
            new ShellRoute("192.0.2.1", 600, 640, true, 11),
            new ShellRoute("2001:DB8::1", null, 1400, false, null),
        ], outcome.Routes);
        Assert.Empty(outcome.Unsupported);
    }

    [Theory]
    [InlineData("ip route change 192.0.2.1 dev tun0 rto_min 10ms")] // A metric the stack does not have.
    [InlineData("ip route show")]
    [InlineData("ethtool -K tun0 gso on")]
    public void Route_and_offload_lines_the_runner_cannot_follow_are_reported(string command)
    {
        var outcome = ScriptShell.Read(command, directory: null);
        Assert.Empty(outcome.Routes);
        Assert.Single(outcome.Unsupported);
    }

    [Fact]
    public void Mtu_probing_sysctls_map_onto_the_configuration()
    {
        var state = SysctlState.Linux;
        Assert.Equal(Stack.Tcp.Sending.MtuProbing.Off, state.Config.MtuProbing);
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_mtu_probing", "2"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_base_mss", "512"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_probe_threshold", "16"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_probe_interval", "300"));
        Assert.Null(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_mtu_probe_floor", "256"));
        Assert.Equal(Stack.Tcp.Sending.MtuProbing.Always, state.Config.MtuProbing);
        Assert.Equal(512, state.Config.MtuProbeBaseMss);
        Assert.Equal(16, state.Config.MtuProbeThreshold);
        Assert.Equal(TimeSpan.FromSeconds(300), state.Config.MtuProbeInterval);
        Assert.Equal(256, state.Config.MtuProbeFloor);
        Assert.NotNull(LinuxSysctls.Apply(ref state, "net.ipv4.tcp_mtu_probing", "3"));
    }
}
