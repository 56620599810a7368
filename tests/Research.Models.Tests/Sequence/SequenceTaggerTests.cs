using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class SequenceTaggerTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    private static SequenceTagger[] Taggers(DType? dtype = null) =>
    [
        new TcnTagger(6, 4, [8, 8, 8], kernelSize: 3, dtype: dtype),
        new LstmTagger(6, 4, hiddenSize: 12, dtype: dtype),
    ];

    [Fact]
    public void TokensAndTheirOneHotGiveTheSameLogits()
    {
        using var scope = NewScope();
        ManualSeed(0);
        foreach (var tagger in Taggers())
            using (tagger)
            {
                var tokens = Tensor.RandInt(0, 6, [3, 17]);
                var logits = tagger.Forward(tokens);
                Assert.Equal([3L, 17, 4], logits.Shape);
                var oneHot = F.OneHot(tokens, 6).Float();                               // [3, 17, 6]
                Assert.Equal(0, MaxAbsDiff(tagger.Forward(oneHot), logits));
            }
    }

    [Fact]
    public void TcnTaggerIsTheTcnFollowedByAReadoutAtEveryStep()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var tagger = new TcnTagger(6, 4, [8, 8], kernelSize: 2, dtype: DType.Float64);
        var tokens = Tensor.RandInt(0, 6, [2, 11]);
        var h = tagger.Tcn.Forward(F.OneHot(tokens, 6).Double().Transpose(1, 2));      // [2, 8, 11]
        var expected = h.Transpose(1, 2).Matmul(tagger.Readout.Weight.T) + tagger.Readout.Bias!;
        Assert.True(MaxAbsDiff(tagger.Forward(tokens), expected) < 1e-12);
        Assert.Equal(tagger.Tcn.ReceptiveField, tagger.ReceptiveField);
    }

    [Fact]
    public void BothTaggersAreCausal()
    {
        using var scope = NewScope();
        ManualSeed(2);
        foreach (var tagger in Taggers())
            using (tagger)
            {
                var tokens = Tensor.RandInt(0, 6, [2, 40]);
                const int t = 20;
                var changed = tokens.Clone();
                changed.Narrow(1, t + 1, 19).Copy_((tokens.Narrow(1, t + 1, 19) + 1) % 6);   // every later token differs
                using var noGrad = NoGrad();
                var (a, b) = (tagger.Forward(tokens), tagger.Forward(changed));
                Assert.Equal(0, MaxAbsDiff(a.Narrow(1, 0, t + 1), b.Narrow(1, 0, t + 1)));
                Assert.True(MaxAbsDiff(a.Narrow(1, t + 1, 19), b.Narrow(1, t + 1, 19)) > 0, tagger.GetType().Name);
            }
    }

    [Fact]
    public void LstmParameterCountFollowsTheFormulaAndMatchesABudget()
    {
        for (int h = 1; h <= 40; h += 13)
        {
            using var tagger = new LstmTagger(10, 10, h);
            Assert.Equal(LstmTagger.ParameterCountOf(10, 10, h), tagger.ParameterCount());
        }
        using var tcn = new TcnTagger(10, 10, [24, 24, 24, 24, 24, 24], kernelSize: 4);
        int hidden = LstmTagger.HiddenSizeFor(10, 10, tcn.ParameterCount());
        long matched = LstmTagger.ParameterCountOf(10, 10, hidden);
        Assert.True(Math.Abs(matched - tcn.ParameterCount()) <= Math.Abs(LstmTagger.ParameterCountOf(10, 10, hidden + 1) - tcn.ParameterCount()));
        Assert.True(Math.Abs(matched - tcn.ParameterCount()) <= Math.Abs(LstmTagger.ParameterCountOf(10, 10, hidden - 1) - tcn.ParameterCount()));
        Assert.True(Math.Abs(matched - tcn.ParameterCount()) < 0.02 * tcn.ParameterCount());
    }

    [Fact]
    public void TcnTaggerLearnsADelayLineBeyondAnyKernel()
    {
        // y[t] = x[t − 9]: only a stack whose receptive field exceeds 9 can express it (RF here: 1 + 2·2·7 = 29).
        // Deterministic whatever runs beside it: the weights and the data come from System.Random, never from libtorch's
        // global generator (tests in other classes draw from it concurrently), and libtorch runs one thread.
        using var scope = NewScope();
        int threads = NumThreads;
        SetNumThreads(1);
        try
        {
            double accuracy = LearnDelayLine();
            Assert.True(accuracy > 0.9, $"held-out delay-line accuracy after training {accuracy:P1} (chance 20 %)");
        }
        finally
        {
            SetNumThreads(threads);
        }
    }

    private static double LearnDelayLine()
    {
        const int vocabulary = 5, delay = 9, steps = 300, time = 24, batch = 16;
        using var tagger = new TcnTagger(vocabulary, vocabulary, [12, 12, 12], kernelSize: 3);
        Initialise(tagger, new Random(3));
        using var adam = new Adam(tagger.Parameters(), lr: 1e-2);
        var data = new Random(4);
        Tensor Tokens(int rows) => Tensor.From(Enumerable.Range(0, rows * time).Select(_ => (long)data.Next(vocabulary)).ToArray(), rows, time);
        for (int step = 0; step < steps; step++)
        {
            using var _ = NewScope();
            var x = Tokens(batch);
            var logits = tagger.Forward(x).Narrow(1, delay, time - delay);              // predictions at t ≥ 9
            var loss = F.CrossEntropy(logits.Reshape(-1, vocabulary), x.Narrow(1, 0, time - delay).Reshape(-1));
            adam.ZeroGrad();
            loss.Backward();
            adam.Step();
        }
        using var held = NewScope();
        using var noGrad = NoGrad();
        var test = Tokens(64);
        var predicted = tagger.Forward(test).Narrow(1, delay, time - delay).ArgMax(2);
        return predicted.Eq(test.Narrow(1, 0, time - delay)).Double().Mean().Item<double>();
    }

    // Uniform(±1/√fan-in) weights and biases from a System.Random; weight-normalised filters start with g = ‖v‖ (w = v).
    private static void Initialise(Module model, Random random)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Param);
        foreach (var (name, p) in parameters.Where(p => !p.Key.EndsWith("weight_g")))
        {
            double bound = 1 / Math.Sqrt(p.Dim > 1 ? p.NumEl / p.Size(0) : p.NumEl);
            var values = Enumerable.Range(0, (int)p.NumEl).Select(_ => (float)((2 * random.NextDouble() - 1) * bound)).ToArray();
            p.Copy_(Tensor.From(values, p.Shape));
        }
        foreach (var (name, g) in parameters.Where(p => p.Key.EndsWith("weight_g")))
        {
            var v = parameters[name[..^1] + "v"];
            g.Copy_(v.Square().Sum(new long[] { 1, 2 }, keepDim: true).Sqrt());
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        using var scope = NewScope();
        foreach (var tagger in Taggers())
            using (tagger)
            {
                var range = Assert.Throws<ArgumentOutOfRangeException>(() => tagger.Forward(Tensor.From(new long[] { 0, 6, 1 }, 1, 3)));
                Assert.Contains("[0, 6)", range.Message);
                Assert.Throws<ArgumentOutOfRangeException>(() => tagger.Forward(Tensor.From(new long[] { -1, 2 }, 1, 2)));
                Assert.Throws<ArgumentException>(() => tagger.Forward(Tensor.RandInt(0, 6, [10])));
                var width = Assert.Throws<ArgumentException>(() => tagger.Forward(Tensor.RandN(2, 10, 5)));
                Assert.Contains("[batch, time, 6]", width.Message);
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => new LstmTagger(6, 4, hiddenSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcnTagger(0, 4, [8], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LstmTagger.HiddenSizeFor(10, 10, 5));
    }
}
