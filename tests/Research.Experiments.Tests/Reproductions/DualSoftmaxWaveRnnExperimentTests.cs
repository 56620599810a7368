using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class DualSoftmaxWaveRnnExperimentTests
{
    [Fact]
    public void RegistryListsWaveRnnAsAudioGeneration()
    {
        var experiment = ExperimentRegistry.Find("wavernn");
        Assert.IsType<DualSoftmaxWaveRnnExperiment>(experiment);
        Assert.Equal("audio generation", experiment.Family);
    }

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void SmallDenseAndLargeSparseHaveTheSameNonzeroRecurrentWeightsAndParameters(Scale scale)
    {
        var s = DualSoftmaxWaveRnnSettings.For(scale);
        long sparseRecurrent = s.Wide.RecurrentWeights - Research.Models.Compression.MagnitudePruner.PrunedCount(s.Sparsity, s.Wide.RecurrentWeights);
        Assert.Equal(s.Small.RecurrentWeights, sparseRecurrent);                                  // 4× narrower = 1/16 of R
        Assert.InRange(s.Small.ParameterCount / (double)s.Wide.NonzeroParameters(s.Sparsity), 0.97, 1.03);     // head widths are whole
        Assert.InRange(s.WaveNet.ParameterCount / (double)s.Wide.NonzeroParameters(s.Sparsity), 0.9, 1.1);   // the WaveNet timed
        Assert.Equal(s.Sparsity, s.Schedule.FinalSparsity);
        Assert.True(s.Schedule.EndStep < s.Steps);
        Assert.Equal(scale != Scale.Smoke, s.CheckClaim);
        using (var notes = DualSoftmaxWaveRnnExperiment.ContinuationNotes(s))                   // prime + continuation fit
            Assert.True(notes.Size(1) >= s.ScoreFrom + (long)Math.Round(s.GenerateSeconds * s.SampleRate) && notes.Size(0) == s.TestNotes);
        if (scale != Scale.Smoke) Assert.True(s.Seeds >= 3 && s.LearningRates.Length >= 2);
    }

    [Fact]
    public void SmokeRunReportsTheClaimAndTheOutcome()
    {
        var root = Directory.CreateTempSubdirectory("wavernn-smoke-").FullName;
        try
        {
            var (result, _) = ExperimentRunner.Run(new DualSoftmaxWaveRnnExperiment(), Scale.Smoke, Device.CPU, root: root);
            var o = result.OutcomeAs<DualSoftmaxWaveRnnOutcome>();
            var s = DualSoftmaxWaveRnnSettings.For(Scale.Smoke);
            Assert.Single(result.Conditions);                                                          // the sparse model's NLL
            Assert.Equal(s.Models, o.Configs.Keys);
            Assert.Equal(o.NonzeroRecurrent[DualSoftmaxWaveRnnSettings.SmallDense], o.NonzeroRecurrent[DualSoftmaxWaveRnnSettings.LargeSparse]);
            Assert.Equal(3 * s.WideHidden, o.RecurrentMask.Length);
            Assert.All(o.TrainingNll.Values, seeds => Assert.All(seeds, curve => Assert.Equal(s.Steps, curve.Length)));
            Assert.All(o.Samples.Values, notes => Assert.All(notes, n => Assert.Equal((int)Math.Round(s.GenerateSeconds * s.SampleRate), n.Length)));
            Assert.Contains("WaveNet", o.Speed.SamplesPerSecond.Keys);
            Assert.True(o.HeldOutNll[DualSoftmaxWaveRnnSettings.LargeSparse].Mean < Math.Log(65536));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
