using Research.Torch.NN;

namespace Research.Interactive;

/// <summary>
/// The weights of a module during training: every <see cref="Every"/> steps <see cref="Record"/> copies the flattened
/// trainable parameters to a float array (no tensor is kept), and the snapshots draw as the PCA path of <see cref="WeightPath"/>.
/// </summary>
public sealed class WeightTrajectory : IMimeRenderable, IUsesPlotly
{
    private readonly Module _module;
    private readonly List<float[]> _snapshots = new();
    private readonly List<double> _steps = new();
    private readonly Lock _gate = new();

    /// <summary>Follows <paramref name="module"/>, snapshotting on steps that are multiples of <paramref name="every"/>.</summary>
    public WeightTrajectory(Module module, int every = 1)
    {
        if (every <= 0) throw new ArgumentOutOfRangeException(nameof(every), every, "snapshot period must be positive");
        _module = module;
        Every = every;
        Names = ModuleWeights.Names(module, trainableOnly: true);
        Shapes = ModuleWeights.Shapes(module, trainableOnly: true);
    }

    /// <summary>Steps between snapshots.</summary>
    public int Every { get; }

    /// <summary>The dotted names of the parameters in a snapshot, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The shapes of the parameters in a snapshot, in order (for <see cref="LossLandscape"/>).</summary>
    public IReadOnlyList<int[]> Shapes { get; }

    /// <summary>The snapshots taken so far.</summary>
    public IReadOnlyList<float[]> Snapshots { get { lock (_gate) return _snapshots.ToList(); } }

    /// <summary>The step of each snapshot.</summary>
    public IReadOnlyList<double> Steps { get { lock (_gate) return _steps.ToList(); } }

    /// <summary>Snapshots the weights when <paramref name="step"/> is a multiple of <see cref="Every"/>; returns whether it did.</summary>
    public bool Record(long step)
    {
        if (step % Every != 0) return false;
        Snapshot(step);
        return true;
    }

    /// <summary>Snapshots the weights now, labelled <paramref name="step"/>.</summary>
    public void Snapshot(double step)
    {
        var weights = ModuleWeights.Flatten(_module, trainableOnly: true);
        if (weights.Length != Shapes.Sum(s => s.Aggregate(1L, (a, b) => a * b)))
            throw new InvalidOperationException($"the module's trainable parameters changed since the trajectory started ({weights.Length} values now).");
        lock (_gate)
        {
            _snapshots.Add(weights);
            _steps.Add(step);
        }
    }

    /// <summary>PCA of the snapshots (needs two or more).</summary>
    public PcaResult Fit() => WeightPath.Fit(Snapshots);

    /// <summary>The path on its top two principal components, optionally over a loss contour from <see cref="WeightPath.EvaluatePlane"/>.</summary>
    public Figure ToFigure(LossSurface? surface = null, string? title = null)
    {
        List<float[]> snapshots; List<double> steps;
        lock (_gate) (snapshots, steps) = (_snapshots.ToList(), _steps.ToList());
        return WeightPath.Plot(WeightPath.Fit(snapshots), steps, surface, title);
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle()
    {
        int count;
        lock (_gate) count = _snapshots.Count;
        return count >= 2
            ? ToFigure().ToMimeBundle()
            : new MimeBundle().Add(MimeBundle.PlainText, $"WeightTrajectory({count} snapshot{(count == 1 ? "" : "s")}; the path needs two)")
                .Add(MimeBundle.Html, $"<div class=\"research-weight-trajectory\">WeightTrajectory: {count} snapshot{(count == 1 ? "" : "s")}, the path needs two</div>");
    }
}
