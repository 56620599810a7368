using Research.Torch.Native;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

/// <summary>Adam's fused one-pass update (native/src/optim.cpp) against the op-by-op update it replaces.</summary>
public class FusedAdamTests
{
    public static TheoryData<string, DType> Configs()
    {
        var data = new TheoryData<string, DType>();
        foreach (var name in new[] { "adam", "adam_l2", "adamw", "amsgrad", "adamw_amsgrad_maximize" })
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                data.Add(name, dtype);
        return data;
    }

    private static Adam Make(string name, IEnumerable<Tensor> ps) => name switch
    {
        "adam" => new Adam(ps, lr: 1e-2),
        "adam_l2" => new Adam(ps, lr: 1e-2, betas: (0.8, 0.99), weightDecay: 1e-2),
        "adamw" => new AdamW(ps, lr: 2e-2, weightDecay: 0.1),
        "amsgrad" => new Adam(ps, lr: 1e-2, amsgrad: true),
        "adamw_amsgrad_maximize" => new AdamW(ps, lr: 1e-2, amsgrad: true, maximize: true),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// 20 steps on the same parameters and gradients (gradients of varying scale, so AMSGrad's maximum matters) through
    /// both paths. float64: equal to 1e-14 relative; float32: within 1e-5 (libtorch's vectorised add-with-alpha may fuse
    /// a multiply-add that the fused kernel rounds twice, an ulp per step).
    /// </summary>
    [Theory]
    [MemberData(nameof(Configs))]
    public void FusedUpdateEqualsTheOpByOpUpdate(string name, DType dtype)
    {
        using var scope = NewScope();
        ManualSeed(3);
        // A size above libtorch's grain (32,768), so the fused kernel runs on several threads, and a tiny one.
        var init = new[] { Tensor.RandN([300, 170], dtype), Tensor.RandN([5], dtype) };
        var fusedParams = init.Select(t => t.Clone().RequiresGrad_()).ToArray();
        var plainParams = init.Select(t => t.Clone().RequiresGrad_()).ToArray();
        using var fused = Make(name, fusedParams);
        using var plain = Make(name, plainParams);
        plain.Fused = false;
        for (int step = 0; step < 20; step++)
        {
            double scale = step % 5 == 0 ? 10 : 0.1;
            for (int i = 0; i < init.Length; i++)
            {
                var g = Tensor.RandN(init[i].Shape, dtype) * scale;
                fusedParams[i].Grad = g.Clone();
                plainParams[i].Grad = g.Clone();
            }
            fused.Step();
            plain.Step();
        }
        double tolerance = dtype == DType.Float64 ? 1e-14 : 1e-5;
        for (int i = 0; i < init.Length; i++)
        {
            var diff = (fusedParams[i] - plainParams[i]).Abs().Max().Item<double>();
            var size = plainParams[i].Abs().Max().Item<double>();
            Assert.True(diff <= tolerance * size, $"{name} {dtype} parameter {i}: max |fused − op-by-op| = {diff:G3} of {size:G3}");
            foreach (var key in new[] { "exp_avg", "exp_avg_sq" })
            {
                var a = fused.StateOf(fusedParams[i])[key];
                var b = plain.StateOf(plainParams[i])[key];
                Assert.True((a - b).Abs().Max().Item<double>() <= tolerance * b.Abs().Max().Item<double>(), $"{name} {dtype} {key} {i}");
            }
            Assert.False(ReferenceEquals(fusedParams[i], plainParams[i]));
            Assert.True((fusedParams[i] - init[i]).Abs().Max().Item<double>() > 1e-3, "the parameters moved");
        }
    }

    [Fact]
    public void OnlyDenseContiguousFloatTensorsOfOneShapeAreFused()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        Tensor Z(long[] shape, DType dtype) => Tensor.Zeros(shape, dtype);
        bool Run(Tensor p, Tensor g, Tensor m, Tensor v) =>
            FusedOptim.Adam(p, g, m, v, null, 1e-3, 0.9, 0.999, 1e-8, 0, 1, amsgrad: false, maximize: false, decoupled: false);
        var f = new long[] { 4, 6 };
        Assert.True(Run(Tensor.Ones(f), Tensor.Ones(f), Z(f, DType.Float32), Z(f, DType.Float32)));
        Assert.True(Run(Tensor.Ones(f).To(DType.Float64), Tensor.Ones(f).To(DType.Float64), Z(f, DType.Float64), Z(f, DType.Float64)));
        var transposed = Tensor.Ones([6, 4]).T;
        Assert.False(Run(transposed, Tensor.Ones(f), Z(f, DType.Float32), Z(f, DType.Float32)));
        Assert.False(Run(Tensor.Ones(f).To(DType.Float16), Tensor.Ones(f).To(DType.Float16), Z(f, DType.Float16), Z(f, DType.Float16)));
        Assert.False(Run(Tensor.Ones(f), Tensor.Ones(f).To(DType.Float64), Z(f, DType.Float32), Z(f, DType.Float32)));
        Assert.False(Run(Tensor.Ones(f), Tensor.Ones([24]), Z(f, DType.Float32), Z(f, DType.Float32)));
        Assert.Equal(1.0, transposed.Max().Item<float>());   // a refused update changes nothing
    }

    [Fact]
    public void ANonContiguousParameterTakesTheOpByOpPathAndStillUpdates()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var init = Tensor.RandN([7, 9]);
        var strided = init.T.Contiguous().T.RequiresGrad_();     // same values, column-major
        var dense = init.Clone().RequiresGrad_();
        using var a = new Adam([strided], lr: 1e-2);
        using var b = new Adam([dense], lr: 1e-2);
        b.Fused = false;
        for (int step = 0; step < 5; step++)
        {
            var g = Tensor.RandN([7, 9]);
            strided.Grad = g.T.Contiguous().T;
            dense.Grad = g.Clone();
            a.Step();
            b.Step();
        }
        Assert.Equal(0.0, (strided - dense).Abs().Max().Item<float>());
    }

    [Fact]
    public void AnUpdateAfterTheForwardPassMakesBackwardRefuseTheStaleGraphAsInPyTorch()
    {
        // In-place kernels bump the version counter autograd checks saved tensors against; the fused kernel writes
        // through raw pointers, so it bumps the counters itself.
        using var scope = NewScope();
        var p = Tensor.Ones(4).RequiresGrad_();
        using var opt = new Adam([p], lr: 0.1);
        var y = (p * p).Sum();
        p.Grad = Tensor.Ones(4);
        opt.Step();
        var e = Assert.ThrowsAny<TorchException>(() => y.Backward());
        Assert.Contains("inplace operation", e.Message);
    }
}
