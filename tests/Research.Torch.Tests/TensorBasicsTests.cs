using System.Numerics;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

public class TensorBasicsTests
{
    [Fact]
    public void EveryDtypeRoundTripsThroughDotNetArrays()
    {
        using var scope = NewScope();
        Assert.Equal([1f, 2, 3], Tensor.From(new[] { 1f, 2, 3 }).ToArray<float>());
        Assert.Equal([1.5, -2], Tensor.From(new[] { 1.5, -2 }).ToArray<double>());
        Assert.Equal([long.MaxValue, -1], Tensor.From(new[] { long.MaxValue, -1 }).ToArray<long>());
        Assert.Equal([7, -7], Tensor.From(new[] { 7, -7 }).ToArray<int>());
        Assert.Equal([(short)3], Tensor.From(new short[] { 3 }).ToArray<short>());
        Assert.Equal([(sbyte)-3], Tensor.From(new sbyte[] { -3 }).ToArray<sbyte>());
        Assert.Equal([(byte)250], Tensor.From(new byte[] { 250 }).ToArray<byte>());
        Assert.Equal([true, false], Tensor.From(new[] { true, false }).ToArray<bool>());
        Assert.Equal([(Half)0.5], Tensor.From(new[] { (Half)0.5 }).ToArray<Half>());
        Assert.Equal(DType.BFloat16, Tensor.Ones([2], DType.BFloat16).DType);
        Assert.Equal([1f, 1f], Tensor.Ones([2], DType.BFloat16).ToArray<float>());
        var z = Tensor.From(new[] { new Complex(1, 2) });
        Assert.Equal(DType.Complex128, z.DType);
        Assert.Equal(new Complex(1, -2), z.Conj().ToArray<Complex>()[0]);
        Assert.Equal(DType.Complex64, z.To(DType.Complex64).DType);
        Assert.Equal(new[,] { { 1f, 2f }, { 3f, 4f } }, Tensor.From(new[,] { { 1f, 2f }, { 3f, 4f } }).ToArray2D<float>());
        Assert.Equal(2.5, Tensor.ScalarTensor(2.5).Item<double>());
        Assert.Empty(Tensor.ScalarTensor(2.5).Shape);
    }

    [Fact]
    public void FactoriesMatchTheirDefinitions()
    {
        using var scope = NewScope();
        Assert.Equal([0L, 1, 2, 3], Tensor.Arange(4).ToArray<long>());
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], Tensor.Linspace(0, 1, 5, DType.Float64).ToArray<double>());
        Assert.Equal(3f, Tensor.Eye(3).Sum().Item<float>());
        Assert.Equal([2L, 3], Tensor.Full([2, 3], 7).Shape);
        Assert.Equal(DType.Int64, Tensor.Full([1], 7).DType);
        var r = Tensor.RandInt(0, 5, [1000]);
        Assert.True(r.Min().Item<long>() >= 0 && r.Max().Item<long>() < 5);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Tensor.RandPerm(10).Sort().Values.ToArray<long>());
    }

    [Fact]
    public void InPlaceArithmeticKeepsIntegerTensorsInteger()
    {
        using var scope = NewScope();
        var n = Tensor.From(new long[] { 1, 2, 3 });
        var same = n.Add_(Tensor.From(new long[] { 1, 1, 1 }), 2).Mul_(2).Sub_(Tensor.Ones([3], DType.Int64));
        Assert.Same(n, same);
        Assert.Equal(DType.Int64, n.DType);
        Assert.Equal([5L, 7, 9], n.ToArray<long>());
        Assert.ThrowsAny<TorchException>(() => n.Add_(Tensor.Ones(3), 0.5));   // PyTorch: float alpha on integer tensors
    }

    [Fact]
    public void SeedsMakeRandomTensorsReproducible()
    {
        using var scope = NewScope();
        ManualSeed(123);
        var a = Tensor.RandN(100);
        var d = Tensor.Rand(10).Bernoulli();
        ManualSeed(123);
        var b = Tensor.RandN(100);
        var e = Tensor.Rand(10).Bernoulli();
        Assert.True(a.Equal(b));
        Assert.True(d.Equal(e));
    }

    [Fact]
    public void IndexAssignmentWritesThrough()
    {
        using var scope = NewScope();
        var x = Tensor.Zeros(3, 4);
        x[1, 1..3] = Tensor.Ones(2);
        x.SetItem(new TensorIndex[] { .., 0 }, 5);
        var mask = x > 4;
        x[mask] = Tensor.ScalarTensor(-1f);
        Assert.Equal(new[,] { { -1f, 0, 0, 0 }, { -1, 1, 1, 0 }, { -1, 0, 0, 0 } }, x.ToArray2D<float>());
    }

    [Fact]
    public void ThreadCountIsOwnedInOnePlace()
    {
        int before = NumThreads, blasBefore = BlasThreads;
        SetNumThreads(1, blasThreads: 1);
        Assert.Equal(1, NumThreads);
        Assert.Equal(1, BlasThreads);
        SetNumThreads(before, blasBefore);
        Assert.Equal(before, NumThreads);
        Assert.Equal(blasBefore, BlasThreads);
        Assert.Throws<ArgumentOutOfRangeException>(() => SetNumThreads(0));
        Assert.Contains("OpenBLAS", BlasInfo);
    }

    [Fact]
    public void WarningsReachDotNet()
    {
        var seen = new List<string>();
        Action<string> handler = seen.Add;
        Warning += handler;
        try
        {
            using var scope = NewScope();
            // An out= call that must resize a non-empty output warns on every call (TORCH_WARN).
            var output = Tensor.Zeros(5);
            new Op("aten::add", "out").Call(Tensor.Ones(2), Tensor.Ones(2), 1, output).Dispose();
        }
        finally { Warning -= handler; }
        Assert.Contains(seen, m => m.Contains("resized"));
    }

    [Fact]
    public void FormatsLikePyTorch()
    {
        using var scope = NewScope();
        Assert.Equal("tensor([1, 2], shape=[2], dtype=int64)", Tensor.From(new long[] { 1, 2 }).ToString());
        Assert.Contains("requires_grad=True", Tensor.Ones(1).RequiresGrad_().ToString());
        Assert.Contains("...", Tensor.Zeros(2000).ToString());
    }
}

public class OverloadTrapTests
{
    [Fact]
    public void SumAndMeanOfDimensionZeroReduceOnlyThatDimension()
    {
        using var scope = Research.Torch.Torch.NewScope();
        var x = Tensor.Ones(2, 3);
        Assert.Equal([3L], x.Sum(0).Shape);
        Assert.Equal([3L], x.Mean(0).Shape);
        Assert.Equal([2L], x.Sum(1).Shape);
        Assert.Empty(x.Sum().Shape);
    }
}
