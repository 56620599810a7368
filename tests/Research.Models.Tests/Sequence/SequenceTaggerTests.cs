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
        using var scope = NewScope();
        int threads = NumThreads;
        SetNumThreads(1);                                                               // a tiny model: one thread avoids OpenMP stalls on a busy machine
        try
        {
            LearnDelayLine();
        }
        finally
        {
            SetNumThreads(threads);
        }
    }

    private static void LearnDelayLine()
    {
        ManualSeed(3);
        using var tagger = new TcnTagger(5, 5, [12, 12, 12], kernelSize: 3);
        using var adam = new Adam(tagger.Parameters(), lr: 1e-2);
        const int delay = 9, steps = 120, time = 24;
        double accuracy = 0;
        for (int step = 0; step < steps; step++)
        {
            using var _ = NewScope();
            var x = Tensor.RandInt(0, 5, [8, time]);
            var y = x.Narrow(1, 0, time - delay);
            var logits = tagger.Forward(x).Narrow(1, delay, time - delay);              // predictions at t ≥ 9
            var loss = F.CrossEntropy(logits.Reshape(-1, 5), y.Reshape(-1));
            adam.ZeroGrad();
            loss.Backward();
            adam.Step();
            accuracy = logits.ArgMax(2).Eq(y).Double().Mean().Item<double>();
        }
        Assert.True(accuracy > 0.95, $"delay-line accuracy after {steps} steps {accuracy:P1} (chance 20 %)");
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
