using static Research.Torch.Torch;

namespace Research.Torch.Tests;

public class BadInputTests
{
    [Fact]
    public void ShapeMismatchNamesTheShapes()
    {
        using var scope = NewScope();
        var e = Assert.ThrowsAny<TorchException>(() => Tensor.Zeros(2, 3).Matmul(Tensor.Zeros(4, 5)));
        Assert.Contains("2x3", e.Message);
        Assert.Contains("4x5", e.Message);
        var b = Assert.ThrowsAny<TorchException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("size of tensor a (3) must match the size of tensor b (4)", b.Message);
    }

    [Fact]
    public void WrongDtypeIsRejected()
    {
        using var scope = NewScope();
        var e = Assert.ThrowsAny<TorchException>(() => Tensor.Ones(2, 2).Mm(Tensor.Ones([2, 2], DType.Float64)));
        Assert.Contains("Double", e.Message);
        Assert.ThrowsAny<TorchException>(() => Tensor.Ones(3).Gather(0, Tensor.Ones(2)));
    }

    [Fact]
    public void DisposedTensorThrowsObjectDisposed()
    {
        var t = Tensor.Ones(3).DetachFromScope();
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        t.Dispose(); // idempotent
        Assert.Equal("Tensor(disposed)", t.ToString());
    }

    [Fact]
    public void TensorsFreedByTheirScopeThrowWhenUsedLater()
    {
        Tensor escaped;
        using (NewScope()) escaped = Tensor.Ones(2);
        var e = Assert.Throws<ObjectDisposedException>(() => escaped.Exp());
        Assert.Contains("Keep", e.Message);
    }

    [Fact]
    public void OutOfRangeIndexThrowsIndexException()
    {
        using var scope = NewScope();
        var t = Tensor.Zeros(2, 3);
        Assert.Contains("index 5 out of range", Assert.Throws<TorchIndexException>(() => t[5]).Message);
        Assert.Throws<TorchIndexException>(() => t[0, 0, 0]);
        Assert.Throws<TorchIndexException>(() => t.Size(4));
        Assert.ThrowsAny<TorchException>(() => t.Gather(1, Tensor.From(new long[] { 7 }, 1, 1)));
    }

    [Fact]
    public void InvalidDeviceIsRejectedWithAReason()
    {
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu:0"));
        if (CudaIsAvailable) return;
        using var scope = NewScope();
        var e = Assert.Throws<TorchArgumentException>(() => Tensor.Ones(2).To(Device.Cuda()));
        Assert.Contains("CUDA", e.Message);
        Assert.Throws<TorchArgumentException>(() => Tensor.Zeros([2], device: Device.Cuda(3)));
    }

    [Fact]
    public void BadDataAndShapesAreArgumentErrors()
    {
        Assert.Throws<ArgumentException>(() => Tensor.From(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => Tensor.From(new float[6], -2, -3));
        using var scope = NewScope();
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones(3).Item<float>());
        Assert.ThrowsAny<TorchException>(() => Tensor.Ones(6).View(4, -1));
        Assert.ThrowsAny<TorchException>(() => new Op("aten::no_such_op").Call());
        Assert.Throws<TorchArgumentException>(() => new Op("aten::add", "Tensor").Call(Tensor.Ones(1), "not a tensor"));
        Assert.Throws<FileNotFoundException>(() => Load("/nonexistent/file.pt"));
    }

    [Fact]
    public void CorruptTensorFileIsAClearError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
            Assert.Throws<InvalidDataException>(() => Load(path));
            Assert.Equal(3f, Tensor.Ones(3).Sum().Item<float>());
        }
        finally { File.Delete(path); }
    }
}
