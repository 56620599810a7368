using System.Globalization;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the negative-eigenvalue parity experiment at one scale.</summary>
/// <param name="Seeds">Seeds; each trains both eigenvalue ranges at their selected learning rate.</param>
/// <param name="LearningRates">Adam learning rates swept for both ranges on the first seed (selected on the parity cross-entropy at the longest training length).</param>
/// <param name="Steps">Adam steps per model.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="MaxTrainLength">Training lengths are drawn from 3 … this.</param>
/// <param name="TestLengths">Lengths of the accuracy-vs-length curve.</param>
/// <param name="ClaimLength">The unseen length the claim is checked at.</param>
/// <param name="RequiredSigned">The whole-sequence parity accuracy the (−1, 1) model must reach there.</param>
public sealed record ParitySettings(int Seeds, double[] LearningRates, int Steps, int Batch, int MaxTrainLength, int[] TestLengths, int ClaimLength,
    double RequiredSigned)
{
    /// <summary>The (0, 1) model must stay at most this accurate (chance is 0.5).</summary>
    public const double PositiveCeiling = 0.65;

    /// <summary>State channels of the diagonal recurrence.</summary>
    public const int StateSize = 16;

    /// <summary>Width of the input and read-out layers.</summary>
    public const int Width = 32;

    /// <summary>
    /// Smoke: 1 seed, lr 1e-2, 150 steps of 32 sequences of 3 … 16 bits, claim at 128 bits (≥ 0.9). Otherwise 3 seeds (gpu 5), lr ∈ {3e-3,
    /// 1e-2, 3e-2} swept for both ranges, 800 steps of 64 sequences of 3 … 40 bits, claim at 256 bits (≥ 0.95).
    /// </summary>
    public static ParitySettings For(Scale scale) => scale == Scale.Smoke
        ? new(Seeds: 1, LearningRates: [1e-2], Steps: 150, Batch: 32, MaxTrainLength: 16, TestLengths: [16, 64, 128], ClaimLength: 128, RequiredSigned: 0.9)
        : new(Seeds: scale == Scale.Cpu ? 3 : 5, LearningRates: [3e-3, 1e-2, 3e-2], Steps: 800, Batch: 64, MaxTrainLength: 40,
            TestLengths: [40, 64, 128, 256, 512], ClaimLength: 256, RequiredSigned: 0.95);
}

/// <summary>What the neg-eig-lrnn notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="SelectionLoss">Per-position parity cross-entropy at the longest training length (selection sequences) per range ("positive", "signed") and rate, first seed.</param>
/// <param name="SelectedRate">The learning rate each range trained at.</param>
/// <param name="AccuracyByLength">Whole-sequence parity accuracy per range, seed and test length.</param>
/// <param name="ClaimAccuracy">Accuracy at the claim length over seeds, per range.</param>
/// <param name="TrainLengthAccuracy">Accuracy at the longest training length over seeds, per range.</param>
/// <param name="Eigenvalues">The first seed's learned a(bit) per range: [bit][state channel].</param>
public sealed record ParityExperimentOutcome(ParitySettings Settings, IReadOnlyDictionary<string, double[]> SelectionLoss,
    IReadOnlyDictionary<string, double> SelectedRate, IReadOnlyDictionary<string, double[][]> AccuracyByLength,
    IReadOnlyDictionary<string, SeedSummary> ClaimAccuracy, IReadOnlyDictionary<string, SeedSummary> TrainLengthAccuracy,
    IReadOnlyDictionary<string, double[][]> Eigenvalues);

/// <summary>
/// Grazzi et al. (2024), "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues" — the experiment of
/// notebooks/sequence/neg-eig-lrnn.ipynb: one-layer <see cref="DiagonalLinearRnn"/>s that differ only in the eigenvalue range,
/// a ∈ (0, 1) and a ∈ (−1, 1), trained on running parity of short sequences from several seeds, each range at its best of the same
/// learning-rate sweep, and tested on the parity of much longer ones. Metrics per step: <c>seed{k}/{positive|signed}@{lr}/loss</c>;
/// every tenth of training <c>seed{k}/{positive|signed}@{lr}/accuracy</c> at the claim length. The outcome is a
/// <see cref="ParityExperimentOutcome"/>.
/// </summary>
public sealed class NegativeEigenvalueParityExperiment : IExperiment
{
    /// <summary>The two ranges, with their metric names.</summary>
    public static readonly (string Name, EigenvalueRange Range)[] Ranges = [("positive", EigenvalueRange.ZeroToOne), ("signed", EigenvalueRange.MinusOneToOne)];

    /// <summary>Offset of the selection sequences' seeds (the evaluation uses 1000 + length).</summary>
    public const int SelectionSeed = 5000;

    /// <inheritdoc />
    public string Id => "neg-eig-lrnn";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "Negative eigenvalues let a diagonal linear RNN track parity (Grazzi et al., 2024)";

    /// <inheritdoc />
    public string? Narrower => "a diagonal linear RNN on parity only (no DeltaNet or products of Householder matrices)";

    /// <inheritdoc />
    public string Claim =>
        "a diagonal linear RNN trained on parity of 3…40 bits reaches ≥ 0.95 accuracy on 256 bits when its eigenvalues lie in (−1, 1), and stays " +
        "≤ 0.65 (chance 0.5) when they lie in (0, 1), each range at its best of the same learning rates (3e-3, 1e-2, 3e-2): mean and every one of " +
        "3 seeds (smoke: 1 seed, lr 1e-2, 3…16 → 128 bits, ≥ 0.9)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = ParitySettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        context.Run.AddHyperparameters(new
        {
            seeds = seeds.Count, learning_rates = s.LearningRates, s.Steps, s.Batch, train_lengths = $"3..{s.MaxTrainLength}", test_lengths = s.TestLengths,
            claim_length = s.ClaimLength, state_size = ParitySettings.StateSize, width = ParitySettings.Width,
        });
        var names = Ranges.Select(r => r.Name).ToArray();
        var selection = names.ToDictionary(n => n, _ => new double[s.LearningRates.Length]);
        var byLength = names.ToDictionary(n => n, _ => new double[seeds.Count][]);
        var claim = names.ToDictionary(n => n, _ => new double[seeds.Count]);
        var trainLength = names.ToDictionary(n => n, _ => new double[seeds.Count]);
        var eigenvalues = new Dictionary<string, double[][]>();
        var selected = new Dictionary<string, double>();
        TrainingResult? last = null;
        foreach (var (name, range) in Ranges)
        {
            DiagonalLinearRnn? best = null;
            for (int i = 0; i < s.LearningRates.Length; i++)
            {
                var (model, training) = Train(context, s, name, range, s.LearningRates[i], seeds[0], 0);
                last = training;
                selection[name][i] = SelectionLoss(model, s.MaxTrainLength, device);
                if (best is null || selection[name][i] < selection[name][Array.IndexOf(s.LearningRates, selected[name])])
                {
                    best?.Dispose();
                    (best, selected[name]) = (model, s.LearningRates[i]);
                }
                else model.Dispose();
            }
            for (int k = 0; k < seeds.Count; k++)
            {
                var model = best!;
                if (k > 0) (model, last) = Train(context, s, name, range, selected[name], seeds[k], k);
                using (model)
                {
                    byLength[name][k] = s.TestLengths.Select(L => ParityTask.SequenceAccuracy(model, L, device: device)).ToArray();
                    claim[name][k] = ParityTask.SequenceAccuracy(model, s.ClaimLength, device: device);
                    trainLength[name][k] = ParityTask.SequenceAccuracy(model, s.MaxTrainLength, device: device);
                    if (k == 0) eigenvalues[name] = LearnedEigenvalues(model, device);
                }
            }
        }
        var claimAccuracy = names.ToDictionary(n => n, n => new SeedSummary(claim[n]));
        var check = new ClaimCheck()
            .AtLeast($"a ∈ (−1, 1): parity accuracy at {s.ClaimLength} bits", claimAccuracy["signed"], s.RequiredSigned, format: "F3")
            .AtMost($"a ∈ (0, 1): parity accuracy at {s.ClaimLength} bits", claimAccuracy["positive"], ParitySettings.PositiveCeiling, format: "F3");
        var metrics = new Dictionary<string, double>
        {
            ["signed_accuracy"] = claimAccuracy["signed"].Mean, ["positive_accuracy"] = claimAccuracy["positive"].Mean, ["claim_length"] = s.ClaimLength,
            ["signed_lr"] = selected["signed"], ["positive_lr"] = selected["positive"],
        };
        return check.Result(metrics, last, new ParityExperimentOutcome(s, selection, selected, byLength, claimAccuracy,
            names.ToDictionary(n => n, n => new SeedSummary(trainLength[n])), eigenvalues));
    }

    // One model of `range` from `seed` at `lr`: lengths and bits drawn from the step's seed (the same for both ranges).
    private static (DiagonalLinearRnn Model, TrainingResult Training) Train(ExperimentContext context, ParitySettings s, string name, EigenvalueRange range,
        double lr, ulong seed, int k)
    {
        var device = context.Device;
        ManualSeed(seed + 1);
        var model = new DiagonalLinearRnn(vocab: 2, classes: 2, ParitySettings.StateSize, range, ParitySettings.Width, device: device);
        using var adam = new Adam(model.Parameters(), lr: lr);
        string prefix = string.Create(CultureInfo.InvariantCulture, $"seed{k}/{name}@{lr:G3}");
        var trainer = new Trainer(new TrainerOptions
        {
            Seed = seed,
            MaxSteps = s.Steps,
            LearningRate = LearningRates.Constant(lr),
            EvalEvery = Math.Max(1, s.Steps / 10),
            Cancellation = context.Cancellation,
        });
        trainer.Callbacks.AddRange(context.Callbacks);
        var training = trainer.Fit(new TensorState { { name, new ModuleState(model, adam) } }, ctx =>
        {
            var draw = new SplitMix64(ctx.Seed);
            int length = 3 + (int)draw.NextBelow((ulong)(s.MaxTrainLength - 2));
            var (bits, parity) = ParityTask.Batch(s.Batch, length, seed: (int)(draw.Next() >> 33), device);
            ctx.ApplyLearningRate(adam);
            var loss = ParityTask.Loss(model.Forward(bits), parity);
            adam.ZeroGrad();
            loss.Backward();
            adam.Step();
            return new StepResult(Metrics: new Dictionary<string, double> { [$"{prefix}/loss"] = loss.Item<float>() });
        }, evaluate: _ => new Dictionary<string, double> { [$"{prefix}/accuracy"] = ParityTask.SequenceAccuracy(model, s.ClaimLength, device: device) },
            run: context.Run);
        return (model, training);
    }

    /// <summary>
    /// Cross-entropy of the per-position parity predictions on 256 sequences of <paramref name="length"/> bits drawn from
    /// <see cref="SelectionSeed"/> + length (not the evaluation sequences): what the learning rate is selected on.
    /// </summary>
    public static double SelectionLoss(DiagonalLinearRnn model, int length, Device? device = null)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var (bits, parity) = ParityTask.Batch(256, length, SelectionSeed + length, device);
        return ParityTask.Loss(model.Forward(bits), parity).Item<float>();
    }

    // The learned a(bit) of every state channel: [bit][channel].
    private static double[][] LearnedEigenvalues(DiagonalLinearRnn model, Device device)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        using var tokens = Tensor.From(new long[] { 0, 1 }, 1, 2);
        var a = model.Eigenvalues(tokens.To(device)).Select(0, 0).Cpu().Double().ToArray2D<double>();   // [2 bits, state]
        return Enumerable.Range(0, 2).Select(bit => Enumerable.Range(0, a.GetLength(1)).Select(c => a[bit, c]).ToArray()).ToArray();
    }
}

/// <summary>The parity result of <see cref="ParityStudy.Run"/>: accuracies at the claim length and the check against the thresholds.</summary>
/// <param name="SignedAccuracy">Whole-sequence parity accuracy of the a ∈ (−1, 1) model at <paramref name="ClaimLength"/>.</param>
/// <param name="PositiveAccuracy">The same for the a ∈ (0, 1) model.</param>
/// <param name="ClaimLength">The unseen test length the claim is checked at.</param>
/// <param name="LongestTrainLength">The longest training sequence.</param>
/// <param name="RequiredSigned">The accuracy the signed model must reach.</param>
/// <param name="Training">The trainer's result.</param>
public sealed record ParityOutcome(double SignedAccuracy, double PositiveAccuracy, int ClaimLength, int LongestTrainLength, double RequiredSigned,
    TrainingResult Training)
{
    /// <summary>True when the signed model reaches <see cref="RequiredSigned"/> and the positive one stays at most <see cref="ParityStudy.PositiveCeiling"/>.</summary>
    public bool Holds => SignedAccuracy >= RequiredSigned && PositiveAccuracy <= ParityStudy.PositiveCeiling;

    /// <summary>The measured accuracies against their thresholds.</summary>
    public string Detail => string.Create(CultureInfo.InvariantCulture,
        $"parity at T={ClaimLength} (trained on 3…{LongestTrainLength}): a ∈ (−1, 1) {SignedAccuracy:F3} {(SignedAccuracy >= RequiredSigned ? "≥" : "<")} {RequiredSigned:F2}, " +
        $"a ∈ (0, 1) {PositiveAccuracy:F3} {(PositiveAccuracy <= ParityStudy.PositiveCeiling ? "≤" : ">")} {ParityStudy.PositiveCeiling:F2}");

    /// <summary>The claim quantities by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>
    {
        ["signed_accuracy"] = SignedAccuracy,
        ["positive_accuracy"] = PositiveAccuracy,
        ["claim_length"] = ClaimLength,
    };
}

/// <summary>
/// The parity half of the minGRU notebook, shared by the <c>mingru</c> and <c>neg-eig-lrnn</c> experiments: schedule per
/// scale, side-by-side training of both eigenvalue ranges, length extrapolation, and the claim check.
/// </summary>
public static class ParityStudy
{
    /// <summary>The a ∈ (0, 1) model must stay at most this accurate (chance is 0.5).</summary>
    public const double PositiveCeiling = 0.65;

    /// <summary>The claim, with its thresholds per scale.</summary>
    public const string Claim =
        "a diagonal linear RNN trained on parity of 3…40 bits reaches ≥ 0.95 accuracy on 256 bits (smoke: 3…16 → 128 bits, ≥ 0.9) " +
        "when its eigenvalues lie in (−1, 1), and stays ≤ 0.65 (chance) when they lie in (0, 1)";

    /// <summary>Trains both models at the context's scale, records the metrics to its run and checks the claim.</summary>
    public static ParityOutcome Run(ExperimentContext context)
    {
        int steps = context.ByScale(150, 800, 800);
        int batchSize = context.ByScale(32, 64, 64);
        int maxTrainLength = context.ByScale(16, 40, 40);
        int[] testLengths = context.ByScale<int[]>([16, 64, 128], [40, 64, 128, 256, 512], [40, 64, 128, 256, 512]);
        int claimLength = context.ByScale(128, 256, 256);
        double required = context.ByScale(0.9, 0.95, 0.95);
        const double lr = 1e-2;
        const int stateSize = 16, width = 32;
        context.Run.AddHyperparameters(new
        {
            parity_steps = steps, parity_batch_size = batchSize, parity_train_lengths = $"3..{maxTrainLength}", parity_test_lengths = testLengths,
            parity_claim_length = claimLength, parity_lr = lr, parity_state_size = stateSize, parity_width = width,
        });

        var device = context.Device;
        ManualSeed(context.Seed + 1);
        using var positive = new DiagonalLinearRnn(vocab: 2, classes: 2, stateSize, EigenvalueRange.ZeroToOne, width, device: device);
        ManualSeed(context.Seed + 1);
        using var signed = new DiagonalLinearRnn(vocab: 2, classes: 2, stateSize, EigenvalueRange.MinusOneToOne, width, device: device);
        using var positiveOpt = new Adam(positive.Parameters(), lr: lr);
        using var signedOpt = new Adam(signed.Parameters(), lr: lr);
        var runs = new (string Name, DiagonalLinearRnn Model, Adam Optimizer)[] { ("positive", positive, positiveOpt), ("signed", signed, signedOpt) };
        var state = new TensorState { { "positive", new ModuleState(positive, positiveOpt) }, { "signed", new ModuleState(signed, signedOpt) } };

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = steps,
            LearningRate = LearningRates.Constant(lr),
            EvalEvery = Math.Max(1, steps / 10),
        });
        var training = trainer.Fit(state, ctx =>
        {
            // A training length in 3..maxTrainLength and the bits, both drawn from the step's seed.
            var draw = new SplitMix64(ctx.Seed);
            int length = 3 + (int)draw.NextBelow((ulong)(maxTrainLength - 2));
            var (bits, parity) = ParityTask.Batch(batchSize, length, seed: (int)(draw.Next() >> 33), device);
            var metrics = new Dictionary<string, double>();
            foreach (var (name, model, optimizer) in runs)
            {
                ctx.ApplyLearningRate(optimizer);
                var loss = ParityTask.Loss(model.Forward(bits), parity);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                metrics[$"{name}/loss"] = loss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ => new Dictionary<string, double>
        {
            ["positive_accuracy"] = ParityTask.SequenceAccuracy(positive, claimLength, device: device),
            ["signed_accuracy"] = ParityTask.SequenceAccuracy(signed, claimLength, device: device),
        }, run: context.Run);

        foreach (var (name, model, _) in runs)
        {
            foreach (var length in testLengths)
                context.Run.Record(length, $"accuracy_vs_length/{name}", ParityTask.SequenceAccuracy(model, length, device: device));
            RecordEigenvalues(context.Run, name, model, device);
        }
        return new ParityOutcome(ParityTask.SequenceAccuracy(signed, claimLength, device: device), ParityTask.SequenceAccuracy(positive, claimLength, device: device),
            claimLength, maxTrainLength, required, training);
    }

    // The learned a(bit) of every state channel (step = channel): the signed model flips channels with a(1) ≈ −1.
    private static void RecordEigenvalues(Run run, string name, DiagonalLinearRnn model, Device device)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        using var tokens = Tensor.From(new long[] { 0, 1 }, 1, 2);
        var a = model.Eigenvalues(tokens.To(device)).Select(0, 0).Cpu().Double().ToArray2D<double>();   // [2 bits, state]
        for (int bit = 0; bit < 2; bit++)
            for (int channel = 0; channel < a.GetLength(1); channel++)
                run.Record(channel, $"eigenvalues/{name}_bit{bit}", a[bit, channel]);
    }
}
