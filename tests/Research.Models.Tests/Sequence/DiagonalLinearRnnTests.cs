using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class DiagonalLinearRnnTests
{
    [Theory]
    [InlineData(EigenvalueRange.ZeroToOne, 0.0, 1.0)]
    [InlineData(EigenvalueRange.MinusOneToOne, -1.0, 1.0)]
    public void EigenvaluesStayInTheirRange(EigenvalueRange range, double low, double high)
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new DiagonalLinearRnn(vocab: 2, classes: 2, stateSize: 8, range);
        using (NoGrad())
            foreach (var p in model.Transition.Parameters()) p.Mul_(20);   // push the gates towards saturation
        var tokens = Tensor.RandInt(0, 2, [16, 30]);

        var a = model.Eigenvalues(tokens);

        Assert.True(a.Min().Item<float>() >= low && a.Max().Item<float>() <= high);
        if (range == EigenvalueRange.ZeroToOne) Assert.True(a.Min().Item<float>() >= 0);
        else Assert.True(a.Min().Item<float>() < -0.5, "the signed range should reach negative eigenvalues");
    }

    [Fact]
    public void SignFlippingSolutionTracksParityAtAnyLength()
    {
        // The construction behind the paper's claim: a(0) = 1, a(1) = −1, b(1) = −2, b(0) = 0 keeps
        // h_t = (−1)^{parity} − 1, i.e. 0 for even and −2 for odd prefixes, for any length.
        using var scope = NewScope();
        using var model = new DiagonalLinearRnn(vocab: 2, classes: 2, stateSize: 1, EigenvalueRange.MinusOneToOne, width: 2, chunk: 16);
        using (NoGrad())
        {
            model.Embed.Weight.Copy_(Tensor.Eye(2));                                   // e(0) = [1, 0], e(1) = [0, 1]
            model.Transition.Weight.Copy_(Tensor.From(new float[] { 30, -30 }, 1, 2)); // 2σ(±30) − 1 = ±1
            model.Transition.Bias!.Zero_();
            model.Input.Weight.Copy_(Tensor.From(new float[] { 0, -2 }, 1, 2));
            model.Input.Bias!.Zero_();
            model.Hidden.Weight.Copy_(Tensor.From(new float[] { -1, 0 }, 2, 1));       // relu(−h) = 0 (even) or 2 (odd)
            model.Hidden.Bias!.Zero_();
            model.Readout.Weight.Copy_(Tensor.From(new float[] { -1, 0, 1, 0 }, 2, 2)); // logit(odd) − logit(even) = 2·relu(−h)
            model.Readout.Bias!.Copy_(Tensor.From(new float[] { 1, -1 }));
        }
        var bits = Tensor.RandInt(0, 2, [8, 1000]);
        var parity = bits.CumSum(1) % 2;

        Tensor predicted;
        using (NoGrad()) predicted = model.Forward(bits).ArgMax(-1);

        Assert.True(predicted.Eq(parity).All().Item<bool>());
    }
}
