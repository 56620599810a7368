using Research.Experiments.Reproductions;
using Research.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class DiffWaveExperimentTests
{
    [Fact]
    public void RegistryListsDiffWave() => Assert.Equal("audio generation", ExperimentRegistry.Find("diffwave")?.Family);

    [Theory]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void CpuAndGpuSweepAtLeastThreeLearningRatesAndTrainTheControl(Scale scale)
    {
        var s = DiffWaveSettings.For(scale);
        Assert.True(s.LearningRates.Distinct().Count() >= 3);
        Assert.True(s.MinPitchGain > 0);
        Assert.True(s.Seeds >= 3);
    }

    [Fact]
    public void ValidationAndHeldOutRenderingsAreOtherPhasesOfTheSameNote()
    {
        var s = DiffWaveSettings.For(Scale.Cpu);
        for (int c = 0; c < s.Classes; c++)
        {
            var clips = new[] { DiffWaveRendering.Training, DiffWaveRendering.Validation, DiffWaveRendering.HeldOut }
                .Select(r => DiffWaveExperiment.Render(s, c, 1.0, r).Samples).ToArray();
            for (int a = 0; a < clips.Length; a++)
                for (int b = a + 1; b < clips.Length; b++)
                    Assert.True(clips[a].Zip(clips[b], (x, y) => Math.Abs(x - y)).Max() > 0.01, $"class {c}: renderings {a} and {b} coincide");
            using var waves = Tensor.From(clips.SelectMany(w => w).ToArray(), clips.Length, clips[0].Length);
            var pitches = DiffWaveExperiment.EstimatePitches(waves, s.SampleRate, 0.6 * s.Pitches.Min(), 1.6 * s.Pitches.Max());
            Assert.All(pitches, p => Assert.InRange(Math.Abs(12 * Math.Log2(p / s.PitchOf(c))), 0, 0.5));
        }
    }

    [Fact]
    public void EveryModelGetsTheSweepOnTheFirstSeedAndKeepsItsBestValidationRate()
    {
        var s = DiffWaveSettings.For(Scale.Smoke) with
        {
            LearningRates = [1e-3, 4e-3], TrainSteps = 4, Seeds = 2, ListenSeconds = 0.05, MinPitchGain = 0.01,
        };
        var root = Directory.CreateTempSubdirectory("diffwave-tuning-").FullName;
        try
        {
            var (result, _) = ExperimentRunner.Run(new DiffWaveExperiment(_ => s), Scale.Smoke, Device.CPU, root: root);
            var o = result.OutcomeAs<DiffWaveOutcome>();
            Assert.Equal([DiffWaveExperiment.Model, DiffWaveExperiment.Control], o.Tuning.Chosen.Keys.Order(StringComparer.Ordinal));
            foreach (var (model, lr) in o.Tuning.Chosen)
            {
                Assert.Equal(s.LearningRates, o.Tuning.Sweep[model].Keys.Order());
                Assert.Equal(o.Tuning.Sweep[model].MinBy(kv => kv.Value).Key, lr);
                Assert.Equal(s.Seeds, o.EpsilonMse[model].Count);
            }
            Assert.Equal(s.Seeds, o.PitchAccuracy[DiffWaveExperiment.Control].Count);
            Assert.Equal(o.Parameters, o.ControlParameters);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void TrainingBatchesAreCropsOfTheirClassesNoteAndRepeatForTheSameSeed()
    {
        var s = DiffWaveSettings.For(Scale.Smoke);
        var clips = Enumerable.Range(0, s.Classes).Select(c => DiffWaveExperiment.Render(s, c, 0.2, DiffWaveRendering.Training)).ToArray();
        var first = DiffWaveExperiment.TrainingBatches(s, clips, 7).Take(5).ToArray();
        var again = DiffWaveExperiment.TrainingBatches(s, clips, 7).Take(5).ToArray();
        var other = DiffWaveExperiment.TrainingBatches(s, clips, 8).First();
        for (int k = 0; k < first.Length; k++)
        {
            var b = first[k];
            Assert.Equal(b.Crops, again[k].Crops);
            Assert.Equal(b.Steps, again[k].Steps);
            Assert.Equal(b.Noise, again[k].Noise);
            Assert.Equal(b.RandomClasses, again[k].RandomClasses);
            Assert.Equal(s.Batch * s.Crop, b.Noise.Length);
            Assert.All(b.Steps, step => Assert.InRange(step, 1, s.DiffusionSteps));
            Assert.All(b.RandomClasses, c => Assert.InRange(c, 0, s.Classes - 1));
            for (int row = 0; row < s.Batch; row++)
            {
                var crop = b.Crops[(row * s.Crop)..((row + 1) * s.Crop)];
                var note = clips[b.Classes[row]].Samples;
                Assert.True(Enumerable.Range(0, note.Length - s.Crop + 1).Any(o => note.AsSpan(o, s.Crop).SequenceEqual(crop.AsSpan())),
                    $"batch {k}, row {row}: not a crop of class {b.Classes[row]}'s note");
            }
        }
        Assert.NotEqual(first[0].Noise, other.Noise);
        var noise = first.SelectMany(b => b.Noise).Select(v => (double)v).ToArray();
        Assert.InRange(noise.Average(), -0.05, 0.05);
        Assert.InRange(noise.Select(v => v * v).Average(), 0.9, 1.1);
    }

    [Fact]
    public void DiffWaveAndTheControlTrainOnTheSameBatchesInTheSameOrder()
    {
        var s = DiffWaveSettings.For(Scale.Smoke) with
        {
            LearningRates = [1e-3, 4e-3], TrainSteps = 3, Seeds = 2, ListenSeconds = 0.05, MinPitchGain = 0.01,
        };
        var seen = new Dictionary<string, List<(int Step, DiffWaveBatch Batch)>>();
        var root = Directory.CreateTempSubdirectory("diffwave-batches-").FullName;
        try
        {
            ExperimentRunner.Run(new DiffWaveExperiment(_ => s, (run, step, batch) =>
            {
                if (!seen.TryGetValue(run, out var list)) seen[run] = list = [];
                list.Add((step, batch));
            }), Scale.Smoke, Device.CPU, root: root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        Assert.Equal(2 * s.LearningRates.Length + 2 * 1, seen.Count);                     // seed 0: the sweep; seed 1: the chosen rates
        foreach (var seed in new[] { "seed0", "seed1" })
        {
            var runs = seen.Where(kv => kv.Key.StartsWith(seed + "/", StringComparison.Ordinal)).ToArray();
            Assert.Contains(runs, kv => kv.Key.Contains(DiffWaveExperiment.Model, StringComparison.Ordinal));
            Assert.Contains(runs, kv => kv.Key.Contains(DiffWaveExperiment.Control, StringComparison.Ordinal));
            var reference = runs[0].Value;
            Assert.Equal(Enumerable.Range(1, s.TrainSteps), reference.Select(r => r.Step));
            foreach (var (run, batches) in runs)
            {
                Assert.Equal(reference.Select(r => r.Step), batches.Select(r => r.Step));
                for (int k = 0; k < batches.Count; k++)
                {
                    DiffWaveBatch a = reference[k].Batch, b = batches[k].Batch;
                    Assert.Equal(a.Crops, b.Crops);
                    Assert.Equal(a.Classes, b.Classes);
                    Assert.Equal(a.Steps, b.Steps);
                    Assert.Equal(a.Noise, b.Noise);
                    Assert.Equal(a.RandomClasses, b.RandomClasses);
                }
            }
        }
        Assert.NotEqual(seen.First(kv => kv.Key.StartsWith("seed0/", StringComparison.Ordinal)).Value[0].Batch.Noise,
            seen.First(kv => kv.Key.StartsWith("seed1/", StringComparison.Ordinal)).Value[0].Batch.Noise);
        var batch = seen.Values.First()[0].Batch;
        Assert.Equal(batch.Classes, batch.Told(shuffled: false));
        Assert.Equal(batch.RandomClasses, batch.Told(shuffled: true));
    }
}
