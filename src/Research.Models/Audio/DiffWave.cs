using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="DiffWave"/> noise predictor. Layer i has dilation 2^(i mod <see cref="Cycle"/>) (the paper:
/// 30 layers, cycle 10, 64 channels, kernel 3; a 128-feature sinusoidal step encoding through two 512-unit layers).
/// </summary>
/// <param name="Channels">Residual channels C.</param>
/// <param name="Layers">Residual layers.</param>
/// <param name="Cycle">Dilations 1, 2, …, 2^(Cycle−1), repeated.</param>
/// <param name="KernelSize">Kernel of the (centred, non-causal) dilated convolutions.</param>
/// <param name="StepFeatures">Sines and cosines of the step encoding (even).</param>
/// <param name="StepHidden">Width of the step embedding's two fully connected layers.</param>
/// <param name="Classes">Conditioning classes (0: unconditional).</param>
/// <param name="ClassFeatures">Width of the learned class embedding.</param>
public sealed record DiffWaveConfig(int Channels = 64, int Layers = 30, int Cycle = 10, int KernelSize = 3, int StepFeatures = 128,
    int StepHidden = 512, int Classes = 0, int ClassFeatures = 128)
{
    /// <summary>The dilation of every layer in order.</summary>
    public int[] Dilations => [.. Enumerable.Range(0, Layers).Select(i => 1 << (i % Cycle))];

    /// <summary>Samples each output sees: 1 + Σ_layers (k − 1)·d, centred on it (half on each side).</summary>
    public int ReceptiveField => 1 + Dilations.Sum(d => (KernelSize - 1) * d);
}

/// <summary>
/// DiffWave's diffusion-step embedding (Kong et al., 2021, Sec. 3.2): the sinusoidal code
/// t_emb = [sin(10^(0·4/(h−1)) t), …, sin(10^(4) t), cos(10^(0·4/(h−1)) t), …, cos(10^4 t)] (h = features/2 frequencies from 1 to
/// 10^4) through two fully connected layers with swish: e = swish(W_2 swish(W_1 t_emb)).
/// </summary>
public sealed class DiffusionStepEmbedding : Module
{
    /// <summary>Creates the two layers: <paramref name="features"/> → <paramref name="hidden"/> → <paramref name="hidden"/>.</summary>
    public DiffusionStepEmbedding(int features, int hidden, DType? dtype = null, Device? device = null)
    {
        if (features < 4 || features % 2 != 0) throw new ArgumentException($"the step encoding needs an even number ≥ 4 of features, got {features}", nameof(features));
        Features = features;
        First = new Linear(features, hidden, dtype: dtype, device: device);
        Second = new Linear(hidden, hidden, dtype: dtype, device: device);
    }

    /// <summary>Sines and cosines of the encoding.</summary>
    public int Features { get; }

    /// <summary>W_1.</summary>
    public Linear First { get; }

    /// <summary>W_2.</summary>
    public Linear Second { get; }

    /// <summary>The sinusoidal code of steps [batch] (any numeric dtype): [batch, features] in <paramref name="dtype"/>.</summary>
    public static Tensor Encoding(Tensor steps, int features, DType dtype)
    {
        using var scope = NewScope();
        int half = features / 2;
        var frequencies = Tensor.From(Enumerable.Range(0, half).Select(j => Math.Pow(10, 4.0 * j / (half - 1))).ToArray())
            .To(steps.Device, dtype);                                                              // [half]
        var angles = steps.To(dtype).Unsqueeze(1) * frequencies.Unsqueeze(0);                      // [batch, half]
        return scope.Keep(Tensor.Cat([angles.Sin(), angles.Cos()], 1));
    }

    /// <summary>steps [batch] → e [batch, hidden].</summary>
    public Tensor Forward(Tensor steps)
    {
        using var scope = NewScope();
        var code = Encoding(steps, Features, First.Weight.DType);
        return scope.Keep(Second.Forward(First.Forward(code).Silu()).Silu());
    }
}

/// <summary>
/// One residual layer of DiffWave (Fig. 2): the step embedding, projected to C channels, is added to the input; a
/// centred dilated convolution makes 2C channels, to which the projected condition is added; a gated unit and a 1×1
/// convolution give the residual and the skip output:
/// <code>
///   y = W_d * (x + P_t e)  (+ P_c c)          [batch, 2C, time]
///   z = tanh(y_filter) ⊙ σ(y_gate)            [batch, C, time]
///   (r, s) = W_o z                             residual, skip: [batch, C, time] each
///   out = (x + r) / √2
/// </code>
/// </summary>
public sealed class DiffWaveResidualLayer : Module
{
    /// <summary>Creates the layer's convolutions and projections.</summary>
    public DiffWaveResidualLayer(int channels, int kernelSize, int dilation, int stepHidden, int classFeatures,
        DType? dtype = null, Device? device = null)
    {
        Dilation = dilation;
        StepProjection = new Linear(stepHidden, channels, dtype: dtype, device: device);
        Dilated = new Conv1d(channels, 2 * channels, kernelSize, padding: Padding.Same, dilation: dilation, dtype: dtype, device: device);
        ConditionProjection = classFeatures > 0 ? new Linear(classFeatures, 2 * channels, dtype: dtype, device: device) : null;
        Output = new Conv1d(channels, 2 * channels, 1, dtype: dtype, device: device);
    }

    /// <summary>Dilation d of the centred convolution: taps x[t − d], x[t], x[t + d] for kernel 3.</summary>
    public int Dilation { get; }

    /// <summary>P_t: step embedding → C.</summary>
    public Linear StepProjection { get; }

    /// <summary>W_d: the dilated convolution C → 2C.</summary>
    public Conv1d Dilated { get; }

    /// <summary>P_c: class embedding → 2C (null when unconditional).</summary>
    public Linear? ConditionProjection { get; }

    /// <summary>W_o: 1×1, C → 2C (residual and skip halves).</summary>
    public Conv1d Output { get; }

    /// <summary>x [batch, C, time], step embedding [batch, H], condition [batch, E] or null → (out, skip), [batch, C, time] each.</summary>
    public (Tensor Output, Tensor Skip) Forward(Tensor x, Tensor step, Tensor? condition)
    {
        using var scope = NewScope();
        var y = Dilated.Forward(x + StepProjection.Forward(step).Unsqueeze(2));                    // [batch, 2C, time]
        if (ConditionProjection is not null && condition is not null) y = y + ConditionProjection.Forward(condition).Unsqueeze(2);
        var halves = y.Chunk(2, 1);
        var z = halves[0].Tanh() * halves[1].Sigmoid();                                           // [batch, C, time]
        var parts = Output.Forward(z).Chunk(2, 1);
        var output = (x + parts[0]) * (1 / Math.Sqrt(2));
        scope.Keep(output, parts[1]);
        return (output, parts[1]);
    }

    protected override string ExtraRepr() => $"dilation={Dilation}";
}

/// <summary>
/// DiffWave (Kong, Ping, Huang, Zhao and Catanzaro, 2021): a non-autoregressive noise predictor ε_θ(x_s, s, c) for
/// denoising diffusion on raw waveforms (see <see cref="Diffusion.DenoisingDiffusion"/>):
/// <code>
///   h_0 = ReLU(W_in x_s)                            1×1                              [batch, C, time]
///   e   = DiffusionStepEmbedding(s),  c = E[class]   shared by every layer
///   h_ℓ, s_ℓ = DiffWaveResidualLayer_ℓ(h_{ℓ−1}, e, c)   dilations 1, 2, …, 2^(cycle−1), repeated; centred (bidirectional)
///   ε̂   = W_2 ReLU(W_1 Σ_ℓ s_ℓ / √L)                1×1; W_2 starts at zero          [batch, time]
/// </code>
/// Every convolution is centred, so ε̂[t] sees x_s[t − RF/2 … t + RF/2]; all samples come out in one pass per step.
/// </summary>
public sealed class DiffWave : Module
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public DiffWave(DiffWaveConfig config, DType? dtype = null, Device? device = null)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        if (config.Channels < 1 || config.Layers < 1 || config.Cycle < 1 || config.KernelSize < 1 || config.KernelSize % 2 == 0 || config.Classes < 0)
            throw new ArgumentException($"invalid DiffWave configuration {config} (the kernel must be odd to centre it)", nameof(config));
        int c = config.Channels, classFeatures = config.Classes > 0 ? config.ClassFeatures : 0;
        Input = new Conv1d(1, c, 1, dtype: dtype, device: device);
        StepEmbedding = new DiffusionStepEmbedding(config.StepFeatures, config.StepHidden, dtype, device);
        ClassEmbedding = config.Classes > 0 ? new Embedding(config.Classes, config.ClassFeatures, dtype: dtype, device: device) : null;
        Layers = [.. config.Dilations.Select(d => new DiffWaveResidualLayer(c, config.KernelSize, d, config.StepHidden, classFeatures, dtype, device))];
        SkipProjection = new Conv1d(c, c, 1, dtype: dtype, device: device);
        Output = new Conv1d(c, 1, 1, dtype: dtype, device: device);
        using (NoGrad())
        {
            Output.Weight.Zero_();
            Output.Bias!.Zero_();
        }
    }

    /// <summary>The configuration.</summary>
    public DiffWaveConfig Config { get; }

    /// <summary>W_in: 1×1 from the waveform to C channels.</summary>
    public Conv1d Input { get; }

    /// <summary>The diffusion-step embedding.</summary>
    public DiffusionStepEmbedding StepEmbedding { get; }

    /// <summary>E: the learned class embedding (null when unconditional).</summary>
    public Embedding? ClassEmbedding { get; }

    /// <summary>The residual layers.</summary>
    public DiffWaveResidualLayer[] Layers { get; }

    /// <summary>W_1: 1×1 over the summed skips.</summary>
    public Conv1d SkipProjection { get; }

    /// <summary>W_2: 1×1 to the noise estimate, initialised at zero (ε̂ = 0 before training).</summary>
    public Conv1d Output { get; }

    /// <summary>
    /// ε̂ = ε_θ(x_s, s, c): noisy waves x_s [batch, time], steps [batch] (int64), classes [batch] (int64; required when
    /// the network is conditional) → [batch, time].
    /// </summary>
    public Tensor Forward(Tensor noisy, Tensor steps, Tensor? classes = null)
    {
        if (noisy.Dim != 2) throw new ArgumentException($"expected waves [batch, time], got {noisy.ShapeString}", nameof(noisy));
        if (ClassEmbedding is not null && classes is null) throw new ArgumentException("a class-conditional DiffWave needs the classes", nameof(classes));
        using var scope = NewScope();
        var h = Input.Forward(noisy.Unsqueeze(1)).Relu();                                          // [batch, C, time]
        var e = StepEmbedding.Forward(steps);                                                     // [batch, H]
        var c = classes is null || ClassEmbedding is null ? null : ClassEmbedding.Forward(classes);  // [batch, E]
        Tensor? skips = null;
        foreach (var layer in Layers)
        {
            var (next, skip) = layer.Forward(h, e, c);
            h = next;
            skips = skips is null ? skip : skips + skip;
        }
        var head = SkipProjection.Forward(skips! * (1 / Math.Sqrt(Layers.Length))).Relu();
        return scope.Keep(Output.Forward(head).Squeeze(1));                                      // [batch, time]
    }
}
