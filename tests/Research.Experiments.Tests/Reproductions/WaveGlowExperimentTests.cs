using Research.Experiments.Audio;
using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class WaveGlowExperimentTests
{
    [Fact]
    public void RegistryListsTheAudioFlows()
    {
        Assert.Equal("audio generation", ExperimentRegistry.Find("waveglow")?.Family);
        Assert.Equal("audio generation", ExperimentRegistry.Find("flowavenet")?.Family);
    }

    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.01, -2.326347874040841)]
    [InlineData(0.999, 3.090232306167814)]
    public void NormalQuantileMatchesTheTable(double p, double expected) =>
        Assert.True(Math.Abs(WaveGlowExperiment.NormalQuantile(p) - expected) < 3e-9, $"Φ⁻¹({p}) = {WaveGlowExperiment.NormalQuantile(p)}, not {expected}");   // Acklam: relative error < 1.2e-9

    [Fact]
    public void TrainingNotesAreFreshAlignedAndAvoidHeldOutPitches()
    {
        using var scope = NewScope();
        var s = WaveGlowSettings.For(Scale.Smoke);
        var (names, pitches, heldOut) = WaveGlowExperiment.HeldOutNotes(s);
        Assert.Equal(s.HeldOutNotes, names.Length);
        Assert.All(heldOut, w => Assert.Equal(s.SampleRate, w.Length));                            // 1 s, a whole number of hops
        using var mel = new LogMelSpectrogram(s.SampleRate, s.NFft, s.Model.Hop, s.Model.MelBands, power: 1, floor: 1e-5);
        var (audio, logMel) = WaveGlowExperiment.TrainingBatch(s, new Random(3), mel, 0, 1, pitches);
        Assert.Equal([s.Batch, s.CropSamples], audio.Shape);
        Assert.Equal([s.Batch, s.Model.MelBands, s.CropFrames], logMel.Shape);
        var (again, _) = WaveGlowExperiment.TrainingBatch(s, new Random(4), mel, 0, 1, pitches);
        Assert.True((again - audio).Abs().Max().Item<float>() > 0.01);                             // another seed, other notes
    }
}
