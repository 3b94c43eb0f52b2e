using CsCheck;
using Stack.Tcp.Wire;

namespace Stack.Tests.Transport;

/// <summary>CsCheck generators for transport headers.</summary>
internal static class TransportGen
{
    public static readonly Gen<TcpOptions> Options =
        from mss in Gen.UShort.Nullable()
        from ws in Gen.Byte[0, 14].Nullable()
        from sackPermitted in Gen.Bool
        from ts in Gen.Select(Gen.Bool, Gen.UInt, Gen.UInt)
        from sack in Gen.UInt.Array[0, 2 * TcpOptions.MaxSackBlocks]
        select Build(mss, ws, sackPermitted, ts.Item1, ts.Item2, ts.Item3, sack);

    public static readonly Gen<TcpRepr> Repr =
        from ports in Gen.Select(Gen.UShort, Gen.UShort)
        from numbers in Gen.Select(Gen.UInt, Gen.UInt)
        from flags in Gen.Byte
        from window in Gen.UShort
        from options in Options
        from urgent in Gen.UShort
        select new TcpRepr(ports.Item1, ports.Item2, numbers.Item1, numbers.Item2, (TcpFlags)flags, window, options, urgent);

    public static readonly Gen<byte[]> Payload = Gen.Byte.Array[0, 1500];

    private static TcpOptions Build(ushort? mss, byte? ws, bool sackPermitted, bool hasTs, uint tsVal, uint tsEcr, uint[] sack)
    {
        var o = new TcpOptions
        {
            Mss = mss,
            WindowScale = ws,
            SackPermitted = sackPermitted,
            HasTimestamps = hasTs,
            TsVal = hasTs ? tsVal : 0,
            TsEcr = hasTs ? tsEcr : 0,
        };
        for (int i = 0; i + 1 < sack.Length; i += 2)
            o.AddSackBlock(sack[i], sack[i + 1]);
        return o;
    }

    /// <summary>
    /// What a receiver sees of <paramref name="sent"/>: the SACK blocks that fit in the 40 bytes left by the other
    /// options (counted here independently of the writer).
    /// </summary>
    public static TcpOptions AsReceived(TcpOptions sent)
    {
        int used = (sent.Mss.HasValue ? 4 : 0) + (sent.HasTimestamps ? 12 : sent.SackPermitted ? 4 : 0) + (sent.WindowScale.HasValue ? 4 : 0);
        int fit = Math.Min(sent.SackBlockCount, (40 - used - 4) / 8);
        var received = sent;
        received.ClearSackBlocks();
        for (int i = 0; i < fit; i++)
        {
            var (left, right) = sent.GetSackBlock(i);
            received.AddSackBlock(left, right);
        }
        return received;
    }

    public static TcpRepr AsReceived(TcpRepr sent) => sent with { Options = AsReceived(sent.Options) };
}
