using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Compression;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the gradual-pruning experiment at one scale.
/// </summary>
/// <param name="Hidden">Hidden widths of the large MLP (ReLU; 64 inputs, 10 classes).</param>
/// <param name="Sparsity">The sparsity of the claim: the large MLP is pruned to it per layer and compared with a dense MLP of as many non-zeros.</param>
/// <param name="Sweep">Every sparsity trained (each with its matching small dense MLP) for accuracy vs non-zeros; contains <paramref name="Sparsity"/>.</param>
/// <param name="DenseReference">Also train the large MLP without pruning (the 0 % point).</param>
/// <param name="Epochs">Training epochs for every model.</param>
/// <param name="Seeds">Seeds per model: seed k uses data split k, initialisation k and batch order k (the same for both models of a pair).</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Adam's peak learning rate (cosine decay to 0 over the run).</param>
/// <param name="PruneStart">Fraction of training before the first pruning step t₀.</param>
/// <param name="PruneEnd">Fraction of training at the last pruning step t₀ + nΔt (fine-tuning after it).</param>
/// <param name="PruningsPerEpoch">How many times per epoch the weights are pruned (Δt = batches per epoch / this).</param>
/// <param name="RequiredAccuracyGap">Mean large-sparse minus small-dense test accuracy the claim needs.</param>
/// <param name="RequiredLossGap">Mean small-dense minus large-sparse test cross-entropy (nats) the claim needs.</param>
public sealed record GradualPruningSettings(long[] Hidden, double Sparsity, double[] Sweep, bool DenseReference, int Epochs, int Seeds,
    int BatchSize, double LearningRate, double PruneStart, double PruneEnd, int PruningsPerEpoch, double RequiredAccuracyGap, double RequiredLossGap)
{
    /// <summary>Fraction of the digits held out for testing.</summary>
    public const double TestFraction = 0.2;

    /// <summary>
    /// The settings of <paramref name="scale"/>: 64 → 128 → 128 → 128 → 10 pruned to 90 % per layer, Adam 3e-3 with cosine
    /// decay, pruning from 10 % to 60 % of training. Smoke: 20 epochs, 2 seeds, only 90 %; cpu: 30 epochs, 5 seeds, the sweep
    /// 75/90/95/98 % and the unpruned model; gpu: as cpu with 10 seeds.
    /// </summary>
    public static GradualPruningSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new([128, 128, 128], 0.9, [0.9], DenseReference: false, Epochs: 20, Seeds: 2, BatchSize: 64, LearningRate: 3e-3,
            PruneStart: 0.1, PruneEnd: 0.6, PruningsPerEpoch: 2, RequiredAccuracyGap: -0.01, RequiredLossGap: 0),
        Scale.Cpu => new([128, 128, 128], 0.9, [0.75, 0.9, 0.95, 0.98], DenseReference: true, Epochs: 30, Seeds: 5, BatchSize: 64, LearningRate: 3e-3,
            PruneStart: 0.1, PruneEnd: 0.6, PruningsPerEpoch: 2, RequiredAccuracyGap: 0.003, RequiredLossGap: 0.02),
        _ => new([128, 128, 128], 0.9, [0.5, 0.75, 0.9, 0.95, 0.98], DenseReference: true, Epochs: 30, Seeds: 10, BatchSize: 64, LearningRate: 3e-3,
            PruneStart: 0.1, PruneEnd: 0.6, PruningsPerEpoch: 2, RequiredAccuracyGap: 0.003, RequiredLossGap: 0.02),
    };

    /// <summary>Mini-batches per epoch over <paramref name="trainRows"/> examples (the last one may be short).</summary>
    public int BatchesPerEpoch(int trainRows) => (trainRows + BatchSize - 1) / BatchSize;

    /// <summary>The cubic schedule to <paramref name="sparsity"/> for epochs of <paramref name="batchesPerEpoch"/> steps: t₀ at <see cref="PruneStart"/>, every Δt, the last step at or before <see cref="PruneEnd"/>.</summary>
    public GradualSparsitySchedule Schedule(double sparsity, int batchesPerEpoch)
    {
        long frequency = Math.Max(1, batchesPerEpoch / PruningsPerEpoch);
        long steps = (long)Epochs * batchesPerEpoch;
        long start = (long)Math.Round(PruneStart * steps), end = (long)Math.Round(PruneEnd * steps);
        long n = Math.Max(1, (end - start) / frequency);
        return new GradualSparsitySchedule(sparsity, start, frequency, n);
    }
}

/// <summary>
/// One MLP under training on one data split: its Adam optimiser, its batch order, and — for a pruned model — its
/// <see cref="MagnitudePruner"/> and <see cref="GradualSparsitySchedule"/>. Used by <see cref="GradualPruningExperiment"/>
/// and by notebooks/compression/gradual-pruning.ipynb, step by step.
/// </summary>
public sealed class PruningTrainee : IDisposable
{
    private readonly ClassificationSplit _data;
    private readonly EpochSampler _sampler;

    /// <summary>Builds the MLP inputs → <paramref name="hidden"/> → classes from <paramref name="seed"/> (and the pruner when <paramref name="schedule"/> is given).</summary>
    public PruningTrainee(string name, ClassificationSplit data, long[] hidden, GradualSparsitySchedule? schedule, int batchSize, double learningRate, ulong seed)
    {
        Name = name;
        _data = data;
        Hidden = hidden;
        Schedule = schedule;
        ManualSeed(seed);
        Model = GradualPruningExperiment.Mlp(data.Features, hidden, data.Classes, data.TrainX.Device);
        Optimizer = new Adam(Model.Parameters(), lr: learningRate);
        Pruner = schedule is null ? null : new MagnitudePruner(Model, PruningScope.PerLayer);
        _sampler = new EpochSampler(data.TrainRows, batchSize, seed, shuffle: true, dropLast: false);
    }

    /// <summary>A label for plots and metrics.</summary>
    public string Name { get; }

    /// <summary>The hidden widths.</summary>
    public long[] Hidden { get; }

    /// <summary>The model.</summary>
    public Sequential Model { get; }

    /// <summary>Adam over every parameter.</summary>
    public Adam Optimizer { get; }

    /// <summary>The pruner of every weight matrix (biases stay dense), or null for a dense model.</summary>
    public MagnitudePruner? Pruner { get; }

    /// <summary>The pruning schedule, or null for a dense model.</summary>
    public GradualSparsitySchedule? Schedule { get; }

    /// <summary>Mini-batches per epoch.</summary>
    public int BatchesPerEpoch => _sampler.BatchesPerEpoch;

    /// <summary>
    /// Training step <paramref name="step"/> at <paramref name="learningRate"/>: prune if the schedule says so, then one
    /// Adam step on the step's mini-batch (gradients masked, masks re-applied); returns the batch's cross-entropy.
    /// </summary>
    public double Step(long step, double learningRate)
    {
        using var scope = NewScope();
        if (Pruner is not null) Pruner.Update(Schedule!, step);
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = learningRate;
        var index = Tensor.From(_sampler.Indices(step).Select(i => (long)i).ToArray()).To(_data.TrainX.Device);
        var loss = F.CrossEntropy(Model.Forward(_data.TrainX.IndexSelect(0, index)), _data.TrainY.IndexSelect(0, index));
        Optimizer.ZeroGrad();
        loss.Backward();
        if (Pruner is null) Optimizer.Step();
        else Pruner.Step(Optimizer);
        return loss.Item<float>();
    }

    /// <summary>Test accuracy and test cross-entropy (nats).</summary>
    public (double Accuracy, double Loss) Evaluate()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var logits = Model.Forward(_data.TestX);
        return (ClassificationSplit.Accuracy(logits, _data.TestY), F.CrossEntropy(logits, _data.TestY).Item<double>());
    }

    /// <summary>Non-zero entries over all parameters, counted from the values.</summary>
    public long Nonzeros => MagnitudePruner.CountNonzero(Model);

    /// <summary>Frees the model and optimiser.</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
    }
}

/// <summary>
/// Zhu &amp; Gupta (2017), "To prune, or not to prune: exploring the efficacy of pruning for model compression" — the
/// experiment of notebooks/compression/gradual-pruning.ipynb: on sklearn digits, a large ReLU MLP (64 → 128 → 128 → 128 → 10)
/// is pruned gradually during training (<see cref="GradualSparsitySchedule"/>, per-layer <see cref="MagnitudePruner"/>) to
/// 90 % and compared with a dense MLP about 4× narrower that has at least as many non-zero parameters, same epochs, Adam
/// and batches; at cpu scale also at 75, 95, 98 % and unpruned. Metrics per step (means over seeds, 90 % pair):
/// <c>large_sparse/loss</c>, <c>small_dense/loss</c>, <c>schedule/sparsity</c>; per epoch: <c>eval/large_sparse_accuracy</c>,
/// <c>eval/small_dense_accuracy</c>, <c>eval/large_sparse_loss</c>, <c>eval/small_dense_loss</c>, <c>eval/sparsity</c> (measured);
/// at the end <c>accuracy_vs_nonzeros/*</c> and <c>loss_vs_nonzeros/*</c> with the non-zero count as the step.
/// </summary>
public sealed class GradualPruningExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "gradual-pruning";

    /// <inheritdoc />
    public string Family => "compression, pruning & quantization";

    /// <inheritdoc />
    public string Title => "To prune, or not to prune: gradual magnitude pruning, large-sparse vs small-dense (Zhu & Gupta, 2017)";

    /// <inheritdoc />
    public string Claim =>
        "an MLP 64-128-128-128-10 pruned gradually (cubic schedule, per-layer magnitude masks) to 90 % sparsity beats a dense MLP about 4x narrower " +
        "with at least as many non-zero parameters on digits, same epochs and Adam: over 5 seeds (gpu: 10) its mean test accuracy is ≥ 0.3 points higher and its mean " +
        "test cross-entropy ≥ 0.02 nats lower (smoke, 20 epochs and 2 seeds: accuracy at most 1 point lower and cross-entropy not higher); " +
        "every layer ends with exactly round(0.9·n) weights pruned and every pruned weight is exactly zero";

    /// <summary>The ReLU MLP inputs → hidden[0] → … → classes (PyTorch's default initialisation).</summary>
    public static Sequential Mlp(long inputs, long[] hidden, long classes, Device? device = null)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        long width = inputs;
        foreach (var h in hidden)
        {
            layers.Add(new Linear(width, h, device: device));
            layers.Add(new ReLU());
            width = h;
        }
        layers.Add(new Linear(width, classes, device: device));
        return new Sequential(layers.ToArray());
    }

    /// <summary>The weights and biases of the MLP inputs → hidden → classes.</summary>
    public static long DenseParameters(long inputs, long[] hidden, long classes) =>
        LayerShapes(inputs, hidden, classes).Sum(s => s.In * s.Out + s.Out);

    /// <summary>Non-zero parameters of that MLP after every weight matrix is pruned to <paramref name="sparsity"/> (<see cref="MagnitudePruner.PrunedCount"/> per matrix; biases dense).</summary>
    public static long PrunedNonzeros(long inputs, long[] hidden, long classes, double sparsity) =>
        LayerShapes(inputs, hidden, classes).Sum(s => s.In * s.Out - MagnitudePruner.PrunedCount(sparsity, s.In * s.Out) + s.Out);

    /// <summary>The smallest width w such that the dense MLP with <paramref name="depth"/> hidden layers of width w has at least <paramref name="nonzeros"/> parameters.</summary>
    public static long MatchingWidth(long inputs, int depth, long classes, long nonzeros)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        long w = 1;
        while (DenseParameters(inputs, Enumerable.Repeat(w, depth).ToArray(), classes) < nonzeros) w++;
        return w;
    }

    private static IEnumerable<(long In, long Out)> LayerShapes(long inputs, long[] hidden, long classes)
    {
        long width = inputs;
        foreach (var h in hidden.Append(classes))
        {
            yield return (width, h);
            width = h;
        }
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = GradualPruningSettings.For(context.Scale);
        if (!s.Sweep.Contains(s.Sparsity)) throw new InvalidOperationException($"the sweep {string.Join(", ", s.Sweep)} must contain the claim's sparsity {s.Sparsity}");
        var digits = Sklearn.Digits();
        var seeds = Enumerable.Range(0, s.Seeds).Select(k => context.Seed + (ulong)k).ToArray();
        var splits = seeds.Select(seed => ClassificationSplit.Create(digits, GradualPruningSettings.TestFraction, (int)seed, context.Device)).ToArray();
        var trainees = new List<(ulong Seed, double Sparsity, bool Sparse, PruningTrainee Trainee)>();
        try
        {
            long inputs = splits[0].Features, classes = splits[0].Classes;
            int depth = s.Hidden.Length;
            var widths = s.Sweep.ToDictionary(x => x, x => MatchingWidth(inputs, depth, classes, PrunedNonzeros(inputs, s.Hidden, classes, x)));
            for (int k = 0; k < seeds.Length; k++)
            {
                foreach (var x in s.Sweep)
                {
                    var toX = s.Schedule(x, s.BatchesPerEpoch(splits[k].TrainRows));
                    trainees.Add((seeds[k], x, true, new PruningTrainee($"large {s.Hidden[0]}, {100 * x:0.#}% sparse", splits[k], s.Hidden, toX, s.BatchSize, s.LearningRate, seeds[k])));
                    var narrow = Enumerable.Repeat(widths[x], depth).ToArray();
                    trainees.Add((seeds[k], x, false, new PruningTrainee($"small dense {widths[x]}", splits[k], narrow, null, s.BatchSize, s.LearningRate, seeds[k])));
                }
                if (s.DenseReference)
                    trainees.Add((seeds[k], 0, false, new PruningTrainee($"large {s.Hidden[0]} dense", splits[k], s.Hidden, null, s.BatchSize, s.LearningRate, seeds[k])));
            }
            var main = trainees.Where(t => t.Sparsity == s.Sparsity).ToList();
            var mainSparse = main.Where(t => t.Sparse).Select(t => t.Trainee).ToArray();
            var mainDense = main.Where(t => !t.Sparse).Select(t => t.Trainee).ToArray();
            int batchesPerEpoch = mainSparse[0].BatchesPerEpoch;
            long steps = (long)s.Epochs * batchesPerEpoch;
            var schedule = mainSparse[0].Schedule!;
            context.Run.AddHyperparameters(new
            {
                hidden = s.Hidden, sparsity = s.Sparsity, sweep = s.Sweep, dense_reference = s.DenseReference, s.Epochs, steps, seeds = s.Seeds,
                batch_size = s.BatchSize, lr = s.LearningRate, schedule = schedule.ToString(), small_dense_width = widths[s.Sparsity],
                required_accuracy_gap = s.RequiredAccuracyGap, required_loss_gap = s.RequiredLossGap, test_fraction = GradualPruningSettings.TestFraction,
            });
            context.Run.Log($"large {string.Join("-", s.Hidden)}: {DenseParameters(inputs, s.Hidden, classes)} parameters, at {s.Sparsity:P0} {PrunedNonzeros(inputs, s.Hidden, classes, s.Sparsity)} non-zero; " +
                $"small dense width {widths[s.Sparsity]}: {mainDense[0].Nonzeros} parameters; {schedule}");

            var state = new TensorState();
            foreach (var (seed, x, sparse, t) in trainees)
                state.Add(string.Create(CultureInfo.InvariantCulture, $"seed{seed}.{(sparse ? "large_sparse" : x == 0 ? "large_dense" : "small_dense")}{(x == 0 ? "" : $"_{100 * x:0.#}")}"), new ModuleState(t.Model, t.Optimizer));
            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = steps,
                LearningRate = LearningRates.WarmupCosine(s.LearningRate, 0, steps),
                EvalEvery = batchesPerEpoch,
                FiniteCheckEvery = batchesPerEpoch,
            });
            var result = trainer.Fit(state, ctx =>
            {
                double sparseLoss = 0, denseLoss = 0;
                foreach (var (_, x, sparse, t) in trainees)
                {
                    double loss = t.Step(ctx.Step, ctx.LearningRate);
                    if (x != s.Sparsity) continue;
                    if (sparse) sparseLoss += loss / mainSparse.Length;
                    else denseLoss += loss / mainDense.Length;
                }
                return new StepResult(Metrics: new Dictionary<string, double>
                {
                    ["large_sparse/loss"] = sparseLoss, ["small_dense/loss"] = denseLoss, ["schedule/sparsity"] = schedule.SparsityAt(ctx.Step),
                });
            }, evaluate: _ =>
            {
                var a = mainSparse.Select(t => t.Evaluate()).ToArray();
                var b = mainDense.Select(t => t.Evaluate()).ToArray();
                return new Dictionary<string, double>
                {
                    ["large_sparse_accuracy"] = a.Average(e => e.Accuracy), ["small_dense_accuracy"] = b.Average(e => e.Accuracy),
                    ["large_sparse_loss"] = a.Average(e => e.Loss), ["small_dense_loss"] = b.Average(e => e.Loss),
                    ["sparsity"] = mainSparse.Average(t => t.Pruner!.Sparsity),
                };
            }, run: context.Run);

            // Final numbers: every sweep point's means over seeds, the claim's pair per seed, and the masks' exactness.
            var metrics = new Dictionary<string, double>();
            var evaluations = trainees.Select(t => (t.Sparsity, t.Sparse, t.Trainee, Eval: t.Trainee.Evaluate())).ToList();
            foreach (var group in evaluations.GroupBy(e => (e.Sparsity, e.Sparse)))
            {
                string series = group.Key.Sparse ? "large_sparse" : group.Key.Sparsity == 0 ? "large_dense" : "small_dense";
                long nonzeros = group.First().Trainee.Nonzeros;
                context.Run.Record(nonzeros, $"accuracy_vs_nonzeros/{series}", group.Average(e => e.Eval.Accuracy));
                context.Run.Record(nonzeros, $"loss_vs_nonzeros/{series}", group.Average(e => e.Eval.Loss));
                if (group.Key.Sparsity != s.Sparsity && group.Key.Sparsity > 0)
                    metrics[$"{series}_accuracy_at_{100 * group.Key.Sparsity:0.#}"] = group.Average(e => e.Eval.Accuracy);
                if (group.Key.Sparsity == 0) metrics["large_dense_accuracy"] = group.Average(e => e.Eval.Accuracy);
            }
            var sparseEval = evaluations.Where(e => e.Sparsity == s.Sparsity && e.Sparse).Select(e => e.Eval).ToArray();
            var denseEval = evaluations.Where(e => e.Sparsity == s.Sparsity && !e.Sparse).Select(e => e.Eval).ToArray();
            double sparseAccuracy = sparseEval.Average(e => e.Accuracy), denseAccuracy = denseEval.Average(e => e.Accuracy);
            double sparseLoss = sparseEval.Average(e => e.Loss), denseLoss = denseEval.Average(e => e.Loss);
            int accuracyWins = sparseEval.Zip(denseEval).Count(p => p.First.Accuracy > p.Second.Accuracy);
            int lossWins = sparseEval.Zip(denseEval).Count(p => p.First.Loss < p.Second.Loss);

            long misCounted = 0, nonzeroPruned = 0;
            double smallestLayerSparsity = 1;
            foreach (var t in mainSparse)
            {
                nonzeroPruned += t.Pruner!.NonzeroPrunedWeights();
                foreach (var layer in t.Pruner.Layers)
                {
                    long target = MagnitudePruner.PrunedCount(s.Sparsity, layer.Count);
                    long zeros = (long)Math.Round(MagnitudePruner.ZeroFraction(layer.Parameter) * layer.Count);
                    misCounted += Math.Abs(zeros - target) + Math.Abs(layer.Pruned - target);
                    smallestLayerSparsity = Math.Min(smallestLayerSparsity, (double)zeros / layer.Count);
                }
            }
            long sparseNonzeros = mainSparse[0].Nonzeros, denseNonzeros = mainDense[0].Nonzeros;
            bool accurate = sparseAccuracy - denseAccuracy >= s.RequiredAccuracyGap, lower = denseLoss - sparseLoss >= s.RequiredLossGap;
            bool fair = denseNonzeros >= sparseNonzeros, exact = misCounted == 0 && nonzeroPruned == 0;
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"at {100 * s.Sparsity:0.#}% sparsity, mean over {s.Seeds} seeds after {s.Epochs} epochs: large-sparse ({sparseNonzeros} non-zeros) test accuracy {sparseAccuracy:F4}, " +
                $"small-dense width {widths[s.Sparsity]} ({denseNonzeros} non-zeros) {denseAccuracy:F4}: gap {100 * (sparseAccuracy - denseAccuracy):+0.00;-0.00} points " +
                $"{(accurate ? "≥" : "<")} {100 * s.RequiredAccuracyGap:0.0#} (higher in {accuracyWins}/{s.Seeds} seeds); test cross-entropy {sparseLoss:F4} vs {denseLoss:F4}: " +
                $"{denseLoss - sparseLoss:+0.0000;-0.0000} nats {(lower ? "≥" : "<")} {s.RequiredLossGap} (lower in {lossWins}/{s.Seeds}); " +
                $"layer sparsities {(misCounted == 0 ? "exactly" : "NOT exactly")} round({s.Sparsity}·n) (smallest {smallestLayerSparsity:F4}), {nonzeroPruned} pruned weights non-zero" +
                $"{(fair ? "" : "; the small-dense model has FEWER non-zeros")} ({result.Status})");
            metrics["large_sparse_accuracy"] = sparseAccuracy;
            metrics["small_dense_accuracy"] = denseAccuracy;
            metrics["accuracy_gap"] = sparseAccuracy - denseAccuracy;
            metrics["large_sparse_loss"] = sparseLoss;
            metrics["small_dense_loss"] = denseLoss;
            metrics["loss_gap"] = denseLoss - sparseLoss;
            metrics["accuracy_wins"] = accuracyWins;
            metrics["loss_wins"] = lossWins;
            metrics["large_sparse_nonzeros"] = sparseNonzeros;
            metrics["small_dense_nonzeros"] = denseNonzeros;
            metrics["small_dense_width"] = widths[s.Sparsity];
            metrics["smallest_layer_sparsity"] = smallestLayerSparsity;
            metrics["miscounted_entries"] = misCounted;
            metrics["nonzero_pruned_weights"] = nonzeroPruned;
            return new ExperimentResult(accurate && lower && fair && exact, detail, metrics, result);
        }
        finally
        {
            foreach (var t in trainees) t.Trainee.Dispose();
            foreach (var split in splits) split.Dispose();
        }
    }
}
