using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class JacobiFeedforwardExperimentTests
{
    [Fact]
    public void RegistryListsJacobiFeedforwardAsSequenceModels()
    {
        var experiment = ExperimentRegistry.Find("jacobi-feedforward");
        Assert.IsType<JacobiFeedforwardExperiment>(experiment);
        Assert.Equal("sequence models", experiment.Family);
    }

    [Fact]
    public void CpuAndGpuScalesRunAtLeastThreeSeedsAndCheckTheControls()
    {
        foreach (var scale in new[] { Scale.Cpu, Scale.Gpu })
        {
            var s = JacobiFeedforwardSettings.For(scale);
            Assert.True(s.Seeds >= 3 && s.CheckControls, $"{scale}");
        }
    }

    [Fact]
    public void StickyChainCopiesItsPredecessorWithTheStatedProbability()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var chain = JacobiFeedforwardExperiment.StickyChain(4000, 0.05);
        Assert.Equal([4000L, 64], chain.Shape);
        double flips = (chain.Narrow(1, 1, 63) - chain.Narrow(1, 0, 63)).Abs().Mean().Item<float>();
        Assert.InRange(flips, 0.045, 0.055);
        Assert.InRange(chain.Narrow(1, 0, 1).Mean().Item<float>(), 0.45, 0.55);
    }

    [Fact]
    public void DigitsAreBinary()
    {
        var (train, test) = JacobiFeedforwardExperiment.BinaryDigits();
        using (train)
        using (test)
        {
            Assert.Equal(64, train.Size(1));
            Assert.Equal(1797, train.Size(0) + test.Size(0));
            using var scope = NewScope();
            Assert.Equal(0.0, (train * (1 - train)).Abs().Max().Item<float>());
        }
    }

    [Fact]
    public void RnnJacobiErrorEndsAtTheLoopsStates()
    {
        foreach (var gain in JacobiFeedforwardSettings.RnnGains)
        {
            var error = JacobiFeedforwardExperiment.RnnJacobiError(48, gain, seed: 3);
            Assert.InRange(error.Length, 1, 48);
            Assert.True(error[^1] < 1e-12, $"gain {gain}: final relative error {error[^1]:E2}");
        }
    }
}
