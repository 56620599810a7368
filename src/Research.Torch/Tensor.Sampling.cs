namespace Research.Torch;

// Sampling from distributions parameterised by tensors.
public partial class Tensor
{
    private static readonly Op s_bernoulli = new("bernoulli"), s_bernoulliP = new("bernoulli", "p"),
        s_multinomial = new("multinomial"), s_normalTT = new("normal", "Tensor_Tensor"), s_poisson = new("poisson");

    /// <summary>0/1 samples with probabilities given by this tensor's values.</summary>
    public Tensor Bernoulli() => s_bernoulli.Call(this, OpArg.None);

    /// <summary>0/1 samples with probability <paramref name="p"/>, shaped like this tensor.</summary>
    public Tensor Bernoulli(double p) => s_bernoulliP.Call(this, p, OpArg.None);

    /// <summary>Category indices drawn from the rows of this (non-negative, unnormalised) weight tensor.</summary>
    public Tensor Multinomial(long numSamples, bool replacement = false) => s_multinomial.Call(this, numSamples, replacement, OpArg.None);

    /// <summary>Normal samples with elementwise means and standard deviations.</summary>
    public static Tensor Normal(Tensor mean, Tensor std) => s_normalTT.Call(mean, std, OpArg.None);

    /// <summary>Poisson samples with rates given by this tensor.</summary>
    public Tensor Poisson() => s_poisson.Call(this, OpArg.None);
}
