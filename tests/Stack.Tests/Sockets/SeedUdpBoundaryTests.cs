using System.Net;
using System.Net.Sockets;
using Stack.Sockets;

namespace Stack.Tests.Sockets;

/// <summary>
/// The seed's UDP boundary cases (UNP §4.3–§5.16 as issue 13 lists them) answered as Linux answers them: a
/// datagram over the path MTU (1500 on the test link) under IP_MTU_DISCOVER / IPV6_DONTFRAG, and one whose
/// fragments outgrow the send buffer.
/// </summary>
public sealed class SeedUdpBoundaryTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private (StackSocket Client, StackSocket Server) Pair(bool v6, int port)
    {
        var server = StackSocket.Create(StackB, Family(v6), SocketType.Dgram);
        server.Bind(new IPEndPoint(B(v6), port));
        return (StackSocket.Create(StackA, Family(v6), SocketType.Dgram), server);
    }

    private static async Task<int> SendAsync(StackSocket client, int length, bool v6, int port) =>
        await client.SendToAsync(new byte[length], new IPEndPoint(B(v6), port)).AsTask().WaitAsync(Patience);

    private static async Task<int> ReceiveAsync(StackSocket server) =>
        (await server.ReceiveFromAsync(new byte[65536]).AsTask().WaitAsync(Patience)).ReceivedBytes;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dont_fragment_refuses_a_datagram_over_the_path_MTU_with_EMSGSIZE(bool v6)
    {
        // Linux __ip_append_data (IP_PMTUDISC_DO) / __ip6_append_data (IPV6_DONTFRAG): EMSGSIZE, nothing sent.
        var (client, server) = Pair(v6, 7200);
        using (client)
        using (server)
        {
            client.DontFragment = true;
            Assert.Equal(1, client.GetSocketOption(v6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP, SocketOptionName.DontFragment));
            var e = await Assert.ThrowsAsync<StackSocketException>(() => SendAsync(client, 2000, v6, 7200));
            Assert.Equal(SocketError.MessageSize, e.SocketErrorCode);
            int fits = 1500 - (v6 ? 40 : 20) - 8;
            Assert.Equal(fits, await SendAsync(client, fits, v6, 7200));
            Assert.Equal(fits, await ReceiveAsync(server));
            Assert.Equal(0L, await StackA.Loop.InvokeAsync(_ => StackA.Host.Statistics.FragmentsSent));

            client.DontFragment = false; // The default: fragmented.
            Assert.Equal(2000, await SendAsync(client, 2000, v6, 7200));
            Assert.Equal(2000, await ReceiveAsync(server));
            Assert.Equal(2L, await StackA.Loop.InvokeAsync(_ => StackA.Host.Statistics.FragmentsSent));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_datagram_whose_fragments_outgrow_the_send_buffer_fails_with_ENOBUFS(bool v6)
    {
        // Linux __ip_append_data / __ip6_append_data: each fragment after the first is allocated only while those
        // before it are charged at most 2 · sk_sndbuf, else ENOBUFS. SO_SNDBUF 1 gives sk_sndbuf 4608
        // (SOCK_MIN_SNDBUF): 9000 bytes are 7 fragments, the 6 before the last charged over 9216; 4000 bytes are 3.
        var (client, server) = Pair(v6, 7201);
        using (client)
        using (server)
        {
            Assert.Equal(9000, await SendAsync(client, 9000, v6, 7201)); // The default buffer (212992) takes it.
            Assert.Equal(9000, await ReceiveAsync(server));
            client.SendBufferSize = 1;
            var e = await Assert.ThrowsAsync<StackSocketException>(() => SendAsync(client, 9000, v6, 7201));
            Assert.Equal(SocketError.NoBufferSpaceAvailable, e.SocketErrorCode);
            Assert.Equal(4000, await SendAsync(client, 4000, v6, 7201));
            Assert.Equal(4000, await ReceiveAsync(server));
        }
    }
}
