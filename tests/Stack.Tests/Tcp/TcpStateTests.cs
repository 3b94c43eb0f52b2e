using Stack.Tcp;

namespace Stack.Tests.Tcp;

public sealed class TcpStateTests
{
    [Theory]
    [InlineData(TcpState.Closed, "TCP_CLOSE", 7)]
    [InlineData(TcpState.Listen, "TCP_LISTEN", 10)]
    [InlineData(TcpState.SynSent, "TCP_SYN_SENT", 2)]
    [InlineData(TcpState.SynReceived, "TCP_SYN_RECV", 3)]
    [InlineData(TcpState.Established, "TCP_ESTABLISHED", 1)]
    [InlineData(TcpState.FinWait1, "TCP_FIN_WAIT1", 4)]
    [InlineData(TcpState.FinWait2, "TCP_FIN_WAIT2", 5)]
    [InlineData(TcpState.CloseWait, "TCP_CLOSE_WAIT", 8)]
    [InlineData(TcpState.Closing, "TCP_CLOSING", 11)]
    [InlineData(TcpState.LastAck, "TCP_LAST_ACK", 9)]
    [InlineData(TcpState.TimeWait, "TCP_TIME_WAIT", 6)]
    public void Maps_to_the_linux_name_and_number(TcpState state, string name, int code)
    {
        Assert.Equal(name, state.ToLinuxName());
        Assert.Equal(code, state.ToLinuxCode());
    }

    [Fact]
    public void Every_state_has_a_distinct_linux_name()
    {
        TcpState[] all = Enum.GetValues<TcpState>();
        Assert.Equal(11, all.Length);
        Assert.Equal(all.Length, all.Select(s => s.ToLinuxName()).Distinct().Count());
    }
}
