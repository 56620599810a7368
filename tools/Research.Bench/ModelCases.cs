using Research.Models.Audio;
using Research.Models.Operators;
using Research.Models.Sequence;
using Research.Models.Vision;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Bench;

/// <summary>
/// The bench's training steps: a matmul-heavy MLP (reported against the sgemm peak) and one step of five
/// representative reproduction models (WaveNet, chunk-wise GLA, FNO, WaveMix on 32×32 images, LSTM tagger),
/// each from Research.Models, at bench sizes or, for the twin-equivalence test, small ones.
/// </summary>
public static class ModelCases
{
    /// <summary>The matmul-heavy MLP's widths: 512-1024-1024-10.</summary>
    public static readonly int[] MlpWidths = [512, 1024, 1024, 10];

    /// <summary>The matmul-heavy MLP's batch.</summary>
    public const int MlpBatch = 256;

    /// <summary>Every case; <paramref name="small"/> shrinks them to test sizes (well under a second a step).</summary>
    public static IReadOnlyList<ModelCase> All(bool small = false) =>
        [MatmulMlp(small), WaveNet(small), Gla(small), Fno(small), WaveMix(small), LstmTagger(small)];

    /// <summary>The matmul-heavy step: MLP 512-1024-1024-10, batch 256, cross-entropy, Adam.</summary>
    public static ModelCase MatmulMlp(bool small = false)
    {
        int[] w = small ? [16, 32, 32, 10] : MlpWidths;
        int batch = small ? 8 : MlpBatch;
        return new ModelCase("mlp", $"MLP {string.Join("-", w)} step, batch {batch}, Adam (matmul-bound)",
            () => new Sequential(("0", new Linear(w[0], w[1])), ("1", new ReLU()), ("2", new Linear(w[1], w[2])), ("3", new ReLU()), ("4", new Linear(w[2], w[3]))),
            () => new() { ["x"] = Tensor.RandN(batch, w[0]), ["y"] = Tensor.RandInt(0, w[3], [batch]) },
            (m, b) => F.CrossEntropy(((Sequential)m).Forward(b["x"]), b["y"]),
            new Dictionary<string, string> { ["linears"] = "0,2,4" },
            Flops: SgemmPeak.StepGemmFlops(w, batch));
    }

    /// <summary>WaveNet (the library's default widths, 2×8 dilated layers), next-sample NLL of 256-level codes.</summary>
    public static ModelCase WaveNet(bool small = false)
    {
        var config = small ? new WaveNetConfig(Classes: 16, ResidualChannels: 8, GateChannels: 8, SkipChannels: 8, HeadChannels: 8, Blocks: 1, LayersPerBlock: 3)
                           : new WaveNetConfig();
        long batch = 2, time = small ? 33 : 1025;
        return new ModelCase("wavenet", $"WaveNet step, {config.Blocks}x{config.LayersPerBlock} layers, {batch}x{time - 1} codes",
            () => new WaveNet(config),
            () => new() { ["codes"] = Tensor.RandInt(0, config.Classes, [batch, time]) },
            (m, b) => ((WaveNet)m).NextSampleNll(b["codes"]),
            new Dictionary<string, string> { ["classes"] = config.Classes.ToString(), ["dilations"] = string.Join(",", config.Dilations) });
    }

    /// <summary>One gated linear attention layer in the chunk-wise form, regression to a random target.</summary>
    public static ModelCase Gla(bool small = false)
    {
        long d = small ? 16 : 128, heads = small ? 2 : 4, batch = small ? 2 : 8, time = small ? 20 : 256;
        int chunk = small ? 8 : 32;
        const double temperature = 16;
        return new ModelCase("gla", $"GLA layer step (chunk-wise), d={d}, {heads} heads, {batch}x{time} tokens",
            () => new GatedLinearAttentionLayer(d, heads, temperature: temperature, chunk: chunk),
            () => new() { ["x"] = Tensor.RandN(batch, time, d), ["y"] = Tensor.RandN(batch, time, d) },
            (m, b) => F.MseLoss(((GatedLinearAttentionLayer)m).Forward(b["x"], GlaForm.Chunked), b["y"]),
            new Dictionary<string, string> { ["heads"] = heads.ToString(), ["chunk"] = chunk.ToString(), ["temperature"] = temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>A 1-d Fourier neural operator (the library's default widths), regression on [batch, 1, points].</summary>
    public static ModelCase Fno(bool small = false)
    {
        var config = small ? new FourierNeuralOperatorConfig(Width: 8, Modes: 4, Layers: 2, ProjectionWidth: 8) : new FourierNeuralOperatorConfig();
        long batch = small ? 2 : 32, points = small ? 16 : 256;
        return new ModelCase("fno", $"FNO step, width {config.Width}, {config.Modes} modes, {config.Layers} layers, {batch}x{points} points",
            () => new FourierNeuralOperator(config),
            () => new() { ["x"] = Tensor.RandN(batch, 1, points), ["y"] = Tensor.RandN(batch, 1, points) },
            (m, b) => F.MseLoss(((FourierNeuralOperator)m).Forward(b["x"]), b["y"]),
            new Dictionary<string, string> { ["layers"] = config.Layers.ToString(), ["modes"] = config.Modes.ToString() });
    }

    /// <summary>WaveMix (the library's default widths) on 32×32 RGB images, 10 classes.</summary>
    public static ModelCase WaveMix(bool small = false)
    {
        var config = new WaveMixConfig(InChannels: 3, Channels: small ? 8 : 32, Blocks: small ? 1 : 3);
        long batch = small ? 4 : 64, size = small ? 8 : 32;
        return new ModelCase("wavemix", $"WaveMix step, {config.Channels} channels, {config.Blocks} blocks, {batch}x3x{size}x{size} images",
            () => new WaveMix(config),
            () => new() { ["x"] = Tensor.RandN(batch, 3, size, size), ["y"] = Tensor.RandInt(0, config.Classes, [batch]) },
            (m, b) => F.CrossEntropy(((WaveMix)m).Forward(b["x"]), b["y"]),
            new Dictionary<string, string> { ["blocks"] = config.Blocks.ToString(), ["stem_stride"] = config.StemStride.ToString() });
    }

    /// <summary>The copy-memory LSTM tagger (one layer), cross-entropy at every step.</summary>
    public static ModelCase LstmTagger(bool small = false)
    {
        int vocabulary = 10, classes = 10, hidden = small ? 8 : 128;
        long batch = small ? 2 : 32, time = small ? 12 : 120;
        return new ModelCase("lstm", $"LSTM tagger step, hidden {hidden}, {batch}x{time} tokens",
            () => new LstmTagger(vocabulary, classes, hidden),
            () => new() { ["tokens"] = Tensor.RandInt(0, vocabulary, [batch, time]), ["y"] = Tensor.RandInt(0, classes, [batch, time]) },
            (m, b) =>
            {
                var logits = ((LstmTagger)m).Forward(b["tokens"]);
                return F.CrossEntropy(logits.Reshape(-1, classes), b["y"].Reshape(-1));
            },
            new Dictionary<string, string> { ["vocabulary"] = vocabulary.ToString() });
    }
}
