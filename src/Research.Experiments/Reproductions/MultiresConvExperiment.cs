using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the MultiresConv experiment at one scale.</summary>
/// <param name="Side">Digits are upsampled to Side × Side and read pixel by pixel: sequences of Side² steps.</param>
/// <param name="Permuted">Whether the pixels are read in one fixed random order (permuted sequential digits).</param>
/// <param name="Channels">Channels C of MultiresNet.</param>
/// <param name="Layers">MultiresLayer blocks.</param>
/// <param name="KernelSize">Filter length k of MultiresConv and of the TCNs.</param>
/// <param name="BigFactor">The larger TCN has about this many times MultiresNet's parameters.</param>
/// <param name="Steps">Adam steps for every model.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="LearningRates">The learning rates swept for every model on the first seed (chosen on validation accuracy).</param>
/// <param name="Seeds">Seeds.</param>
/// <param name="MaxGapToBig">MultiresNet's test accuracy may be at most this far below the larger TCN's.</param>
/// <param name="MinAccuracy">Smoke only: MultiresNet's test accuracy must reach this (chance is 0.1); 0 at other scales.</param>
public sealed record MultiresConvSettings(int Side, bool Permuted, int Channels, int Layers, int KernelSize, double BigFactor, int Steps, int Batch,
    double[] LearningRates, int Seeds, double MaxGapToBig, double MinAccuracy)
{
    /// <summary>Steps per sequence.</summary>
    public int Length => Side * Side;

    /// <summary>Levels J of every MultiresConv tree: the fewest whose receptive field covers the sequence.</summary>
    public int Depth => MultiresConv.DepthFor(Length, KernelSize);

    /// <summary>Blocks of the TCNs: the fewest whose receptive field covers the sequence.</summary>
    public int TcnLevels => TemporalConvNet.LevelsFor(Length, KernelSize);

    /// <summary>
    /// smoke: raster order, 80 steps of 16 at lr 1e-2, one seed, MultiresNet ≥ 20 % test accuracy (twice chance); cpu: permuted,
    /// 500 steps of 32, lr ∈ {3e-3, 1e-2} for every model, 3 seeds; gpu: permuted, 2000 steps of 32, lr ∈ {1e-3, 3e-3, 1e-2}, 5 seeds.
    /// Always 8×8 digits (64 steps), MultiresNet of 2 blocks × 32 channels, k = 2, the larger TCN with 4× its parameters.
    /// </summary>
    public static MultiresConvSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(Side: 8, Permuted: false, Channels: 32, Layers: 2, KernelSize: 2, BigFactor: 4, Steps: 80, Batch: 16,
            LearningRates: [1e-2], Seeds: 1, MaxGapToBig: 0.02, MinAccuracy: 0.2),
        Scale.Cpu => new(Side: 8, Permuted: true, Channels: 32, Layers: 2, KernelSize: 2, BigFactor: 4, Steps: 500, Batch: 32,
            LearningRates: [3e-3, 1e-2], Seeds: 3, MaxGapToBig: 0.02, MinAccuracy: 0),
        _ => new(Side: 8, Permuted: true, Channels: 32, Layers: 2, KernelSize: 2, BigFactor: 4, Steps: 2000, Batch: 32,
            LearningRates: [1e-3, 3e-3, 1e-2], Seeds: 5, MaxGapToBig: 0.02, MinAccuracy: 0),
    };
}

/// <summary>What the MultiresConv notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">Parameters per model.</param>
/// <param name="Channels">Channels per model (TCNs: per block).</param>
/// <param name="Tuning">Chosen learning rates, the first seed's validation sweep and the test accuracies over seeds.</param>
/// <param name="Scalogram">|w_m ⊙ coefficient_m| of the first trained MultiresLayer (first seed), averaged over channels: one
/// row per level (a_J, b_J, …, b_1, x), one column per step, for <see cref="Example"/>.</param>
/// <param name="Levels">Row labels of the scalogram.</param>
/// <param name="Example">The test digit of the scalogram as an image (Side rows × Side columns, standardised pixels).</param>
/// <param name="ExampleLabel">Its class.</param>
public sealed record MultiresConvOutcome(MultiresConvSettings Settings, IReadOnlyDictionary<string, long> Parameters, IReadOnlyDictionary<string, int> Channels,
    TuningOutcome Tuning, double[][] Scalogram, string[] Levels, double[][] Example, long ExampleLabel);

/// <summary>
/// MultiresConv (Shi, Wang &amp; Huang, 2023): MultiresNet — blocks of a multiresolution convolution (two shared filters along
/// a dilated causal tree, learned mixing of every level) — against the generic TCN of Bai et al. on sequential digits (8×8
/// digits read pixel by pixel, permuted at cpu and gpu scale), all with the same mean-over-time read-out and linear head, the same batches,
/// steps and learning-rate sweep (<see cref="LearningRateTuning"/>, validation accuracy on the first seed). Models:
/// <c>multires</c> (P parameters), <c>tcn</c> (channels chosen for P ± 10 %), <c>tcn-big</c> (about 4 P) and the control
/// <c>undilated</c> (MultiresNet with dilation 1 at every level: the same parameters, a receptive field of J + 1 steps per block).
/// Metrics: <c>seed{n}/digits/{model@lr}/loss</c> per step and <c>…/validation_accuracy</c>. Outcome: <see cref="MultiresConvOutcome"/>.
/// </summary>
public sealed class MultiresConvExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "multires-conv";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "MultiresConv: sequence modeling with multiresolution convolutional memory (Shi, Wang & Huang, 2023)";

    /// <inheritdoc />
    public string? Narrower => "one small task (permuted sequential 8×8 digits, 64 steps) instead of the paper's CIFAR/ListOps/PTB-XL, against TCNs only";

    /// <inheritdoc />
    public string Claim =>
        "on permuted sequential digits (8×8, 64 steps) MultiresNet (2 blocks, 32 channels) reaches a test accuracy within 2 points of a TCN with 4× its " +
        "parameters and at least that of a TCN with the same parameters (±10 %), and beats the same network without the tree's dilations; same steps, " +
        "batches and learning-rate sweep for every model; mean and every one of 3 seeds (smoke: raster order, 80 steps, one seed, MultiresNet ≥ 20 % test accuracy)";

    /// <summary>The models compared, in metric order.</summary>
    public static readonly string[] Models = ["multires", "tcn", "tcn-big", "undilated"];

    /// <summary>Creates MultiresNet (dilated or the control) for the settings.</summary>
    public static MultiresNet CreateMultires(MultiresConvSettings s, bool dilated = true, DType? dtype = null, Device? device = null) =>
        new(1, s.Channels, s.Layers, SequentialDigits.Classes, s.Length, s.KernelSize, dilated: dilated, dtype: dtype, device: device);

    /// <summary>Creates a TCN classifier of <paramref name="channels"/> channels per block for the settings.</summary>
    public static TcnClassifier CreateTcn(MultiresConvSettings s, int channels, Device? device = null) =>
        new(1, channels, s.TcnLevels, SequentialDigits.Classes, s.KernelSize, device: device);

    /// <summary>The TCN width whose parameter count is closest to <paramref name="parameters"/>.</summary>
    public static int TcnChannelsFor(MultiresConvSettings s, long parameters)
    {
        int best = 1;
        long bestGap = long.MaxValue;
        for (int c = 1; c <= 512; c++)
        {
            using var tcn = CreateTcn(s, c);
            long gap = Math.Abs(tcn.ParameterCount() - parameters);
            if (gap < bestGap) (best, bestGap) = (c, gap);
            else break;                                                                              // the count grows with c
        }
        return best;
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = MultiresConvSettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        using var data = SequentialDigits.Create(s.Side, s.Permuted, device: device);
        var parameters = new Dictionary<string, long>();
        var channels = new Dictionary<string, int> { ["multires"] = s.Channels, ["undilated"] = s.Channels };
        using (var probe = CreateMultires(s))
        {
            parameters["multires"] = parameters["undilated"] = probe.ParameterCount();
            channels["tcn"] = TcnChannelsFor(s, parameters["multires"]);
            channels["tcn-big"] = TcnChannelsFor(s, (long)(s.BigFactor * parameters["multires"]));
            foreach (var name in new[] { "tcn", "tcn-big" })
            {
                using var tcn = CreateTcn(s, channels[name]);
                parameters[name] = tcn.ParameterCount();
            }
        }
        context.Run.AddHyperparameters(new
        {
            side = s.Side, length = s.Length, permuted = s.Permuted, s.Channels, s.Layers, kernel_size = s.KernelSize, depth = s.Depth,
            tcn_levels = s.TcnLevels, tcn_channels = channels["tcn"], tcn_big_channels = channels["tcn-big"], s.Steps, s.Batch,
            learning_rates = s.LearningRates, seeds = seeds.Count, parameters,
        });

        Module<Tensor, Tensor> Create(string name) => name switch
        {
            "multires" => CreateMultires(s, device: device),
            "undilated" => CreateMultires(s, dilated: false, device: device),
            _ => CreateTcn(s, channels[name], device),
        };
        var kept = new Dictionary<string, Module<Tensor, Tensor>>();
        int evalEvery = context.Scale == Scale.Smoke ? s.Steps : Math.Max(1, s.Steps / 10);   // smoke: one validation pass
        try
        {
            var tuning = LearningRateTuning.Run(Models, s.LearningRates, seeds, (seed, configs) =>
                SideBySideTraining.Train(context, seed, configs, "digits", s.Steps, evalEvery, Create,
                    (step, bits) => data.Batch(s.Batch, (int)(bits % int.MaxValue)),
                    (m, batch) => F.CrossEntropy(m.Forward(batch.Inputs), batch.Targets),
                    m => ("validation_accuracy", SequentialDigits.Accuracy(m, data.ValidationX, data.ValidationY)),
                    m => (SequentialDigits.Accuracy(m, data.ValidationX, data.ValidationY), SequentialDigits.Accuracy(m, data.TestX, data.TestY)),
                    keep: seed == seeds[0] ? kept : null), higherIsBetter: true);

            var multires = (MultiresNet)kept[SideBySideTraining.ConfigName("multires", tuning.Chosen["multires"])];
            const int exampleIndex = 0;
            var (scalogram, levels) = Scalogram(multires, data.TestX.Narrow(0, exampleIndex, 1));
            var example = ExampleImage(data, exampleIndex, s.Side);
            long label = data.TestY[exampleIndex].Item<long>();

            var test = tuning.Test;
            var check = new ClaimCheck();
            if (s.MinAccuracy > 0)
                check.AtLeast("MultiresNet test accuracy", test["multires"], s.MinAccuracy, format: "F3");
            else
                check.AtLeast("MultiresNet − TCN (4× parameters) test accuracy", test["multires"].Minus(test["tcn-big"]), -s.MaxGapToBig, format: "F3")
                    .AtLeast("MultiresNet − TCN (same parameters) test accuracy", test["multires"].Minus(test["tcn"]), 0, format: "F3")
                    .AtLeast("MultiresNet − undilated control test accuracy", test["multires"].Minus(test["undilated"]), 0, format: "F3");
            var metrics = new Dictionary<string, double>();
            foreach (var name in Models)
            {
                metrics[$"{name}_parameters"] = parameters[name];
                metrics[$"{name}_lr"] = tuning.Chosen[name];
                metrics[$"{name}_test_accuracy"] = test[name].Mean;
            }
            return check.Result(metrics, null, new MultiresConvOutcome(s, parameters, channels, tuning, scalogram, levels, example, label));
        }
        finally
        {
            foreach (var m in kept.Values) m.Dispose();
        }
    }

    /// <summary>
    /// |w_m ⊙ coefficient_m| of the first block's tree on the encoded sequence <paramref name="x"/> [1, 1, time], averaged over
    /// channels: rows a_J, b_J, …, b_1, x (the J + 2 signals the block mixes), columns the time steps. Evaluation mode, no gradients.
    /// </summary>
    public static (double[][] Rows, string[] Labels) Scalogram(MultiresNet model, Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var conv = model.Layers[0].Conv;
        var coefficients = conv.Coefficients(model.Encoder.Forward(x));
        var rows = coefficients.Select((c, m) => (c * conv.W.Narrow(1, m, 1)).Abs().Mean(1).Squeeze(0).Double().ToArray<double>()).ToArray();
        int J = conv.Depth;
        var labels = new[] { string.Create(CultureInfo.InvariantCulture, $"a{J} (coarsest)") }
            .Concat(Enumerable.Range(0, J).Select(i => string.Create(CultureInfo.InvariantCulture, $"b{J - i} (dilation {conv.DilationOf(J - i)})")))
            .Append("x (input)").ToArray();
        return (rows, labels);
    }

    private static double[][] ExampleImage(SequentialDigits data, int index, int side)
    {
        using var scope = NewScope();
        var pixels = data.TestX[index].Squeeze(0).Double().ToArray<double>();                              // in reading order
        var image = new double[side * side];
        for (int t = 0; t < pixels.Length; t++) image[data.Order is null ? t : data.Order[t]] = pixels[t];
        return Enumerable.Range(0, side).Select(r => image.Skip(r * side).Take(side).ToArray()).ToArray();
    }
}
