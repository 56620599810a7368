using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class WaveFlowExperimentTests
{
    [Fact]
    public void RegistryListsWaveFlow() => Assert.Equal("audio generation", ExperimentRegistry.Find("waveflow")?.Family);

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void EveryHeightFitsTheCropsAndHasTheSameParameters(Scale scale)
    {
        var s = WaveFlowSettings.For(scale);
        var data = s.Data(scale);
        Assert.Equal(s.Heights.Order(), s.Heights);
        Assert.Equal(s.Model.MelBands, data.Model.MelBands);
        Assert.Equal(s.Model.Hop, data.Model.Hop);
        int heldOut = (int)(data.HeldOutSeconds * data.SampleRate) / s.Model.Hop * s.Model.Hop;
        var counts = s.Heights.Select(h =>
        {
            Assert.Equal(0, data.CropSamples % h);
            Assert.Equal(0, heldOut % h);
            using var net = new WaveFlow(s.Model with { Height = h });
            return net.ParameterCount();
        }).Distinct();
        Assert.Single(counts);
        Assert.Equal(scale == Scale.Smoke ? 1 : 3, s.LearningRates.Distinct().Count());
    }

    [Fact]
    public void ValidationNotesAreOtherNotesOfTheHeldOutLength()
    {
        var data = WaveFlowSettings.For(Scale.Cpu).Data(Scale.Cpu);
        var (_, pitches, heldOut) = WaveGlowExperiment.HeldOutNotes(data);
        var validation = WaveGlowExperiment.ValidationNotes(data, 4, pitches);
        Assert.Equal(4, validation.Length);
        Assert.All(validation, v => Assert.Equal(heldOut[0].Length, v.Length));
        Assert.All(validation, v => Assert.All(heldOut, h => Assert.True(v.Zip(h, (x, y) => Math.Abs(x - y)).Max() > 0.01)));
        Assert.Equal(validation, WaveGlowExperiment.ValidationNotes(data, 4, pitches));                   // fixed by the data seed
    }

    [Fact]
    public void EveryHeightGetsTheSweepOnTheFirstSeedAndKeepsItsBestValidationRate()
    {
        var s = WaveFlowSettings.For(Scale.Smoke) with { LearningRates = [1e-3, 3e-3], Steps = 3, Seeds = 2 };
        var root = Directory.CreateTempSubdirectory("waveflow-tuning-").FullName;
        try
        {
            var (result, _) = ExperimentRunner.Run(new WaveFlowExperiment(_ => s), Scale.Smoke, Device.CPU, root: root);
            var o = result.OutcomeAs<WaveFlowOutcome>();
            Assert.Equal(s.Heights, o.Heights.Select(h => h.Height));
            foreach (var h in o.Heights)
            {
                Assert.Equal(s.LearningRates, h.Sweep.Keys.Order());
                Assert.Equal(h.Sweep.MinBy(kv => kv.Value).Key, h.LearningRate);
                Assert.Equal(s.Seeds, h.HeldOutBits.Count);
                Assert.Equal(s.Seeds, h.Curves.Length);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
