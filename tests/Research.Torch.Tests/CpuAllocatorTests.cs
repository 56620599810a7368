using static Research.Torch.Torch;

namespace Research.Torch.Tests;

public class CpuAllocatorTests
{
    [Fact]
    public void CpuTensorsComeFromTheAlignedMallocAllocatorUnlessC10sWasAskedFor()
    {
        bool c10 = Environment.GetEnvironmentVariable("RESEARCH_TORCH_ALLOCATOR") == "c10";
        Assert.Equal(c10 ? "c10 default" : "aligned malloc", CpuAllocator);
    }

    [Fact]
    public void EveryTensorIs64ByteAlignedAndHoldsItsValuesWhateverItsSize()
    {
        // c10 requires 64-byte alignment (vectorised kernels); the allocator aligns inside a malloc block, so check sizes
        // on both sides of glibc's per-thread cache (≤ 1032 bytes), its bins and large blocks, in several dtypes.
        using var scope = NewScope();
        long[] sizes = [1, 2, 3, 7, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 4096, 100_000, 3_000_000];
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.UInt8, DType.Int64 })
            foreach (var n in sizes)
            {
                var values = new long[n];
                for (long i = 0; i < n; i++) values[i] = i % 97;
                var t = Tensor.From(values, n).To(dtype);
                Assert.Equal(0, t.DataPointer() % 64);
                Assert.Equal(values.Sum(), t.To(DType.Int64).Sum().Item<long>());
            }
    }

    [Fact]
    public void EmptyResizedAndFreedTensorsWork()
    {
        using var scope = NewScope();
        var empty = Tensor.Zeros(0);
        Assert.Equal(0, empty.NumEl);
        Assert.Equal(0.0, empty.Sum().Item<float>());
        var grown = Tensor.Ones(3);
        new Op("aten::resize_").Call(grown, new long[] { 1000 });   // storage reallocated through the allocator
        grown.Fill_(2.0);
        Assert.Equal(2000.0, grown.Sum().Item<float>());
        Assert.Equal(0, grown.DataPointer() % 64);
        for (int i = 0; i < 10_000; i++)
        {
            using var c = Tensor.Ones(1 + i % 300) * 2;   // allocate and free many sizes: no corruption
            Assert.Equal(2 * (1 + i % 300), c.Sum().Item<float>());
        }
    }
}
