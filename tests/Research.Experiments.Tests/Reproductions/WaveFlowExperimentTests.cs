using Research.Experiments.Reproductions;
using Research.Models.Audio;

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
    }
}
