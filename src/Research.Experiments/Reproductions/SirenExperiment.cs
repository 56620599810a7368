using System.Globalization;
using Research.Experiments.Data;
using Research.Models.ImplicitNeural;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the SIREN experiment at one scale.</summary>
/// <param name="Size">Image side in pixels.</param>
/// <param name="Width">Hidden features of SIREN and the ReLU MLP.</param>
/// <param name="HiddenLayers">Hidden-to-hidden layers (the networks have HiddenLayers + 1 hidden layers).</param>
/// <param name="Steps">Full-batch Adam steps per run.</param>
/// <param name="LearningRates">The sweep every network gets on the first seed; the best final PSNR picks its rate.</param>
/// <param name="Seeds">Seeds (initialisation).</param>
/// <param name="MinGapToPe">Required SIREN − ReLU+PE image PSNR (dB).</param>
/// <param name="MinGapToRelu">Required SIREN − ReLU image PSNR (dB).</param>
/// <param name="MinDerivativeGap">Required SIREN − ReLU+PE PSNR of the gradient and of the Laplacian (dB).</param>
public sealed record SirenSettings(int Size, int Width, int HiddenLayers, int Steps, double[] LearningRates, int Seeds,
    double MinGapToPe, double MinGapToRelu, double MinDerivativeGap)
{
    /// <summary>ω₀ of every sine layer (the paper's 30).</summary>
    public const double Omega0 = 30;

    /// <summary>Octaves of the positional encoding: up to the image's Nyquist frequency.</summary>
    public int Octaves => PositionalEncoding.OctavesFor(Size);

    /// <summary>
    /// Hidden features of the ReLU + PE network: the width whose parameter count is closest to SIREN's (the encoding
    /// widens its first layer by 4·Octaves inputs).
    /// </summary>
    public int PeWidth => Enumerable.Range(1, 2 * Width).MinBy(w => Math.Abs(MlpParameters(2 + 4 * Octaves, w) - MlpParameters(2, Width)));

    /// <summary>Parameters of an MLP in → w × (HiddenLayers + 1) → 1.</summary>
    public long MlpParameters(int inFeatures, int w) => (long)(inFeatures + 1) * w + HiddenLayers * (long)(w + 1) * w + w + 1;

    /// <summary>
    /// smoke: a 32² image, width 32, 60 steps, one rate (10⁻³), 1 seed, weaker gaps (image 1 dB / 2 dB, derivatives 0 dB);
    /// cpu: 128², width 64 (4 hidden layers, ≈ 13k parameters for 16k pixels), 300 steps, rates {3·10⁻⁴, 10⁻³, 3·10⁻³} (a first
    /// run with {10⁻⁴, 3·10⁻⁴, 10⁻³} found 10⁻³ best for all three networks, at the edge, so the sweep was moved to bracket it),
    /// 3 seeds; gpu: 256², width 256, 2000 steps, 5 seeds. The gaps (3 dB to ReLU+PE, 5 dB to ReLU, 3 dB on both
    /// derivatives) are set from the paper's claim that SIREN fits images and their derivatives far better than both.
    /// </summary>
    public static SirenSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(32, 32, 3, 60, [1e-3], 1, MinGapToPe: 1, MinGapToRelu: 2, MinDerivativeGap: 0),
        Scale.Cpu => new(128, 64, 3, 300, [3e-4, 1e-3, 3e-3], 3, MinGapToPe: 3, MinGapToRelu: 5, MinDerivativeGap: 3),
        _ => new(256, 256, 3, 2000, [1e-4, 3e-4, 1e-3, 3e-3], 5, MinGapToPe: 3, MinGapToRelu: 5, MinDerivativeGap: 3),
    };
}

/// <summary>What <see cref="SirenExperiment"/> measured, for the notebook's pictures.</summary>
/// <param name="Settings">The settings run.</param>
/// <param name="Parameters">Parameters per network.</param>
/// <param name="LearningRate">The rate the sweep picked per network.</param>
/// <param name="Sweep">Final PSNR of the first seed per network and rate.</param>
/// <param name="Psnr">Image PSNR (dB) per network over seeds.</param>
/// <param name="GradientPsnr">PSNR of ∇f against the image's finite-difference gradient, per network over seeds.</param>
/// <param name="LaplacianPsnr">PSNR of Δf against the image's five-point Laplacian, per network over seeds.</param>
/// <param name="Target">The image [size][size] in [−1, 1].</param>
/// <param name="Fits">First seed's fit per network.</param>
/// <param name="GradientNorms">|∇| of the target (finite differences, key "target") and of every network's fit (interior pixels).</param>
/// <param name="Laplacians">Δ of the target (key "target") and of every network's fit (interior pixels).</param>
public sealed record SirenOutcome(SirenSettings Settings, IReadOnlyDictionary<string, long> Parameters,
    IReadOnlyDictionary<string, double> LearningRate, IReadOnlyDictionary<string, IReadOnlyDictionary<double, double>> Sweep,
    IReadOnlyDictionary<string, SeedSummary> Psnr, IReadOnlyDictionary<string, SeedSummary> GradientPsnr,
    IReadOnlyDictionary<string, SeedSummary> LaplacianPsnr, double[][] Target, IReadOnlyDictionary<string, double[][]> Fits,
    IReadOnlyDictionary<string, double[][]> GradientNorms, IReadOnlyDictionary<string, double[][]> Laplacians);

/// <summary>
/// Sitzmann et al. (2020), "Implicit Neural Representations with Periodic Activation Functions" — the experiment of
/// notebooks/implicitneural/siren.ipynb: a <see cref="Siren"/>, the paper's main competitor, a ReLU MLP on a NeRF positional
/// encoding (<see cref="PositionalEncoding"/>, octaves up to the image's Nyquist frequency), and a plain ReLU MLP, all with
/// the same hidden layers (parameters within 10 %), fit a grey crop of china.jpg with full-batch Adam for the same steps.
/// Each network gets the same learning-rate sweep on the first seed; the best rate is used for the other seeds (the first
/// seed's result is its best sweep run). After training the analytic gradient and Laplacian of each fit (double backward)
/// are compared with the image's finite-difference derivatives. Metrics: <c>seed{s}/{net}@{lr}/psnr</c> every 5 steps.
/// </summary>
public sealed class SirenExperiment : IExperiment
{
    /// <summary>The networks, in the order they are trained and shown.</summary>
    public static readonly string[] Networks = ["SIREN", "ReLU + PE", "ReLU"];

    /// <inheritdoc />
    public string Id => "siren";

    /// <inheritdoc />
    public string Family => "implicit neural representations";

    /// <inheritdoc />
    public string Title => "SIREN: implicit neural representations with periodic activations (Sitzmann et al., 2020)";

    /// <inheritdoc />
    public string? Narrower => "one 128² photograph, width 64, 300 steps; no audio, video or PDE fits";

    /// <inheritdoc />
    public string Claim =>
        "a sine-activated coordinate MLP (ω₀ = 30, 4 × 64) fits a 128² grey crop of china.jpg in 300 Adam steps with a PSNR ≥ 3 dB above a " +
        "ReLU MLP with positional encoding and ≥ 5 dB above a plain ReLU MLP (parameters within 10 %, the same learning-rate sweep), " +
        "and its analytic gradient and Laplacian match the image's finite-difference derivatives ≥ 3 dB better than ReLU + PE's " +
        "(3 seeds; smoke: 32², 1 seed, gaps 1 / 2 / 0 dB)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = SirenSettings.For(context.Scale);
        var seeds = context.Seeds(s.Seeds);
        var device = context.Device;
        context.Run.AddHyperparameters(new
        {
            image = "china.jpg", s.Size, s.Width, pe_width = s.PeWidth, hidden_layers = s.HiddenLayers, s.Steps, learning_rates = s.LearningRates,
            omega0 = SirenSettings.Omega0, pe_octaves = s.Octaves, seeds = seeds.Count, min_gap_to_pe = s.MinGapToPe,
            min_gap_to_relu = s.MinGapToRelu, min_derivative_gap = s.MinDerivativeGap,
        });

        using var image = ImageFitting.GrayscaleSquare(SampleImages.China(), s.Size, device).DetachFromScope();   // [size, size] in [−1, 1]
        using var target = image.Reshape(-1, 1).DetachFromScope();                                                // [size², 1]
        using var coords = Siren.Grid(s.Size, s.Size, device: device).DetachFromScope();                           // [size², 2]
        var (gradientTarget, laplacianTarget) = ImageFitting.FiniteDifferences(image);
        using var g = gradientTarget.DetachFromScope();
        using var l = laplacianTarget.DetachFromScope();

        var psnr = Networks.ToDictionary(n => n, _ => new List<double>());
        var gradientPsnr = Networks.ToDictionary(n => n, _ => new List<double>());
        var laplacianPsnr = Networks.ToDictionary(n => n, _ => new List<double>());
        var sweep = Networks.ToDictionary(n => n, _ => new Dictionary<double, double>());
        var chosen = new Dictionary<string, double>();
        var parameters = new Dictionary<string, long>();
        var fits = new Dictionary<string, double[][]>();
        var gradientNorms = new Dictionary<string, double[][]> { ["target"] = Rows(g.Norm(2, [-1])) };
        var laplacians = new Dictionary<string, double[][]> { ["target"] = Rows(l) };

        foreach (var name in Networks)
            foreach (var seed in seeds)
            {
                bool first = seed == seeds[0];
                Module<Tensor, Tensor>? best = null;
                double bestPsnr = double.NegativeInfinity;
                foreach (var lr in first ? s.LearningRates : new[] { chosen[name] })
                {
                    var model = Fit(context, s, name, seed, lr, coords, target);
                    double value;
                    using (NoGrad()) value = Siren.Psnr(model.Forward(coords), target);
                    if (first) sweep[name][lr] = value;
                    if (value > bestPsnr)
                    {
                        best?.Dispose();
                        (best, bestPsnr) = (model, value);
                        if (first) chosen[name] = lr;
                    }
                    else model.Dispose();
                }
                using var net = best!;
                using var scope = NewScope();
                parameters[name] = net.ParameterCount();
                psnr[name].Add(bestPsnr);
                var (gradient, laplacian) = ImageFitting.Derivatives(net, s.Size, device);
                var interiorGradient = gradient.Narrow(0, 1, s.Size - 2).Narrow(1, 1, s.Size - 2);
                var interiorLaplacian = laplacian.Narrow(0, 1, s.Size - 2).Narrow(1, 1, s.Size - 2);
                gradientPsnr[name].Add(ImageFitting.RangePsnr(interiorGradient, g));
                laplacianPsnr[name].Add(ImageFitting.RangePsnr(interiorLaplacian, l));
                if (first)
                {
                    using (NoGrad()) fits[name] = Rows(net.Forward(coords).Reshape(s.Size, s.Size));
                    gradientNorms[name] = Rows(interiorGradient.Norm(2, [-1]));
                    laplacians[name] = Rows(interiorLaplacian);
                }
                context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"{name} seed {seed} lr {chosen[name]:G3}: PSNR {bestPsnr:F2} dB, ∇ {gradientPsnr[name][^1]:F2} dB, Δ {laplacianPsnr[name][^1]:F2} dB"));
            }

        SeedSummary Summary(List<double> v) => new(v);
        var outcome = new SirenOutcome(s, parameters, chosen,
            sweep.ToDictionary(e => e.Key, e => (IReadOnlyDictionary<double, double>)e.Value),
            psnr.ToDictionary(e => e.Key, e => Summary(e.Value)), gradientPsnr.ToDictionary(e => e.Key, e => Summary(e.Value)),
            laplacianPsnr.ToDictionary(e => e.Key, e => Summary(e.Value)), Rows(image), fits, gradientNorms, laplacians);
        return Check(s, outcome, context.Run);
    }

    private static ExperimentResult Check(SirenSettings s, SirenOutcome o, Run run)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var name in Networks)
        {
            string key = name.Replace(" + ", "_").ToLowerInvariant();
            metrics[$"{key}_parameters"] = o.Parameters[name];
            metrics[$"{key}_lr"] = o.LearningRate[name];
            metrics[$"{key}_psnr"] = o.Psnr[name].Mean;
            metrics[$"{key}_gradient_psnr"] = o.GradientPsnr[name].Mean;
            metrics[$"{key}_laplacian_psnr"] = o.LaplacianPsnr[name].Mean;
        }
        foreach (var (k, v) in metrics) run.Record(s.Steps, $"final/{k}", v);
        var check = new ClaimCheck()
            .AtLeast("SIREN − ReLU+PE image PSNR (dB)", o.Psnr["SIREN"].Minus(o.Psnr["ReLU + PE"]), s.MinGapToPe, format: "F2")
            .AtLeast("SIREN − ReLU image PSNR (dB)", o.Psnr["SIREN"].Minus(o.Psnr["ReLU"]), s.MinGapToRelu, format: "F2")
            .AtLeast("SIREN − ReLU+PE gradient PSNR (dB)", o.GradientPsnr["SIREN"].Minus(o.GradientPsnr["ReLU + PE"]), s.MinDerivativeGap, format: "F2")
            .AtLeast("SIREN − ReLU+PE Laplacian PSNR (dB)", o.LaplacianPsnr["SIREN"].Minus(o.LaplacianPsnr["ReLU + PE"]), s.MinDerivativeGap, format: "F2");
        return check.Result(metrics, outcome: o);
    }

    /// <summary>One network trained for one seed at one rate; metrics <c>seed{s}/{net}@{lr}/psnr</c>.</summary>
    private static Module<Tensor, Tensor> Fit(ExperimentContext context, SirenSettings s, string name, ulong seed, double lr,
        Tensor coords, Tensor target)
    {
        var device = context.Device;
        ManualSeed(seed);
        Module<Tensor, Tensor> model = name switch
        {
            "SIREN" => new Siren(2, s.Width, s.HiddenLayers, 1, SirenSettings.Omega0, SirenSettings.Omega0, device: device),
            "ReLU + PE" => ImageFitting.ReluPeMlp(2, s.Octaves, s.PeWidth, s.HiddenLayers, 1, device),
            _ => ImageFitting.ReluMlp(2, s.Width, s.HiddenLayers, 1, device),
        };
        using var optimiser = new Adam(model.Parameters(), lr: lr);
        string metric = string.Create(CultureInfo.InvariantCulture, $"seed{seed}/{name}@{lr:G3}/psnr");
        for (int step = 0; step < s.Steps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using var scope = NewScope();
            var loss = F.MseLoss(model.Forward(coords), target);
            optimiser.ZeroGrad();
            loss.Backward();
            optimiser.Step();
            if (step % 5 == 4 || step == s.Steps - 1) context.Run.Record(step + 1, metric, ImageFitting.PsnrFromMse(loss.Item<float>()));
        }
        return model;
    }

    private static double[][] Rows(Tensor t)
    {
        using var scope = NewScope();
        var flat = t.Detach().Double().Cpu().Contiguous().ToArray<double>();
        int rows = (int)t.Size(0), columns = (int)t.Size(1);
        return Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
    }
}
