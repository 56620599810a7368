using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class StreamingKeywordSpotterTests
{
    private static readonly KeywordSpotterConfig Small = new(Mels: 8, Channels: 6, Kernel: 3, Layers: 3, Hidden: 5, Classes: 4);

    private static Tensor Streamed(StreamingKeywordSpotter stream, Tensor frames, IEnumerable<int> chunks)
    {
        var outputs = new List<Tensor>();
        long t = 0;
        foreach (var n in chunks)
        {
            long take = Math.Min(n, frames.Size(2) - t);
            if (take <= 0) break;
            outputs.Add(stream.Step(frames.Narrow(2, t, take)));
            t += take;
        }
        Assert.Equal(frames.Size(2), t);
        return Tensor.Cat(outputs.ToArray(), 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(41)]
    public void StreamingEqualsNonStreamingFrameForFrame(int chunk)
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new KeywordSpotter(Small, DType.Float64);
        var frames = Tensor.RandN([2, 8, 41], DType.Float64);
        Tensor whole;
        using (NoGrad()) whole = model.Forward(frames);
        using var stream = new StreamingKeywordSpotter(model);
        var streamed = Streamed(stream, frames, Enumerable.Repeat(chunk, 41));
        Assert.Equal(whole.Shape, streamed.Shape);
        Assert.True((whole - streamed).Abs().Max().Item<double>() < 1e-12);
        Assert.Equal(41, stream.Frames);
    }

    [Fact]
    public void UnevenChunksAndResetGiveTheSameLogits()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new KeywordSpotter(Small, DType.Float64);
        var frames = Tensor.RandN([1, 8, 50], DType.Float64);
        Tensor whole;
        using (NoGrad()) whole = model.Forward(frames);
        using var stream = new StreamingKeywordSpotter(model);
        var first = Streamed(stream, frames, [3, 1, 9, 2, 20, 15]);
        stream.Reset();
        var second = Streamed(stream, frames, [50]);
        Assert.True((whole - first).Abs().Max().Item<double>() < 1e-12);
        Assert.True((whole - second).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void LogitsNeverSeeTheFuture()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new KeywordSpotter(Small, DType.Float64);
        var frames = Tensor.RandN([1, 8, 30], DType.Float64);
        var changed = frames.Clone();
        changed.Narrow(2, 20, 10).Fill_(3.0);
        using var noGrad = NoGrad();
        var a = model.Forward(frames);
        var b = model.Forward(changed);
        Assert.True((a.Narrow(1, 0, 20) - b.Narrow(1, 0, 20)).Abs().Max().Item<double>() == 0);
        Assert.True((a.Narrow(1, 20, 10) - b.Narrow(1, 20, 10)).Abs().Max().Item<double>() > 0);
    }

    [Fact]
    public void StreamingHoldsNoTensorsAfterDispose()
    {
        ManualSeed(3);
        using var model = new KeywordSpotter(Small, DType.Float64);
        using var frames = Tensor.RandN([1, 8, 12], DType.Float64);
        using var live = Tensor.TrackLive();
        using (var stream = new StreamingKeywordSpotter(model))
            for (int t = 0; t < 12; t += 4)
                using (var chunk = frames.Narrow(2, t, 4))
                using (stream.Step(chunk)) { }
        Assert.Equal(0, live.Count);
    }
}
