using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class LearnedInitExperimentTests
{
    [Fact]
    public void RegistryListsLearnedInitAsImplicitNeuralRepresentations()
    {
        var experiment = ExperimentRegistry.Find("learned-init-inr");
        Assert.IsType<LearnedInitExperiment>(experiment);
        Assert.Equal("implicit neural representations", experiment.Family);
    }

    [Fact]
    public void DigitsAreUpsampledSignalsInTheUnitRangeWithTestDigitsApart()
    {
        using var scope = NewScope();
        var s = LearnedInitSettings.For(Scale.Smoke);
        var (train, test) = LearnedInitExperiment.Digits(s);
        Assert.Equal([1438L, s.Size * s.Size, 1], train.Shape);
        Assert.Equal(s.TestDigits, test.Size(0));
        Assert.True(train.Min().Item<float>() >= -1 - 1e-6 && train.Max().Item<float>() <= 1 + 1e-6);
        Assert.True(train.Max().Item<float>() > 0.9);                                   // ink reaches the top of the range
        train.Dispose();
        test.Dispose();
    }

    [Fact]
    public void MaskObservesTheRequestedFraction()
    {
        using var scope = NewScope();
        ManualSeed(1);
        var mask = LearnedInitExperiment.Mask(Tensor.Zeros(50, 1024, 1), 0.25);
        Assert.Equal(0.25, mask.Mean().Item<float>(), 0.01);
        Assert.Equal(mask.NumEl, mask.Eq(0).Sum().Item<long>() + mask.Eq(1).Sum().Item<long>());
    }

    [Fact]
    public void EveryInitialisationGetsTheSameSweepAndStrictGapsAtCpuScale()
    {
        var cpu = LearnedInitSettings.For(Scale.Cpu);
        Assert.True(cpu.LearningRates.Length >= 3 && cpu.Seeds >= 3);
        Assert.Equal(10, cpu.MinGapToStandard);
        Assert.True(cpu.MinGapToMatched > 0 && cpu.MinInpaintGapToMatched > 0);
    }
}
