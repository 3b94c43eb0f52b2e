namespace Stack.Tcp.Sack;

/// <summary>
/// The sender's record of what the peer has selectively acknowledged (RFC 2018, the "scoreboard" of RFC 6675
/// §3): sorted, disjoint, non-adjacent ranges above SND.UNA. A fixed table, so it allocates only when made; when
/// it is full the range furthest from SND.UNA gives way (it matters least for the next retransmission).
/// </summary>
public sealed class SackScoreboard
{
    /// <summary>The default bound on ranges remembered.</summary>
    public const int DefaultCapacity = 32;

    private readonly SeqRange[] _ranges;
    private int _count;

    public SackScoreboard(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ranges = new SeqRange[capacity];
    }

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    /// <summary>The range at <paramref name="index"/>, nearest SND.UNA first.</summary>
    public SeqRange this[int index] =>
        (uint)index < (uint)_count ? _ranges[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The end of the highest SACKed range (RFC 6675 HighACK's counterpart, "HighSACKed" + 1).</summary>
    public SeqNum HighSacked => _count > 0 ? _ranges[_count - 1].End : default;

    /// <summary>Bytes SACKed in all.</summary>
    public int SackedBytes
    {
        get
        {
            int sum = 0;
            for (int i = 0; i < _count; i++) sum += _ranges[i].Length;
            return sum;
        }
    }

    /// <summary>
    /// Records a SACK block, clipped to (<paramref name="sndUna"/>, <paramref name="sndMax"/>]; blocks at or below
    /// SND.UNA (D-SACK, RFC 2883) and empty or inverted ones are ignored. Returns true when it SACKed new bytes.
    /// </summary>
    public bool Add(SeqNum left, SeqNum right, SeqNum sndUna, SeqNum sndMax)
    {
        if (right > sndMax) right = sndMax;
        if (left < sndUna) left = sndUna;
        if (right <= left || right - left > (1 << 30)) return false;

        int first = 0;
        while (first < _count && _ranges[first].End < left) first++;
        int last = first;
        SeqNum start = left, end = right;
        int covered = 0;
        while (last < _count && _ranges[last].Start <= end)
        {
            covered += Overlap(_ranges[last], left, right);
            start = SeqNum.Min(start, _ranges[last].Start);
            end = SeqNum.Max(end, _ranges[last].End);
            last++;
        }
        bool added = covered < right - left;
        int merged = last - first;
        if (merged == 0 && _count == _ranges.Length)
        {
            if (first == _count) return false; // Full, and this is the furthest range: drop it.
            _count--;
        }
        int shift = 1 - merged;
        if (shift != 0) Array.Copy(_ranges, last, _ranges, last + shift, _count - last);
        _count += shift;
        _ranges[first] = new SeqRange(start, end);
        return added;
    }

    /// <summary>Forgets what SND.UNA has passed (the cumulative ACK covers it now).</summary>
    public void AdvanceTo(SeqNum sndUna)
    {
        int drop = 0;
        while (drop < _count && _ranges[drop].End <= sndUna) drop++;
        if (drop > 0)
        {
            Array.Copy(_ranges, drop, _ranges, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && _ranges[0].Start < sndUna) _ranges[0] = new SeqRange(sndUna, _ranges[0].End);
    }

    public void Clear() => _count = 0;

    /// <summary>If <paramref name="seq"/> is SACKed, the end of its range; else false.</summary>
    public bool IsSacked(SeqNum seq, out SeqNum end)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_ranges[i].Start > seq) break;
            if (seq < _ranges[i].End)
            {
                end = _ranges[i].End;
                return true;
            }
        }
        end = default;
        return false;
    }

    /// <summary>The start of the first SACKed range above <paramref name="seq"/>, or null.</summary>
    public SeqNum? NextSackedAfter(SeqNum seq)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_ranges[i].Start > seq) return _ranges[i].Start;
        }
        return null;
    }

    /// <summary>Bytes SACKed above <paramref name="seq"/>: RFC 6675 IsLost counts them against DupThresh.</summary>
    public int SackedAbove(SeqNum seq)
    {
        int sum = 0;
        for (int i = _count - 1; i >= 0 && _ranges[i].End > seq; i--)
        {
            sum += _ranges[i].End - SeqNum.Max(_ranges[i].Start, seq);
        }
        return sum;
    }

    private static int Overlap(SeqRange r, SeqNum left, SeqNum right)
    {
        SeqNum s = SeqNum.Max(r.Start, left), e = SeqNum.Min(r.End, right);
        return e > s ? e - s : 0;
    }
}
