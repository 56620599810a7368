using Research.Models.Diffusion;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.LocalLearning;

// Seeds libtorch's global generator: never in parallel with the other local-learning tests.
[Collection("local learning, global generator")]
public class NoPropTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    private static NoProp Small(int seed, bool learnEmbedding = false, long? dim = null, int steps = 4)
    {
        ManualSeed((ulong)seed);
        return new NoProp(new NoPropConfig(Inputs: 6, Classes: 3, Hidden: 8, Steps: steps, EmbeddingDim: dim, LearnEmbedding: learnEmbedding), dtype: DType.Float64);
    }

    private static (Tensor X, Tensor Y) Batch(int rows = 7)
    {
        var x = Tensor.RandN([rows, 6], DType.Float64);
        var y = Tensor.RandInt(0, 3, [rows]);
        return (x, y);
    }

    // Largest |∂loss/∂p| over the parameters (null gradients: unused, i.e. exactly zero).
    private static double MaxGrad(Tensor loss, Parameter[] parameters)
    {
        var grads = Autograd.Grad([loss], parameters.Cast<Tensor>().ToArray(), retainGraph: true, allowUnused: true);
        return grads.Select(g => g is null ? 0.0 : g.Abs().Max().Item<double>()).DefaultIfEmpty(0).Max();
    }

    [Fact]
    public void ShapesOfBlocksTrajectoryAndLogits()
    {
        using var scope = NewScope();
        using var model = Small(1, dim: 5);
        var (x, y) = Batch();
        var z = Tensor.RandN([7, 5], DType.Float64);
        Assert.Equal([7L, 3], model.Block(1).Forward(x, z).Shape);
        Assert.Equal([7L, 5], model.Block(1).Predict(x, z, model.Embedding).Shape);
        var states = model.Trajectory(x);
        Assert.Equal(5, states.Length);
        Assert.All(states, s => Assert.Equal([7L, 5], s.Shape));
        Assert.Equal([7L, 3], model.Forward(x).Shape);
        Assert.Equal([3L, 5], model.Embedding.Shape);
        Assert.Equal(0, model.ClassifierLoss(y).Dim);
        Assert.Equal(0, model.BlockLoss(2, x, y).Dim);
    }

    [Fact]
    public void BadShapesAndStepsThrow()
    {
        using var scope = NewScope();
        using var model = Small(2);
        var (x, y) = Batch();
        Assert.Throws<ArgumentException>(() => model.Block(1).Forward(x, Tensor.RandN([7, 4], DType.Float64)));
        Assert.Throws<ArgumentException>(() => model.Block(1).Forward(Tensor.RandN([7, 5], DType.Float64), Tensor.RandN([7, 3], DType.Float64)));
        Assert.Throws<ArgumentException>(() => model.Block(1).Predict(x, Tensor.RandN([7, 3], DType.Float64), Tensor.Eye(4, 3, DType.Float64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Block(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.BlockLoss(5, x, y));
        Assert.Throws<ArgumentException>(() => model.BlockLoss(1, x, Tensor.RandInt(0, 3, [6])));
        Assert.Throws<ArgumentException>(() => model.Trajectory(x, z0: Tensor.RandN([7, 4], DType.Float64)));
        Assert.Throws<ArgumentException>(() => new NoProp(new NoPropConfig(6, 3, EmbeddingDim: 2)));
        Assert.Throws<ArgumentException>(() => new NoProp(new NoPropConfig(6, 3, Steps: 4), NoiseSchedule.Cosine(5)));
    }

    [Fact]
    public void ABlockPredictsAConvexCombinationOfTheClassEmbeddings()
    {
        // Fixed one-hot-like U (padded to d = 5): û = softmax(logits) · U is a probability vector followed by zeros.
        using var scope = NewScope();
        using var model = Small(3, dim: 5);
        var (x, _) = Batch();
        Assert.True(MaxAbsDiff(model.Embedding, Tensor.Eye(3, 5, DType.Float64)) == 0);
        var uHat = model.Block(2).Predict(x, Tensor.RandN([7, 5], DType.Float64), model.Embedding);
        Assert.True(uHat.Min().Item<double>() >= 0);
        Assert.True(MaxAbsDiff(uHat.Narrow(1, 0, 3).Sum(1), Tensor.Ones([7], DType.Float64)) < 1e-12);
        Assert.Equal(0, uHat.Narrow(1, 3, 2).Abs().Max().Item<double>());
    }

    [Fact]
    public void BlockLossEqualsItsDefinition()
    {
        // L_t = η/2 · (SNR(t) − SNR(t−1)) · mean ‖softmax(block_t(x, √ᾱ_{t−1} u_y + √(1 − ᾱ_{t−1}) ε)) U − u_y‖²
        using var scope = NewScope();
        using var model = Small(4);
        var (x, y) = Batch();
        var eps = Tensor.RandN([7, 3], DType.Float64);
        const int t = 3;
        var u = F.OneHot(y, 3).Double();
        double a = model.Schedule.AlphaBar(t - 1);
        var z = u * Math.Sqrt(a) + eps * Math.Sqrt(1 - a);
        var uHat = model.Block(t).Forward(x, z).Softmax(-1);
        double error = (uHat - u).Square().Sum(-1).Mean().Item<double>();
        double weight = 0.1 / 2 * (model.Schedule.Snr(t) - model.Schedule.Snr(t - 1));

        Assert.Equal(error, model.DenoisingError(t, x, y, eps).Item<double>(), 12);
        Assert.Equal(weight * error, model.BlockLoss(t, x, y, eps).Item<double>(), 12);
        Assert.Equal(weight, model.LossWeight(t), 14);
    }

    [Fact]
    public void ClassifierLossIsCrossEntropyAtANoisyFinalEmbedding()
    {
        using var scope = NewScope();
        using var model = Small(5);
        var (_, y) = Batch();
        var eps = Tensor.RandN([7, 3], DType.Float64);
        double a = model.Schedule.AlphaBar(4);
        var zT = F.OneHot(y, 3).Double() * Math.Sqrt(a) + eps * Math.Sqrt(1 - a);
        Assert.Equal(F.CrossEntropy(model.Classifier.Forward(zT), y).Item<double>(), model.ClassifierLoss(y, eps).Item<double>(), 12);   // ᾱ_0 = 0: no KL
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ABlockLossHasExactlyZeroGradientForEveryOtherBlock(bool learnEmbedding)
    {
        using var scope = NewScope();
        using var model = Small(6, learnEmbedding);
        var (x, y) = Batch();
        var blocks = model.Blocks.Select(b => b.Parameters().ToArray()).ToArray();
        var head = model.HeadParameters().ToArray();
        var classifier = model.Classifier.Parameters().ToArray();
        for (int t = 1; t <= model.Steps; t++)
        {
            var loss = model.BlockLoss(t, x, y);
            Assert.True(MaxGrad(loss, blocks[t - 1]) > 0, $"block {t} gets no gradient from its own loss");
            for (int s = 1; s <= model.Steps; s++)
                if (s != t) Assert.Equal(0.0, MaxGrad(loss, blocks[s - 1]));
            Assert.Equal(0.0, MaxGrad(loss, classifier));
            if (learnEmbedding) Assert.True(MaxGrad(loss, head.Except(classifier).ToArray()) > 0, "a learned U gets the block's gradient");
        }
        var outLoss = model.ClassifierLoss(y);
        Assert.All(blocks, b => Assert.Equal(0.0, MaxGrad(outLoss, b)));
        Assert.True(MaxGrad(outLoss, classifier) > 0);
    }

    [Fact]
    public void TheWholeObjectiveGivesEachBlockItsLocalGradient()
    {
        // ∂(Σ_s L_s + L_out)/∂θ_t = ∂L_t/∂θ_t: nothing is back-propagated from one block into another.
        using var scope = NewScope();
        using var model = Small(7);
        var (x, y) = Batch();
        var noise = Enumerable.Range(0, model.Steps + 1).Select(_ => Tensor.RandN([7, 3], DType.Float64)).ToArray();
        var total = model.ClassifierLoss(y, noise[0]);
        for (int s = 1; s <= model.Steps; s++) total = total + model.BlockLoss(s, x, y, noise[s]);
        for (int t = 1; t <= model.Steps; t++)
        {
            var parameters = model.Block(t).Parameters().Cast<Tensor>().ToArray();
            var global = Autograd.Grad([total], parameters, retainGraph: true);
            var local = Autograd.Grad([model.BlockLoss(t, x, y, noise[t])], parameters);
            for (int i = 0; i < parameters.Length; i++) Assert.True(MaxAbsDiff(global[i]!, local[i]!) == 0, $"block {t}, parameter {i}");
        }
    }

    [Fact]
    public void NoForwardSignalReachesABlockDuringTraining()
    {
        // Block t's training loss does not change when every other block is replaced: its input is drawn from q(z_{t−1} | y).
        using var scope = NewScope();
        using var model = Small(8);
        var (x, y) = Batch();
        var eps = Tensor.RandN([7, 3], DType.Float64);
        double before = model.BlockLoss(3, x, y, eps).Item<double>();
        using (NoGrad())
            foreach (var (block, i) in model.Blocks.Select((b, i) => (b, i)))
                if (i != 2) foreach (var p in block.Parameters()) p.Copy_(p.RandNLike());
        Assert.Equal(before, model.BlockLoss(3, x, y, eps).Item<double>());
    }

    [Fact]
    public void OneOptimiserPerBlockUpdatesOnlyItsBlock()
    {
        using var scope = NewScope();
        using var model = Small(9);
        var (x, y) = Batch();
        var optimisers = model.Blocks.Select(b => new Adam(b.Parameters(), lr: 1e-2)).ToArray();
        var snapshot = model.Parameters().Select(p => p.Clone()).ToArray();
        optimisers[1].ZeroGrad();
        model.BlockLoss(2, x, y).Backward();
        optimisers[1].Step();

        var own = model.Block(2).Parameters().ToHashSet();
        var all = model.Parameters().ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            bool changed = MaxAbsDiff(all[i], snapshot[i]) > 0;
            Assert.True(changed == own.Contains(all[i]), $"parameter {i}: changed={changed}, in block 2={own.Contains(all[i])}");
        }
        foreach (var o in optimisers) o.Dispose();
    }

    [Fact]
    public void InferenceChainsTheBlocksWithThePosteriorCoefficients()
    {
        using var scope = NewScope();
        using var model = Small(10);
        var (x, _) = Batch();
        var z0 = Tensor.RandN([7, 3], DType.Float64);
        var states = model.Trajectory(x, z0, stochastic: false);
        var z = z0;
        for (int t = 1; t <= model.Steps; t++)
        {
            var (a, b, _) = model.Schedule.Posterior(t);
            z = model.Block(t).Forward(x, z).Softmax(-1).Matmul(model.Embedding) * a + z * b;
            Assert.True(MaxAbsDiff(states[t], z) < 1e-12, $"z_{t}");
        }
        Assert.True(MaxAbsDiff(states[0], z0) == 0);
    }

    [Fact]
    public void InferenceIsDeterministicGivenTheSeed()
    {
        using var scope = NewScope();
        using var model = Small(11);
        var (x, _) = Batch();
        ManualSeed(42);
        var first = model.Forward(x);
        ManualSeed(42);
        var second = model.Forward(x);
        ManualSeed(43);
        var third = model.Forward(x);
        Assert.True(MaxAbsDiff(first, second) == 0);
        Assert.True(MaxAbsDiff(first, third) > 0);
        // and the same seed builds the same model
        using var again = Small(11);
        Assert.All(model.Parameters().Zip(again.Parameters()), pair => Assert.True(MaxAbsDiff(pair.First, pair.Second) == 0));
    }

    [Fact]
    public void LocallyTrainedBlocksClassifyASeparableProblem()
    {
        // Three Gaussian blobs in 6-d; every block and the classifier trained only on their own losses.
        using var scope = NewScope();
        ManualSeed(12);
        using var model = new NoProp(new NoPropConfig(6, 3, Hidden: 16, Steps: 3), dtype: DType.Float64);
        var centres = Tensor.RandN([3, 6], DType.Float64) * 2.0;
        var y = Tensor.RandInt(0, 3, [300]);
        var x = centres.IndexSelect(0, y) + Tensor.RandN([300, 6], DType.Float64) * 0.5;
        var blockOpt = model.Blocks.Select(b => new Adam(b.Parameters(), lr: 1e-2)).ToArray();
        using var headOpt = new Adam(model.HeadParameters(), lr: 1e-2);
        var firstErrors = new double[3];
        var lastErrors = new double[3];
        for (int step = 0; step < 150; step++)
        {
            using var stepScope = NewScope();
            for (int t = 1; t <= 3; t++)
            {
                blockOpt[t - 1].ZeroGrad();
                var error = model.DenoisingError(t, x, y);
                (error * model.LossWeight(t)).Backward();
                blockOpt[t - 1].Step();
                if (step == 0) firstErrors[t - 1] = error.Item<double>();
                lastErrors[t - 1] = error.Item<double>();
            }
            headOpt.ZeroGrad();
            model.ClassifierLoss(y).Backward();
            headOpt.Step();
        }
        for (int t = 0; t < 3; t++) Assert.True(lastErrors[t] < 0.5 * firstErrors[t], $"block {t + 1}: {firstErrors[t]} → {lastErrors[t]}");
        using (NoGrad())
        {
            // The posterior-mean chain (no sampling noise: with T = 3, z_T ~ q(z_T | y) itself is noisy, ᾱ_3 ≈ 0.85).
            var zT = model.Trajectory(x, stochastic: false)[^1];
            double accuracy = model.Classifier.Forward(zT).ArgMax(-1).Eq(y).Double().Mean().Item<double>();
            Assert.True(accuracy > 0.95, $"accuracy {accuracy}");
        }
        foreach (var o in blockOpt) o.Dispose();
    }
}
