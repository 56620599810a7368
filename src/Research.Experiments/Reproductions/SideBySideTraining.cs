using System.Globalization;
using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Trains several (model, learning rate) configurations of one seed side by side on the same batches — the inner loop of
/// <see cref="LearningRateTuning"/> for the sequence-model comparisons (gla, mingru).
/// </summary>
public static class SideBySideTraining
{
    /// <summary>
    /// One trainer (steps seeded from <paramref name="seed"/>) trains every configuration with Adam at its learning rate;
    /// every configuration starts from the same initialisation of its model kind (libtorch seed <paramref name="seed"/> + 1).
    /// Records <c>seed{n}/{task}/{model@lr}/loss</c> per step and <c>seed{n}/{task}/{model@lr}/{metric}</c> every
    /// <paramref name="evalEvery"/> steps (n = seed − context seed). Returns the (validation, test) scores in order; keeps the
    /// models in <paramref name="keep"/> (by configuration name) when given, else disposes them.
    /// </summary>
    public static IReadOnlyList<ScoredRun> Train<TModel>(ExperimentContext context, ulong seed, IReadOnlyList<(string Model, double LearningRate)> configs,
        string task, int steps, int evalEvery, Func<string, TModel> create, Func<long, ulong, TaskBatch> batchFor,
        Func<TModel, TaskBatch, Tensor> loss, Func<TModel, (string Name, double Value)> evaluate,
        Func<TModel, (double Validation, double Test)> score, Dictionary<string, TModel>? keep) where TModel : Module
    {
        int n = (int)(seed - context.Seed);
        var runs = new List<(string Name, TModel Model, Adam Optimizer)>();
        var state = new TensorState();
        try
        {
            foreach (var (model, lr) in configs)
            {
                ManualSeed(seed + 1);
                var m = create(model);
                var optimizer = new Adam(m.Parameters(), lr: lr);
                var name = ConfigName(model, lr);
                runs.Add((name, m, optimizer));
                state.Add(name, new ModuleState(m, optimizer));
            }
            var trainer = new Trainer(new TrainerOptions { MaxSteps = steps, EvalEvery = evalEvery, Seed = seed, Cancellation = context.Cancellation });
            trainer.Callbacks.AddRange(context.Callbacks);
            trainer.Fit(state, ctx =>
            {
                using var batch = batchFor(ctx.Step, ctx.Seed);
                var metrics = new Dictionary<string, double>();
                foreach (var (name, model, optimizer) in runs)
                {
                    var value = loss(model, batch);
                    optimizer.ZeroGrad();
                    value.Backward();
                    optimizer.Step();
                    metrics[$"seed{n}/{task}/{name}/loss"] = value.Item<float>();
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: _ =>
            {
                var values = new Dictionary<string, double>();
                foreach (var r in runs)
                {
                    var (metric, value) = evaluate(r.Model);
                    values[$"seed{n}/{task}/{r.Name}/{metric}"] = value;
                }
                return values;
            }, run: context.Run);
            var scores = runs.Select(r => { var (v, t) = score(r.Model); return new ScoredRun(v, t); }).ToArray();
            context.Run.Log($"{task}, seed {seed}: " + string.Join(", ", runs.Select((r, i) =>
                string.Create(CultureInfo.InvariantCulture, $"{r.Name} validation {scores[i].Validation:F3} test {scores[i].Test:F3}"))));
            return scores;
        }
        finally
        {
            foreach (var (name, model, optimizer) in runs)
            {
                optimizer.Dispose();
                if (keep is not null) keep[name] = model;
                else model.Dispose();
            }
        }
    }

    /// <summary>A configuration's name in metrics and tables, e.g. "gla@0.003".</summary>
    public static string ConfigName(string model, double learningRate) => string.Create(CultureInfo.InvariantCulture, $"{model}@{learningRate:G3}");

    /// <summary>Mean next-token cross-entropy (nats per token) of a language model on a batch of windows (targets = inputs shifted).</summary>
    public static Tensor NextTokenLoss<TModel>(TModel model, TaskBatch batch) where TModel : Module<Tensor, Tensor>
    {
        using var scope = NewScope();
        return scope.Keep(F.CrossEntropy(model.Forward(batch.Inputs).Flatten(0, 1), batch.Targets.Flatten()));
    }

    /// <summary>Held-out nats per token of a language model on consecutive windows (no gradients).</summary>
    public static double NatsPerToken<TModel>(TModel model, TaskBatch windows) where TModel : Module<Tensor, Tensor>
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return NextTokenLoss(model, windows).Item<float>();
    }
}
