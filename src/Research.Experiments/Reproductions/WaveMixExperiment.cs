using System.Globalization;
using Research.Models.Vision;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the WaveMix experiment at one scale. The three models are fixed (<see cref="CreateModels"/>); only the
/// training length and the accuracy tolerance change with the scale.
/// </summary>
/// <param name="Epochs">Passes over the training digits, the same for every model.</param>
/// <param name="AllowedGap">The largest allowed CNN − WaveMix test accuracy.</param>
public sealed record WaveMixSettings(int Epochs, double AllowedGap)
{
    /// <summary>Side of the upsampled digits.</summary>
    public const int ImageSize = 32;

    /// <summary>Batch size for training and for the memory measurement.</summary>
    public const int Batch = 64;

    /// <summary>Peak learning rate of Adam (warm-up and cosine decay), the same for every model.</summary>
    public const double LearningRate = 2e-3;

    /// <summary>Held-out fraction of the digits.</summary>
    public const double TestFraction = 0.2;

    /// <summary>Smoke: 5 epochs, WaveMix within 8 points of the CNN; cpu and gpu: 20 epochs, within 3 points.</summary>
    public static WaveMixSettings For(Scale scale) => scale == Scale.Smoke ? new(Epochs: 5, AllowedGap: 0.08) : new(Epochs: 20, AllowedGap: 0.03);

    /// <summary>The WaveMix classifier: width 32, 3 blocks, MLP ratio 2, stride-2 stem (blocks at 16×16, their MLPs at 8×8); 68 k parameters.</summary>
    public static readonly WaveMixConfig WaveMix = new(InChannels: 1, Classes: 10, Channels: 32, MlpRatio: 2, Blocks: 3, StemStride: 2);

    /// <summary>CNN widths: 3×3 conv-BN-ReLU stages, max pooling after the first two (32 → 16 → 8); 61 k parameters.</summary>
    public static readonly long[] CnnWidths = [16, 32, 64, 64];

    /// <summary>ViT: 4×4 patches (64 tokens), width 64, 2 encoder blocks of 4 heads, MLP ratio 2; 73 k parameters.</summary>
    public const int VitPatch = 4, VitDim = 64, VitDepth = 2, VitHeads = 4, VitMlpRatio = 2;

    /// <summary>The three models in a fixed order — WaveMix, CNN, ViT — with their metric names, created from the current seed.</summary>
    public static (string Name, Module<Tensor, Tensor> Model)[] CreateModels(Device? device = null) =>
    [
        ("wavemix", new WaveMix(WaveMix, device: device)),
        ("cnn", new SmallCnn(1, 10, CnnWidths, pooledStages: 2, device: device)),
        ("vit", new VisionTransformer(ImageSize, VitPatch, 1, 10, VitDim, VitDepth, VitHeads, VitMlpRatio, device: device)),
    ];
}

/// <summary>
/// Jeevan &amp; Sethi, "WaveMix: A Resource-efficient Neural Network for Image Analysis" — the experiment of
/// notebooks/vision/wavemix.ipynb. sklearn digits upsampled to 32×32 (<see cref="DigitImages"/>); a <see cref="WaveMix"/>
/// classifier, a <see cref="SmallCnn"/> and a <see cref="VisionTransformer"/> of about the same parameter count are trained
/// on the same batches with the same Adam schedule. Metrics per step: <c>{wavemix,cnn,vit}/loss</c>; per epoch (and at
/// step 0): <c>eval/{name}_accuracy</c>. After training: the activation memory of one training forward pass on a batch of
/// 64 (<see cref="ActivationMemory.SavedBytes"/>: bytes the autograd graph keeps for the backward pass) and the wall time
/// of one training step per model (taken after the accuracies, its few extra steps change nothing reported), recorded as
/// <c>final/{name}_accuracy</c>, <c>final/{name}_parameters</c>, <c>final/{name}_activation_mb</c>, <c>final/{name}_step_ms</c>,
/// <c>final/accuracy_gap_cnn</c> (CNN − WaveMix) and <c>final/accuracy_gap_vit</c> (WaveMix − ViT).
/// </summary>
public sealed class WaveMixExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "wavemix";

    /// <inheritdoc />
    public string Family => "vision mixers & CNNs";

    /// <inheritdoc />
    public string Title => "WaveMix: a resource-efficient neural network for image analysis (Jeevan & Sethi)";

    /// <inheritdoc />
    public string Claim =>
        "on digits upsampled to 32×32, a WaveMix classifier (Haar DWT token mixing) reaches a test accuracy within 3 points (smoke: 8) of a CNN " +
        "of about the same parameter count and above a ViT of about the same parameter count trained the same way, " +
        "and its training forward pass saves less activation memory per batch than the ViT's";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = WaveMixSettings.For(context.Scale);
        var device = context.Device;
        using var data = DigitImages.Create(WaveMixSettings.ImageSize, WaveMixSettings.TestFraction, seed: 0, device);
        var sampler = new EpochSampler(data.TrainRows, WaveMixSettings.Batch, context.Seed, shuffle: true, dropLast: false);
        long steps = (long)s.Epochs * sampler.BatchesPerEpoch;

        ManualSeed(context.Seed);
        var models = WaveMixSettings.CreateModels(device);
        var optimizers = models.Select(m => new Adam(m.Model.Parameters(), lr: WaveMixSettings.LearningRate)).ToArray();
        try
        {
            var parameters = models.ToDictionary(m => m.Name, m => m.Model.ParameterCount());
            context.Run.AddHyperparameters(new
            {
                s.Epochs, steps, batch_size = WaveMixSettings.Batch, lr = WaveMixSettings.LearningRate, image_size = WaveMixSettings.ImageSize,
                test_fraction = WaveMixSettings.TestFraction, allowed_gap = s.AllowedGap, wavemix = WaveMixSettings.WaveMix.ToString(),
                cnn_widths = WaveMixSettings.CnnWidths, vit = $"patch {WaveMixSettings.VitPatch}, dim {WaveMixSettings.VitDim}, depth {WaveMixSettings.VitDepth}, heads {WaveMixSettings.VitHeads}",
                parameters_wavemix = parameters["wavemix"], parameters_cnn = parameters["cnn"], parameters_vit = parameters["vit"],
            });
            context.Run.Log("parameters: " + string.Join(", ", parameters.Select(p => $"{p.Key} {p.Value:N0}")));

            var state = new TensorState();
            for (int i = 0; i < models.Length; i++) state.Add(models[i].Name, new ModuleState(models[i].Model, optimizers[i]));
            Dictionary<string, double> Evaluate() => models.ToDictionary(m => $"eval/{m.Name}_accuracy", m => data.TestAccuracy(m.Model));
            foreach (var (name, value) in Evaluate()) context.Run.Record(0, name, value);

            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = steps,
                LearningRate = LearningRates.WarmupCosine(WaveMixSettings.LearningRate, sampler.BatchesPerEpoch, steps, WaveMixSettings.LearningRate / 20),
                EvalEvery = sampler.BatchesPerEpoch,
                FiniteCheckEvery = sampler.BatchesPerEpoch,
            });
            var batches = new FuncBatches<(Tensor X, Tensor Y)>(step =>
            {
                using var index = Tensor.From(sampler.Indices(step).Select(i => (long)i).ToArray()).To(device);
                return (data.TrainX.IndexSelect(0, index), data.TrainY.IndexSelect(0, index));
            });
            var result = trainer.Fit(state, batches, (batch, ctx) =>
            {
                var metrics = new Dictionary<string, double>();
                for (int i = 0; i < models.Length; i++)
                {
                    ctx.ApplyLearningRate(optimizers[i]);
                    metrics[$"{models[i].Name}/loss"] = TrainStep(models[i].Model, optimizers[i], batch.X, batch.Y);
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: _ => Evaluate(), run: context.Run);

            var accuracy = models.ToDictionary(m => m.Name, m => data.TestAccuracy(m.Model));
            using var probeX = data.TrainX.Narrow(0, 0, WaveMixSettings.Batch).DetachFromScope();
            using var probeY = data.TrainY.Narrow(0, 0, WaveMixSettings.Batch).DetachFromScope();
            var memory = models.ToDictionary(m => m.Name, m => (double)TrainingActivationBytes(m.Model, probeX, probeY));
            var stepMs = new Dictionary<string, double>();
            for (int i = 0; i < models.Length; i++)
            {
                var (model, optimizer) = (models[i].Model, optimizers[i]);
                stepMs[models[i].Name] = WallClock.BestMilliseconds(() => { using var scope = NewScope(); TrainStep(model, optimizer, probeX, probeY); }, repeats: 3);
            }

            double gap = accuracy["cnn"] - accuracy["wavemix"];
            bool matches = gap <= s.AllowedGap, beatsVit = accuracy["wavemix"] > accuracy["vit"], lighter = memory["wavemix"] < memory["vit"];
            var metricsOut = new Dictionary<string, double> { ["accuracy_gap_cnn"] = gap, ["accuracy_gap_vit"] = accuracy["wavemix"] - accuracy["vit"] };
            foreach (var (name, _) in models)
            {
                metricsOut[$"{name}_accuracy"] = accuracy[name];
                metricsOut[$"{name}_parameters"] = parameters[name];
                metricsOut[$"{name}_activation_mb"] = memory[name] / (1 << 20);
                metricsOut[$"{name}_step_ms"] = stepMs[name];
            }
            foreach (var (k, v) in metricsOut) context.Run.Record(result.Steps, $"final/{k}", v);
            string Mb(string name) => (memory[name] / (1 << 20)).ToString("F1", CultureInfo.InvariantCulture);
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"test accuracy after {s.Epochs} epochs: WaveMix {accuracy["wavemix"]:F3} ({parameters["wavemix"]:N0} parameters), CNN {accuracy["cnn"]:F3} ({parameters["cnn"]:N0}), ViT {accuracy["vit"]:F3} ({parameters["vit"]:N0}); " +
                $"CNN − WaveMix {100 * gap:F1} points {(matches ? "≤" : ">")} {100 * s.AllowedGap:F0}; WaveMix {(beatsVit ? ">" : "≤")} ViT by {100 * (accuracy["wavemix"] - accuracy["vit"]):F1} points; " +
                $"saved activations per batch of {WaveMixSettings.Batch}: WaveMix {Mb("wavemix")} MB {(lighter ? "<" : "≥")} ViT {Mb("vit")} MB (CNN {Mb("cnn")} MB); " +
                $"training step {stepMs["wavemix"]:F1} / {stepMs["cnn"]:F1} / {stepMs["vit"]:F1} ms ({result.Status})");
            return new ExperimentResult(matches && beatsVit && lighter, detail, metricsOut, result);
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
            foreach (var (_, m) in models) m.Dispose();
        }
    }

    /// <summary>One Adam step of cross-entropy on (<paramref name="x"/>, <paramref name="y"/>); returns the loss.</summary>
    public static double TrainStep(Module<Tensor, Tensor> model, Optimizer optimizer, Tensor x, Tensor y)
    {
        var loss = F.CrossEntropy(model.Forward(x), y);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        return loss.Item<float>();
    }

    /// <summary>
    /// Bytes of activations the training forward pass of <paramref name="model"/> (training mode, cross-entropy loss) saves for
    /// the backward pass, measured by <see cref="ActivationMemory.SavedBytes"/>. Batch-norm running statistics are restored
    /// afterwards, so the measurement does not change the model.
    /// </summary>
    public static long TrainingActivationBytes(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        var buffers = model.NamedBuffers().Select(b => (b.Buffer, Copy: b.Buffer.Clone().DetachFromScope())).ToArray();
        try
        {
            return ActivationMemory.SavedBytes(() => F.CrossEntropy(model.Forward(x), y));
        }
        finally
        {
            using var noGrad = NoGrad();
            foreach (var (buffer, copy) in buffers)
            {
                buffer.Copy_(copy);
                copy.Dispose();
            }
        }
    }
}
