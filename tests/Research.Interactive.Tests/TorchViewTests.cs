using Research.Experiments;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;

namespace Research.Interactive.Tests;

public class TorchViewTests
{
    private static Tensor SineTensor(double hz, int sampleRate, double seconds) =>
        (Tensor.Arange(0, (long)(sampleRate * seconds), 1, DType.Float32) * (2 * Math.PI * hz / sampleRate)).Sin() * 0.5;

    [Fact]
    public void StftSpectrogramOfA440HzSineTensorPeaksAt440Hz()
    {
        const int sr = 16000;
        using var scope = Research.Torch.Torch.NewScope();
        var wave = SineTensor(440, sr, 1.0);
        var trace = SpectrogramView.Linear(wave, sr, nFft: 1024, hop: 256).ToJsonObject()["data"]![0]!;
        var y = trace["y"]!.AsArray().Select(v => (double)v!).ToArray();
        var z = trace["z"]!.AsArray().Select(r => r!.AsArray().Select(v => (double)v!).ToArray()).ToArray();
        int frame = z[0].Length / 2;
        int peak = Enumerable.Range(0, y.Length).MaxBy(k => z[k][frame]);
        Assert.InRange(y[peak], 440 - sr / 1024.0, 440 + sr / 1024.0);
        Assert.Equal(0, z[peak][frame], 1);
        Assert.Equal(1 + (sr - 1024) / 256, z[0].Length);          // frames without centre padding

        // [1, T] is the same mono signal; the mel view peaks in the band around 440 Hz.
        var (db, _, centers) = SpectrogramView.MelDecibels(wave.Unsqueeze(0), sr, nMels: 64, nFft: 1024, hop: 256);
        int band = Enumerable.Range(0, centers.Length).MaxBy(m => db[db.Length / 2][m]);
        var edges = Research.Torch.Audio.MelFilterbank.BandEdges(64, sr);
        Assert.True(edges[band] < 440 && 440 < edges[band + 2]);
        Assert.False(wave.IsDisposed);
        Assert.Throws<ArgumentException>(() => SpectrogramView.Linear(Tensor.Zeros(2, 4000), sr));
    }

    [Fact]
    public void TensorAndSpanSpectrogramsAgree()
    {
        const int sr = 8000;
        var samples = SignalTests.Sine(1000, sr, 0.25);
        using var wave = Tensor.From(samples);
        Assert.Equal(SpectrogramView.Mel(samples, sr, nMels: 32, nFft: 256).ToJson(), SpectrogramView.Mel(wave, sr, nMels: 32, nFft: 256).ToJson());
        // Shorter than one frame: zero-padded to a single frame.
        var one = SpectrogramView.Linear(samples.AsSpan(0, 100), sr, nFft: 256).ToJsonObject()["data"]![0]!["z"]!.AsArray();
        Assert.Single(one[0]!.AsArray());
    }

    [Fact]
    public void AudioPlayerFromATensorMatchesTheSpanPlayer()
    {
        var samples = SignalTests.Sine(440, 8000, 0.1);
        using var wave = Tensor.From(samples, 1, samples.Length);
        Assert.Equal(new AudioPlayer(samples, 8000).ToWav(), new AudioPlayer(wave, 8000).ToWav());
        using var stereo = Tensor.Zeros(2, 100);
        var error = Assert.Throws<ArgumentException>(() => new AudioPlayer(stereo, 8000));
        Assert.Contains("[2, 100]", error.Message);
        using var generated = Tensor.From(SignalTests.Sine(880, 8000, 0.1));
        Assert.Contains("<audio controls", new AudioComparison(wave, generated, 8000, mel: false).ToHtml());
    }

    [Fact]
    public void WeightTrajectoryOverSgdStepsGivesAPcaPathWithOnePointPerSnapshot()
    {
        Research.Torch.Torch.ManualSeed(0);
        using var model = new Linear(3, 2);
        var opt = new SGD(model.Parameters(), lr: 0.1);
        var trajectory = new WeightTrajectory(model, every: 2);
        using var x = Tensor.RandN(16, 3);
        using var target = Tensor.RandN(16, 2);
        for (int step = 0; step <= 10; step++)
        {
            trajectory.Record(step);
            using var scope = Research.Torch.Torch.NewScope();
            var loss = F.MseLoss(model.Forward(x), target);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }
        Assert.Equal([0.0, 2, 4, 6, 8, 10], trajectory.Steps);
        Assert.Equal(["weight", "bias"], trajectory.Names);
        Assert.All(trajectory.Snapshots, s => Assert.Equal(8, s.Length));
        Assert.NotEqual(trajectory.Snapshots[0], trajectory.Snapshots[^1]);
        trajectory.Snapshot(11);                                                   // the final weights, off the period
        Assert.Equal(ModuleWeights.Flatten(model), trajectory.Snapshots[^1]);
        var points = trajectory.ToFigure().ToJsonObject()["data"]![0]!;
        Assert.Equal(7, points["x"]!.AsArray().Count);
        Assert.Equal(7, trajectory.Fit().Coordinates.Length);
        Assert.True(trajectory.Fit().ExplainedVarianceRatio[0] > 0.5);       // SGD on a quadratic moves mostly along one direction
    }

    [Fact]
    public void ModuleWeightsRoundTripAndFeedTheLossLandscape()
    {
        using var model = new Sequential(new Linear(2, 4), new Tanh(), new Linear(4, 1));
        var w = ModuleWeights.Flatten(model);
        Assert.Equal(17, w.Length);
        Assert.Equal([[4, 2], [4], [1, 4], [1]], ModuleWeights.Shapes(model));
        var shifted = w.Select(v => v + 1).ToArray();
        ModuleWeights.Assign(model, shifted);
        Assert.Equal(shifted, ModuleWeights.Flatten(model));
        Assert.True(model.Parameters().All(p => p.RequiresGrad));
        var direction = LossLandscape.FilterNormalizedDirection(w, ModuleWeights.Shapes(model), new Random(1));
        Assert.Equal(w.Length, direction.Length);
        Assert.Throws<ArgumentException>(() => ModuleWeights.Assign(model, new float[3]));
    }

    [Fact]
    public void ModuleHistogramsAndSpectraUseEveryParameter()
    {
        using var model = new Sequential(new Linear(4, 6), new Tanh(), new Linear(6, 3));
        var hist = new WeightHistograms(bins: 12);
        hist.Add(0, model);
        hist.Add(5, model);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], hist.Layers);
        Assert.Equal(24, hist.Get("0.weight")[1].Counts.Sum());
        using var w = Tensor.From(new[] { -1f, 0f, 0.5f, 1f, float.NaN });
        var h = new WeightHistograms(bins: 4);
        h.Add(0, "w", w);
        h.Add(1, "w", w * 3);
        Assert.Equal(HistogramCounts.Compute([-1f, 0f, 0.5f, 1f], 4, -1.5, 1.5).Counts, h.Get("w")[0].Counts);
        Assert.Equal((1L, 1L), (h.Get("w")[1].Below, h.Get("w")[1].Above));

        var spectra = SingularValueSpectrum.Plot(model).ToJsonObject()["data"]!.AsArray();
        Assert.Equal(["0.weight", "2.weight"], spectra.Select(t => (string)t!["name"]!).ToArray());
        Assert.Equal(4, spectra[0]!["y"]!.AsArray().Count);
        var direct = SingularValueSpectrum.Compute(model.NamedParameters().First().Param);
        Assert.Equal(direct, spectra[0]!["y"]!.AsArray().Select(v => (double)v!).ToArray());
    }

    [Fact]
    public void FollowingTheTrainersMetricsUpdatesTheCurve()
    {
        Research.Torch.Torch.ManualSeed(0);
        using var model = new Linear(2, 1);
        var opt = new SGD(model.Parameters(), lr: 0.1);
        using var x = Tensor.RandN(32, 2);
        using var y = x.Sum(1, keepDim: true);
        var trainer = new Trainer(new TrainerOptions { MaxSteps = 12 });
        var curve = new LossCurve("train");
        using (curve.Follow(trainer.Metrics, p => p.Name == "train/loss"))
        {
            trainer.Fit(new ModuleState(model, opt), ctx =>
            {
                var loss = F.MseLoss(model.Forward(x), y);
                opt.ZeroGrad(); loss.Backward(); opt.Step();
                return StepResult.From(loss);
            });
        }
        Assert.Equal(["train/loss"], curve.SeriesNames);
        var (steps, _, losses) = curve.GetSeries("train/loss");
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (double)i), steps);
        Assert.True(losses[^1] < losses[0]);

        // After disposal the curve no longer follows; the event form and recorded points read the same shape.
        trainer.Metrics.Publish(new MetricPoint(13, "train/loss", 0, 0));
        Assert.Equal(12, curve.GetSeries("train/loss").x.Length);
        trainer.Metrics.Published += curve.Observe;
        trainer.Metrics.Publish(new MetricPoint(13, "eval/loss", 0.5, 0));
        trainer.Metrics.Published -= curve.Observe;
        Assert.Equal([0.5], curve.GetSeries("eval/loss").y);
        curve.AddRange([new MetricPoint(1, "old", 2, 0), new MetricPoint(2, "old", 1, 0)], run: "earlier");
        Assert.Equal([2.0, 1.0], curve.GetSeries("old", "earlier").y);
        Assert.Throws<ArgumentException>(() => curve.Observe(new { Label = "x" }));
    }

    [Fact]
    public void FollowWithASelectorAndCompletionDrawsTheFinalState()
    {
        var target = new RecordingTarget();
        var stream = new MetricStream();
        var curve = new LossCurve { MinRefreshInterval = TimeSpan.FromHours(1) };
        using (curve.Follow(stream, p => p.Name.EndsWith("/lr") ? null : (p.Name, p.Step / 100.0, p.Value)))
        {
            stream.Publish(new MetricPoint(100, "train/loss", 1, 0));
            stream.Publish(new MetricPoint(100, "train/lr", 0.1, 0));
            stream.Publish(new MetricPoint(200, "train/loss", 0.5, 0));
            Assert.Equal(["train/loss"], curve.SeriesNames);
            Assert.Equal([1.0, 2.0], curve.GetSeries("train/loss").x);
            Assert.Equal(0, curve.RenderCount);
            stream.Complete();
            Assert.Equal(0, curve.RenderCount);       // not shown: nothing to refresh
        }
        using (curve.Follow(stream, p => (p.Name, p.Step, p.Value), run: "raw"))
            stream.Publish(new MetricPoint(100, "train/lr", 0.1, 0));
        Assert.Equal([100.0], curve.GetSeries("train/lr", "raw").x);

        Display.Target = target;
        try
        {
            curve.Show();
            var live = new MetricStream();
            using var _ = curve.Follow(live);
            live.Publish(new MetricPoint(300, "train/loss", 0.25, 0));
            live.Complete();                          // forces the refresh the throttle held back
            Assert.Equal(1, curve.RenderCount);
            Assert.Single(target.Updates);
        }
        finally { Display.Target = null; PlotlyJs.ResetNotebook(); }
    }
}
