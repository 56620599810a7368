#:project ../src/Research.Experiments/Research.Experiments.csproj
#:property PublishAot=false

// A user's training script: an MLP on scikit-learn's digits with Adam, through the Research.Experiments trainer.
// It writes a run directory (config, metrics, checkpoints, summary) under $RESEARCH_RUNS or ./runs.
// Run it with:  dotnet run scripts/train.cs  [-- steps]
using Research.Experiments;
using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

long steps = args.Length > 0 ? long.Parse(args[0]) : 300;
const ulong seed = 1;

var (train, test) = Sklearn.Digits().Split(0.25, seed: 0);
using var xTrain = train.Standardized().FeatureTensor().DetachFromScope();
using var yTrain = train.LabelTensor().DetachFromScope();
using var xTest = test.Standardized(train).FeatureTensor().DetachFromScope();
using var yTest = test.LabelTensor().DetachFromScope();

ManualSeed(seed);
using var model = new Sequential(new Linear(64, 64), new Tanh(), new Linear(64, 10));
using var optimizer = new Adam(model.Parameters(), lr: 3e-3);

using var run = Run.Create("script-digits-mlp", new { steps, hidden = 64, lr = 3e-3, batch = 64 }, seed);
var trainer = new Trainer(new TrainerOptions
{
    MaxSteps = steps,
    Seed = seed,
    LearningRate = LearningRates.WarmupCosine(3e-3, steps / 10, steps),
    ClipGradNorm = 1.0,
    EvalEvery = 50,
    CheckpointEvery = 100,
    Monitor = "eval/accuracy",
    MonitorMode = MonitorMode.Max,
});
trainer.Callbacks.Add(new ConsoleProgress());

var result = trainer.Fit(new ModuleState(model, optimizer), new TensorBatches(xTrain, yTrain, 64, seed), (batch, ctx) =>
{
    var loss = F.CrossEntropy(model.Forward(batch.X), batch.Y);
    optimizer.ZeroGrad();
    loss.Backward();
    ctx.ClipGradNorm(model.Parameters());
    ctx.ApplyLearningRate(optimizer);
    optimizer.Step();
    return StepResult.From(loss);
}, evaluate: _ => new Dictionary<string, double>
{
    ["accuracy"] = model.Forward(xTest).ArgMax(1).Eq(yTest).Double().Mean().Item<double>(),
}, run: run);

Console.WriteLine($"{result.Status}: test accuracy {result.FinalMetrics["eval/accuracy"]:P1}, run in {run.Directory}");
Console.WriteLine(RunComparison.Compare("script-digits-mlp").ToTextTable());
return result.Status == TrainingStatus.Completed ? 0 : 1;
