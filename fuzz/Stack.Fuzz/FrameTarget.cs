using System.Buffers.Binary;

namespace Stack.Fuzz;

/// <summary>
/// Frames into <see cref="Stack.IP.IpHost.OnFrame"/> of a <see cref="FuzzHost"/> (TCP listening and established,
/// UDP bound), then the timers due in the next minutes, then a check that the host still answers a ping.
/// </summary>
/// <remarks>
/// Input: records of a 2-byte big-endian header and a frame. The header's low 15 bits are the frame's length
/// (a length past the end takes what is left); its top bit keeps the frame's checksums as they are, otherwise
/// <see cref="ChecksumRepair"/> rewrites them so the frame reaches the code behind the checksum checks.
/// </remarks>
public static class FrameTarget
{
    public const int MaxFrames = 64;
    private const ushort RawBit = 0x8000;

    /// <summary>How far the clock runs after the frames, and in at most how many timer steps.</summary>
    private static readonly TimeSpan TimerHorizon = TimeSpan.FromMinutes(3);
    private const int MaxTimerSteps = 16;

    public static void Run(byte[] input)
    {
        var host = new FuzzHost();
        foreach (var (frame, raw) in Split(input))
        {
            if (!raw) ChecksumRepair.Frame(frame);
            host.Deliver(frame);
        }
        host.TakeSent();
        host.RunTimers(TimerHorizon, MaxTimerSteps);
        host.CheckAnswersEcho();
    }

    public static List<(byte[] Frame, bool Raw)> Split(ReadOnlySpan<byte> input)
    {
        var frames = new List<(byte[], bool)>();
        while (input.Length >= 2 && frames.Count < MaxFrames)
        {
            ushort header = BinaryPrimitives.ReadUInt16BigEndian(input);
            int length = Math.Min(header & ~RawBit, input.Length - 2);
            frames.Add((input.Slice(2, length).ToArray(), (header & RawBit) != 0));
            input = input[(2 + length)..];
        }
        return frames;
    }

    /// <summary>The input that delivers <paramref name="frames"/> as they are (checksums already right).</summary>
    public static byte[] Join(IEnumerable<byte[]> frames)
    {
        using var input = new MemoryStream();
        Span<byte> header = stackalloc byte[2];
        foreach (byte[] frame in frames)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)frame.Length);
            input.Write(header);
            input.Write(frame);
        }
        return input.ToArray();
    }
}
