using Research.Experiments.Reproductions;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

[Collection("local learning experiments, global generator")]
public class DfaExperimentTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void ReadoutOnlyTrainsTheOutputLayerAlone()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var model = new DirectFeedbackAlignment(6, [8, 8], 3);
        using var opt = new Adam(model.Layers[^1].Parameters(), lr: 1e-2);
        var hidden = model.Layers[..^1].Select(l => l.Weight.Clone()).ToArray();
        var output = model.Layers[^1].Weight.Clone();
        DfaExperiment.Step(DfaRule.ReadoutOnly, model, opt, Tensor.RandN(10, 6), Tensor.RandInt(0, 3, [10]));
        for (int l = 0; l < hidden.Length; l++) Assert.Equal(0, MaxAbsDiff(hidden[l], model.Layers[l].Weight));
        Assert.True(MaxAbsDiff(output, model.Layers[^1].Weight) > 0);
    }

    [Fact]
    public void ShuffledFeedbackRedrawsBEveryStepAndDfaKeepsIt()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var dfa = new DirectFeedbackAlignment(6, [8, 8], 3);
        using var shuffled = new DirectFeedbackAlignment(6, [8, 8], 3);
        using var dfaOpt = new Adam(dfa.Parameters(), lr: 1e-2);
        using var shuffledOpt = new Adam(shuffled.Parameters(), lr: 1e-2);
        var x = Tensor.RandN(10, 6);
        var y = Tensor.RandInt(0, 3, [10]);
        var fixedB = dfa.Feedback(0).Clone();
        var firstB = shuffled.Feedback(0).Clone();
        DfaExperiment.Step(DfaRule.Dfa, dfa, dfaOpt, x, y);
        DfaExperiment.Step(DfaRule.ShuffledFeedback, shuffled, shuffledOpt, x, y);
        Assert.Equal(0, MaxAbsDiff(fixedB, dfa.Feedback(0)));
        Assert.True(MaxAbsDiff(firstB, shuffled.Feedback(0)) > 0);
    }

    private static DfaOutcome Outcome(double dfaLoss, double dfaAccuracy)
    {
        DfaCurves Curves(double loss, double accuracy) => new(
            Enumerable.Range(0, 3).Select(_ => new[] { 2.3, loss }).ToArray(),
            Enumerable.Range(0, 3).Select(_ => new[] { 0.1, accuracy }).ToArray(),
            Enumerable.Range(0, 3).Select(_ => new[] { 90.0, 60 }).ToArray(),
            Enumerable.Range(0, 3).Select(_ => new[] { new[] { 90.0, 60 } }).ToArray());
        return new DfaOutcome([0, 1, 2], 1, new Dictionary<DfaRule, DfaCurves>
        {
            [DfaRule.Backprop] = Curves(0.001, 0.97),
            [DfaRule.Dfa] = Curves(dfaLoss, dfaAccuracy),
            [DfaRule.ShuffledFeedback] = Curves(0.2, 0.93),
            [DfaRule.ReadoutOnly] = Curves(0.1, 0.95),
        });
    }

    [Fact]
    public void CheckNeedsBothTheAccuracyAndHiddenLayersThatLearn()
    {
        Assert.True(DfaExperiment.Check(Scale.Cpu, Outcome(dfaLoss: 0.01, dfaAccuracy: 0.96)).ClaimHolds);
        // close to backprop in accuracy, but no better a fit than the readout: the hidden layers learned nothing
        var readoutLike = DfaExperiment.Check(Scale.Cpu, Outcome(dfaLoss: 0.09, dfaAccuracy: 0.955));
        Assert.False(readoutLike.ClaimHolds);
        Assert.True(readoutLike.Conditions[0].Holds);
        Assert.False(readoutLike.Conditions[1].Holds);
        Assert.False(DfaExperiment.Check(Scale.Cpu, Outcome(dfaLoss: 0.01, dfaAccuracy: 0.93)).Conditions[0].Holds);
    }
}
