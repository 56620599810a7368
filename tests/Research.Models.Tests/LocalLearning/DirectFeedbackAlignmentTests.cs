using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.LocalLearning;

// Seeds libtorch's global generator: never in parallel with the other local-learning tests.
[Collection("local learning, global generator")]
public class DirectFeedbackAlignmentTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void DfaUpdateEqualsItsDefinition()
    {
        // δa_l = (B_l e) ⊙ f'(a_l), ∇W_l = δa_lᵀ h_{l−1}, with e = (softmax(ŷ) − onehot(y)) / batch.
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new DirectFeedbackAlignment(6, [5, 4], 3, dtype: DType.Float64);
        var x = Tensor.RandN([7, 6], DType.Float64);
        var y = Tensor.RandInt(0, 3, [7]);

        model.DfaGradients(x, y);

        var a1 = model.Layers[0].Forward(x); var h1 = a1.Tanh();
        var a2 = model.Layers[1].Forward(h1); var h2 = a2.Tanh();
        var logits = model.Layers[2].Forward(h2);
        var e = ((logits.Softmax(-1) - F.OneHot(y, 3).Double()) / 7.0).Detach();
        var d1 = e.Matmul(model.Feedback(0)) * (1.0 - a1.Tanh().Square());
        var d2 = e.Matmul(model.Feedback(1)) * (1.0 - a2.Tanh().Square());
        Assert.True(MaxAbsDiff(model.Layers[0].Weight.Grad!, d1.T.Matmul(x)) < 1e-12);
        Assert.True(MaxAbsDiff(model.Layers[0].Bias!.Grad!, d1.Sum(dim: 0)) < 1e-12);
        Assert.True(MaxAbsDiff(model.Layers[1].Weight.Grad!, d2.T.Matmul(h1)) < 1e-12);
        Assert.True(MaxAbsDiff(model.Layers[2].Weight.Grad!, e.T.Matmul(h2)) < 1e-12);
    }

    [Fact]
    public void OutputLayerGetsTheTrueGradient()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new DirectFeedbackAlignment(4, [8, 8], 5, dtype: DType.Float64);
        var x = Tensor.RandN([10, 4], DType.Float64);
        var y = Tensor.RandInt(0, 5, [10]);

        var dfaLoss = model.DfaGradients(x, y).Item<double>();
        var dfaW = model.Layers[^1].Weight.Grad!.Clone();
        var loss = F.CrossEntropy(model.Forward(x), y);
        var trueW = Autograd.Grad(loss, model.Layers[^1].Weight);

        Assert.Equal(loss.Item<double>(), dfaLoss, 12);
        Assert.True(MaxAbsDiff(dfaW, trueW) < 1e-12);
    }

    [Fact]
    public void WithTransposedForwardWeightsAsFeedbackDfaIsBackprop()
    {
        // One hidden layer: if B_1 = W_2ᵀ, the direct feedback path is exactly the backprop path.
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new DirectFeedbackAlignment(4, [6], 3, dtype: DType.Float64);
        using (NoGrad()) model.Feedback(0).Copy_(model.Layers[1].Weight);          // [classes, hidden]
        var x = Tensor.RandN([9, 4], DType.Float64);
        var y = Tensor.RandInt(0, 3, [9]);

        model.DfaGradients(x, y);
        var dfa = model.Parameters().Select(p => p.Grad!.Clone()).ToArray();
        var backprop = Autograd.Grad([F.CrossEntropy(model.Forward(x), y)], model.Parameters().Cast<Tensor>().ToArray());

        for (int i = 0; i < dfa.Length; i++) Assert.True(MaxAbsDiff(dfa[i], backprop[i]!) < 1e-12, $"parameter {i}");
    }

    [Fact]
    public void BackpropDeltasMatchAutograd()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var model = new DirectFeedbackAlignment(5, [7, 6], 4, dtype: DType.Float64);
        var x = Tensor.RandN([8, 5], DType.Float64);
        var y = Tensor.RandInt(0, 4, [8]);

        var (_, backprop) = model.HiddenDeltas(x, y);
        var h1 = model.Layers[0].Forward(x).Tanh().Detach();
        var grads = Autograd.Grad([F.CrossEntropy(model.Forward(x), y)], [model.Layers[0].Weight, model.Layers[1].Weight]);

        Assert.True(MaxAbsDiff(backprop[0].T.Matmul(x), grads[0]!) < 1e-12);
        Assert.True(MaxAbsDiff(backprop[1].T.Matmul(h1), grads[1]!) < 1e-12);
    }

    [Fact]
    public void FeedbackIsABufferNotAParameter()
    {
        using var model = new DirectFeedbackAlignment(4, [3, 3], 2);
        Assert.DoesNotContain(model.NamedParameters(), p => p.Name.StartsWith("feedback"));
        Assert.Equal(["feedback_0", "feedback_1"], model.NamedBuffers().Select(b => b.Name).ToArray());
        Assert.Equal(6, model.NamedParameters().Count());
    }

    [Fact]
    public void AngleOfParallelAndOrthogonalVectors()
    {
        using var scope = NewScope();
        Assert.Equal(0, DirectFeedbackAlignment.AngleDegrees(Tensor.From(new[] { 1.0, 2 }), Tensor.From(new[] { 2.0, 4 })), 4);
        Assert.Equal(90, DirectFeedbackAlignment.AngleDegrees(Tensor.From(new[] { 1.0, 0 }), Tensor.From(new[] { 0.0, 3 })), 6);
    }

    [Fact]
    public void RedrawFeedbackDrawsNewMatricesOfTheSameScale()
    {
        using var scope = NewScope();
        using var model = new DirectFeedbackAlignment(4, [50, 40], 10);
        var before = model.Feedback(0).Clone();
        var weights = model.Layers[0].Weight.Clone();
        model.RedrawFeedback();
        double bound = 1 / Math.Sqrt(10);
        Assert.True(MaxAbsDiff(before, model.Feedback(0)) > 0.1);
        Assert.True(model.Feedback(1).Abs().Max().Item<float>() <= bound);
        Assert.InRange(model.Feedback(1).Abs().Mean().Item<float>(), 0.8 * bound / 2, 1.2 * bound / 2);   // E|U(−b, b)| = b/2
        Assert.Equal(0, MaxAbsDiff(weights, model.Layers[0].Weight));                                        // forward weights untouched
    }
}
