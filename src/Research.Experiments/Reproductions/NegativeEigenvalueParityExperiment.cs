using System.Globalization;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Grazzi et al. (2024), "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues": two one-layer
/// <see cref="DiagonalLinearRnn"/>s that differ only in the eigenvalue range, a ∈ (0, 1) and a ∈ (−1, 1), trained side
/// by side on running parity of short sequences and tested on the parity of much longer ones.
/// Metrics: <c>positive/loss</c>, <c>signed/loss</c> per step; <c>eval/positive_accuracy</c>, <c>eval/signed_accuracy</c> at
/// the claim length during training; after training <c>accuracy_vs_length/*</c> (step = test length) and
/// <c>eigenvalues/*_bit0|1</c> (step = state channel).
/// </summary>
public sealed class NegativeEigenvalueParityExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "neg-eig-lrnn";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "Negative eigenvalues let a diagonal linear RNN track parity (Grazzi et al., 2024)";

    /// <inheritdoc />
    public string Claim => ParityStudy.Claim;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var outcome = ParityStudy.Run(context);
        return new ExperimentResult(outcome.Holds, outcome.Detail, outcome.Metrics, outcome.Training);
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
