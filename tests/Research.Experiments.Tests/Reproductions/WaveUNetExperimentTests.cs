using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class WaveUNetExperimentTests
{
    [Fact]
    public void RegistryListsWaveUNetAsAudioAnalysis()
    {
        var experiment = ExperimentRegistry.Find("wave-u-net");
        Assert.IsType<WaveUNetExperiment>(experiment);
        Assert.Equal("audio analysis", experiment.Family);
    }

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void ControlHasTheSameParametersAndTheSweepIsShared(Scale scale)
    {
        var s = WaveUNetSettings.For(scale);
        Assert.Equal(s.UNet.ParameterCount, s.NoResampling.ParameterCount);
        Assert.True(s.UNet.Resample);
        Assert.False(s.NoResampling.Resample);
        Assert.Equal(0, s.EvalLength % (1 << s.UNet.Levels));
        Assert.Equal(1, s.GridPoints % 2);                                                   // held-out tones lie between training ones
    }

    [Fact]
    public void HeldOutMixturesUseOnlyHeldOutVoicesSentencesAndTones()
    {
        var s = WaveUNetSettings.For(Scale.Smoke);
        using var held = WaveUNetExperiment.HeldOut(s);
        Assert.Equal(s.HeldOutVoices * s.HeldOutSentences * 2, held.Names.Length);
        var training = SpeechToneMixtures.TrainingFrequencies(s.GridPoints).Select(f => $" {f:F0} Hz");
        foreach (var name in held.Names)
        {
            Assert.StartsWith(Speech.Voices[SpeechToneMixtures.HeldOutVoices[0]] + ",", name);
            Assert.Contains(SpeechToneMixtures.HeldOutSentences.Take(s.HeldOutSentences), i => name.Contains(SpeechToneMixtures.Sentences[i]));
            Assert.DoesNotContain(training, name.Contains);
        }
        Assert.Equal([held.Names.Length, 1L, s.EvalLength], held.Data.Mixtures.Shape);
        Assert.True((held.Data.Sources.Sum(dim: 1, keepDim: true) - held.Data.Mixtures).Abs().Max().Item<float>() < 1e-6f);
    }

    [Fact]
    public void MeasuredReceptiveFieldOfTheControlIsOneSamplePerTap()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var config = new WaveUNetConfig(Levels: 3, BaseChannels: 2);
        using var control = new WaveUNet(config with { Resample = false });
        using var unet = new WaveUNet(config);
        Assert.Equal(1 + 14 * 4 + 4 * 3, WaveUNetExperiment.MeasuredReceptiveField(control, 512));
        Assert.True(WaveUNetExperiment.MeasuredReceptiveField(unet, 1024) > 3 * (1 + 14 * 4 + 4 * 3));
    }
}
