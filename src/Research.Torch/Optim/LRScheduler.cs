namespace Research.Torch.Optim;

/// <summary>
/// Base of the learning-rate schedules: each <see cref="Step"/> advances the epoch (or step) counter and
/// sets every group's lr from its initial lr ("initial_lr") in closed form. Constructing a scheduler applies epoch 0.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Records each group's initial lr and applies epoch 0.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups) g.Options.TryAdd("initial_lr", g.LearningRate);
        BaseLearningRates = optimizer.ParamGroups.Select(g => g["initial_lr"]).ToArray();
    }

    /// <summary>The optimiser whose learning rates are set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's initial learning rate.</summary>
    public double[] BaseLearningRates { get; }

    /// <summary>The counter (−1 before the first application; 0 after construction).</summary>
    public int LastEpoch { get; private set; } = -1;

    /// <summary>The learning rates set by the last step, per group.</summary>
    public double[] LastLearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

    /// <summary>Advances the schedule by one step (call after <c>optimizer.Step()</c>).</summary>
    public void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>Sets the counter (for resuming) and applies the learning rates for it.</summary>
    public void SetEpoch(int epoch)
    {
        LastEpoch = epoch;
        Apply();
    }

    /// <summary>Applies the schedule at <see cref="LastEpoch"/>.</summary>
    protected virtual void Apply()
    {
        for (int i = 0; i < BaseLearningRates.Length; i++)
            Optimizer.ParamGroups[i].LearningRate = LearningRate(BaseLearningRates[i], LastEpoch);
    }

    /// <summary>The learning rate at <paramref name="epoch"/> for a group whose initial rate is <paramref name="baseLr"/>.</summary>
    protected abstract double LearningRate(double baseLr, int epoch);
}

/// <summary>Multiplies the learning rate by γ every <c>stepSize</c> epochs.</summary>
public sealed class StepLR : LRScheduler
{
    private readonly int _stepSize;
    private readonly double _gamma;

    /// <summary>Creates the schedule and applies epoch 0.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "step size must be positive");
        _stepSize = stepSize;
        _gamma = gamma;
        Step();
    }

    protected override double LearningRate(double baseLr, int epoch) => baseLr * Math.Pow(_gamma, epoch / _stepSize);
}

/// <summary>Multiplies the learning rate by γ every epoch.</summary>
public sealed class ExponentialLR : LRScheduler
{
    private readonly double _gamma;

    /// <summary>Creates the schedule and applies epoch 0.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        _gamma = gamma;
        Step();
    }

    protected override double LearningRate(double baseLr, int epoch) => baseLr * Math.Pow(_gamma, epoch);
}

/// <summary>Cosine annealing from the initial rate to η_min over T_max epochs (SGDR without restarts).</summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int _tMax;
    private readonly double _etaMin;

    /// <summary>Creates the schedule and applies epoch 0.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "T_max must be positive");
        _tMax = tMax;
        _etaMin = etaMin;
        Step();
    }

    protected override double LearningRate(double baseLr, int epoch) =>
        _etaMin + (baseLr - _etaMin) * (1 + Math.Cos(Math.PI * epoch / _tMax)) / 2;
}

/// <summary>Scales the learning rate linearly from startFactor to endFactor over totalIters epochs, then holds it (torch's LinearLR).</summary>
public class LinearLR : LRScheduler
{
    private readonly double _start, _end;
    private readonly int _total;

    /// <summary>Creates the schedule and applies epoch 0.</summary>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1, int totalIters = 5) : base(optimizer)
    {
        if (startFactor is <= 0 or > 1 || endFactor is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(startFactor), "factors must be in (0, 1]");
        _start = startFactor;
        _end = endFactor;
        _total = totalIters;
        Step();
    }

    protected override double LearningRate(double baseLr, int epoch) =>
        baseLr * (_start + (_end - _start) * Math.Min(_total, epoch) / _total);
}

/// <summary>Linear warm-up: the learning rate rises from startFactor·lr to lr over warmupSteps steps, then stays.</summary>
public sealed class LinearWarmup(Optimizer optimizer, int warmupSteps, double startFactor = 1e-3)
    : LinearLR(optimizer, startFactor, 1, warmupSteps);

/// <summary>A learning rate of initial_lr · factor(epoch) for any user function.</summary>
public sealed class LambdaLR : LRScheduler
{
    private readonly Func<int, double> _factor;

    /// <summary>Creates the schedule and applies epoch 0.</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> factor) : base(optimizer)
    {
        _factor = factor;
        Step();
    }

    protected override double LearningRate(double baseLr, int epoch) => baseLr * _factor(epoch);
}

/// <summary>
/// The 1cycle policy (Smith &amp; Topin, 2018): lr warms from maxLr/divFactor to maxLr over pctStart of the
/// steps, then anneals to maxLr/(divFactor·finalDivFactor); momentum (or Adam's β₁) cycles inversely.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly int _totalSteps;
    private readonly double _pctStart, _divFactor, _finalDivFactor, _baseMomentum, _maxMomentum;
    private readonly double[] _maxLr;
    private readonly bool _cos, _cycleMomentum;

    /// <summary>Creates the schedule (overriding the groups' lr) and applies step 0.</summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, string annealStrategy = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4)
        : base(SetInitial(optimizer, maxLr / divFactor))
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "total steps must be positive");
        if (pctStart is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pctStart must be in [0, 1]");
        _totalSteps = totalSteps;
        _pctStart = pctStart;
        _divFactor = divFactor;
        _finalDivFactor = finalDivFactor;
        _baseMomentum = baseMomentum;
        _maxMomentum = maxMomentum;
        _maxLr = optimizer.ParamGroups.Select(_ => maxLr).ToArray();
        _cos = annealStrategy switch
        {
            "cos" => true,
            "linear" => false,
            _ => throw new ArgumentException($"anneal strategy must be cos or linear, not '{annealStrategy}'", nameof(annealStrategy)),
        };
        _cycleMomentum = cycleMomentum && optimizer.ParamGroups.All(g => g.Options.ContainsKey("beta1") || g.Options.ContainsKey("momentum"));
        Step();
    }

    private static Optimizer SetInitial(Optimizer optimizer, double initialLr)
    {
        foreach (var g in optimizer.ParamGroups) g["initial_lr"] = initialLr;
        return optimizer;
    }

    private double Anneal(double start, double end, double pct) =>
        _cos ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;

    protected override void Apply()
    {
        int step = LastEpoch;
        if (step > _totalSteps)
            throw new InvalidOperationException($"OneCycleLR stepped {step} times but was built for {_totalSteps} total steps");
        for (int i = 0; i < _maxLr.Length; i++)
        {
            double initial = _maxLr[i] / _divFactor, min = initial / _finalDivFactor;
            double phase1End = _pctStart * _totalSteps - 1, phase2End = _totalSteps - 1;
            double lr, momentum;
            if (step <= phase1End)
            {
                double pct = step / phase1End;
                lr = Anneal(initial, _maxLr[i], pct);
                momentum = Anneal(_maxMomentum, _baseMomentum, pct);
            }
            else
            {
                double pct = (step - phase1End) / (phase2End - phase1End);
                lr = Anneal(_maxLr[i], min, pct);
                momentum = Anneal(_baseMomentum, _maxMomentum, pct);
            }
            var g = Optimizer.ParamGroups[i];
            g.LearningRate = lr;
            if (_cycleMomentum) g[g.Options.ContainsKey("beta1") ? "beta1" : "momentum"] = momentum;
        }
    }

    protected override double LearningRate(double baseLr, int epoch) => throw new NotSupportedException("OneCycleLR sets rates in Apply");
}
