using Research.Bench;

namespace Research.Models.Tests.Bench;

/// <summary>
/// The bench's PyTorch twins (tools/Research.Bench/twins.py) compute the same training steps as the library's models:
/// from the same initial weights and batch (one safetensors file), with Adam, the first losses agree to 1e-4
/// relative in float32, at small sizes.
/// </summary>
public class BenchTwinTests
{
    [Fact]
    public void EveryTwinComputesTheSameFirstLosses()
    {
        var cases = ModelCases.All(small: true);
        var dir = Directory.CreateTempSubdirectory("bench-twins-").FullName;
        try
        {
            var files = cases.Select(c =>
            {
                var path = Path.Combine(dir, c.Key + ".safetensors");
                c.Save(path);
                return path;
            }).ToList();
            var twins = PyTorchTwins.Run(threads: 1, tunedMalloc: false, files, TorchBenchmark.LossSteps, timedSteps: 0);
            Assert.Equal(cases.Select(c => c.Key).Order(), twins.Keys.Order());
            foreach (var c in cases)
            {
                var (ours, ms) = c.Train(TorchBenchmark.LossSteps, timedSteps: 0);
                var theirs = twins[c.Key].Losses;
                Assert.Null(ms);
                Assert.Equal(TorchBenchmark.LossSteps, theirs.Length);
                Assert.All(ours, l => Assert.True(double.IsFinite(l) && l > 0, $"{c.Key}: loss {l}"));
                Assert.True(ours[^1] < ours[0], $"{c.Key}: Adam did not lower the loss ({string.Join(", ", ours)})");
                double diff = TorchBenchmark.MaxRelativeDifference(ours, theirs);
                Assert.True(diff <= TorchBenchmark.LossTolerance,
                    $"{c.Key}: ours [{string.Join(", ", ours)}] vs PyTorch [{string.Join(", ", theirs)}], max relative difference {diff:E2}");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TheMatmulStepCountsItsGemmFlops()
    {
        // 256·(512·1024 + 1024·1024 + 1024·10)·2 forward, the same for the weight gradients, and the input
        // gradients of the second and third layers.
        double forward = 2.0 * 256 * (512 * 1024 + 1024 * 1024 + 1024 * 10);
        double inputGrads = 2.0 * 256 * (1024 * 1024 + 1024 * 10);
        Assert.Equal(2 * forward + inputGrads, ModelCases.MatmulMlp().Flops);
    }

    [Fact]
    public void TheStepsGemmsAloneRunAtAPositiveRate()
    {
        // The ceiling the bench prints beside the matmul step: the same GEMMs (tiny widths here) timed on their own.
        double gflops = SgemmPeak.StepGemmsGflops([16, 32, 32, 10], batch: 8, repeats: 3);
        Assert.True(double.IsFinite(gflops) && gflops > 0, $"{gflops}");
    }

    [Fact]
    public void OneCaseRunsAloneAndWritesTheFileItsTwinLoads()
    {
        var dir = Directory.CreateTempSubdirectory("research-case-").FullName;
        try
        {
            var output = new StringWriter();
            CaseProfile.Run("lstm", 2, dir, output, small: true);
            Assert.True(new FileInfo(Path.Combine(dir, "lstm.safetensors")).Length > 0);
            Assert.Contains("median", output.ToString());
            CaseProfile.Run(CaseProfile.Mlp16, 10, dir, output);
            Assert.Contains("MLP step, batch 16: median", output.ToString());
            var unknown = Assert.Throws<ArgumentException>(() => CaseProfile.Run("nope", 1, dir, output, small: true));
            Assert.Contains("wavemix", unknown.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TheLossComparisonIsRelative()
    {
        Assert.Equal(0.5, TorchBenchmark.MaxRelativeDifference([1.0, 3.0], [1.0, 2.0]), 12);
        Assert.Throws<ArgumentException>(() => TorchBenchmark.MaxRelativeDifference([1.0], [1.0, 2.0]));
    }
}
