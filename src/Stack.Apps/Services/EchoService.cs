namespace Stack.Apps.Services;

/// <summary>RFC 862 echo: each datagram comes back unchanged.</summary>
public sealed class EchoService : IDatagramService
{
    public const ushort WellKnownPort = 7;

    public string Name => "echo";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        request.CopyTo(reply);
        return request.Length;
    }
}
