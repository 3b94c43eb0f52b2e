using System.Globalization;

namespace Stack.Apps.Plots;

/// <summary>A linear scale from data values onto pixels, with round-numbered ticks (1, 2 or 5 times a power of ten).</summary>
internal readonly record struct Axis(double Min, double Max, double PixelFrom, double PixelTo)
{
    /// <summary>A scale over [min, max] with a little room at both ends; an empty range is widened to one unit.</summary>
    public static Axis Over(double min, double max, double pixelFrom, double pixelTo, double margin = 0.03)
    {
        if (!(max > min)) max = min + 1;
        double pad = (max - min) * margin;
        return new Axis(min - pad, max + pad, pixelFrom, pixelTo);
    }

    public double this[double value] => PixelFrom + (value - Min) / (Max - Min) * (PixelTo - PixelFrom);

    /// <summary>About <paramref name="count"/> ticks inside the range.</summary>
    public IEnumerable<double> Ticks(int count = 8)
    {
        double step = Step(count);
        for (double t = Math.Ceiling(Min / step) * step; t <= Max; t += step) yield return Math.Abs(t) < step / 1e6 ? 0 : t;
    }

    private double Step(int count)
    {
        double raw = (Max - Min) / count;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return (raw / power) switch
        {
            < 1.5 => power,
            < 3.5 => 2 * power,
            < 7.5 => 5 * power,
            _ => 10 * power,
        };
    }

    /// <summary>A tick label: whole numbers with thousands separators, fractions with the digits the step needs.</summary>
    public string Label(double value, int count = 8)
    {
        double step = Step(count);
        int decimals = step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step));
        return value.ToString(decimals == 0 ? "#,0" : "0." + new string('0', decimals), CultureInfo.InvariantCulture);
    }
}
