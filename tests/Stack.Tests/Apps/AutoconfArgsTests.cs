using Stack.Apps.Commands;
using Stack.IP;
using Stack.IP.Autoconf;
using Stack.Link.Wire;

namespace Stack.Tests.Apps;

/// <summary>`--autoconf on|off` and what `stack serve` logs of what autoconfiguration learns.</summary>
public sealed class AutoconfArgsTests
{
    private static StackArgs Read(params string[] args) => StackArgs.Parse(args);

    [Fact]
    public void Autoconfiguration_is_on_unless_turned_off()
    {
        Assert.NotNull(Read("--tap", "tap0", "--ip", "192.0.2.2/24").Host.Autoconf);
        Assert.NotNull(Read("--tap", "tap0", "--ip", "192.0.2.2/24", "--autoconf", "on").Host.Autoconf);
        Assert.Null(Read("--tap", "tap0", "--ip", "192.0.2.2/24", "--autoconf", "off").Host.Autoconf);
    }

    [Fact]
    public void Without_an_address_autoconfiguration_must_be_asked_for()
    {
        Assert.Empty(Read("--tap", "tap0", "--autoconf", "on").Host.Addresses);
        Assert.Contains("--ip is required", Assert.Throws<UsageException>(() => Read("--tap", "tap0")).Message, StringComparison.Ordinal);
        Assert.Throws<UsageException>(() => Read("--tap", "tap0", "--autoconf", "off"));
        Assert.Contains("--autoconf wants on or off", Assert.Throws<UsageException>(() => Read("--tap", "tap0", "--autoconf", "yes")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AutoconfChangeKind.AddressAssigned, "2001:db8::5", "address 2001:db8::5/64 assigned (SLAAC)")]
    [InlineData(AutoconfChangeKind.RouterAdded, "fe80::1", "default router fe80::1")]
    [InlineData(AutoconfChangeKind.DnsServerAdded, "2001:db8::1", "DNS server 2001:db8::1 (RDNSS)")]
    public void Serve_logs_each_change_in_one_line(AutoconfChangeKind kind, string address, string line) =>
        Assert.Equal(line, AutoconfReport.Describe(new AutoconfChange(kind, Ipv6Address.Parse(address), default)));
}
