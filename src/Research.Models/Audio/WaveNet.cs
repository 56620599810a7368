using System.Text;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="WaveNet"/>: how many classes, channels and dilated layers. Layer i of every block has
/// dilation 2^i, so one block of <see cref="LayersPerBlock"/> layers with kernel 2 sees 2^LayersPerBlock samples.
/// With <see cref="Dilated"/> false every layer has dilation 1: the same parameters, a receptive field linear in depth.
/// </summary>
/// <param name="Classes">Quantisation levels of the μ-law codes (256 for 8-bit μ-law).</param>
/// <param name="ResidualChannels">Width R of the residual stream between layers.</param>
/// <param name="GateChannels">Width of the gated units z (the dilated convolutions' outputs).</param>
/// <param name="SkipChannels">Width S of the skip connections summed into the output head.</param>
/// <param name="HeadChannels">Width of the output head's hidden 1×1 convolution.</param>
/// <param name="Blocks">How many times the dilation sequence 1, 2, …, 2^(LayersPerBlock−1) repeats.</param>
/// <param name="LayersPerBlock">Dilated layers per block.</param>
/// <param name="KernelSize">Kernel of the dilated convolutions (2 in the paper).</param>
/// <param name="InputKernelSize">Kernel of the causal input convolution over the one-hot codes.</param>
/// <param name="Dilated">Dilations 1, 2, 4, … within a block (the paper); false: dilation 1 in every layer.</param>
public sealed record WaveNetConfig(
    int Classes = 256,
    int ResidualChannels = 32,
    int GateChannels = 32,
    int SkipChannels = 64,
    int HeadChannels = 64,
    int Blocks = 2,
    int LayersPerBlock = 8,
    int KernelSize = 2,
    int InputKernelSize = 2,
    bool Dilated = true)
{
    /// <summary>The dilation of every layer in order: 1, 2, …, 2^(L−1), repeated <see cref="Blocks"/> times (all 1 when not <see cref="Dilated"/>).</summary>
    public int[] Dilations =>
        Enumerable.Range(0, Blocks).SelectMany(_ => Enumerable.Range(0, LayersPerBlock).Select(i => Dilated ? 1 << i : 1)).ToArray();

    /// <summary>
    /// Weights and biases of the network: the input convolution C·R·k_in + R, per layer 2(R·G·k + G) + G·R + R + G·S + S,
    /// the head S·H + H + H·C + C. Dilation changes none of them.
    /// </summary>
    public long ParameterCount =>
        (long)Classes * ResidualChannels * InputKernelSize + ResidualChannels
        + (long)Blocks * LayersPerBlock * (2L * (ResidualChannels * GateChannels * KernelSize + GateChannels)
            + GateChannels * ResidualChannels + ResidualChannels + GateChannels * SkipChannels + SkipChannels)
        + SkipChannels * HeadChannels + HeadChannels + (long)HeadChannels * Classes + Classes;

    /// <summary>
    /// Samples that output[t] depends on, x[t−RF+1 … t]: RF = 1 + (k_in − 1) + Σ_layers (k − 1)·d.
    /// With kernel 2 everywhere: 2 + Blocks·(2^LayersPerBlock − 1).
    /// </summary>
    public int ReceptiveField => 1 + (InputKernelSize - 1) + Dilations.Sum(d => (KernelSize - 1) * d);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Classes = {Classes}, ResidualChannels = {ResidualChannels}, GateChannels = {GateChannels}, SkipChannels = {SkipChannels}, ");
        builder.Append($"HeadChannels = {HeadChannels}, Blocks = {Blocks}, LayersPerBlock = {LayersPerBlock}, KernelSize = {KernelSize}, ");
        builder.Append($"InputKernelSize = {InputKernelSize}, Dilated = {Dilated}, ReceptiveField = {ReceptiveField}");
        return true;
    }
}

/// <summary>
/// One residual layer of WaveNet (Sec. 2.3–2.4), with its dilated causal convolution W * x of dilation d:
/// <code>
///   z    = tanh(W_f * x) ⊙ σ(W_g * x)     gated activation unit
///   skip = V_s z                          1×1, to the output head
///   out  = x + V_r z                      1×1, residual connection to the next layer
/// </code>
/// </summary>
public sealed class GatedResidualLayer : Module
{
    /// <summary>Creates the layer: two dilated causal convolutions (filter and gate) and two 1×1 convolutions.</summary>
    public GatedResidualLayer(int residualChannels, int gateChannels, int skipChannels, int kernelSize, int dilation,
        DType? dtype = null, Device? device = null)
    {
        KernelSize = kernelSize;
        Dilation = dilation;
        Filter = new Conv1d(residualChannels, gateChannels, kernelSize, padding: Padding.Causal, dilation: dilation, dtype: dtype, device: device);
        Gate = new Conv1d(residualChannels, gateChannels, kernelSize, padding: Padding.Causal, dilation: dilation, dtype: dtype, device: device);
        Residual = new Conv1d(gateChannels, residualChannels, 1, dtype: dtype, device: device);
        Skip = new Conv1d(gateChannels, skipChannels, 1, dtype: dtype, device: device);
    }

    /// <summary>Kernel size k of the dilated convolutions.</summary>
    public int KernelSize { get; }

    /// <summary>Dilation d: the taps are x[t], x[t−d], …, x[t−(k−1)d].</summary>
    public int Dilation { get; }

    /// <summary>W_f: the filter convolution (tanh branch).</summary>
    public Conv1d Filter { get; }

    /// <summary>W_g: the gate convolution (sigmoid branch).</summary>
    public Conv1d Gate { get; }

    /// <summary>V_r: 1×1 back to the residual stream.</summary>
    public Conv1d Residual { get; }

    /// <summary>V_s: 1×1 to the skip connections.</summary>
    public Conv1d Skip { get; }

    /// <summary>x [batch, R, time] → (x + V_r z [batch, R, time], V_s z [batch, S, time]).</summary>
    public (Tensor Output, Tensor Skip) Forward(Tensor x)
    {
        using var scope = NewScope();
        var z = Filter.Forward(x).Tanh() * Gate.Forward(x).Sigmoid();            // [batch, G, time]
        var output = x + Residual.Forward(z);                                     // [batch, R, time]
        var skip = Skip.Forward(z);                                               // [batch, S, time]
        scope.Keep(output, skip);
        return (output, skip);
    }

    protected override string ExtraRepr() => $"kernel_size={KernelSize}, dilation={Dilation}";
}

/// <summary>
/// WaveNet (van den Oord et al., 2016): an autoregressive model of raw audio,
/// p(x) = Π_t p(x_t | x_1, …, x_{t−1}), where each conditional is a 256-way softmax over 8-bit μ-law codes.
/// <code>
///   h_0     = W_in * onehot(x)                       causal input convolution        [batch, R, time]
///   h_ℓ, s_ℓ = GatedResidualLayer_ℓ(h_{ℓ−1})          dilations 1, 2, …, 2^(L−1) per block
///   logits  = V_2 ReLU(V_1 ReLU(Σ_ℓ s_ℓ))            1×1 head                         [batch, 256, time]
/// </code>
/// Every convolution is causal, so logits[:, :, t] depends on x[t−RF+1 … t] only and predicts x[t+1]; training is
/// teacher-forced cross-entropy (<see cref="NextSampleNll"/>), sampling one sample at a time (<see cref="Generate"/>)
/// with per-layer queues of past activations (<see cref="WaveNetQueues"/>, "Fast WaveNet", Paine et al., 2016).
/// </summary>
public sealed class WaveNet : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/> (defaults: 2 blocks × 8 layers, RF 512 samples).</summary>
    public WaveNet(WaveNetConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new WaveNetConfig();
        var c = Config;
        if (c.Classes < 2 || c.Blocks < 1 || c.LayersPerBlock < 1 || c.KernelSize < 1 || c.InputKernelSize < 1)
            throw new ArgumentException($"invalid WaveNet configuration {c}", nameof(config));
        Input = new Conv1d(c.Classes, c.ResidualChannels, c.InputKernelSize, padding: Padding.Causal, dtype: dtype, device: device);
        Layers = c.Dilations.Select(d => new GatedResidualLayer(c.ResidualChannels, c.GateChannels, c.SkipChannels, c.KernelSize, d, dtype, device)).ToArray();
        Head1 = new Conv1d(c.SkipChannels, c.HeadChannels, 1, dtype: dtype, device: device);
        Head2 = new Conv1d(c.HeadChannels, c.Classes, 1, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public WaveNetConfig Config { get; }

    /// <summary>W_in: causal convolution from one-hot codes to the residual stream.</summary>
    public Conv1d Input { get; }

    /// <summary>The dilated gated residual layers, in order.</summary>
    public GatedResidualLayer[] Layers { get; }

    /// <summary>V_1: first 1×1 convolution of the output head.</summary>
    public Conv1d Head1 { get; }

    /// <summary>V_2: last 1×1 convolution, to the class logits.</summary>
    public Conv1d Head2 { get; }

    /// <summary>Samples of the past that each output sees, including the current one (see <see cref="WaveNetConfig.ReceptiveField"/>).</summary>
    public int ReceptiveField => Config.ReceptiveField;

    /// <summary>
    /// Logits [batch, classes, time] of p(x[t+1] | x[≤t]) from integer codes [batch, time], or from a float one-hot
    /// (or any soft) encoding [batch, classes, time] — the latter is differentiable with respect to the input.
    /// </summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = Input.Forward(Encode(x));                                         // [batch, R, time]
        Tensor? skips = null;
        foreach (var layer in Layers)
        {
            (h, var skip) = layer.Forward(h);
            skips = skips is null ? skip : skips + skip;                          // Σ_ℓ s_ℓ: [batch, S, time]
        }
        return scope.Keep(Head2.Forward(Head1.Forward(skips!.Relu()).Relu()));    // [batch, classes, time]
    }

    /// <summary>
    /// Teacher-forced negative log-likelihood in nats per sample of codes [batch, time]: the mean of
    /// −log p(x[t] | x[&lt;t]) over the targets t ≥ <paramref name="conditionOn"/>; the first
    /// <paramref name="conditionOn"/> samples (at least one) are only conditioned on.
    /// </summary>
    public Tensor NextSampleNll(Tensor codes, long conditionOn = 1)
    {
        long time = codes.Size(1);
        if (conditionOn < 1 || conditionOn >= time)
            throw new ArgumentOutOfRangeException(nameof(conditionOn), conditionOn, $"must be in [1, {time - 1}] for {time} samples");
        using var scope = NewScope();
        var logits = Forward(codes.Narrow(1, 0, time - 1));                       // logits[t] predicts x[t+1]: [batch, classes, time − 1]
        var scored = logits.Narrow(2, conditionOn - 1, time - conditionOn);
        return scope.Keep(F.CrossEntropy(scored, codes.Narrow(1, conditionOn, time - conditionOn)));
    }

    /// <summary>
    /// Samples <paramref name="samples"/> codes [batch, samples] one at a time from p(x_t | x_&lt;t) with the logits
    /// divided by <paramref name="temperature"/> (0: always the most likely code). The history starts with
    /// <paramref name="prime"/> codes [batch, n] or [n] when given, else with one silent sample (code classes/2) in each of
    /// <paramref name="batch"/> sequences;
    /// before the first sample the network sees zeros, exactly as the causal padding of <see cref="Forward"/>.
    /// Draws come from a private generator seeded with <paramref name="seed"/> (inverse-CDF sampling), so the result
    /// depends on the seed only, not on other work sharing libtorch's global generator.
    /// </summary>
    public Tensor Generate(long samples, int seed = 0, double temperature = 1.0, Tensor? prime = null, long batch = 1) =>
        CodeSampler.Generate(samples, seed, temperature, prime, batch, Config.Classes, Input.Weight.Device, n => new WaveNetQueues(this, n));

    internal Tensor Encode(Tensor x)
    {
        if (!x.DType.IsFloatingPoint())
        {
            if (x.Dim != 2) throw new ArgumentException($"WaveNet expects codes [batch, time], got {x.ShapeString}", nameof(x));
            using var oneHot = F.OneHot(x, Config.Classes);                      // [batch, time, classes]
            using var floats = oneHot.To(Input.Weight.DType);
            return floats.Transpose(1, 2);                                        // [batch, classes, time]
        }
        if (x.Dim != 3 || x.Size(1) != Config.Classes)
            throw new ArgumentException($"WaveNet expects a one-hot encoding [batch, {Config.Classes}, time], got {x.ShapeString}", nameof(x));
        return x.Alias();
    }

    protected override string ExtraRepr() => $"receptive_field={ReceptiveField}";
}

/// <summary>
/// Incremental evaluation of a <see cref="WaveNet"/> ("Fast WaveNet", Paine et al., 2016): each convolution keeps a
/// queue of its last (k−1)·d inputs, so one new sample costs one matrix product per convolution instead of a pass
/// over the whole receptive field. The queues start as zeros, which is what the causal padding feeds the
/// convolutions at the start of a sequence, so <see cref="Step"/> at time t returns <see cref="WaveNet.Forward"/>'s
/// logits[:, :, t] for the codes stepped so far.
/// </summary>
public sealed class WaveNetQueues : ICodeStepper
{
    private readonly Ring[] _queues;                                              // per dilated convolution: its last (k−1)·d inputs
    private readonly StepConv _input, _head1, _head2;
    private readonly (StepConv FilterGate, StepConv Residual, StepConv Skip, int KernelSize, int Dilation)[] _layers;
    private readonly int _classes, _inputKernel;

    /// <summary>
    /// Creates zero queues for <paramref name="batch"/> parallel sequences and snapshots the weights of
    /// <paramref name="model"/> (later training does not reach these queues).
    /// </summary>
    public WaveNetQueues(WaveNet model, long batch)
    {
        var c = model.Config;
        var device = model.Input.Weight.Device;
        var dtype = model.Input.Weight.DType;
        _classes = c.Classes;
        _inputKernel = c.InputKernelSize;
        using var noGrad = NoGrad();
        _input = new StepConv(model.Input);
        _head1 = new StepConv(model.Head1);
        _head2 = new StepConv(model.Head2);
        _layers = model.Layers.Select(l => (new StepConv(l.Filter, l.Gate), new StepConv(l.Residual), new StepConv(l.Skip), l.KernelSize, l.Dilation)).ToArray();
        _queues = new Ring[_layers.Length + 1];
        _queues[0] = new Ring(c.InputKernelSize - 1, [batch, c.Classes], dtype, device);
        for (int i = 0; i < _layers.Length; i++)
            _queues[i + 1] = new Ring((c.KernelSize - 1) * _layers[i].Dilation, [batch, c.ResidualChannels], dtype, device);
    }

    /// <summary>Samples stepped so far.</summary>
    public long Time { get; private set; }

    /// <summary>
    /// Feeds codes x[t] [batch] and returns the logits [batch, classes] of p(x[t+1] | x[≤t]): the layers of
    /// <see cref="GatedResidualLayer"/> at one position, each convolution a matrix product with its stacked taps.
    /// </summary>
    public Tensor Step(Tensor codes)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var oneHot = F.OneHot(codes, _classes).To(_input.Weight.DType);            // [batch, classes]
        var h = _input.Apply(_queues[0].Taps(oneHot, _inputKernel, 1));            // h_0: [batch, R]
        Tensor? skips = null;
        for (int i = 0; i < _layers.Length; i++)
        {
            var (filterGate, residual, skip, kernel, dilation) = _layers[i];
            var fg = filterGate.Apply(_queues[i + 1].Taps(h, kernel, dilation)).Chunk(2, 1);   // W_f * h, W_g * h: [batch, G] each
            var z = fg[0].Tanh() * fg[1].Sigmoid();                               // z = tanh(W_f * h) ⊙ σ(W_g * h)
            h = h + residual.Apply([z]);                                          // h + V_r z
            skips = skips is null ? skip.Apply([z]) : skips + skip.Apply([z]);    // Σ_ℓ V_s z
        }
        Time++;
        return scope.Keep(_head2.Apply([_head1.Apply([skips!.Relu()]).Relu()]));  // [batch, classes]
    }

    /// <summary>Frees the queued activations and the weight snapshots.</summary>
    public void Dispose()
    {
        foreach (var queue in _queues) queue.Dispose();
        foreach (var conv in _layers.SelectMany(l => new[] { l.FilterGate, l.Residual, l.Skip }).Append(_input).Append(_head1).Append(_head2)) conv.Dispose();
    }

    /// <summary>
    /// A causal convolution evaluated at the newest position only: y_t = Σ_j W[:, :, j] x_{t−(k−1−j)d} + b, one matrix
    /// product of the stacked taps [batch, k·in] (oldest first) with W permuted to [out, k·in]. Several convolutions
    /// over the same input (filter and gate) stack their outputs.
    /// </summary>
    private sealed class StepConv : IDisposable
    {
        public StepConv(params Conv1d[] convs)
        {
            using var scope = NewScope();
            Weight = scope.Keep(Tensor.Cat(convs.Select(c => c.Weight.Permute(0, 2, 1).Reshape(c.OutChannels, -1)).ToArray(), 0)).DetachFromScope();
            Bias = convs.All(c => c.Bias is not null) ? scope.Keep(Tensor.Cat(convs.Select(c => (Tensor)c.Bias!).ToArray(), 0)).DetachFromScope() : null;
        }

        public Tensor Weight { get; }                                             // [out, k·in]

        public Tensor? Bias { get; }                                              // [out]

        public Tensor Apply(Tensor[] taps) => F.Linear(taps.Length == 1 ? taps[0] : Tensor.Cat(taps, 1), Weight, Bias);

        public void Dispose()
        {
            Weight.Dispose();
            Bias?.Dispose();
        }
    }

    /// <summary>A fixed-length FIFO of past inputs x_{t−n}, …, x_{t−1} of one convolution, filled with zeros at first.</summary>
    private sealed class Ring : IDisposable
    {
        private readonly Tensor[] _items;
        private int _oldest;

        public Ring(int length, long[] shape, DType dtype, Device device)
        {
            _items = new Tensor[length];
            for (int i = 0; i < length; i++) _items[i] = Tensor.Zeros(shape, dtype, device).DetachFromScope();
        }

        /// <summary>The taps [x_{t−(k−1)d}, …, x_{t−d}, x_t] for the new input x_t; then x_t replaces the oldest entry.</summary>
        public Tensor[] Taps(Tensor x, int kernelSize, int dilation)
        {
            var taps = new Tensor[kernelSize];
            for (int j = 0; j < kernelSize - 1; j++) taps[j] = _items[(_oldest + j * dilation) % _items.Length].Alias();   // owned by the step's scope
            taps[^1] = x;
            if (_items.Length > 0)
            {
                using (_items[_oldest]) _items[_oldest] = x.Alias().DetachFromScope();
                _oldest = (_oldest + 1) % _items.Length;
            }
            return taps;
        }

        public void Dispose()
        {
            foreach (var item in _items) item.Dispose();
        }
    }
}
