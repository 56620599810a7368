namespace Research.Torch.Optim;

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD).</summary>
public sealed class SGD : Optimizer
{
    /// <summary>One group of <paramref name="parameters"/>.</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false)
        : this(OneGroup(parameters), lr, momentum, dampening, weightDecay, nesterov, maximize) { }

    /// <summary>Several groups; options they do not set take these defaults.</summary>
    public SGD(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay,
            ["nesterov"] = nesterov ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "invalid learning rate");   // NaN too
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }

    protected override void Update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state)
    {
        double lr = group["lr"], momentum = group["momentum"], dampening = group["dampening"], weightDecay = group["weight_decay"];
        var d = group["maximize"] != 0 ? -grad : grad;
        if (weightDecay != 0) d = d.Add(param, weightDecay);
        if (momentum != 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var buf))
                buf = Keep(state, "momentum_buffer", d.Clone().Detach());
            else
                buf.Mul_(momentum).Add_(d, 1 - dampening);
            d = group["nesterov"] != 0 ? d.Add(buf, momentum) : buf;
        }
        param.Add_(d, -lr);
    }
}
