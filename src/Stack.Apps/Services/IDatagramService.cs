namespace Stack.Apps.Services;

/// <summary>A service that answers each datagram on its own: the request in, at most one reply out.</summary>
public interface IDatagramService
{
    /// <summary>The service's name, as `stack serve --services` takes it.</summary>
    string Name { get; }

    /// <summary>Its well-known port.</summary>
    ushort Port { get; }

    /// <summary>Writes the reply to <paramref name="request"/> into <paramref name="reply"/> (65535 bytes) and
    /// returns its length, or -1 for no reply.</summary>
    int Answer(ReadOnlySpan<byte> request, Span<byte> reply);
}
