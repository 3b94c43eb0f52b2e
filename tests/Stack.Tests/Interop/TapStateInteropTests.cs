using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// A TAP that is not as the stack wants it: one it makes (`--create-tap`) comes up, one that is down gets a single
/// warning instead of a failed write per frame, and one that goes away under a running stack (its namespace
/// deleted) is said to be gone once, after which the stack neither spins on it nor logs each frame.
/// </summary>
public sealed class TapStateInteropTests(ITestOutputHelper output)
{
    private static readonly string StackDll = Path.Combine(AppContext.BaseDirectory, "stack.dll");

    [SkippableFact]
    public void Create_tap_makes_a_device_that_is_up_and_removes_it_on_exit()
    {
        TapRequirement.Check("dotnet");
        using var ns = TestNamespace.Create(taps: 1);
        Assert.NotEqual(0, ns.Exec("ip link show stkmade0", TimeSpan.FromSeconds(5)).ExitCode); // not there before

        using var serve = ns.StartBackground(
            $"exec dotnet {StackDll} serve --tap stkmade0 --create-tap --ip 192.0.2.9/24 --autoconf off --services none");
        serve.WaitForError("stack up on stkmade0", seconds: 30);
        var link = ns.ExecOk("ip link show stkmade0");
        output.WriteLine(link);
        Assert.Matches(Flags("UP"), link);

        serve.Signal("TERM");
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(15)), $"stack serve did not stop on SIGTERM:\n{serve.StdErr}");
        Assert.Equal(0, serve.ExitCode);
        Assert.NotEqual(0, ns.Exec("ip link show stkmade0", TimeSpan.FromSeconds(5)).ExitCode); // transient: gone with the process
    }

    [SkippableFact]
    public void A_tap_that_is_down_gets_one_warning_and_no_transmit_error_per_frame()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create(taps: 1);
        ns.ExecOk("ip link set tap0 down");
        var logs = new RecordingLogger { MinimumLevel = LogLevel.Warning };
        var tap = TapDevice.Open("tap0", netns: ns.Name, logger: logs);
        using var stack = StackInstance.Start("tap0", tap, Options(), logs: logs);

        // Each datagram to a new neighbour is an ARP request, a write the kernel refuses (EIO) while tap0 is down.
        SendDatagrams(stack, count: 20, distinctNeighbours: true);
        Assert.True(SpinWait.SpinUntil(() => tap.TransmitErrors >= 20, TimeSpan.FromSeconds(10)), $"{tap.TransmitErrors} transmit errors");

        var lines = logs.Entries.Select(e => e.Message).ToList();
        output.WriteLine(string.Join('\n', lines));
        var warning = Assert.Single(lines, l => l.Contains("tap0 is down", StringComparison.Ordinal));
        Assert.Contains($"`ip -n {ns.Name} link set tap0 up`", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("write of", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_tap_whose_namespace_is_deleted_is_said_to_be_gone_once_not_per_frame_or_poll()
    {
        TapRequirement.Check("ping");
        var ns = TestNamespace.Create(taps: 1);
        var logs = new RecordingLogger { MinimumLevel = LogLevel.Information };
        TapDevice tap;
        StackInstance stack;
        try
        {
            tap = TapDevice.Open("tap0", netns: ns.Name, logger: logs);
            stack = StackInstance.Start("tap0", tap, Options(), logs: logs);
            ns.WaitUntilForwarding("tap0");
            // The kernel's ping teaches the stack its neighbour, so the datagrams below leave at once as writes.
            ns.ExecOk("ping -c 1 -w 10 -i 0.2 192.0.2.2", TimeSpan.FromSeconds(15)); // one reply, retrying up to 10 s
        }
        finally
        {
            ns.Dispose(); // tap-setup down: deletes tap0, the bridge and the namespace
        }
        using (stack)
        {
            Assert.True(SpinWait.SpinUntil(() => tap.IsGone || SendDatagrams(stack, 1) < 0, TimeSpan.FromSeconds(10)), "the stack did not notice tap0 going");
            int before = logs.Entries.Count;
            // About a second of sends and polls on the dead device: before, each 10 ms of it logged EBADFD.
            for (int i = 0; i < 50; i++)
            {
                SendDatagrams(stack, 1);
                Thread.Sleep(20);
            }
            var lines = logs.Entries.Select(e => e.Message).ToList();
            output.WriteLine(string.Join('\n', lines));
            Assert.Single(lines, l => l.Contains("tap0 is gone", StringComparison.Ordinal));
            Assert.True(logs.Entries.Count - before <= 1, $"{logs.Entries.Count - before} lines logged after the device went");
            Assert.DoesNotContain(lines, l => l.Contains("receive errors so far", StringComparison.Ordinal) || l.Contains("write of", StringComparison.Ordinal)
                || l.Contains("poll events", StringComparison.Ordinal));
            Assert.True(tap.TransmitErrors > 0, "the datagrams after the namespace went should have been counted as transmit errors");
        }
    }

    private static IpHostOptions Options() => new()
    {
        Mac = new MacAddress(0x0200_5354_0002UL),
        Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
    };

    /// <summary>UDP datagrams from the stack to the kernel (192.0.2.1), or each to a neighbour of its own; -1 if a send threw.</summary>
    private static int SendDatagrams(StackInstance stack, int count, bool distinctNeighbours = false)
    {
        using var socket = StackSocket.Create(stack, AddressFamily.InterNetwork, SocketType.Dgram);
        try
        {
            for (int i = 0; i < count; i++)
                socket.SendTo("x"u8, new IPEndPoint(IPAddress.Parse(distinctNeighbours ? $"192.0.2.{100 + i}" : "192.0.2.1"), 9));
            return count;
        }
        catch (StackSocketException)
        {
            return -1;
        }
    }

    /// <summary>`ip link show`'s flag list holding <paramref name="flag"/>, such as &lt;BROADCAST,MULTICAST,UP,LOWER_UP&gt;.</summary>
    private static Regex Flags(string flag) => new($"<([A-Z_]+,)*{flag}(,[A-Z_]+)*>");
}
