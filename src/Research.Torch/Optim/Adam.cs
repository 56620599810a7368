namespace Research.Torch.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba, 2015) with L2 weight decay added to the gradient, optionally AMSGrad
/// (torch.optim.Adam); <see cref="AdamW"/> decouples the decay.
/// </summary>
public class Adam : Optimizer
{
    private readonly bool _decoupled;

    /// <summary>One group of <paramref name="parameters"/>.</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Several groups; options they do not set take these defaults.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(groups, lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupled: false) { }

    private protected Adam(IEnumerable<ParamGroup> groups, double lr, (double Beta1, double Beta2) betas, double eps, double weightDecay,
        bool amsgrad, bool maximize, bool decoupled)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = betas.Beta1, ["beta2"] = betas.Beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["amsgrad"] = amsgrad ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "invalid learning rate");   // NaN too
        if (betas.Beta1 is < 0 or >= 1 || betas.Beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(betas), betas, "betas must be in [0, 1)");
        if (eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, "invalid epsilon");
        _decoupled = decoupled;
    }

    /// <summary>
    /// Whether each parameter is updated in one fused pass over it and its state, where the tensors allow it (dense,
    /// contiguous CPU float32/float64; others always take the op-by-op path). The fused update runs the same operations
    /// in the same order and precision, so the two agree to an ulp per step; it reads and writes each tensor once
    /// instead of about twenty passes and two temporaries. True by default; false runs torch.optim.Adam's
    /// single-tensor loop op by op.
    /// </summary>
    public bool Fused { get; set; } = true;

    /// <inheritdoc />
    protected override IReadOnlyList<string> StateKeys(ParamGroup group) =>
        group["amsgrad"] != 0 ? ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["step", "exp_avg", "exp_avg_sq"];

    protected override void Update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
    {
        double lr = group["lr"], beta1 = group["beta1"], beta2 = group["beta2"], eps = group["eps"], weightDecay = group["weight_decay"];
        bool amsgrad = group["amsgrad"] != 0;
        if (!state.ContainsKey("exp_avg"))
        {
            Keep(state, "exp_avg", param.ZerosLike());
            Keep(state, "exp_avg_sq", param.ZerosLike());
            if (amsgrad) Keep(state, "max_exp_avg_sq", param.ZerosLike());
        }
        double step = IncrementStep(state);
        bool maximize = group["maximize"] != 0;
        if (Fused && Native.FusedOptim.Adam(param, grad, state["exp_avg"], state["exp_avg_sq"], amsgrad ? state["max_exp_avg_sq"] : null,
                lr, beta1, beta2, eps, weightDecay, step, amsgrad, maximize, _decoupled))
            return;
        var g = maximize ? -grad : grad;
        if (_decoupled) param.Mul_(1 - lr * weightDecay);
        else if (weightDecay != 0) g = g.Add(param, weightDecay);
        var expAvg = state["exp_avg"];
        var expAvgSq = state["exp_avg_sq"];
        expAvg.Mul_(beta1).Add_(g, 1 - beta1);
        expAvgSq.Mul_(beta2).AddCMul_(g, g, 1 - beta2);
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        double stepSize = lr / biasCorrection1;
        Tensor denom;
        if (amsgrad)
        {
            var maxSq = state["max_exp_avg_sq"];
            using (var m = maxSq.Maximum(expAvgSq)) maxSq.Copy_(m);
            denom = (maxSq.Sqrt() / biasCorrection2Sqrt).Add_(eps);
        }
        else denom = (expAvgSq.Sqrt() / biasCorrection2Sqrt).Add_(eps);
        param.AddCDiv_(expAvg, denom, -stepSize);
    }
}

/// <summary>AdamW (Loshchilov &amp; Hutter, 2019): Adam with decoupled weight decay p ← p·(1 − lr·λ) (torch.optim.AdamW).</summary>
public sealed class AdamW : Adam
{
    /// <summary>One group of <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Several groups; options they do not set take these defaults.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupled: true) { }
}
