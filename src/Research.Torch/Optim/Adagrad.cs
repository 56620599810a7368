namespace Research.Torch.Optim;

/// <summary>Adagrad (Duchi et al., 2011) with learning-rate decay and weight decay (torch.optim.Adagrad).</summary>
public sealed class Adagrad : Optimizer
{
    private readonly double _initialAccumulator;

    /// <summary>One group of <paramref name="parameters"/>.</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : this(OneGroup(parameters), lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize) { }

    /// <summary>Several groups; options they do not set take these defaults.</summary>
    public Adagrad(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["lr_decay"] = lrDecay, ["weight_decay"] = weightDecay, ["eps"] = eps, ["maximize"] = maximize ? 1 : 0,
            ["initial_accumulator_value"] = initialAccumulatorValue,
        })
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "invalid learning rate");   // NaN too
        _initialAccumulator = initialAccumulatorValue;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<string> StateKeys(ParamGroup group) => ["step", "sum"];

    protected override void Update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
    {
        double lr = group["lr"], lrDecay = group["lr_decay"], weightDecay = group["weight_decay"], eps = group["eps"];
        if (!state.ContainsKey("sum")) Keep(state, "sum", param.FullLike(group.Options.GetValueOrDefault("initial_accumulator_value", _initialAccumulator)));
        double step = IncrementStep(state);
        var g = group["maximize"] != 0 ? -grad : grad;
        if (weightDecay != 0) g = g.Add(param, weightDecay);
        double clr = lr / (1 + (step - 1) * lrDecay);
        var sum = state["sum"];
        sum.AddCMul_(g, g, 1);
        var std = sum.Sqrt().Add_(eps);
        param.AddCDiv_(g, std, -clr);
    }
}
