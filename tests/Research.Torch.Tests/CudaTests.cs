using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

/// <summary>A fact that runs only when the loaded libtorch has CUDA and sees a GPU, and says so when skipped.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!CudaIsAvailable) Skip = $"no CUDA device: the loaded libtorch {LibtorchVersion} is a CPU build or sees no GPU (build the shim against a CUDA libtorch with -p:TorchDir=...)";
    }
}

public class CudaTests
{
    [CudaFact]
    public void TensorsMoveToTheGpuAndBack()
    {
        using var scope = NewScope();
        var x = Tensor.RandN(64, 64);
        var g = x.To(Device.Cuda());
        Assert.Equal(DeviceType.CUDA, g.Device.Type);
        Assert.True(g.Cpu().Equal(x));
        Assert.Equal(Device.Cuda(0), Device.Best);
    }

    [CudaFact]
    public void MatmulAndAutogradOnTheGpuMatchTheCpu()
    {
        using var scope = NewScope();
        var a = Tensor.RandN([32, 16], DType.Float64);
        var b = Tensor.RandN([16, 8], DType.Float64);
        var ga = a.Cuda().Detach().RequiresGrad_();
        var product = ga.Matmul(b.Cuda());
        product.Tanh().Sum().Backward();
        Assert.True(product.Cpu().AllClose(a.Matmul(b), 1e-10, 1e-10));
        var ca = a.Clone().RequiresGrad_();
        ca.Matmul(b).Tanh().Sum().Backward();
        Assert.True(ga.Grad!.Cpu().AllClose(ca.Grad!, 1e-10, 1e-10));
    }

    [CudaFact]
    public void FactoriesCreateOnTheRequestedDevice()
    {
        using var scope = NewScope();
        Assert.Equal(DeviceType.CUDA, Tensor.Zeros([3], device: Device.Cuda()).Device.Type);
        Assert.Equal(DeviceType.CUDA, Tensor.RandN([3], device: Device.Cuda()).Device.Type);
    }

    [CudaFact]
    public void ManualSeedSeedsTheGpuGeneratorToo()
    {
        using var scope = NewScope();
        ManualSeed(11);
        var first = Tensor.RandN([1000], device: Device.Cuda()).Cpu();
        var other = Tensor.RandN([1000], device: Device.Cuda()).Cpu();
        ManualSeed(11);
        var again = Tensor.RandN([1000], device: Device.Cuda()).Cpu();
        Assert.True(again.Equal(first));
        Assert.False(other.Equal(first));
    }

    [CudaFact]
    public void ModulesAndOptimiserStateMoveToTheGpuAndTrainAsOnTheCpu()
    {
        using var scope = NewScope();
        var x = Tensor.RandN([32, 8], DType.Float64);
        var y = Tensor.RandN([32, 1], DType.Float64);
        var (cpu, cpuAdam) = Model(seed: 3);
        var (moved, movedAdam) = Model(seed: 3);
        using (cpu) using (cpuAdam) using (moved) using (movedAdam)
        {
            Step(cpu, cpuAdam, x, y);
            Step(moved, movedAdam, x, y);
            moved.To(Device.Cuda());
            movedAdam.To(Device.Cuda());
            var weight = moved.Parameters().First();
            Assert.Equal(DeviceType.CUDA, weight.Device.Type);
            Assert.Equal(DeviceType.CUDA, movedAdam.StateOf(weight)["exp_avg"].Device.Type);
            Assert.Equal(DeviceType.CPU, movedAdam.StateOf(weight)["step"].Device.Type);   // as PyTorch keeps it
            for (int i = 0; i < 3; i++)
            {
                Step(cpu, cpuAdam, x, y);
                Step(moved, movedAdam, x, y);
            }
            foreach (var (c, g) in cpu.Parameters().Zip(moved.Parameters()))
                Assert.True(c.AllClose(g.Cpu(), 1e-10, 1e-10));
        }
    }

    private static (Sequential Model, Adam Optimiser) Model(ulong seed)
    {
        ManualSeed(seed);
        var model = new Sequential(new Linear(8, 16, dtype: DType.Float64), new Tanh(), new Linear(16, 1, dtype: DType.Float64));
        return (model, new Adam(model.Parameters(), lr: 1e-2));
    }

    private static void Step(Sequential model, Adam optimiser, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        var device = model.Parameters().First().Device;
        var loss = F.MseLoss(model.Forward(x.To(device)), y.To(device));
        optimiser.ZeroGrad();
        loss.Backward();
        optimiser.Step();
    }

    [CudaFact]
    public void MemoryStatisticsFollowAllocations()
    {
        long before = Cuda.Memory().Allocated;
        using (var x = Tensor.Zeros([1 << 20], device: Device.Cuda()))                        // 4 MiB of float32
            Assert.True(Cuda.Memory().Allocated >= before + (4 << 20));
        var after = Cuda.Memory();
        Assert.Equal(before, after.Allocated);
        Assert.True(after.PeakAllocated >= before + (4 << 20));
        Assert.True(after.Reserved >= after.Allocated);
        Cuda.EmptyCache();
        Assert.True(Cuda.Memory().Reserved <= after.Reserved);
        Cuda.Synchronize();
    }

    [CudaFact]
    public void OutOfMemoryIsAClearExceptionAndTheProcessStaysUsable()
    {
        using var scope = NewScope();
        long before = Cuda.Memory().Allocated;
        var e = Assert.Throws<InsufficientMemoryException>(() => Tensor.Empty([1L << 40], device: Device.Cuda()));   // 4 TiB
        Assert.Contains("out of memory", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, Cuda.Memory().Allocated);
        var ones = Tensor.Ones([1024, 1024], device: Device.Cuda());
        Assert.Equal(1024.0 * 1024.0, ones.Sum().Item<float>());
    }

    [Fact]
    public void CudaCallsWithoutAGpuSayWhy()
    {
        if (CudaIsAvailable) return;
        var e = Assert.Throws<TorchArgumentException>(() => Cuda.Memory());
        Assert.Contains("no CUDA support", e.Message);
        Assert.Throws<TorchArgumentException>(() => Cuda.Synchronize());
        Assert.Throws<ArgumentException>(() => Cuda.Memory(Device.CPU));
    }
}
