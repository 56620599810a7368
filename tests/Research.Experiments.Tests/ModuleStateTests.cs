using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class ModuleStateTests
{
    private sealed class Setup : IDisposable
    {
        public Setup(ulong initSeed)
        {
            ManualSeed(initSeed);
            Model = new Sequential(new Linear(8, 16), new Tanh(), new Linear(16, 1));
            Optimizer = new Adam(Model.Parameters(), lr: 1e-2);
            State = new ModuleState(Model, Optimizer);
        }

        public Sequential Model { get; }
        public Adam Optimizer { get; }
        public ModuleState State { get; }

        public StepResult Step(StepContext ctx)
        {
            var x = Tensor.RandN(32, 8);
            var y = x.Sum(1, keepDim: true).Sin();
            var loss = F.MseLoss(Model.Forward(x), y);
            Optimizer.ZeroGrad();
            loss.Backward();
            ctx.ApplyLearningRate(Optimizer);
            Optimizer.Step();
            return StepResult.From(loss);
        }

        public float[] Weights() => Model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    [Fact]
    public void AdamModelResumedFromASafetensorsCheckpointMatchesTheStraightRunBitwise()
    {
        using var dir = new TempDirectory();
        var options = new TrainerOptions { MaxSteps = 30, Seed = 5, LearningRate = LearningRates.Constant(1e-2), CheckpointEvery = 15 };
        float[] straight;
        using (var s = new Setup(1))
        {
            new Trainer(options).Fit(s.State, s.Step);
            straight = s.Weights();
        }
        var store = new CheckpointStore(dir.Path);
        using (var s = new Setup(1))
            new Trainer(options with { MaxSteps = 15 }).Fit(s.State, s.Step, checkpoints: store);
        Assert.True(File.Exists(Path.Combine(store.Last!.Directory, "state.safetensors")));
        using (var s = new Setup(42))
        {
            using var checkpoint = store.Load("last");
            Assert.Contains(checkpoint.Tensors.Keys, k => k.StartsWith("optimizer.state.", StringComparison.Ordinal));
            new Trainer(options).Fit(s.State, s.Step, checkpoints: store, resume: checkpoint);
            Assert.Equal(straight, s.Weights());
        }
    }
}
