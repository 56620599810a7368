using Research.Models.Audio;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class SaShiMiTests
{
    private static readonly SaShiMiConfig Small = new(Width: 4, Modes: 3, Pools: [2, 3], Layers: 1);

    [Fact]
    public void ForwardMapsCodesToLogitsAndPadsToTheStride()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new SaShiMi(Small);
        Assert.Equal(6, Small.Stride);
        Assert.Equal([4, 8, 16], Enumerable.Range(0, 3).Select(Small.WidthAt));
        Assert.Equal([2, 256, 23], model.Forward(Tensor.RandInt(0, 256, [2, 23])).Shape);
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.RandN(2, 12)));
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.RandInt(0, 256, [12])));
    }

    [Fact]
    public void PoolingStaysCausal()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new SaShiMi(Small, DType.Float64);
        var codes = Tensor.RandInt(0, 256, [1, 36]);
        var changed = codes.Clone();
        using (NoGrad()) changed.Narrow(1, 20, 16).Fill_(3);
        var a = model.Forward(codes).Narrow(2, 0, 20);
        var b = model.Forward(changed).Narrow(2, 0, 20);
        Assert.True((a - b).Abs().Max().Item<double>() < 1e-12);
        var c = model.Forward(changed).Narrow(2, 20, 1);
        Assert.True((model.Forward(codes).Narrow(2, 20, 1) - c).Abs().Max().Item<double>() > 1e-6);
    }

    [Theory]
    [InlineData(StateParameterisation.Hurwitz)]
    [InlineData(StateParameterisation.Unconstrained)]
    public void RecurrentModeEqualsConvolutionModeInFloat64(StateParameterisation parameterisation)
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new SaShiMi(Small with { Parameterisation = parameterisation }, DType.Float64);
        var codes = Tensor.RandInt(0, 256, [2, 31]);
        var conv = model.Forward(codes);                                                   // [2, 256, 31]
        using var recurrence = new SaShiMiRecurrence(model, 2);
        var steps = Tensor.Stack(Enumerable.Range(0, 31).Select(t => recurrence.Step(codes.Select(1, t))).ToArray(), 2);
        Assert.True((conv - steps).Abs().Max().Item<double>() < 1e-9);
    }

    [Fact]
    public void NllIsTheCrossEntropyOfTheShiftedLogits()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new SaShiMi(Small);
        var codes = Tensor.RandInt(0, 256, [2, 25]);
        var logits = model.Forward(codes.Narrow(1, 0, 24));
        var expected = F.CrossEntropy(logits.Narrow(2, 4, 20), codes.Narrow(1, 5, 20)).Item<float>();
        Assert.Equal(expected, model.NextSampleNll(codes, conditionOn: 5).Item<float>(), 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.NextSampleNll(codes, conditionOn: 25));
    }

    [Fact]
    public void GenerateContinuesThePrimeAndRecordsStateMagnitudes()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var model = new SaShiMi(Small);
        var prime = Tensor.RandInt(0, 256, [3, 4]);
        var norms = new List<double>();
        var a = model.Generate(5, seed: 5, prime: prime, stateMagnitudes: norms);
        var b = model.Generate(5, seed: 5, prime: prime);
        Assert.Equal([3, 5], a.Shape);
        Assert.True(a.Eq(b).All().Item<bool>());                                           // depends on the seed only
        Assert.Equal(3 + 5, norms.Count);
        Assert.All(norms, n => Assert.True(double.IsFinite(n) && n >= 0));
        var greedy = model.Generate(2, temperature: 0, prime: prime);
        using var recurrence = new SaShiMiRecurrence(model, 3);
        Tensor? logits = null;
        for (int t = 0; t < 4; t++) logits = recurrence.Step(prime.Select(1, t));
        Assert.True(logits!.ArgMax(1).Eq(greedy.Select(1, 0)).All().Item<bool>());
    }
}
