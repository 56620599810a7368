using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class NegativeEigenvalueParityExperimentTests
{
    [Fact]
    public void BothRangesGetTheSameSweepAndTheClaimLengthIsUnseen()
    {
        Assert.Equal([EigenvalueRange.ZeroToOne, EigenvalueRange.MinusOneToOne], NegativeEigenvalueParityExperiment.Ranges.Select(r => r.Range));
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = ParitySettings.For(scale);
            Assert.True(s.ClaimLength >= 4 * s.MaxTrainLength, $"{scale}: claim length {s.ClaimLength} is not far beyond training ({s.MaxTrainLength})");
            Assert.Contains(s.ClaimLength, s.TestLengths);
            Assert.True(scale == Scale.Smoke || (s.Seeds >= 3 && s.LearningRates.Length >= 3), $"{scale}: {s.Seeds} seeds, {s.LearningRates.Length} rates");
        }
    }

    [Fact]
    public void SelectionSequencesAreNotTheEvaluationSequences()
    {
        using var scope = NewScope();
        var s = ParitySettings.For(Scale.Cpu);
        using var evaluation = ParityTask.Batch(8, s.MaxTrainLength, seed: 1000 + s.MaxTrainLength).Bits;
        using var selection = ParityTask.Batch(8, s.MaxTrainLength, seed: NegativeEigenvalueParityExperiment.SelectionSeed + s.MaxTrainLength).Bits;
        Assert.False(evaluation.Eq(selection).All().Item<bool>());
    }
}
