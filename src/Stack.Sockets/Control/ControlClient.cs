using System.Net.Sockets;

namespace Stack.Sockets.Control;

/// <summary>Asks a running stack's control socket one thing (<see cref="ControlProtocol"/>); for stack ss and stack nstat.</summary>
public static class ControlClient
{
    /// <summary>Sends <paramref name="command"/> and returns the reply, ok or not.</summary>
    /// <exception cref="IOException">Nothing answers at <paramref name="path"/>, or the reply is not one.</exception>
    public static ControlResponse Ask(string path, string command, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int ms = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = ms,
            SendTimeout = ms,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send([.. ControlProtocol.Request(command), (byte)'\n']);
            socket.Shutdown(SocketShutdown.Send);
            using var reply = new MemoryStream();
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                reply.Write(buffer, 0, n);
                int newline = Array.IndexOf(reply.GetBuffer(), (byte)'\n', 0, (int)reply.Length);
                if (newline >= 0) return Decode(reply.GetBuffer().AsSpan(0, newline), path);
            }
            return Decode(reply.GetBuffer().AsSpan(0, (int)reply.Length), path);
        }
        catch (SocketException e)
        {
            throw new IOException(e.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused => $"no stack answers at {path} (is it running?)",
                SocketError.AccessDenied => $"{path}: permission denied (a stack answers only its own user)",
                SocketError.TimedOut => $"{path}: the stack did not answer in time",
                _ => $"{path}: {e.Message}",
            }, e);
        }
    }

    private static ControlResponse Decode(ReadOnlySpan<byte> line, string path)
    {
        try
        {
            return ControlProtocol.DecodeResponse(line) ?? throw new IOException($"{path}: an empty reply");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new IOException($"{path}: not a control reply ({e.Message})", e);
        }
    }
}
