using Stack.Scripting;

namespace Stack.Tests.Scripts;

/// <summary>packetdrill's msghdr syntax for sendmsg and recvmsg: subscripted fields, iovecs and cmsgs.</summary>
public sealed class ScriptMessageParserTests
{
    private static SyscallEvent Call(string line) => Assert.IsType<SyscallEvent>(Assert.Single(ScriptParser.Parse(line).Events));

    [Fact]
    public void A_msghdr_has_subscripted_fields_and_iovecs()
    {
        var e = Call("+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 40}, {...,0}], msg_flags=0}, MSG_MORE) = 40");

        var msg = Assert.IsType<SyscallArg.StructLiteral>(e.Arguments[1]);
        Assert.Equal(new StructField("msg_name", new SyscallArg.Ellipsis(), new SyscallArg.Ellipsis()), msg.Fields[0]);
        var iov = Assert.Single(msg.Fields, f => f.Name == "msg_iov");
        Assert.Equal(new SyscallArg.Number(2), iov.Subscript);
        Assert.Equal(
            new SyscallArg.ArrayLiteral(new ValueList<SyscallArg>([new SyscallArg.Iovec(new SyscallArg.Number(40)), new SyscallArg.Iovec(new SyscallArg.Number(0))])),
            iov.Value);
        Assert.Equal("sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 40}, {..., 0}], msg_flags=0}, MSG_MORE) = 40", e.FormatAction());
    }

    [Fact]
    public void Cmsgs_nest_structs_and_print_back_as_they_parse()
    {
        const string line = "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE|MSG_TRUNC, "
            + "msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0, scm_nsec=20000000}}, "
            + "{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, "
            + "ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_SCHED, ee_data=10999}}]}, MSG_ERRQUEUE) = 0";
        var e = Call(line);

        Assert.Equal(line[3..], e.FormatAction());
        Assert.Equal(e, Call("+0 " + e.FormatAction()));
    }

    [Fact]
    public void The_recverr_cmsg_names_depend_on_the_family()
    {
        Assert.True(ScriptConstants.IsKnown("CMSG_LEVEL_IP"));
        Assert.False(ScriptConstants.TryGetValue("CMSG_LEVEL_IP", out _));
        Assert.True(ScriptConstants.TryGetFamilyValue("CMSG_LEVEL_IP", ipv6: false, out long v4));
        Assert.True(ScriptConstants.TryGetFamilyValue("CMSG_TYPE_RECVERR", ipv6: true, out long v6));
        Assert.Equal((0, 25), (v4, v6));
    }

    [Theory]
    [InlineData("+0 recvmsg(4, {msg_iov(1=[{..., 0}]}, 0) = 0", "expected ')' after msg_iov(")]
    [InlineData("+0 recvmsg(4, {msg_iov(1)=[{..., 0, 1}]}, 0) = 0", "expected '}' after an iovec's length")]
    public void A_malformed_msghdr_is_a_parse_error(string line, string reason)
    {
        var e = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse(line));
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }
}
