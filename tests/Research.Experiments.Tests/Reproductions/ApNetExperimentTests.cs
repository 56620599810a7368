using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class ApNetExperimentTests
{
    [Fact]
    public void RegistryListsApNet() => Assert.Equal("audio generation", ExperimentRegistry.Find("apnet")?.Family);

    [Fact]
    public void PaddedRepeatsTheLastFrameSoFramesMatchTheStft()
    {
        using var scope = NewScope();
        var mel = Tensor.Arange(0, 12, 1, DType.Float32).Reshape(1, 3, 4);
        var padded = ApNetExperiment.Padded(mel);
        Assert.Equal(new long[] { 1, 3, 5 }, padded.Shape);
        Assert.Equal(mel.Narrow(2, 3, 1).ToArray<float>(), padded.Narrow(2, 4, 1).ToArray<float>());
        var (a, _) = PhaseSpectra.Analyse(Tensor.Zeros([1, 4 * 80]), 256, 80);
        Assert.Equal(5, a.Size(2));                                                                // F·hop samples → F + 1 frames
    }

    [Fact]
    public void InstantaneousFrequencyDeviationVanishesForAToneAtABinCentre()
    {
        // cos(2π·k₀·t/N): the phase of bin k₀ advances by exactly 2π·k₀·hop/N per frame, so the deviation there is 0,
        // while for a tone a quarter bin higher it is 2π·(1/4)·hop/N (wrapped).
        using var scope = NewScope();
        var m = new APNetConfig(NFft: 256, Hop: 80);
        int k0 = 20;
        foreach (double offset in new[] { 0.0, 0.25 })
        {
            var t = Tensor.Arange(0, 8000, 1, DType.Float64);
            var wave = (t * (2 * Math.PI * (k0 + offset) / 256)).Cos().Unsqueeze(0);
            var (_, phase) = PhaseSpectra.Analyse(wave, 256, 80);
            var rows = Enumerable.Range(0, 129).Select(b => phase.Select(1, b).Squeeze(0).ToArray<double>()).ToArray();
            var deviation = ApNetExperiment.InstantaneousFrequency(rows, m)[k0];
            double expected = 2 * Math.PI * offset * 80 / 256;
            foreach (var d in deviation.Skip(5).Take(80)) Assert.Equal(expected, d, 4);            // away from the reflected edges
        }
    }
}
