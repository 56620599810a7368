using Research.Models.Speech;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Speech;

public class Tacotron2Tests
{
    // Two phrases: 5 and 3 characters (the second padded with 0), 7 mel frames of 4 bands; r = 2 → 4 decoder steps.
    private static readonly Tacotron2Config s_config = new(Characters: 6, MelBands: 4, FramesPerStep: 2, Embedding: 8, EncoderWidth: 8, PreNet: 8,
        AttentionRnn: 8, DecoderRnn: 8, Attention: 6, LocationFilters: 3, LocationKernel: 5, PostNetChannels: 6, PostNetKernel: 3, PreNetDropout: 0);

    private static (Tensor Text, Tensor Lengths, Tensor Mel) Inputs()
    {
        ManualSeed(5);
        return (Tensor.From(new long[] { 1, 2, 3, 4, 5, 3, 2, 1, 0, 0 }, 2, 5), Tensor.From(new long[] { 5, 3 }, 2),
            Tensor.RandN([2, 7, 4], DType.Float64));
    }

    private static Tacotron2 Model(bool location = true)
    {
        ManualSeed(3);
        var model = new Tacotron2(s_config with { Location = location });
        model.Double();
        return model;
    }

    [Fact]
    public void OutputsHaveTheDecoderShapesAndAttentionIsADistributionOverValidCharacters()
    {
        using var scope = NewScope();
        var (text, lengths, mel) = Inputs();
        using var model = Model();
        using var o = model.Forward(text, lengths, mel);
        Assert.Equal([2, 8, 4], o.Mel.Shape);                       // ⌈7 / 2⌉ = 4 steps × r = 2 frames
        Assert.Equal([2, 8, 4], o.PostMel.Shape);
        Assert.Equal([2, 4], o.Stop.Shape);
        Assert.Equal([2, 4, 5], o.Alignment.Shape);
        var sums = o.Alignment.Sum(2).ToArray<double>();
        Assert.All(sums, v => Assert.Equal(1, v, 12));
        Assert.Equal(0, o.Alignment[1].Narrow(1, 3, 2).Abs().Max().Item<double>());   // padding characters get no weight
    }

    [Fact]
    public void StepIOnlySeesTargetFramesBeforeItsOwn()
    {
        using var scope = NewScope();
        var (text, lengths, mel) = Inputs();
        using var model = Model();
        using var o = model.Forward(text, lengths, mel);
        var changed = mel.Clone();
        changed.Narrow(1, 3, 4).Fill_(7.0);                        // frames 3 … 6: fed to steps 2 and 3 only (frame r·i − 1)
        using var p = model.Forward(text, lengths, changed);
        Assert.Equal(0, (o.Mel.Narrow(1, 0, 4) - p.Mel.Narrow(1, 0, 4)).Abs().Max().Item<double>());      // steps 0, 1 (frames 0 … 3)
        Assert.True((o.Mel.Narrow(1, 4, 4) - p.Mel.Narrow(1, 4, 4)).Abs().Max().Item<double>() > 1e-6);
    }

    [Fact]
    public void FreeRunningEqualsTeacherForcingOnTheModelsOwnFrames()
    {
        using var scope = NewScope();
        var (text, lengths, _) = Inputs();
        using var model = Model();
        using var g = NoGrad();
        using var free = model.Generate(text, lengths, 4);
        using var forced = model.Forward(text, lengths, free.Mel);
        Assert.True((free.Mel - forced.Mel).Abs().Max().Item<double>() < 1e-12);
        Assert.True((free.Alignment - forced.Alignment).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void LocationAttentionMatchesItsDefinitionComputedByLoops()
    {
        using var scope = NewScope();
        ManualSeed(11);
        using var attention = new LocationSensitiveAttention(3, 4, 5, locationFilters: 2, locationKernel: 3);
        attention.Double();
        var query = Tensor.RandN([1, 3], DType.Float64);
        var memory = Tensor.RandN([1, 4, 4], DType.Float64);
        var cumulative = Tensor.Rand([1, 4], DType.Float64);
        var padding = Tensor.From(new[] { false, false, false, true }, 1, 4);
        var (context, weights) = attention.Forward(query, memory, attention.Keys(memory), cumulative, padding);

        double[] s = query.ToArray<double>(), h = memory.ToArray<double>(), cum = cumulative.ToArray<double>();
        double[] w = attention.Query.Weight.ToArray<double>(), bias = attention.Query.Bias!.ToArray<double>(), v = attention.Memory.Weight.ToArray<double>();
        double[] u = attention.LocationDense!.Weight.ToArray<double>(), f = attention.LocationConv!.Weight.ToArray<double>(), we = attention.Energy.Weight.ToArray<double>();
        var energies = new double[3];
        for (int j = 0; j < 3; j++)
            for (int a = 0; a < 5; a++)
            {
                double x = bias[a];
                for (int q = 0; q < 3; q++) x += w[a * 3 + q] * s[q];
                for (int d = 0; d < 4; d++) x += v[a * 4 + d] * h[j * 4 + d];
                for (int c = 0; c < 2; c++)
                {
                    double loc = 0;
                    for (int k = 0; k < 3; k++)
                        if (j + k - 1 is >= 0 and < 4) loc += f[c * 3 + k] * cum[j + k - 1];           // centred, zero-padded
                    x += u[a * 2 + c] * loc;
                }
                energies[j] += we[a] * Math.Tanh(x);
            }
        double max = energies.Max(), z = energies.Sum(e => Math.Exp(e - max));
        var expected = energies.Select(e => Math.Exp(e - max) / z).ToArray();
        var actual = weights.ToArray<double>();
        for (int j = 0; j < 3; j++) Assert.Equal(expected[j], actual[j], 12);
        Assert.Equal(0, actual[3]);
        var ctx = context.ToArray<double>();
        for (int d = 0; d < 4; d++) Assert.Equal(Enumerable.Range(0, 3).Sum(j => expected[j] * h[j * 4 + d]), ctx[d], 12);
    }

    [Fact]
    public void ContentAttentionIgnoresTheCumulativeWeightsAndLocationAttentionDoesNot()
    {
        using var scope = NewScope();
        foreach (bool location in new[] { false, true })
        {
            ManualSeed(13);
            using var attention = new LocationSensitiveAttention(3, 4, 5, location: location);
            var query = Tensor.RandN([2, 3]);
            var memory = Tensor.RandN([2, 6, 4]);
            var keys = attention.Keys(memory);
            var padding = Tensor.Zeros([2, 6]) > 1;
            var (_, a) = attention.Forward(query, memory, keys, Tensor.Zeros([2, 6]), padding);
            var (_, b) = attention.Forward(query, memory, keys, Tensor.Rand([2, 6]) * 3, padding);
            double difference = (a - b).Abs().Max().Item<float>();
            if (location) Assert.True(difference > 1e-4, $"location attention moved by {difference}");
            else Assert.Equal(0, difference);
            Assert.Equal(location, attention.UsesLocation);
        }
    }

    [Fact]
    public void ContentControlDiffersOnlyByTheLocationParameters()
    {
        using var location = new Tacotron2(s_config);
        using var content = new Tacotron2(s_config with { Location = false });
        long extra = s_config.LocationFilters * s_config.LocationKernel + s_config.LocationFilters * s_config.Attention;
        Assert.Equal(location.ParameterCount() - extra, content.ParameterCount());
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        using var scope = NewScope();
        var (text, lengths, mel) = Inputs();
        using var model = Model();
        Assert.Throws<ArgumentException>(() => model.Forward(text, lengths, mel.Narrow(2, 0, 3)));
        Assert.Throws<ArgumentException>(() => model.Forward(text, lengths.Narrow(0, 0, 1), mel));
        Assert.Throws<ArgumentException>(() => new LocationSensitiveAttention(3, 4, 5, locationKernel: 4));
    }
}
