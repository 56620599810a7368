using System.Globalization;
using Research.Experiments.Data;
using Research.Models.ImplicitNeural;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Sitzmann et al. (2020), "Implicit Neural Representations with Periodic Activation Functions" — the experiment of
/// notebooks/implicitneural/siren.ipynb: a <see cref="Siren"/> and a ReLU MLP of the same shape fit a grey crop of
/// china.jpg side by side (same data, optimiser and steps). Metrics per step: <c>siren/loss</c>, <c>siren/psnr</c>,
/// <c>relu/loss</c>, <c>relu/psnr</c>; evaluations: <c>eval/siren_psnr</c>, <c>eval/relu_psnr</c>, <c>eval/psnr_gap</c>.
/// </summary>
public sealed class SirenExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "siren";

    /// <inheritdoc />
    public string Family => "implicit neural representations";

    /// <inheritdoc />
    public string Title => "SIREN: implicit neural representations with periodic activations (Sitzmann et al., 2020)";

    /// <inheritdoc />
    public string Claim => "a sine-activated coordinate MLP (ω₀ = 30) fits a grey crop of china.jpg with a PSNR at least 5 dB (smoke: 2 dB) above a ReLU MLP of the same size";

    /// <summary>The required PSNR gap in dB at <paramref name="scale"/>.</summary>
    public static double RequiredGap(Scale scale) => scale == Scale.Smoke ? 2 : 5;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int size = context.ByScale(48, 128, 128);             // image side in pixels
        int width = context.ByScale(48, 128, 128);            // hidden features
        const int hiddenLayers = 3;
        long steps = context.ByScale(100L, 500L, 500L);
        const double lr = 1e-4, omega0 = 30;
        double requiredGap = RequiredGap(context.Scale);
        context.Run.AddHyperparameters(new { image = "china.jpg", size, width, hidden_layers = hiddenLayers, steps, lr, omega0, required_gap_db = requiredGap });

        var device = context.Device;
        using var image = ImageFitting.GrayscaleSquare(SampleImages.China(), size, device).DetachFromScope();   // [size, size] in [−1, 1]
        using var target = image.Reshape(-1, 1).DetachFromScope();                                              // [size², 1]
        using var coords = Siren.Grid(size, size, device: device).DetachFromScope();                             // [size², 2] in [−1, 1]²

        ManualSeed(context.Seed);
        using var siren = new Siren(2, width, hiddenLayers, 1, firstOmega0: omega0, hiddenOmega0: omega0, device: device);
        using var relu = ImageFitting.ReluMlp(2, width, hiddenLayers, 1, device);
        using var sirenOpt = new Adam(siren.Parameters(), lr: lr);
        using var reluOpt = new Adam(relu.Parameters(), lr: lr);
        var networks = new (string Name, Module<Tensor, Tensor> Net, Adam Optimizer)[] { ("siren", siren, sirenOpt), ("relu", relu, reluOpt) };
        var state = new TensorState { { "siren", new ModuleState(siren, sirenOpt) }, { "relu", new ModuleState(relu, reluOpt) } };
        context.Run.Log($"SIREN parameters {siren.ParameterCount()}, ReLU MLP parameters {relu.ParameterCount()}");

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = steps,
            LearningRate = LearningRates.Constant(lr),
            EvalEvery = (int)Math.Max(1, steps / 10),
            Monitor = "eval/psnr_gap",
            MonitorMode = MonitorMode.Max,
        });
        var result = trainer.Fit(state, ctx =>
        {
            var metrics = new Dictionary<string, double>();
            foreach (var (name, net, optimizer) in networks)
            {
                ctx.ApplyLearningRate(optimizer);
                var loss = F.MseLoss(net.Forward(coords), target);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                double mse = loss.Item<float>();
                metrics[$"{name}/loss"] = mse;
                metrics[$"{name}/psnr"] = ImageFitting.PsnrFromMse(mse);
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ =>
        {
            double sirenPsnr = Siren.Psnr(siren.Forward(coords), target), reluPsnr = Siren.Psnr(relu.Forward(coords), target);
            return new Dictionary<string, double> { ["siren_psnr"] = sirenPsnr, ["relu_psnr"] = reluPsnr, ["psnr_gap"] = sirenPsnr - reluPsnr };
        }, run: context.Run);

        double sirenFinal = result.FinalMetrics.GetValueOrDefault("eval/siren_psnr", double.NaN);
        double reluFinal = result.FinalMetrics.GetValueOrDefault("eval/relu_psnr", double.NaN);
        double gap = sirenFinal - reluFinal;
        bool holds = gap >= requiredGap;
        return new ExperimentResult(holds,
            string.Create(CultureInfo.InvariantCulture,
                $"PSNR after {result.Steps} steps on a {size}×{size} crop: SIREN {sirenFinal:F2} dB, ReLU MLP {reluFinal:F2} dB, gap {gap:F2} dB {(holds ? "≥" : "<")} {requiredGap:F0} dB ({result.Status})"),
            new Dictionary<string, double> { ["siren_psnr"] = sirenFinal, ["relu_psnr"] = reluFinal, ["psnr_gap"] = gap }, result);
    }
}
