namespace Research.Experiments.Audio;

/// <summary>
/// How well picks match arrivals: per trace, the pick nearest to the true arrival is a true positive when it lies within
/// the tolerance; every other pick is a false positive, and an arrival without a true positive is a false negative.
/// </summary>
/// <param name="TruePositives">Arrivals picked within the tolerance.</param>
/// <param name="FalsePositives">Picks that are not true positives (including every pick on a trace without the arrival).</param>
/// <param name="FalseNegatives">Arrivals without a true positive.</param>
/// <param name="Residuals">Pick − arrival (samples) of every true positive.</param>
public sealed record PickScore(int TruePositives, int FalsePositives, int FalseNegatives, double[] Residuals)
{
    /// <summary>TP / (TP + FP); 0 without picks.</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>TP / (TP + FN); 0 without arrivals.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary>The harmonic mean of precision and recall.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>The median |pick − arrival| of the true positives (samples); the tolerance + 1 without any.</summary>
    public double MedianAbsError(int tolerance) => Residuals.Length == 0 ? tolerance + 1 : Median(Residuals.Select(Math.Abs));

    /// <summary>
    /// Scores <paramref name="picks"/> (per trace, in samples) against <paramref name="arrivals"/> (per trace; &lt; 0: none)
    /// with |pick − arrival| ≤ <paramref name="tolerance"/> for a true positive.
    /// </summary>
    public static PickScore Of(IReadOnlyList<int> arrivals, IReadOnlyList<int[]> picks, int tolerance)
    {
        if (arrivals.Count != picks.Count) throw new ArgumentException($"{arrivals.Count} arrivals but {picks.Count} pick lists");
        int tp = 0, fp = 0, fn = 0;
        var residuals = new List<double>();
        for (int i = 0; i < arrivals.Count; i++)
        {
            var list = picks[i];
            if (arrivals[i] < 0) { fp += list.Length; continue; }
            int nearest = list.Length == 0 ? -1 : list.MinBy(p => Math.Abs(p - arrivals[i]));
            if (list.Length > 0 && Math.Abs(nearest - arrivals[i]) <= tolerance)
            {
                tp++;
                fp += list.Length - 1;
                residuals.Add(nearest - arrivals[i]);
            }
            else
            {
                fn++;
                fp += list.Length;
            }
        }
        return new PickScore(tp, fp, fn, residuals.ToArray());
    }

    /// <summary>The median of <paramref name="values"/> (mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("the median of no values");
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
