using System.Net;
using System.Net.Sockets;
using Stack.Sockets;

namespace Stack.Tests.Sockets;

/// <summary>
/// Multicast on <see cref="StackSocket"/>: the <see cref="Socket"/> shapes of IP_ADD_MEMBERSHIP and IPV6_JOIN_GROUP
/// (a <see cref="MulticastOption"/> or <see cref="IPv6MulticastOption"/>), the drops, and the sending options.
/// </summary>
public sealed class MulticastSocketTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static IPAddress Group(bool v6) => IPAddress.Parse(v6 ? "ff02::1234" : "239.1.2.3");

    private static void Membership(StackSocket socket, bool v6, SocketOptionName name)
    {
        if (v6) socket.SetSocketOption(SocketOptionLevel.IPv6, name, new IPv6MulticastOption(Group(v6)));
        else socket.SetSocketOption(SocketOptionLevel.IP, name, new MulticastOption(Group(v6)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_joined_socket_receives_the_groups_datagrams_and_not_after_it_drops_it(bool v6)
    {
        using var receiver = StackSocket.Create(StackB, Family(v6), SocketType.Dgram);
        receiver.Bind(new IPEndPoint(Any(v6), 5000));
        Membership(receiver, v6, SocketOptionName.AddMembership);
        using var sender = StackSocket.Create(StackA, Family(v6), SocketType.Dgram);
        var level = v6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP;
        sender.SetSocketOption(level, SocketOptionName.MulticastTimeToLive, 4);
        Assert.Equal(4, sender.GetSocketOption(level, SocketOptionName.MulticastTimeToLive));

        var buffer = new byte[16];
        await sender.SendToAsync(new byte[] { 1 }, new IPEndPoint(Group(v6), 5000));
        var first = await receiver.ReceiveFromAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal((1, (byte)1), (first.ReceivedBytes, buffer[0]));

        // Dropped: the next group datagram is not delivered, so what arrives next is the unicast marker behind it.
        Membership(receiver, v6, SocketOptionName.DropMembership);
        await sender.SendToAsync(new byte[] { 2 }, new IPEndPoint(Group(v6), 5000));
        await sender.SendToAsync(new byte[] { 3 }, new IPEndPoint(B(v6), 5000));
        var next = await receiver.ReceiveFromAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal((1, (byte)3), (next.ReceivedBytes, buffer[0]));
    }

    [Fact]
    public void Membership_errors_are_the_setsockopt_ones()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        var e = Assert.Throws<StackSocketException>(() =>
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(IPAddress.Parse("192.0.2.9"))));
        Assert.Equal(SocketError.InvalidArgument, e.SocketErrorCode); // not a group: EINVAL
        e = Assert.Throws<StackSocketException>(() =>
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DropMembership, new MulticastOption(Group(false))));
        Assert.Equal(SocketError.AddressNotAvailable, e.SocketErrorCode); // never joined: EADDRNOTAVAIL

        using var stream = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        e = Assert.Throws<StackSocketException>(() =>
            stream.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group(false))));
        Assert.Equal(SocketError.ProtocolOption, e.SocketErrorCode);
    }
}
