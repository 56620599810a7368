using Research.Experiments.Reproductions;
using Research.Models.Vision;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class WaveMixExperimentTests
{
    [Fact]
    public void RegistryListsWaveMixAsVisionMixersAndCnns()
    {
        var experiment = ExperimentRegistry.Find("wavemix");
        Assert.IsType<WaveMixExperiment>(experiment);
        Assert.Equal("vision mixers & CNNs", experiment.Family);
    }

    [Fact]
    public void BaselinesHaveWaveMixsParameterCountWithinTenPercentAtEveryImageSize()
    {
        foreach (int size in new[] { 32, 48, 64, 96 })
        {
            var models = WaveMixSettings.CreateModels(size);
            try
            {
                double wavemix = models[0].Model.ParameterCount();
                foreach (var (name, model) in models.Skip(1))
                    Assert.InRange(model.ParameterCount() / wavemix, 0.9, 1.1);
                Assert.Equal(size, ((VisionTransformer)models[2].Model).ImageSize);
            }
            finally
            {
                foreach (var (_, m) in models) m.Dispose();
            }
        }
    }

    [Fact]
    public void DigitImagesAreStandardisedUpsampledDigits()
    {
        using var data = DigitImages.Create(32);
        Assert.Equal([(long)data.TrainRows, 1, 32, 32], data.TrainX.Shape);
        Assert.Equal([(long)data.TestRows, 1, 32, 32], data.TestX.Shape);
        Assert.Equal(1797, data.TrainRows + data.TestRows);
        Assert.Equal(10, data.Classes);
        using var scope = NewScope();
        var train = DigitImages.Upsample(Tensor.Zeros(1, 64), 32);
        Assert.Equal([1L, 1, 32, 32], train.Shape);
        // bilinear upsampling by 4 (align_corners = false, edges clamped) gives every source pixel a total weight of 16: the mean is kept
        var pixels = Tensor.RandN(3, 64);
        var up = DigitImages.Upsample(pixels, 32);
        Assert.Equal(pixels.Mean(1).ToArray<float>(), up.Mean([1L, 2L, 3L]).ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Throws<ArgumentException>(() => DigitImages.Upsample(Tensor.Zeros(2, 63), 32));
    }

    [Fact]
    public void ActivationMeasurementLeavesTheModelUnchangedAndRanksTheModels()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var models = WaveMixSettings.CreateModels();
        try
        {
            var x = Tensor.RandN(64, 1, 32, 32);
            var y = Tensor.RandInt(0, 10, [64]);
            var wavemix = (WaveMix)models[0].Model;
            var before = wavemix.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
            var bytes = models.ToDictionary(m => m.Name, m => WaveMixExperiment.TrainingActivationBytes(m.Model, x, y));
            foreach (var (name, value) in wavemix.StateDict())                              // running statistics restored
                Assert.True(value.Equal(before[name]), name);
            Assert.True(bytes["wavemix"] < bytes["vit"], $"WaveMix {bytes["wavemix"]} B, ViT {bytes["vit"]} B");
            // a lower bound: the last block's transposed-convolution output [64, 32, 16, 16] alone, which its batch norm saves
            Assert.True(bytes["wavemix"] > 64L * 32 * 16 * 16 * sizeof(float));
        }
        finally
        {
            foreach (var (_, m) in models) m.Dispose();
        }
    }
}
