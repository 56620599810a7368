using Research.Experiments.Data;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>One sampled inference chain of a <see cref="NoProp"/> model read at every step.</summary>
/// <param name="States">Accuracy of arg-max_y ⟨z_t, u_y⟩ for t = 0 … T (the state read as the nearest class embedding).</param>
/// <param name="Predictions">Accuracy of block t's own class probabilities softmax(logits(x, z_{t−1})), t = 1 … T.</param>
/// <param name="Output">Accuracy of the classifier on z_T: NoProp's answer.</param>
/// <param name="AgreementWithFirstBlock">Fraction of inputs where NoProp's answer is block 1's arg-max class.</param>
public sealed record NoPropChain(double[] States, double[] Predictions, double Output, double AgreementWithFirstBlock)
{
    /// <summary>The control "one block instead of the chain": block 1 alone, which sees x and pure noise z_0.</summary>
    public double FirstBlock => Predictions[0];
}

/// <summary>Per-seed results of <see cref="NoPropExperiment"/> for the notebook.</summary>
/// <param name="Seeds">The seeds, in order.</param>
/// <param name="Epochs">Training epochs (evaluation i is after epoch i; 0 is the initial state).</param>
/// <param name="TestAccuracy">Test accuracy per method ("NoProp", "block 1 alone", "backprop MLP", "DFA MLP"): [seed][evaluation].</param>
/// <param name="Chains">The final inference chain of every seed.</param>
/// <param name="Parameters">Parameter counts: "NoProp", "one block", "MLP".</param>
/// <param name="MlpWidth">Width of the three hidden layers of the parameter-matched MLPs.</param>
public sealed record NoPropOutcome(IReadOnlyList<ulong> Seeds, int Epochs, IReadOnlyDictionary<string, double[][]> TestAccuracy,
    NoPropChain[] Chains, IReadOnlyDictionary<string, long> Parameters, long MlpWidth)
{
    /// <summary>The final test accuracy of <paramref name="method"/> in every seed.</summary>
    public SeedSummary Final(string method) => new(TestAccuracy[method].Select(c => c[^1]));
}

/// <summary>
/// Li, Teh and Pascanu (2025), NoProp — the experiment of notebooks/locallearning/noprop.ipynb: a NoProp-DT classifier
/// (<see cref="NoProp"/>: T = 10 blocks, fixed one-hot label embeddings, cosine schedule) trained on sklearn digits, each
/// block with its own Adam on its own denoising loss and the linear classifier on its own cross-entropy. On the same
/// batches, with the same Adam settings: a backprop MLP with as many parameters as the whole NoProp model (tanh,
/// 64 → W → W → W → 10), and the same MLP trained by DFA (another backprop-free rule). The control "one block instead
/// of the chain" is block 1 read alone: it sees x and pure noise, so it is a classifier of x trained by NoProp's loss.
/// Metrics per step: <c>seed{s}/block{t}/error</c>, <c>seed{s}/classifier/loss</c>, <c>seed{s}/backprop/loss</c>,
/// <c>seed{s}/dfa/loss</c>; before training and per epoch: <c>seed{s}/{noprop,block1,backprop,dfa}/test_accuracy</c>.
/// </summary>
public sealed class NoPropExperiment : IExperiment
{
    /// <summary>Width of every block.</summary>
    public const long Hidden = 128;

    /// <summary>T at every scale.</summary>
    public const int Steps = 10;

    /// <summary>The methods compared, in the order drawn.</summary>
    public static readonly string[] Methods = ["NoProp", "block 1 alone", "backprop MLP", "DFA MLP"];

    /// <summary>The metric names of <see cref="Methods"/>: <c>seed{s}/{key}/test_accuracy</c>.</summary>
    public static readonly string[] Keys = ["noprop", "block1", "backprop", "dfa"];

    /// <inheritdoc />
    public string Id => "noprop";

    /// <inheritdoc />
    public string Family => "backprop-free & local learning";

    /// <inheritdoc />
    public string Title => "NoProp-DT on digits (Li, Teh and Pascanu, 2025)";

    /// <inheritdoc />
    public string? Narrower => "sklearn digits; the chain's gain over its first block is reported, and there is none at this scale";

    /// <inheritdoc />
    public string Claim =>
        $"T = {Steps} NoProp blocks, each trained only on its own denoising loss with its own optimiser, reach a digits test accuracy " +
        "within 3 points (smoke: 8) of a backprop MLP with the same number of parameters (mean over 5 seeds, and in ≥ 4); " +
        "the chain is reported against its own first block alone (the control) and against DFA";

    /// <summary>The largest allowed backprop − NoProp test accuracy (points) at <paramref name="scale"/>.</summary>
    public static double AllowedGap(Scale scale) => scale == Scale.Smoke ? 8 : 3;

    /// <summary>Training epochs at <paramref name="scale"/>.</summary>
    public static int Epochs(Scale scale) => scale switch { Scale.Smoke => 3, Scale.Cpu => 40, _ => 60 };

    /// <summary>
    /// The width W of a tanh MLP inputs → W → W → W → classes whose parameter count is closest to <paramref name="parameters"/>.
    /// </summary>
    public static long MatchedWidth(long inputs, long classes, long parameters)
    {
        static long Count(long i, long c, long w) => (i + 1) * w + 2 * (w + 1) * w + (w + 1) * c;
        long width = 1;
        while (Math.Abs(Count(inputs, classes, width + 1) - parameters) < Math.Abs(Count(inputs, classes, width) - parameters)) width++;
        return width;
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var seeds = context.Seeds(smoke: 1, cpu: 5, gpu: 5);
        int epochs = Epochs(context.Scale);
        const int batchSize = 64;
        const double lr = 1e-3, classifierLr = 1e-2, testFraction = 0.2;
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction, seed: 0, context.Device);
        var config = new NoPropConfig(data.Features, data.Classes, Hidden, Steps);
        long noPropParameters, blockParameters;
        using (var probe = new NoProp(config)) (noPropParameters, blockParameters) = (probe.ParameterCount(), probe.Block(1).ParameterCount());
        long width = MatchedWidth(data.Features, data.Classes, noPropParameters);
        context.Run.AddHyperparameters(new { epochs, seeds = seeds.Count, batch_size = batchSize, hidden = Hidden, blocks = Steps, eta = config.Eta, lr, classifier_lr = classifierLr, mlp_width = width, test_fraction = testFraction, schedule = "cosine", tuned = "nothing: Adam 1e-3 for blocks and MLPs, 1e-2 for NoProp's linear classifier" });

        var accuracy = Keys.ToDictionary(k => k, _ => new double[seeds.Count][]);
        var chains = new NoPropChain[seeds.Count];
        long mlpParameters = 0;
        for (int i = 0; i < seeds.Count; i++)
        {
            ulong seed = seeds[i];
            var sampler = new EpochSampler(data.TrainRows, batchSize, seed, shuffle: true, dropLast: false);
            ManualSeed(seed);
            using var model = new NoProp(config, device: context.Device);
            var blockOpts = model.Blocks.Select(b => new Adam(b.Parameters(), lr: lr)).ToArray();
            using var headOpt = new Adam(model.HeadParameters(), lr: classifierLr);
            ManualSeed(seed);
            using var mlp = new DirectFeedbackAlignment(data.Features, [width, width, width], data.Classes, device: context.Device);
            ManualSeed(seed);
            using var dfa = new DirectFeedbackAlignment(data.Features, [width, width, width], data.Classes, device: context.Device);
            using var mlpOpt = new Adam(mlp.Parameters(), lr: lr);
            using var dfaOpt = new Adam(dfa.Parameters(), lr: lr);
            mlpParameters = mlp.ParameterCount();
            var curves = Keys.ToDictionary(k => k, _ => new List<double>());
            void Evaluate(long step)
            {
                var chain = ChainAccuracy(model, data.TestX, data.TestY);
                var measured = new[] { chain.Output, chain.FirstBlock, data.TestAccuracy(mlp), data.TestAccuracy(dfa) };
                for (int k = 0; k < Keys.Length; k++)
                {
                    curves[Keys[k]].Add(measured[k]);
                    context.Run.Record(step, $"seed{seed}/{Keys[k]}/test_accuracy", measured[k]);
                }
            }
            try
            {
                Evaluate(0);
                sampler.Run(epochs, data.TrainX, data.TrainY, (step, x, y) =>
                {
                    headOpt.ZeroGrad();                                     // a learned U would collect every block's gradient
                    for (int t = 1; t <= Steps; t++)                        // each block alone: its own loss, its own optimiser
                    {
                        var opt = blockOpts[t - 1];
                        opt.ZeroGrad();
                        var error = model.DenoisingError(t, x, y);          // z_{t−1} ~ q(z_{t−1} | y): no other block is run
                        (error * model.LossWeight(t)).Backward();
                        opt.Step();
                        context.Run.Record(step + 1, $"seed{seed}/block{t}/error", error.Item<float>());
                    }
                    var classifierLoss = model.ClassifierLoss(y);
                    classifierLoss.Backward();
                    headOpt.Step();
                    context.Run.Record(step + 1, $"seed{seed}/classifier/loss", classifierLoss.Item<float>());
                    context.Run.Record(step + 1, $"seed{seed}/backprop/loss", DfaExperiment.Step(DfaRule.Backprop, mlp, mlpOpt, x, y));
                    context.Run.Record(step + 1, $"seed{seed}/dfa/loss", DfaExperiment.Step(DfaRule.Dfa, dfa, dfaOpt, x, y));
                }, Evaluate, context.Cancellation);
                chains[i] = ChainAccuracy(model, data.TestX, data.TestY);
                foreach (var k in Keys) accuracy[k][i] = curves[k].ToArray();
            }
            finally
            {
                foreach (var opt in blockOpts) opt.Dispose();
            }
        }
        var outcome = new NoPropOutcome(seeds, epochs,
            Keys.Select((k, j) => (k, j)).ToDictionary(p => Methods[p.j], p => accuracy[p.k]), chains,
            new Dictionary<string, long> { ["NoProp"] = noPropParameters, ["one block"] = blockParameters, ["MLP"] = mlpParameters }, width);
        return Check(context.Scale, outcome);
    }

    /// <summary>The claim check over the seeds of <paramref name="outcome"/>.</summary>
    public static ExperimentResult Check(Scale scale, NoPropOutcome outcome)
    {
        SeedSummary Points(SeedSummary s) => new(s.Values.Select(v => 100 * v));
        var noProp = outcome.Final("NoProp");
        var gap = Points(outcome.Final("backprop MLP").Minus(noProp));
        var chainGain = Points(noProp.Minus(outcome.Final("block 1 alone")));
        var overDfa = Points(noProp.Minus(outcome.Final("DFA MLP")));
        int n = outcome.Seeds.Count;
        double ratio = (double)outcome.Parameters["MLP"] / outcome.Parameters["NoProp"];
        var check = new ClaimCheck()
            .AtMost("parameter-matched backprop MLP − NoProp test accuracy (points)", gap, AllowedGap(scale), minSeeds: Math.Max(1, n - 1), format: "F2")
            .That("the backprop MLP has NoProp's parameter count within 10 %", Math.Abs(ratio - 1) <= 0.1,
                $"{outcome.Parameters["MLP"]:N0} vs {outcome.Parameters["NoProp"]:N0} ({ratio:P1})");
        var metrics = new Dictionary<string, double>
        {
            ["accuracy_gap_points"] = gap.Mean,
            ["chain_gain_points"] = chainGain.Mean,
            ["chain_gain_spread"] = chainGain.Spread,
            ["chain_gain_wins"] = chainGain.Values.Count(v => v > 0),
            ["chain_agrees_with_block1"] = outcome.Chains.Average(c => c.AgreementWithFirstBlock),
            ["noprop_minus_dfa_points"] = overDfa.Mean,
            ["noprop_parameters"] = outcome.Parameters["NoProp"],
            ["mlp_parameters"] = outcome.Parameters["MLP"],
        };
        foreach (var method in Methods) metrics[$"{method.Replace(' ', '_')}_accuracy"] = outcome.Final(method).Mean;
        return check.Result(metrics, outcome: outcome);
    }

    /// <summary>One sampled inference chain on (x, y), read at every step (libtorch's global generator draws z_0 and ε).</summary>
    public static NoPropChain ChainAccuracy(NoProp model, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var states = model.Trajectory(x);
        var output = model.Classifier.Forward(states[^1]);
        return new NoPropChain(
            states.Select(z => ClassificationSplit.Accuracy(z.Matmul(model.Embedding.T), y)).ToArray(),
            Enumerable.Range(1, model.Steps).Select(t => ClassificationSplit.Accuracy(model.Block(t).Forward(x, states[t - 1]), y)).ToArray(),
            ClassificationSplit.Accuracy(output, y),
            ClassificationSplit.Accuracy(output, model.Block(1).Forward(x, states[0]).ArgMax(-1)));
    }
}
