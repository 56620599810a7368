using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

/// <summary>
/// Inputs that once crashed the process (SIGSEGV, SIGFPE) or escaped as untyped exceptions, each now a typed exception
/// raised at the binding's edge — or a result, where PyTorch accepts the input.
/// </summary>
public class BindingEdgeTests
{
    [Fact]
    public void BackwardNeedsOneGradientPerOutputAndNoNulls()
    {
        using var scope = NewScope();
        var x = Tensor.Ones(3).RequiresGrad_();
        var ys = new[] { x * 2, x * 3, x * 4 };
        var e = Assert.Throws<ArgumentException>(() => Autograd.Backward(ys, [Tensor.Ones([])]));
        Assert.Contains("1 grad outputs for 3 outputs", e.Message);
        Assert.Throws<ArgumentException>(() => Autograd.Backward([ys[0].Sum()], [Tensor.Ones([]), Tensor.Ones([])]));
        Assert.Throws<ArgumentNullException>(() => Autograd.Backward([ys[0].Sum(), null!]));
        Assert.Throws<ArgumentNullException>(() => Autograd.Grad([ys[0].Sum()], [null!]));
        Autograd.Backward([ys[0].Sum(), ys[1].Sum()], [null, Tensor.Full([], 2f)]);    // still works when well formed
        Assert.Equal([8f, 8f, 8f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void CustomFunctionWhoseForwardReturnsNullIsRefused()
    {
        using var scope = NewScope();
        var x = Tensor.Ones(2).RequiresGrad_();
        var e = Assert.Throws<ArgumentNullException>(() => CustomFunction.Apply("f", [x], _ => [null!], gs => gs));
        Assert.Contains("outputs of f's forward[0] is null", e.Message);
        Assert.Throws<ArgumentNullException>(() => CustomFunction.Apply("g", [null!], xs => xs, gs => gs));
    }

    [Theory]
    [InlineData(DType.Int8, sbyte.MinValue)]
    [InlineData(DType.Int16, short.MinValue)]
    [InlineData(DType.Int32, int.MinValue)]
    [InlineData(DType.Int64, long.MinValue)]
    public void IntegerMinimumDividedByMinusOneRaisesInsteadOfTrapping(DType dtype, long minimum)
    {
        using var scope = NewScope();
        var a = Tensor.Full([3], minimum, dtype);
        var minusOne = Tensor.Full([3], -1, dtype);
        Assert.Contains("integer overflow", Assert.ThrowsAny<TorchException>(() => a % -1).Message);
        Assert.ThrowsAny<TorchException>(() => a % minusOne);
        Assert.ThrowsAny<TorchException>(() => a.Fmod(-1));
        Assert.ThrowsAny<TorchException>(() => a.FloorDivide(minusOne));
        Assert.ThrowsAny<TorchException>(() => new Op("aten::div", "Tensor_mode").Call(a, minusOne, "floor"));
        Assert.ThrowsAny<TorchException>(() => new Op("aten::remainder", "Scalar_Tensor").Call(minimum, minusOne));
        // Everything else still divides: the minimum by other values, other values by −1, floating-point division.
        Assert.Equal(0, (a % 2).Sum().Item<long>());
        Assert.Equal([-5L, -5L, -5L], (Tensor.Full([3], 5, dtype).FloorDivide(minusOne)).Long().ToArray<long>());
        Assert.Equal(-(double)minimum, (a / minusOne).Double()[0].Item<double>());
    }

    [Fact]
    public void UndefinedDTypesAreRefusedBeforeLibtorch()
    {
        using var scope = NewScope();
        foreach (var bad in new[] { (DType)(-1), (DType)1000, (DType)8 })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([2], bad));
            Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(2).To(bad));
        }
        var e = Assert.ThrowsAny<TorchException>(() => new Op("aten::zeros").Call(new long[] { 2 }, 1000L));
        Assert.Contains("is not a dtype: 1000", e.Message);
    }

    [Fact]
    public void NormalisationWithoutGroupsOrChannelsIsAnArgumentError()
    {
        using var scope = NewScope();
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupNorm(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.GroupNorm(Tensor.Ones(2, 4, 3), 0));
        Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Ones(4, 0, 3), null, null, training: true));
    }

    [Fact]
    public void AdamRefusesAPartialStateAndKeepsItsOwn()
    {
        using var scope = NewScope();
        var w = Tensor.Ones(3).RequiresGrad_();
        using var adam = new Adam([w], lr: 0.1);
        (w * w).Sum().Backward();
        adam.Step();
        var saved = adam.StateDict();
        saved.Tensors.Remove("state.0.exp_avg_sq");
        var e = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(saved));
        Assert.Contains("lacks exp_avg_sq", e.Message);
        Assert.Equal(3, adam.StateOf(w).Count);                        // nothing lost
        adam.Step();                                                    // and it still steps
    }

    [Fact]
    public void GradientsMustMatchTheirTensorAndLearningRatesMustBeNumbers()
    {
        using var scope = NewScope();
        var x = Tensor.Ones(3).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Ones(4));
        Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Ones([3], DType.Float64));
        Assert.Throws<ArgumentException>(() => x.Grad = x);
        x.Grad = Tensor.Full([3], 2f);
        Assert.Equal([2f, 2f, 2f], x.Grad!.ToArray<float>());
        x.Grad = null;
        Assert.Null(x.Grad);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD([x], lr: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([x], lr: double.NaN));
        using var sgd = new SGD([x], lr: 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.ParamGroups[0].LearningRate = double.NaN);
    }
}
