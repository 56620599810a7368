using Research.Experiments;
using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Models.Operators;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;

namespace Research.GpuCheck;

/// <summary>
/// One reproduction's training step at a scale, on a device: its model and optimiser as the experiment builds them, and
/// one fixed batch of the experiment's shape (the step's cost does not depend on the data's values).
/// </summary>
/// <param name="Name">The experiment id.</param>
/// <param name="Kind">What kind of computation dominates.</param>
/// <param name="Shape">The batch, in words.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="ItemsPerStep">Samples, tokens or functions per step (throughput = items / second).</param>
/// <param name="Unit">What an item is.</param>
/// <param name="Step">One forward, backward and optimiser step; returns the loss (reading it waits for the device).</param>
/// <param name="Resources">The model, optimiser and batch, disposed after timing.</param>
internal sealed record Workload(string Name, string Kind, string Shape, long Parameters, long ItemsPerStep, string Unit,
    Func<float> Step, IDisposable[] Resources) : IDisposable
{
    public static readonly string[] Names = ["wavenet", "gla", "fno"];

    public static Workload Create(string name, Scale scale, Device device) => name switch
    {
        "wavenet" => WaveNetStep(scale, device),
        "gla" => GlaStep(scale, device),
        "fno" => FnoStep(scale, device),
        _ => throw new ArgumentException($"unknown workload '{name}' (expected {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>WaveNet (dilated causal gated convolutions), next-sample NLL on μ-law codes of harmonic notes.</summary>
    private static Workload WaveNetStep(Scale scale, Device device)
    {
        var s = WaveNetSettings.For(scale);
        var net = new WaveNet(s.WaveNet, device: device);
        var optimiser = new Adam(net.Parameters(), lr: s.LearningRate);
        var pitches = WaveNetExperiment.TestNotes(s).Select(n => n.Pitch).ToArray();
        var batch = WaveNetExperiment.TrainingNotes(s, new Random(0), pitches, device).DetachFromScope();      // [batch, crop]
        return new("wavenet", "dilated causal conv1d", $"{s.Batch} × {s.Crop} samples, {s.WaveNet.Blocks}×{s.WaveNet.LayersPerBlock} layers",
            net.ParameterCount(), (long)s.Batch * s.Crop, "samples", () => Train(optimiser, net.NextSampleNll(batch)), [batch, optimiser, net]);
    }

    /// <summary>GLA language model (chunk-wise gated linear attention), next-token cross-entropy.</summary>
    private static Workload GlaStep(Scale scale, Device device)
    {
        var s = GlaSettings.For(scale);
        var mixer = GlaExperiment.Models.Single(m => m.Name == "gla").Mixer;
        var model = GlaExperiment.CreateLanguageModel(mixer, s.LmContext, device);
        var optimiser = new Adam(model.Parameters(), lr: s.LearningRates[0]);
        var batch = new TaskBatch(
            Tensor.RandInt(0, LicenseText.Vocabulary, [s.LmBatch, s.LmContext], device: device).DetachFromScope(),
            Tensor.RandInt(0, LicenseText.Vocabulary, [s.LmBatch, s.LmContext], device: device).DetachFromScope());
        return new("gla", "chunk-wise gated linear attention", $"{s.LmBatch} × {s.LmContext} tokens, {GlaSettings.LmLayers} layers",
            model.ParameterCount(), (long)s.LmBatch * s.LmContext, "tokens",
            () => Train(optimiser, SideBySideTraining.NextTokenLoss(model, batch)), [batch, optimiser, model]);
    }

    /// <summary>Fourier neural operator (rFFT, spectral weights, irFFT), relative L2 on 1-D Burgers-shaped fields.</summary>
    private static Workload FnoStep(Scale scale, Device device)
    {
        var s = FnoSettings.For(scale);
        var net = new FourierNeuralOperator(s.Fno, device: device);
        var optimiser = new Adam(net.Parameters(), lr: s.LearningRate);
        var x = Tensor.RandN([s.Batch, s.TrainPoints], device: device).DetachFromScope();
        var y = Tensor.RandN([s.Batch, s.TrainPoints], device: device).DetachFromScope();
        return new("fno", "spectral convolution (FFT)", $"{s.Batch} × {s.TrainPoints} points, {s.Fno.Layers} layers, {s.Fno.Modes} modes",
            net.ParameterCount(), s.Batch, "functions", () => Train(optimiser, FnoExperiment.RelativeL2(net.Forward(x), y).Mean()), [x, y, optimiser, net]);
    }

    private static float Train(Optimizer optimiser, Tensor loss)
    {
        optimiser.ZeroGrad();
        loss.Backward();
        optimiser.Step();
        return loss.Item<float>();
    }

    public void Dispose()
    {
        foreach (var r in Resources) r.Dispose();
    }
}
