using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Hypernetworks;

/// <summary>How a <see cref="Hypernetwork"/> turns its input γ into primary-network parameters θ.</summary>
[Flags]
public enum HypernetworkParametrization
{
    /// <summary>The usual formulation: θ = h(γ), γ fed as it is.</summary>
    Standard = 0,

    /// <summary>γ is fed through <see cref="MagnitudeInvariantEncoding"/> (constant norm).</summary>
    InputEncoding = 1,

    /// <summary>θ = θ₀ + h(·) with θ₀ learnable and initialised independently, like an ordinary network.</summary>
    Residual = 2,

    /// <summary>Magnitude Invariant Parametrization: both the encoding and the residual, θ = θ₀ + h(E(γ)).</summary>
    MagnitudeInvariant = InputEncoding | Residual,
}

/// <summary>
/// A hypernetwork (Ha et al., 2017): an MLP h that maps a condition γ [B, k] to the flat parameters θ [B, P] of a
/// primary <see cref="FunctionalMlp"/>, one primary network per condition; <see cref="Predict"/> runs them.
/// <code>
///   Standard:            θ(γ) = h(γ)
///   MagnitudeInvariant:  θ(γ) = θ₀ + h(E(γ)),   E(γ) = [cos(πγ/2), sin(πγ/2)] per component   (Ortiz et al., ICLR 2024)
///   h(u) = W_out a(… a(W_1 u + c_1) …) + c_out,   a = LeakyReLU
/// </code>
/// Initialisation: hidden layers Kaiming-normal for the LeakyReLU with zero biases, the output layer zero-bias and
/// scaled per row j so that an input u of unit norm gives Var θ_j = the primary network's default variance
/// (<see cref="FunctionalMlp.InitStd"/>). With zero biases and a positively homogeneous activation,
/// h(c u) = c h(u) for every c &gt; 0: in the standard formulation the predicted weights are proportional to the
/// magnitude of γ — near γ = 0 the primary network all but vanishes — which is what the paper identifies as the cause
/// of slow, unstable hypernetwork training. MIP removes it at the input (‖E(γ)‖ is constant) and at the output
/// (θ₀ carries a well-scaled network whatever h predicts). θ₀ is drawn from <see cref="FunctionalMlp.DefaultInitialization"/>.
/// </summary>
public sealed class Hypernetwork : Module<Tensor, Tensor>
{
    /// <summary>Creates h: (k or 2k) → hidden[0] → … → P for <paramref name="primary"/>.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes.</exception>
    public Hypernetwork(long conditionFeatures, long[] hidden, FunctionalMlp primary, HypernetworkParametrization parametrization,
        double negativeSlope = 0.01, DType? dtype = null, Device? device = null)
    {
        if (conditionFeatures <= 0) throw new ArgumentException($"the condition needs at least one feature, got {conditionFeatures}", nameof(conditionFeatures));
        if (hidden.Length == 0 || hidden.Any(h => h <= 0)) throw new ArgumentException($"hidden sizes must be non-empty and positive, got [{string.Join(", ", hidden)}]", nameof(hidden));
        ConditionFeatures = conditionFeatures;
        Primary = primary;
        Parametrization = parametrization;
        NegativeSlope = negativeSlope;
        long inputs = parametrization.HasFlag(HypernetworkParametrization.InputEncoding) ? MagnitudeInvariantEncoding.EncodedFeatures(conditionFeatures) : conditionFeatures;
        var sizes = new[] { inputs }.Concat(hidden).Append(primary.ParameterCount).ToArray();
        Layers = new Linear[sizes.Length - 1];
        for (int l = 0; l < Layers.Length; l++) Layers[l] = new Linear(sizes[l], sizes[l + 1], dtype: dtype, device: device);
        using (var scope = NewScope())
        using (NoGrad())
        {
            for (int l = 0; l < Layers.Length - 1; l++)
            {
                Init.KaimingNormal_(Layers[l].Weight, a: negativeSlope, nonlinearity: "leaky_relu");
                Init.Zeros_(Layers[l].Bias!);
            }
            // Var θ_j = H σ_j² (d/H) · E[a²] with E[a²] = ‖u‖²/d after Kaiming layers: = σ_j² for ‖u‖ = 1.
            var output = Layers[^1];
            var rowStd = primary.InitStd(dtype, device) * Math.Sqrt((double)inputs / hidden[^1]);
            output.Weight.Normal_(0, 1).Mul_(rowStd.Unsqueeze(1));
            Init.Zeros_(output.Bias!);
        }
        if (parametrization.HasFlag(HypernetworkParametrization.Residual))
        {
            using var theta0 = primary.DefaultInitialization(dtype, device);
            Theta0 = new Parameter(theta0);
        }
    }

    /// <summary>k, the features of the condition γ.</summary>
    public long ConditionFeatures { get; }

    /// <summary>The primary network whose parameters are predicted.</summary>
    public FunctionalMlp Primary { get; }

    /// <summary>Standard or MIP (or one of its two parts, for ablations).</summary>
    public HypernetworkParametrization Parametrization { get; }

    /// <summary>Slope of the LeakyReLU between hidden layers.</summary>
    public double NegativeSlope { get; }

    /// <summary>The layers of h, the last one producing the P primary parameters.</summary>
    public Linear[] Layers { get; }

    /// <summary>θ₀ [P], the independent parameters of the residual formulation (null without it).</summary>
    public Parameter? Theta0 { get; }

    /// <summary>What h reads: γ itself, or E(γ) with the input encoding. γ [B, k] → [B, k or 2k].</summary>
    /// <exception cref="ArgumentException">γ is not [B, k].</exception>
    public Tensor Encode(Tensor condition)
    {
        if (condition.Dim != 2 || condition.Size(1) != ConditionFeatures)
            throw new ArgumentException($"hypernetwork: expected the condition γ as [batch, {ConditionFeatures}], got {condition.ShapeString}", nameof(condition));
        return Parametrization.HasFlag(HypernetworkParametrization.InputEncoding) ? MagnitudeInvariantEncoding.Encode(condition) : condition.Clone();
    }

    /// <summary>h(·) alone, the hypernetwork's output before θ₀ is added: γ [B, k] → [B, P].</summary>
    public Tensor Delta(Tensor condition)
    {
        using var scope = NewScope();
        var h = Encode(condition);
        for (int l = 0; l < Layers.Length - 1; l++) h = Layers[l].Forward(h).LeakyRelu(NegativeSlope);
        return scope.Keep(Layers[^1].Forward(h));
    }

    /// <summary>The predicted primary parameters θ(γ): γ [B, k] → [B, P].</summary>
    public override Tensor Forward(Tensor condition)
    {
        if (Theta0 is null) return Delta(condition);
        using var scope = NewScope();
        return scope.Keep(Delta(condition) + Theta0);
    }

    /// <summary>The primary networks of γ [B, k] applied to their inputs x [B, N, in] → [B, N, out].</summary>
    public Tensor Predict(Tensor condition, Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Primary.Forward(x, Forward(condition)));
    }

    protected override string ExtraRepr() => $"condition={ConditionFeatures}, primary={string.Join("→", Primary.Sizes)} (P={Primary.ParameterCount}), {Parametrization}";
}
