namespace Stack.Tcp.Congestion;

/// <summary>
/// The maximum of a measurement over a sliding window of time (here: round trips), kept in three samples — the
/// best, and the best of the second and last quarters of the window — so a stale maximum ages out without a
/// history (Kathleen Nichols' algorithm, as Linux's lib/win_minmax.c). <c>default</c> is empty.
/// </summary>
public struct WindowedMax
{
    private (long T, double V) _s0, _s1, _s2;

    /// <summary>The maximum over the window.</summary>
    public readonly double Value => _s0.V;

    /// <summary>Forgets everything but (<paramref name="t"/>, <paramref name="value"/>).</summary>
    public void Reset(long t, double value) => _s0 = _s1 = _s2 = (t, value);

    /// <summary>Takes a measurement at time <paramref name="t"/> (non-decreasing) with the window <paramref name="window"/>.</summary>
    public double Update(long window, long t, double value)
    {
        if (value >= _s0.V || t - _s2.T > window)
        {
            Reset(t, value); // A new maximum, or nothing left in the window.
            return value;
        }
        if (value >= _s1.V)
        {
            _s2 = _s1 = (t, value);
        }
        else if (value >= _s2.V)
        {
            _s2 = (t, value);
        }
        long dt = t - _s0.T;
        if (dt > window)
        {
            // The best has aged out: the second best moves up, and again if it is too old as well.
            _s0 = _s1;
            _s1 = _s2;
            _s2 = (t, value);
            if (t - _s0.T > window)
            {
                _s0 = _s1;
                _s1 = _s2;
                _s2 = (t, value);
            }
        }
        else if (_s1.T == _s0.T && dt > window / 4)
        {
            _s2 = _s1 = (t, value); // A quarter of the window passed with no second choice: take one.
        }
        else if (_s2.T == _s1.T && dt > window / 2)
        {
            _s2 = (t, value); // Half of it passed with no third choice.
        }
        return _s0.V;
    }
}
