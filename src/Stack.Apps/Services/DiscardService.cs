namespace Stack.Apps.Services;

/// <summary>RFC 863 discard: datagrams are taken and thrown away; nothing is sent.</summary>
public sealed class DiscardService : IDatagramService
{
    public const ushort WellKnownPort = 9;

    public string Name => "discard";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply) => -1;
}
