using Research.Models.Compression;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="DualSoftmaxWaveRnn"/>: one GRU of <see cref="Hidden"/> units, split into a coarse and a fine
/// half, and two output heads of <see cref="HeadWidth"/> hidden units, each ending in a 256-way softmax.
/// </summary>
/// <param name="Hidden">GRU units H (even): the first H/2 form the coarse half y_c, the last H/2 the fine half y_f.</param>
/// <param name="HeadWidth">Hidden units of each output head (O₁/O₃ in the paper).</param>
public sealed record DualSoftmaxWaveRnnConfig(int Hidden = 896, int HeadWidth = 448)
{
    /// <summary>Values of one byte, the classes of each softmax.</summary>
    public const int Classes = 256;

    /// <summary>Units of each half, H/2.</summary>
    public int Half => Hidden / 2;

    /// <summary>Entries of the recurrent matrix R = [R_r; R_z; R_e], 3H².</summary>
    public long RecurrentWeights => 3L * Hidden * Hidden;

    /// <summary>Connected input weights: 3H·3 less the 3·H/2 masked ones (c_t does not reach the coarse half).</summary>
    public long InputWeights => 9L * Hidden - 3L * Half;

    /// <summary>Weights and biases of both heads: 2(H/2·K + K + K·256 + 256).</summary>
    public long HeadParameters => 2L * ((long)Half * HeadWidth + HeadWidth + (long)HeadWidth * Classes + Classes);

    /// <summary>Connected input weights, R, both GRU biases (6H) and the heads.</summary>
    public long ParameterCount => InputWeights + RecurrentWeights + 6L * Hidden + HeadParameters;

    /// <summary>Non-zero parameters when R is pruned to <paramref name="recurrentSparsity"/> (everything else dense).</summary>
    public long NonzeroParameters(double recurrentSparsity) =>
        ParameterCount - MagnitudePruner.PrunedCount(recurrentSparsity, RecurrentWeights);

    /// <summary>
    /// The head width (≥ 1) that brings <paramref name="hidden"/> units' total parameters closest to
    /// <paramref name="nonzeroParameters"/>: a dense model sized to a sparse one's non-zero count.
    /// </summary>
    public static DualSoftmaxWaveRnnConfig Matching(int hidden, long nonzeroParameters) =>
        Enumerable.Range(1, 4096).Select(k => new DualSoftmaxWaveRnnConfig(hidden, k))
            .MinBy(c => Math.Abs(c.ParameterCount - nonzeroParameters))!;
}

/// <summary>
/// WaveRNN (Kalchbrenner et al., 2018, "Efficient Neural Audio Synthesis", Sec. 2) with its dual softmax for 16-bit audio:
/// a sample s_t ∈ [0, 2¹⁶) is split into a coarse byte c_t = ⌊s_t / 256⌋ and a fine byte f_t = s_t mod 256, and one GRU step
/// predicts both, the fine one conditioned on the current coarse one:
/// <code>
///   x_t = [c_{t−1}, f_{t−1}, c_t]                     each byte scaled to [−1, 1]
///   u_t = σ(R_u h_{t−1} + I*_u x_t)                    (z in torch's gate order r, z, n)
///   r_t = σ(R_r h_{t−1} + I*_r x_t)
///   e_t = tanh(r_t ∘ (R_e h_{t−1}) + I*_e x_t)
///   h_t = u_t ∘ h_{t−1} + (1 − u_t) ∘ e_t              h_t = [y_c, y_f]
///   P(c_t) = softmax(O₂ relu(O₁ y_c))      P(f_t) = softmax(O₄ relu(O₃ y_f))
/// </code>
/// I* is the input matrix with the c_t column masked out of the coarse half's rows (<see cref="InputMask"/>), so y_c, and
/// with it P(c_t), depends on the past only, while y_f also sees c_t. The recurrent matrix R is the one the paper prunes
/// (<see cref="RecurrentWeightName"/>, with <see cref="MagnitudePruner"/>). Training is teacher-forced: every x_t is known,
/// so the GRU runs as one fused libtorch layer (<see cref="F.Gru"/>, autograd through aten::gru). Sampling needs c_t
/// before y_f, so it steps the halves one after the other (<see cref="DualSoftmaxWaveRnnStepper"/>), computing R h_{t−1}
/// once per sample as in the paper. Subscale folding (Sec. 5) is not implemented.
/// </summary>
public sealed class DualSoftmaxWaveRnn : Module
{
    /// <summary>The dotted name of R in <see cref="Module.NamedParameters"/>, the only weight that is pruned.</summary>
    public const string RecurrentWeightName = "cell.weight_hh";

    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public DualSoftmaxWaveRnn(DualSoftmaxWaveRnnConfig config, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Hidden < 2 || config.Hidden % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(config), config.Hidden, "the GRU width must be even and ≥ 2 (two halves)");
        if (config.HeadWidth < 1) throw new ArgumentOutOfRangeException(nameof(config), config.HeadWidth, "the head width must be ≥ 1");
        Config = config;
        int h = config.Hidden, half = config.Half, k = config.HeadWidth, classes = DualSoftmaxWaveRnnConfig.Classes;
        Cell = new GRUCell(3, h, dtype: dtype, device: device);
        CoarseHidden = new Linear(half, k, dtype: dtype, device: device);
        CoarseOutput = new Linear(k, classes, dtype: dtype, device: device);
        FineHidden = new Linear(half, k, dtype: dtype, device: device);
        FineOutput = new Linear(k, classes, dtype: dtype, device: device);
        using var scope = NewScope();
        var mask = Tensor.Ones([3L * h, 3], Cell.WeightIh.DType, Cell.WeightIh.Device);
        for (int gate = 0; gate < 3; gate++)
            mask.Narrow(0, (long)gate * h, half).Narrow(1, 2, 1).Fill_(0.0);   // c_t ↛ the coarse half of every gate
        using (NoGrad()) Cell.WeightIh.Mul_(mask);                               // masked entries are 0 and, gradient-free, stay 0
        RegisterBuffer("input_mask", mask.DetachFromScope(), persistent: false);
    }

    /// <summary>The configuration.</summary>
    public DualSoftmaxWaveRnnConfig Config { get; }

    /// <summary>The GRU: weight_ih is I [3H, 3], weight_hh is R [3H, H], gates r, z, n (torch's order).</summary>
    public GRUCell Cell { get; }

    /// <summary>O₁: coarse half → head hidden units.</summary>
    public Linear CoarseHidden { get; }

    /// <summary>O₂: head hidden units → 256 coarse logits.</summary>
    public Linear CoarseOutput { get; }

    /// <summary>O₃: fine half → head hidden units.</summary>
    public Linear FineHidden { get; }

    /// <summary>O₄: head hidden units → 256 fine logits.</summary>
    public Linear FineOutput { get; }

    /// <summary>The 0/1 mask of I [3H, 3]: zero where the current coarse byte c_t would reach the coarse half.</summary>
    public Tensor InputMask => Buffer("input_mask")!;

    /// <summary>R, the recurrent weights [3H, H].</summary>
    public Parameter RecurrentWeight => Cell.WeightHh;

    /// <summary>Float audio in [−1, 1] → 16-bit samples s = clamp(round(32768 x), −32768, 32767) + 32768 ∈ [0, 65535] (int64).</summary>
    public static Tensor Quantize(Tensor wave)
    {
        using var scope = NewScope();
        return scope.Keep(((wave.Double() * 32768.0).Round().Clamp(-32768, 32767) + 32768.0).Long());
    }

    /// <summary>16-bit samples [0, 65535] → float audio (s − 32768) / 32768.</summary>
    public static Tensor Dequantize(Tensor samples)
    {
        using var scope = NewScope();
        return scope.Keep((samples.Float() - 32768.0) / 32768.0);
    }

    /// <summary>16-bit samples → (coarse = high byte ⌊s/256⌋, fine = low byte s mod 256), int64.</summary>
    public static (Tensor Coarse, Tensor Fine) Split(Tensor samples)
    {
        if (samples.DType.IsFloatingPoint()) throw new ArgumentException($"expects integer 16-bit samples, got {samples.DType.Name()}", nameof(samples));
        using var scope = NewScope();
        var fine = samples.Long() % 256;
        var coarse = (samples.Long() - fine).Div(Tensor.Full([], 256L, DType.Int64, samples.Device), "floor");
        scope.Keep(coarse, fine);
        return (coarse, fine);
    }

    /// <summary>(coarse, fine) bytes → 16-bit samples 256 c + f.</summary>
    public static Tensor Combine(Tensor coarse, Tensor fine)
    {
        using var scope = NewScope();
        return scope.Keep(coarse.Long() * 256 + fine.Long());
    }

    /// <summary>A byte b ∈ [0, 255] as the network's input b / 127.5 − 1 ∈ [−1, 1].</summary>
    public static Tensor ScaleByte(Tensor bytes, DType dtype)
    {
        using var scope = NewScope();
        return scope.Keep(bytes.To(dtype) / 127.5 - 1.0);
    }

    /// <summary>
    /// Teacher-forced logits for 16-bit samples [batch, T], T ≥ 2, from the state <paramref name="h0"/> [batch, H] (zeros
    /// when null): position t of the outputs predicts sample t + 1 from samples ≤ t and, for the fine logits, from its
    /// coarse byte c_{t+1}. Returns coarse and fine logits [batch, T − 1, 256] and the last state [batch, H].
    /// </summary>
    public (Tensor Coarse, Tensor Fine, Tensor State) Forward(Tensor samples, Tensor? h0 = null)
    {
        if (samples.Dim != 2 || samples.Size(1) < 2)
            throw new ArgumentException($"expects 16-bit samples [batch, time ≥ 2], got {samples.ShapeString}", nameof(samples));
        using var scope = NewScope();
        long steps = samples.Size(1) - 1;
        var dtype = Cell.WeightHh.DType;
        var (c, f) = Split(samples.To(Cell.WeightHh.Device));
        var x = Tensor.Stack([ScaleByte(c.Narrow(1, 0, steps), dtype), ScaleByte(f.Narrow(1, 0, steps), dtype),
            ScaleByte(c.Narrow(1, 1, steps), dtype)], 2);                                       // x_t = [c_{t−1}, f_{t−1}, c_t]: [batch, T − 1, 3]
        var (states, last) = F.Gru(x, Cell.WeightIh * InputMask, Cell.WeightHh, Cell.BiasIh, Cell.BiasHh, h0);   // [batch, T − 1, H]
        var halves = states.Chunk(2, 2);                                                          // y_c, y_f: [batch, T − 1, H/2]
        var coarse = CoarseOutput.Forward(CoarseHidden.Forward(halves[0]).Relu());                // [batch, T − 1, 256]
        var fine = FineOutput.Forward(FineHidden.Forward(halves[1]).Relu());
        scope.Keep(coarse, fine, last);
        return (coarse, fine, last);
    }

    /// <summary>
    /// Teacher-forced negative log-likelihood in nats per sample of 16-bit samples [batch, T], split into its coarse part
    /// −log P(c_t | s_&lt;t) and fine part −log P(f_t | c_t, s_&lt;t) (their sum is −log P(s_t | s_&lt;t)), averaged over
    /// the samples t ≥ <paramref name="conditionOn"/>; the first <paramref name="conditionOn"/> (≥ 1) are only conditioned on.
    /// </summary>
    public (Tensor Coarse, Tensor Fine) NextSampleNll(Tensor samples, long conditionOn = 1)
    {
        long time = samples.Size(-1);
        if (conditionOn < 1 || conditionOn >= time)
            throw new ArgumentOutOfRangeException(nameof(conditionOn), conditionOn, $"must be in [1, {time - 1}] for {time} samples");
        using var scope = NewScope();
        var (coarseLogits, fineLogits, _) = Forward(samples);
        var (c, f) = Split(samples.To(Cell.WeightHh.Device));
        long scored = time - conditionOn;
        var coarse = F.CrossEntropy(coarseLogits.Narrow(1, conditionOn - 1, scored).Transpose(1, 2), c.Narrow(1, conditionOn, scored));
        var fine = F.CrossEntropy(fineLogits.Narrow(1, conditionOn - 1, scored).Transpose(1, 2), f.Narrow(1, conditionOn, scored));
        scope.Keep(coarse, fine);
        return (coarse, fine);
    }

    /// <summary>
    /// Samples <paramref name="samples"/> 16-bit samples [batch, samples] one at a time: c_t from P(c_t | s_&lt;t), then
    /// f_t from P(f_t | c_t, s_&lt;t), with the logits divided by <paramref name="temperature"/> (0: the most likely byte).
    /// The history is <paramref name="prime"/> [batch, n] or [n] (16-bit samples) when given, else one silent sample
    /// (32768) in each of <paramref name="batch"/> sequences. Draws come from a private generator seeded with
    /// <paramref name="seed"/> (Gumbel-max sampling), so the result depends on the seed only.
    /// </summary>
    public Tensor Generate(long samples, int seed = 0, double temperature = 1.0, Tensor? prime = null, long batch = 1)
    {
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "must be ≥ 0");
        if (temperature < 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be ≥ 0");
        var random = new Random(seed);
        var device = Cell.WeightHh.Device;
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var history = prime is null
            ? Tensor.Full([batch, 1], 32768L, DType.Int64, device)
            : (prime.Dim == 1 ? prime.Unsqueeze(0) : prime).To(device).Long();                  // [batch, n]
        if (history.Size(1) == 0) throw new ArgumentException("the prime must hold at least one sample", nameof(prime));
        var (coarse, fine) = Split(history);
        using var stepper = new DualSoftmaxWaveRnnStepper(this, history.Size(0));
        for (long t = 1; t < history.Size(1); t++)
            using (NewScope())
            {
                stepper.CoarseLogits(coarse.Select(1, t - 1), fine.Select(1, t - 1));
                stepper.FineLogits(coarse.Select(1, t));
            }
        var c = coarse.Select(1, history.Size(1) - 1);                                            // [batch]
        var f = fine.Select(1, history.Size(1) - 1);
        if (samples == 0) return scope.Keep(Tensor.Zeros([history.Size(0), 0], DType.Int64, device));
        var coarseOut = new Tensor[samples];
        var fineOut = new Tensor[samples];
        for (long t = 0; t < samples; t++)
        {
            using var step = NewScope();
            c = Draw(stepper.CoarseLogits(c, f), temperature, random);                             // c_t ~ P(c_t | s_<t)
            f = Draw(stepper.FineLogits(c), temperature, random);                                  // f_t ~ P(f_t | c_t, s_<t)
            step.Keep(c, f);
            coarseOut[t] = c;
            fineOut[t] = f;
        }
        return scope.Keep(Combine(Tensor.Stack(coarseOut, 1), Tensor.Stack(fineOut, 1)));         // [batch, samples]
    }

    // One byte per row of softmax(logits / T) [batch, 256] by the Gumbel-max trick, argmax(logits / T + g) with
    // g = −log(−log u), u ~ U(0, 1) from `random`: an exact draw in three tensor ops; the argmax at T = 0.
    private static Tensor Draw(Tensor logits, double temperature, Random random)
    {
        if (temperature == 0) return logits.ArgMax(1);
        long rows = logits.Size(0), classes = logits.Size(1);
        var gumbel = new double[rows * classes];
        for (int i = 0; i < gumbel.Length; i++)
        {
            double u;
            do u = random.NextDouble(); while (u == 0);
            gumbel[i] = -Math.Log(-Math.Log(u));
        }
        using var scope = NewScope();
        var noise = Tensor.From(gumbel, rows, classes).To(logits.Device);
        var scores = temperature == 1 ? logits.Double() + noise : logits.Double() / temperature + noise;
        return scope.Keep(scores.ArgMax(1));
    }

    protected override string ExtraRepr() => $"hidden={Config.Hidden}, head={Config.HeadWidth}";
}

/// <summary>
/// Step-by-step evaluation of a <see cref="DualSoftmaxWaveRnn"/> for sampling, in the paper's order (Sec. 2): per sample,
/// R h_{t−1} once for all units, then the coarse half from [c_{t−1}, f_{t−1}] (<see cref="CoarseLogits"/>), a coarse byte
/// is chosen, then the fine half from [c_{t−1}, f_{t−1}, c_t] (<see cref="FineLogits"/>). The gate equations are written
/// out (not libtorch's fused cell), so teacher-forcing this class reproduces <see cref="DualSoftmaxWaveRnn.Forward"/>:
/// a check of the mask and of the split. Few tensor ops per sample (the paper's point: sampling time is the number of
/// ops times their cost plus overhead): a byte's input value is one table lookup, u ∘ h + (1 − u) ∘ e one lerp.
/// The weights are snapshotted at construction (later training does not reach them).
/// </summary>
public sealed class DualSoftmaxWaveRnnStepper : IDisposable
{
    private readonly Tensor _levels, _recurrent, _recurrentBias, _coarseInput, _coarseInputBias, _fineInput, _fineInputBias;
    private readonly (Tensor W1, Tensor B1, Tensor W2, Tensor B2) _coarseHead, _fineHead;
    private readonly int _half;
    private Tensor _h;
    private Tensor? _hCoarse, _gFine, _previous;

    /// <summary>Zero state for <paramref name="batch"/> sequences, as at the start of <see cref="DualSoftmaxWaveRnn.Forward"/>.</summary>
    public DualSoftmaxWaveRnnStepper(DualSoftmaxWaveRnn model, long batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = NoGrad();
        using var scope = NewScope();
        int h = model.Config.Hidden, half = model.Config.Half;
        _half = half;
        var cell = model.Cell;
        var device = cell.WeightHh.Device;
        _levels = DualSoftmaxWaveRnn.ScaleByte(Tensor.Arange(DualSoftmaxWaveRnnConfig.Classes, DType.Int64, device), cell.WeightHh.DType)
            .DetachFromScope();                                                                    // byte b → b / 127.5 − 1
        // Rows regrouped as [coarse r, z, n | fine r, z, n], so one matrix product gives both halves' recurrent terms.
        var rows = Tensor.Cat([.. new[] { 0, half }.SelectMany(o => Enumerable.Range(0, 3).Select(g =>
            Tensor.Arange((long)g * h + o, (long)g * h + o + half, 1, DType.Int64, device)))]);
        var input = (cell.WeightIh * model.InputMask).IndexSelect(0, rows);                       // [3H, 3]
        var inputBias = cell.BiasIh!.IndexSelect(0, rows);
        _recurrent = Keep(cell.WeightHh.IndexSelect(0, rows));                                     // [3H, H]
        _recurrentBias = Keep(cell.BiasHh!.IndexSelect(0, rows));
        _coarseInput = Keep(input.Narrow(0, 0, 3L * half).Narrow(1, 0, 2));                         // [3H/2, 2]: no c_t column
        _coarseInputBias = Keep(inputBias.Narrow(0, 0, 3L * half));
        _fineInput = Keep(input.Narrow(0, 3L * half, 3L * half));                                  // [3H/2, 3]
        _fineInputBias = Keep(inputBias.Narrow(0, 3L * half, 3L * half));
        _coarseHead = (Keep(model.CoarseHidden.Weight), Keep(model.CoarseHidden.Bias!), Keep(model.CoarseOutput.Weight), Keep(model.CoarseOutput.Bias!));
        _fineHead = (Keep(model.FineHidden.Weight), Keep(model.FineHidden.Bias!), Keep(model.FineOutput.Weight), Keep(model.FineOutput.Bias!));
        _h = Tensor.Zeros([batch, h], cell.WeightHh.DType, device).DetachFromScope();
    }

    /// <summary>The state h_t = [y_c, y_f] [batch, H] after the last completed sample (a new tensor).</summary>
    public Tensor State => _h.Clone();

    /// <summary>
    /// Starts sample t from the previous bytes [batch]: computes R h_{t−1}, advances the coarse half and returns the
    /// logits of P(c_t | s_&lt;t) [batch, 256]. Must alternate with <see cref="FineLogits"/>.
    /// </summary>
    public Tensor CoarseLogits(Tensor previousCoarse, Tensor previousFine)
    {
        if (_gFine is not null) throw new InvalidOperationException("call FineLogits with the chosen coarse byte before the next CoarseLogits");
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var previous = Tensor.Stack([_levels.IndexSelect(0, previousCoarse), _levels.IndexSelect(0, previousFine)], 1);   // [batch, 2]
        var recurrent = F.Linear(_h, _recurrent, _recurrentBias);                                 // R h_{t−1} + b: [batch, 3H]
        var hCoarse = Update(F.Linear(previous, _coarseInput, _coarseInputBias), recurrent.Narrow(1, 0, 3L * _half), _h.Narrow(1, 0, _half));
        var logits = Head(hCoarse, _coarseHead);
        _hCoarse = hCoarse.DetachFromScope();
        _gFine = recurrent.Narrow(1, 3L * _half, 3L * _half).DetachFromScope();
        _previous = previous.DetachFromScope();
        return scope.Keep(logits);
    }

    /// <summary>Completes sample t with its coarse byte c_t [batch]: advances the fine half, returns the logits of P(f_t | c_t, s_&lt;t).</summary>
    public Tensor FineLogits(Tensor coarse)
    {
        if (_gFine is null || _previous is null || _hCoarse is null) throw new InvalidOperationException("call CoarseLogits first");
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var x = Tensor.Cat([_previous, _levels.IndexSelect(0, coarse).Unsqueeze(1)], 1);           // [c_{t−1}, f_{t−1}, c_t]
        var hFine = Update(F.Linear(x, _fineInput, _fineInputBias), _gFine, _h.Narrow(1, _half, _half));
        var logits = Head(hFine, _fineHead);
        var h = Tensor.Cat([_hCoarse, hFine], 1).DetachFromScope();
        foreach (var t in new[] { _h, _hCoarse, _gFine, _previous }) t.Dispose();
        (_h, _hCoarse, _gFine, _previous) = (h, null, null, null);
        return scope.Keep(logits);
    }

    /// <summary>Frees the state and the weight snapshots.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { _levels, _recurrent, _recurrentBias, _coarseInput, _coarseInputBias, _fineInput, _fineInputBias, _h,
                     _coarseHead.W1, _coarseHead.B1, _coarseHead.W2, _coarseHead.B2, _fineHead.W1, _fineHead.B1, _fineHead.W2, _fineHead.B2 })
            t.Dispose();
        _hCoarse?.Dispose();
        _gFine?.Dispose();
        _previous?.Dispose();
    }

    // One half's GRU update from its input terms I x + b [batch, 3n] and recurrent terms R h + b [batch, 3n], gates r, u, e.
    private static Tensor Update(Tensor input, Tensor recurrent, Tensor h)
    {
        long n = h.Size(1);
        var ru = (input.Narrow(1, 0, 2 * n) + recurrent.Narrow(1, 0, 2 * n)).Sigmoid();           // r_t, u_t
        var e = input.Narrow(1, 2 * n, n).AddCMul(ru.Narrow(1, 0, n), recurrent.Narrow(1, 2 * n, n), 1.0).Tanh();   // tanh(I_e x + r ∘ R_e h)
        return e.Lerp(h, ru.Narrow(1, n, n));                                                      // e + u ∘ (h − e)
    }

    private static Tensor Head(Tensor y, (Tensor W1, Tensor B1, Tensor W2, Tensor B2) head) =>
        F.Linear(F.Linear(y, head.W1, head.B1).Relu(), head.W2, head.B2);

    private static Tensor Keep(Tensor t) => t.Detach().Clone().DetachFromScope();
}
