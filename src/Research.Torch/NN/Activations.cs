namespace Research.Torch.NN;

/// <summary>Returns its input unchanged (a placeholder layer).</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <summary>The input itself (a new handle to the same tensor).</summary>
    public override Tensor Forward(Tensor input) => input.Alias();
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Relu(input);
}

/// <summary>x for x ≥ 0, slope·x otherwise.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.LeakyRelu(input, NegativeSlope);

    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}

/// <summary>Gaussian error linear unit (exact, or the tanh approximation).</summary>
public sealed class GELU(string approximate = "none") : Module<Tensor, Tensor>
{
    /// <summary>"none" or "tanh".</summary>
    public string Approximate { get; } = approximate;

    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Gelu(input, Approximate);

    protected override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>x · sigmoid(x).</summary>
public sealed class SiLU : Module<Tensor, Tensor>
{
    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Silu(input);
}

/// <summary>Hyperbolic tangent.</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Tanh(input);
}

/// <summary>Logistic sigmoid.</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Sigmoid(input);
}

/// <summary>log(1 + exp(βx)) / β.</summary>
public sealed class Softplus(double beta = 1, double threshold = 20) : Module<Tensor, Tensor>
{
    /// <summary>Sharpness β.</summary>
    public double Beta { get; } = beta;

    /// <summary>Above β·x &gt; threshold the function is linear.</summary>
    public double Threshold { get; } = threshold;

    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Softplus(input, Beta, Threshold);

    protected override string ExtraRepr() => $"beta={Beta}, threshold={Threshold}";
}

/// <summary>Exponential linear unit.</summary>
public sealed class ELU(double alpha = 1) : Module<Tensor, Tensor>
{
    /// <summary>Saturation value for negative inputs.</summary>
    public double Alpha { get; } = alpha;

    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Elu(input, Alpha);
}

/// <summary>sin(ω₀·x), SIREN's periodic activation (Sitzmann et al., 2020).</summary>
public sealed class Sine(double w0 = 1) : Module<Tensor, Tensor>
{
    /// <summary>The frequency ω₀ (SIREN uses 30 in the first layer).</summary>
    public double W0 { get; } = w0;

    /// <summary>Applies the activation.</summary>
    public override Tensor Forward(Tensor input) => F.Sine(input, W0);

    protected override string ExtraRepr() => $"w0={W0}";
}

/// <summary>Softmax along a dimension.</summary>
public sealed class Softmax(long dim) : Module<Tensor, Tensor>
{
    /// <summary>The dimension normalised over.</summary>
    public long Dim { get; } = dim;

    /// <summary>Applies the softmax.</summary>
    public override Tensor Forward(Tensor input) => F.Softmax(input, Dim);
}

/// <summary>Log-softmax along a dimension.</summary>
public sealed class LogSoftmax(long dim) : Module<Tensor, Tensor>
{
    /// <summary>The dimension normalised over.</summary>
    public long Dim { get; } = dim;

    /// <summary>Applies the log-softmax.</summary>
    public override Tensor Forward(Tensor input) => F.LogSoftmax(input, Dim);
}
