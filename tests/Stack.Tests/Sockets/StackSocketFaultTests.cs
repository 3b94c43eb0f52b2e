using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Stack.Sockets;
using Stack.Link.Devices;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>Issue 12 at the socket: a send whose own transmit throws fails the connection, visibly, and nothing else.</summary>
public sealed class StackSocketFaultTests : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ThrowingDevice _deviceA;
    private readonly RecordingLogger _logsA;

    public StackSocketFaultTests()
        : this(new RecordingLogger { MinimumLevel = LogLevel.Warning }, new ThrowingDevice[1])
    {
    }

    private StackSocketFaultTests(RecordingLogger logs, ThrowingDevice[] device)
        : base(deviceA: d => device[0] = new ThrowingDevice(d), logsA: logs)
    {
        _logsA = logs;
        _deviceA = device[0];
    }

    [Fact]
    public async Task Send_whose_transmit_throws_fails_with_ConnectionAborted_and_resets_the_peer()
    {
        using var listener = StackSocket.Create(StackB, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7020));
        listener.Listen(8);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7020)).AsTask().WaitAsync(Patience);
        using var server = await accepting.AsTask().WaitAsync(Patience);

        _deviceA.ThrowOnNextTransmit(new LinkDeviceException("device gone"));
        var e = await Assert.ThrowsAsync<StackSocketException>(() => client.SendAsync(new byte[100]).AsTask().WaitAsync(Patience));

        Assert.Equal(SocketError.ConnectionAborted, e.SocketErrorCode);
        var reset = await Assert.ThrowsAsync<StackSocketException>(() => server.ReceiveAsync(new byte[10]).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        // One line, the fault's, with the device's exception; the loop itself reported nothing.
        var logged = Assert.Single(_logsA.Entries);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.IsType<LinkDeviceException>(logged.Exception);
    }
}
