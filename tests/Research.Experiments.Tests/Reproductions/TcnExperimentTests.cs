using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class TcnExperimentTests
{
    [Fact]
    public void RegistryListsTcnAsSequenceModels()
    {
        var experiment = ExperimentRegistry.Find("tcn");
        Assert.IsType<TcnExperiment>(experiment);
        Assert.Equal("sequence models", experiment.Family);
    }

    [Fact]
    public void BothNetworksGetTheSameSweepAndAboutTheSameParameters()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = TcnSettings.For(scale);
            using var tcn = TcnExperiment.CreateTcn(s);
            using var lstm = TcnExperiment.CreateLstm(tcn.ParameterCount());
            Assert.InRange(lstm.ParameterCount() / (double)tcn.ParameterCount(), 0.95, 1.05);
            Assert.True(s.ReceptiveField >= s.Length, $"{scale}: receptive field {s.ReceptiveField} < length {s.Length}");
            Assert.True(scale == Scale.Smoke || (s.Seeds >= 3 && s.LearningRates.Length >= 3), $"{scale}: {s.Seeds} seeds, {s.LearningRates.Length} rates");
        }
    }

    [Fact]
    public void BaselineIsTheLossOfPredictingBlanksThenUniformDigits()
    {
        // The memoryless predictor: p(blank) = 1 for the first T + 10 steps, 1/8 on each digit for the last 10.
        using var scope = NewScope();
        const int delay = 30;
        using var batch = TcnExperiment.CopyBatch(5, delay, seed: 1);
        int length = delay + 2 * TcnSettings.Digits;
        Assert.Equal([5L, length], batch.Inputs.Shape);
        var logProbs = Tensor.Full([5, length, TcnSettings.Vocabulary], -1e4, DType.Float64);
        logProbs.Narrow(1, 0, length - TcnSettings.Digits).Select(2, 0).Fill_(0.0);                 // log 1 on the blank
        logProbs.Narrow(1, length - TcnSettings.Digits, TcnSettings.Digits).Narrow(2, 1, TcnSettings.Symbols).Fill_(-Math.Log(8));
        double loss = TcnExperiment.CopyLoss(logProbs, batch.Targets).Item<double>();
        Assert.Equal(10 * Math.Log(8) / (delay + 20), TcnExperiment.BaselineLoss(delay), 12);
        Assert.Equal(TcnExperiment.BaselineLoss(delay), loss, 9);
    }

    [Fact]
    public void CopyBatchesAskToRecallTheFirstTenDigitsAfterTheMarker()
    {
        using var scope = NewScope();
        const int delay = 40;
        using var batch = TcnExperiment.CopyBatch(4, delay, seed: 2);
        int length = delay + 20;
        var x = batch.Inputs.ToArray<long>();
        var y = batch.Targets.ToArray<long>();
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < length; t++)
            {
                long input = x[b * length + t], target = y[b * length + t];
                if (t < 10) Assert.InRange(input, 1, 8);                                                // the digits
                else if (t == delay + 10) Assert.Equal(9, input);                                      // the marker
                else Assert.Equal(0, input);
                if (t >= length - 10) Assert.Equal(x[b * length + t - (delay + 10)], target);           // recall, lag T + 10
                else Assert.Equal(0, target);
            }
        using var other = TcnExperiment.CopyBatch(4, delay, seed: 3);
        Assert.False(other.Inputs.Eq(batch.Inputs).All().Item<bool>());
        Assert.NotEqual(TcnExperiment.EvalSeed, TcnExperiment.BatchSeed(0, 0));
    }

    [Fact]
    public void GradientProfileFindsTheDesignedReceptiveFieldAndCausality()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var tcn = new TcnTagger(10, 10, [8, 8, 8], kernelSize: 3);
        int rf = tcn.ReceptiveField;                                                                   // 1 + 4·7 = 29
        var profile = TcnExperiment.GradientProfile(tcn, rf + 20, rf + 5);
        Assert.Equal(rf + 6, profile.ByLag.Length);
        Assert.Equal(14, profile.Future.Length);
        Assert.Equal(rf, profile.MeasuredReceptiveField);
        Assert.True(profile.IsExactly(rf));
        Assert.False(profile.IsExactly(rf - 1));
        Assert.True(profile.Causal);

        // The LSTM sees its whole past: every lag back to the first step has a gradient.
        using var lstm = new LstmTagger(10, 10, 6);
        var recurrent = TcnExperiment.GradientProfile(lstm, 30, 20);
        Assert.Equal(21, recurrent.MeasuredReceptiveField);
        Assert.True(recurrent.Causal);

        // The checks are not vacuous: a gradient on a later input is not causal; a gap inside the field is not exact.
        Assert.False(new InputGradientProfile([1, 1, 0], [0, 1e-12]).Causal);
        Assert.False(new InputGradientProfile([1, 0, 1], []).IsExactly(3));
    }

    [Fact]
    public void RecallGradientsReachBackExactlyAsFarAsTheReceptiveField()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var tcn = new TcnTagger(10, 10, [8, 8], kernelSize: 3);                                // RF 1 + 4·3 = 13
        using var batch = TcnExperiment.CopyBatch(1, 20, seed: 7);                                     // 40 steps
        var rows = TcnExperiment.RecallGradients(tcn, batch.Inputs, batch.Targets);
        Assert.Equal(10, rows.Length);
        for (int r = 0; r < 10; r++)
        {
            int t = 30 + r;
            Assert.Equal(40, rows[r].Length);
            for (int s = 0; s < 40; s++)
                if (s > t || s <= t - tcn.ReceptiveField) Assert.True(rows[r][s] == 0, $"row {r}: input {s} is outside [t − RF + 1, t] but has gradient {rows[r][s]:E2}");
            Assert.True(rows[r][t] > 0 && rows[r][t - tcn.ReceptiveField + 1] > 0);
        }
        Assert.Throws<ArgumentException>(() => TcnExperiment.RecallGradients(tcn, batch.Inputs.Squeeze(0), batch.Targets.Squeeze(0)));
    }

    [Fact]
    public void DoubleCopyComputesTheSameFunction()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var tokens = Tensor.RandInt(0, 10, [2, 30]);
        using var noGrad = NoGrad();
        foreach (SequenceTagger model in new SequenceTagger[] { new TcnTagger(10, 10, [8, 8], kernelSize: 3), new LstmTagger(10, 10, 7) })
            using (model)
            using (var copy = TcnExperiment.DoubleCopy(model))
            {
                model.Eval();
                var difference = (copy.Forward(tokens) - model.Forward(tokens).Double()).Abs().Max().Item<double>();
                Assert.True(difference < 1e-5, $"{model.GetType().Name}: |float64 copy − model| = {difference:E2}");
                Assert.Equal(model.ParameterCount(), copy.ParameterCount());
            }
    }
}
