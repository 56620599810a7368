namespace Research.Torch.Optim;

/// <summary>RMSprop (Hinton) with optional momentum, centring and weight decay (torch.optim.RMSprop).</summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>One group of <paramref name="parameters"/>.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false, bool maximize = false)
        : this(OneGroup(parameters), lr, alpha, eps, weightDecay, momentum, centered, maximize) { }

    /// <summary>Several groups; options they do not set take these defaults.</summary>
    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay, ["momentum"] = momentum,
            ["centered"] = centered ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "invalid learning rate");   // NaN too
    }

    /// <inheritdoc />
    protected override IReadOnlyList<string> StateKeys(ParamGroup group) =>
        new[] { "step", "square_avg" }.Concat(group["momentum"] > 0 ? ["momentum_buffer"] : [])
            .Concat(group["centered"] != 0 ? ["grad_avg"] : []).ToArray();

    protected override void Update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
    {
        double lr = group["lr"], alpha = group["alpha"], eps = group["eps"], weightDecay = group["weight_decay"], momentum = group["momentum"];
        bool centered = group["centered"] != 0;
        if (!state.ContainsKey("square_avg"))
        {
            Keep(state, "step", Tensor.Zeros([], DType.Float32));
            Keep(state, "square_avg", param.ZerosLike());
            if (momentum > 0) Keep(state, "momentum_buffer", param.ZerosLike());
            if (centered) Keep(state, "grad_avg", param.ZerosLike());
        }
        IncrementStep(state);
        var g = group["maximize"] != 0 ? -grad : grad;
        if (weightDecay != 0) g = g.Add(param, weightDecay);
        var squareAvg = state["square_avg"];
        squareAvg.Mul_(alpha).AddCMul_(g, g, 1 - alpha);
        Tensor avg;
        if (centered)
        {
            var gradAvg = state["grad_avg"];
            gradAvg.Mul_(alpha).Add_(g, 1 - alpha);
            avg = squareAvg.AddCMul(gradAvg, gradAvg, -1).Sqrt_();
        }
        else avg = squareAvg.Sqrt();
        avg.Add_(eps);
        if (momentum > 0)
        {
            var buf = state["momentum_buffer"];
            buf.Mul_(momentum).AddCDiv_(g, avg, 1);
            param.Add_(buf, -lr);
        }
        else param.AddCDiv_(g, avg, -lr);
    }
}
