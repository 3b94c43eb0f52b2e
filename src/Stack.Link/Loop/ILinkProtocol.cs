using Stack.Link.Time;

namespace Stack.Link.Loop;

/// <summary>
/// The sans-I/O protocol core that an <see cref="EventLoop"/> drives: handed frames and the time, it answers
/// through the transmitter it was built with and by its next deadline. It never reads a clock or blocks.
/// </summary>
public interface ILinkProtocol
{
    /// <summary>Called once, before any frame, when the link comes up (gratuitous ARP and the like).</summary>
    void Start(Instant now);

    void OnFrame(ReadOnlySpan<byte> frame, Instant now);

    /// <summary>Runs whatever timers are due at <paramref name="now"/>.</summary>
    void OnTimer(Instant now);

    /// <summary>The earliest instant at which <see cref="OnTimer"/> has work, or <see cref="Instant.Never"/>.</summary>
    Instant NextDeadline { get; }
}
