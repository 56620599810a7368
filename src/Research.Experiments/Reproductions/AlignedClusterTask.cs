using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// A binary classification task whose input geometry is aligned with its label geometry to a chosen degree a ∈ [0, 1]
/// (the parameterised tasks of Alleman, Lindsey &amp; Fusi, ICLR 2024). There are n conditions (clusters), the first half
/// labelled y = +1 and the second half y = −1, with centres in D dimensions
/// <code>
///   c_i = √D · ( √a · y_i u  +  √(1 − a) · r_i )        ‖u‖ = ‖r_i‖ = 1,  r_i ⟂ u
/// </code>
/// where u is a random label axis and r_i are random directions orthogonal to it, independent of the labels. At a = 0 the
/// centres are unstructured points with an arbitrary dichotomy for labels; at a = 1 they collapse onto ±√D·u, the label
/// geometry itself; in between, a is the fraction of each centre's squared norm (D) that lies along the label axis. Samples
/// are centres plus isotropic Gaussian noise of standard deviation σ per coordinate. Seeded with its own generator,
/// independent of libtorch's.
/// </summary>
public sealed class AlignedClusterTask : IDisposable
{
    private AlignedClusterTask(double alignment, Tensor labelAxis, Tensor centres, Tensor labels, Tensor inputs, Tensor targets, Tensor conditions)
    {
        Alignment = alignment;
        LabelAxis = labelAxis;
        Centres = centres;
        Labels = labels;
        Inputs = inputs;
        Targets = targets;
        Conditions = conditions;
    }

    /// <summary>a: the fraction of every centre's squared norm along the label axis.</summary>
    public double Alignment { get; }

    /// <summary>u: the unit label axis, float64 [dimensions].</summary>
    public Tensor LabelAxis { get; }

    /// <summary>The condition centres c_i, float32 [conditions, dimensions]; every row has norm √D.</summary>
    public Tensor Centres { get; }

    /// <summary>The conditions' labels y_i ∈ {+1, −1}, float32 [conditions, 1] (+1 for the first half).</summary>
    public Tensor Labels { get; }

    /// <summary>The training samples, float32 [conditions · samples per condition, dimensions], condition by condition.</summary>
    public Tensor Inputs { get; }

    /// <summary>The samples' labels ±1, float32 [samples, 1].</summary>
    public Tensor Targets { get; }

    /// <summary>The samples' condition indices, int64 [samples].</summary>
    public Tensor Conditions { get; }

    /// <summary>Number of conditions n.</summary>
    public long ConditionCount => Centres.Size(0);

    /// <summary>Draws a task; the same arguments give the same task.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a outside [0, 1], an odd or too small number of conditions, fewer dimensions than 2, no samples, or negative noise.</exception>
    public static AlignedClusterTask Create(double alignment, int seed, int conditions = 16, int dimensions = 20, int samplesPerCondition = 10,
        double noise = 0.1, Device? device = null)
    {
        if (!(alignment >= 0 && alignment <= 1)) throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "the alignment must lie in [0, 1]");
        if (conditions < 2 || conditions % 2 != 0) throw new ArgumentOutOfRangeException(nameof(conditions), conditions, "the conditions must be a positive even number (half per label)");
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerCondition, 1);
        if (!(noise >= 0) || !double.IsFinite(noise)) throw new ArgumentOutOfRangeException(nameof(noise), noise, "the noise must be finite and ≥ 0");
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        double[] Unit(double[] v)
        {
            double norm = Math.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }

        var u = Unit(Enumerable.Range(0, dimensions).Select(_ => Normal()).ToArray());
        var centres = new double[conditions * dimensions];
        var labels = new float[conditions];
        for (int i = 0; i < conditions; i++)
        {
            labels[i] = i < conditions / 2 ? 1 : -1;
            var r = Enumerable.Range(0, dimensions).Select(_ => Normal()).ToArray();
            double along = r.Zip(u, (x, y) => x * y).Sum();
            r = Unit(r.Zip(u, (x, y) => x - along * y).ToArray());                      // r_i ⟂ u, ‖r_i‖ = 1
            for (int d = 0; d < dimensions; d++)
                centres[i * dimensions + d] = Math.Sqrt(dimensions) * (Math.Sqrt(alignment) * labels[i] * u[d] + Math.Sqrt(1 - alignment) * r[d]);
        }
        int samples = conditions * samplesPerCondition;
        var inputs = new float[samples * dimensions];
        var targets = new float[samples];
        var condition = new long[samples];
        for (int s = 0; s < samples; s++)
        {
            int i = s / samplesPerCondition;
            condition[s] = i;
            targets[s] = labels[i];
            for (int d = 0; d < dimensions; d++) inputs[s * dimensions + d] = (float)(centres[i * dimensions + d] + noise * Normal());
        }
        using var scope = NewScope();
        var dev = device ?? Device.CPU;
        var result = new AlignedClusterTask(alignment, Tensor.From(u, dimensions).To(dev),
            Tensor.From(centres, conditions, dimensions).Float().To(dev), Tensor.From(labels, conditions, 1).To(dev),
            Tensor.From(inputs, samples, dimensions).To(dev), Tensor.From(targets, samples, 1).To(dev), Tensor.From(condition, samples).To(dev));
        scope.Keep(result.LabelAxis, result.Centres, result.Labels, result.Inputs, result.Targets, result.Conditions);
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        LabelAxis.Dispose();
        Centres.Dispose();
        Labels.Dispose();
        Inputs.Dispose();
        Targets.Dispose();
        Conditions.Dispose();
    }
}
