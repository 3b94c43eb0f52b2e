using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

public sealed class Icmpv4Tests
{
    [Fact]
    public void Echo_request_id_0x1234_seq_9_carries_its_data()
    {
        var data = Pattern(12);
        var buffer = new byte[64];
        int n = Icmpv4Message.WriteEcho(buffer, Icmpv4Type.EchoRequest, 0x1234, 9, data);
        Assert.Equal(20, n);
        Assert.True(Icmpv4Message.TryParse(buffer.AsSpan(0, n), out var icmp, out var reason), reason.ToString());
        Assert.Equal(Icmpv4Type.EchoRequest, icmp.Type);
        Assert.Equal(0, icmp.Code);
        Assert.Equal(0x1234, icmp.Identifier);
        Assert.Equal(9, icmp.SequenceNumber);
        Assert.Equal(data, icmp.Body.ToArray());
        Assert.False(icmp.IsError);
    }

    [Fact]
    public void Fragmentation_needed_with_next_hop_mtu_1400_quotes_the_datagram()
    {
        var quoted = Ipv4Echo()[..28];
        var buffer = new byte[64];
        int n = Icmpv4Message.WriteError(buffer, Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded,
            1400, quoted);
        Assert.True(Icmpv4Message.TryParse(buffer.AsSpan(0, n), out var icmp, out _));
        Assert.True(icmp.IsError);
        Assert.Equal(Icmpv4Code.FragmentationNeeded, icmp.Code);
        Assert.Equal(1400, icmp.NextHopMtu);
        Assert.Equal(quoted, icmp.Body.ToArray());
    }

    [Fact]
    public void Parameter_problem_points_at_an_octet()
    {
        var buffer = new byte[8];
        Icmpv4Message.WriteError(buffer, Icmpv4Type.ParameterProblem, 0, 20u << 24, default);
        Assert.True(Icmpv4Message.TryParse(buffer, out var icmp, out _));
        Assert.Equal(20, icmp.Pointer);
        Assert.Equal(20u << 24, icmp.RestOfHeader);
    }

    [Theory]
    [InlineData(Icmpv4Type.DestinationUnreachable, true)]
    [InlineData(Icmpv4Type.SourceQuench, true)]
    [InlineData(Icmpv4Type.Redirect, true)]
    [InlineData(Icmpv4Type.TimeExceeded, true)]
    [InlineData(Icmpv4Type.ParameterProblem, true)]
    [InlineData(Icmpv4Type.EchoReply, false)]
    [InlineData(Icmpv4Type.Timestamp, false)]
    public void Is_error_follows_rfc_1122(Icmpv4Type type, bool isError)
    {
        var buffer = new byte[8];
        Icmpv4Message.WriteError(buffer, type, 0, 0, default);
        Assert.True(Icmpv4Message.TryParse(buffer, out var icmp, out _));
        Assert.Equal(isError, icmp.IsError);
    }

    [Fact]
    public void Bad_checksum_is_rejected()
    {
        var buffer = new byte[16];
        Icmpv4Message.WriteEcho(buffer, Icmpv4Type.EchoReply, 1, 2, Pattern(8));
        buffer[15] ^= 0x80;
        Assert.False(Icmpv4Message.TryParse(buffer, out _, out var reason));
        Assert.Equal(RejectReason.BadChecksum, reason);
    }
}
