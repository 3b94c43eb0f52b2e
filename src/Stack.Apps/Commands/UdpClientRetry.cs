using System.Net.Sockets;
using Stack.Sockets;

namespace Stack.Apps.Commands;

/// <summary>The clients' wait for a reply: at most a second per try, never past the overall deadline.</summary>
internal static class UdpClientRetry
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The reply's length, or null when this try's second (or the deadline) passed first.</summary>
    public static int? Receive(StackSocket socket, byte[] buffer, DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        if (left <= TimeSpan.Zero) return null;
        using var timeout = new CancellationTokenSource(left < Interval ? left : Interval);
        try
        {
            return socket.ReceiveAsync(buffer, timeout.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }
}
