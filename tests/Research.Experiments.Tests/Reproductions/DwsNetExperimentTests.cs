using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.ImplicitNeural;
using Research.Models.WeightSpace;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class DwsNetExperimentTests
{
    [Fact]
    public void RegistryListsDwsNetAsWeightSpace()
    {
        var experiment = ExperimentRegistry.Find("dwsnet");
        Assert.IsType<DwsNetExperiment>(experiment);
        Assert.Equal("weight-space & hypernetworks", experiment.Family);
    }

    [Theory]
    [InlineData("MLP")]
    [InlineData("MLP + perm. aug.")]
    [InlineData("StatNN")]
    [InlineData(DwsNetExperiment.ImageMlp)]
    public void BaselinesHaveDwsNetsParametersWithinTenPercent(string baseline)
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = DwsNetSettings.For(scale);
            using var dws = new DwsNetExperiment.Classifier("DWSNet", s);
            using var other = new DwsNetExperiment.Classifier(baseline, s);
            Assert.InRange((double)other.ParameterCount() / dws.ParameterCount(), 0.9, 1.1);
        }
    }

    [Fact]
    public void FittedInrsReproduceTheirImagesAndSurviveSaveAndLoad()
    {
        using var scope = NewScope();
        using var dir = new TempDirectory();
        var images = (Tensor.Rand(6, 64, 1) * 0.2 + Tensor.Linspace(-1, 1, 64).Reshape(1, 64, 1) * 0.5).DetachFromScope();
        var labels = Tensor.Arange(6, DType.Int64);
        using var fitted = FittedInrs.Fit(images, labels, 8, width: 16, hiddenLayers: 1, steps: 300, lr: 3e-3, batch: 4, seed: 1);
        Assert.Equal([2L, 16, 16, 1], fitted.Sizes);
        Assert.True(fitted.Psnr.Min().Item<float>() > 30, $"PSNR {fitted.Psnr.Min().Item<float>()} dB");
        using var batch = new SirenBatch(fitted.Weights.Select(w => w.Clone()).ToArray(), fitted.Biases.Select(b => b.Clone()).ToArray());
        var psnr = InrFitting.Psnr(batch, Siren.Grid(8, 8), images);
        Assert.Equal(0, (psnr - fitted.Psnr).Abs().Max().Item<float>(), 1e-3);
        Assert.True((fitted.Weights[0].Select(0, 0) - fitted.Weights[0].Select(0, 1)).Abs().Max().Item<float>() > 0.01);   // own initialisations

        var path = Path.Combine(dir.Path, "inrs.pt");
        fitted.Save(path);
        using var loaded = FittedInrs.Load(path);
        Assert.Equal(fitted.Labels.ToArray<long>(), loaded.Labels.ToArray<long>());
        for (int l = 0; l < 3; l++) Assert.Equal(0, (loaded.Weights[l] - fitted.Weights[l]).Abs().Max().Item<float>());
        using var subset = loaded.Subset(Tensor.From([4L, 1L], 2));
        Assert.Equal([4L, 1L], subset.Labels.ToArray<long>());
        Assert.Equal(0, (subset.Biases[2].Select(0, 0) - fitted.Biases[2].Select(0, 4)).Abs().Max().Item<float>());
        images.Dispose();
    }

    [Fact]
    public void RandomPermutationAugmentationKeepsEveryInr()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var sirens = SirenBatch.Initialise(4, 2, 8, hiddenLayers: 1, 1);
        var (w, b) = DwsNetExperiment.RandomPermutation(sirens.Weights, sirens.Biases);
        using var permuted = new SirenBatch(w.Select(t => t.Detach().Clone()).ToArray(), b.Select(t => t.Detach().Clone()).ToArray());
        using var noGrad = NoGrad();
        var x = Siren.Grid(5, 5);
        Assert.Equal(0, (permuted.Forward(x) - sirens.Forward(x)).Abs().Max().Item<float>(), 1e-5);
        Assert.True((permuted.Weights[1] - sirens.Weights[1]).Abs().Max().Item<float>() > 1e-3);
    }

    [Fact]
    public void ImageControlRendersTheInrFromScaledWeights()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var s = DwsNetSettings.For(Scale.Smoke);
        using var sirens = SirenBatch.Initialise(3, 2, s.InrWidth, s.InrHiddenLayers, 1, s.Omega0, s.Omega0);
        double[] scales = [0.5, 2, 3, 0.25, 4, 1.5];
        using var control = new DwsNetExperiment.Classifier(DwsNetExperiment.ImageMlp, s, scales);
        using var noGrad = NoGrad();
        var w = sirens.Weights.Select((t, l) => t / scales[2 * l]).ToArray();
        var b = sirens.Biases.Select((t, l) => t / scales[2 * l + 1]).ToArray();
        var expected = sirens.Forward(Siren.Grid(s.Side, s.Side)).Reshape(3, -1);
        Assert.Equal(0, (control.Render(w, b) - expected).Abs().Max().Item<float>(), 1e-4);
        Assert.Equal([3L, 10], control.Forward((w, b)).Shape);
    }
}
