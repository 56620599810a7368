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
}
