using static Research.Torch.Torch;

namespace Research.Torch.Tests;

public class AutogradTests
{
    [Fact]
    public void DoubleBackwardGivesSecondDerivative()
    {
        using var scope = NewScope();
        var x = Tensor.Linspace(-2, 2, 9, DType.Float64).RequiresGrad_();
        var y = x.Sin().Sum();
        var dy = Autograd.Grad(y, x, createGraph: true);          // cos x
        var d2y = Autograd.Grad(dy.Sum(), x);                        // -sin x
        Assert.True(dy.AllClose(x.Cos().Detach(), 1e-12, 1e-12));
        Assert.True(d2y.AllClose(-x.Sin().Detach(), 1e-12, 1e-12));
    }

    [Fact]
    public void BackwardAccumulatesIntoLeafGrad()
    {
        using var scope = NewScope();
        var w = Tensor.From(new[] { 1.0, 2.0, 3.0 }).RequiresGrad_();
        (w * w).Sum().Backward();
        (w * 3).Sum().Backward();
        Assert.Equal([5.0, 7.0, 9.0], w.Grad!.ToArray<double>());
        w.Grad = null;
        Assert.Null(w.Grad);
    }

    [Fact]
    public void NoGradScopeStopsRecording()
    {
        using var scope = NewScope();
        var w = Tensor.Ones(3).RequiresGrad_();
        using (NoGrad())
        {
            Assert.False(IsGradEnabled);
            Assert.False((w * 2).RequiresGrad);
        }
        Assert.True(IsGradEnabled);
        Assert.True((w * 2).RequiresGrad);
    }

    [Fact]
    public void CustomFunctionUsesTheUserBackward()
    {
        using var scope = NewScope();
        var x = Tensor.From(new[] { -1.5f, 0.2f, 3f }).RequiresGrad_();
        // Straight-through sign: forward is sign(x), backward passes 2·grad through.
        var y = CustomFunction.Apply("ste_sign", [x], xs => [xs[0].Sign()], gs => [gs[0]! * 2])[0];
        Assert.Equal([-1f, 1f, 1f], y.ToArray<float>());
        Assert.True(y.RequiresGrad);
        (y * Tensor.From(new[] { 1f, 2f, 3f })).Sum().Backward();
        Assert.Equal([2f, 4f, 6f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void CustomFunctionClosuresAreReleasedWithTheirGraph()
    {
        int before = CustomFunction.LiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewScope();
            var x = Tensor.Ones(2).RequiresGrad_();
            var y = CustomFunction.Apply("id", [x], xs => [xs[0] * 1], gs => [gs[0]])[0];
            y.Sum().Backward();
        }
        Assert.Equal(before, CustomFunction.LiveCount);
    }

    [Fact]
    public void ExceptionInCustomBackwardBecomesTorchExceptionAndProcessSurvives()
    {
        using var scope = NewScope();
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = CustomFunction.Apply("broken", [x], xs => [xs[0] * 2], gs => throw new InvalidOperationException("feedback matrix missing"))[0];
        var e = Assert.ThrowsAny<TorchException>(() => y.Sum().Backward());
        Assert.Contains("feedback matrix missing", e.Message);
        Assert.Contains("broken", e.Message);
        Assert.Equal(4f, (x * 2).Sum().Item<float>());
    }
}
