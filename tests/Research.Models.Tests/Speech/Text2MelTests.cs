using Research.Models.Speech;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Speech;

public class Text2MelTests
{
    private static readonly Text2MelConfig s_config = new(Characters: 10, Embedding: 6, Channels: 8, MelBands: 3, Reduction: 2);

    private static Text2Mel Create(int seed)
    {
        ManualSeed((ulong)seed);
        return new Text2Mel(s_config, DType.Float64);
    }

    // item 0: 5 characters; item 1: 3 characters and 2 of padding
    private static Tensor Text() => Tensor.From(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0 }, 2, 5);

    [Fact]
    public void AttentionRowsAreDistributionsOverValidCharactersOnly()
    {
        using var scope = NewScope();
        using var model = Create(1);
        var frames = Tensor.RandN([2, 6, s_config.FrameChannels], DType.Float64);
        using var output = model.Forward(Text(), frames);
        Assert.Equal(new long[] { 2, 6, 5 }, output.Attention.Shape);
        Assert.Equal(new long[] { 2, 6, s_config.FrameChannels }, output.Mel.Shape);
        Assert.True((output.Attention.Sum([2]) - 1).Abs().Max().Item<double>() < 1e-12);
        Assert.Equal(0, output.Attention[1].Narrow(1, 3, 2).Abs().Max().Item<double>(), 12);
    }

    [Fact]
    public void PaddingTheTextBatchChangesNothing()
    {
        using var scope = NewScope();
        using var model = Create(2);
        var frames = Tensor.RandN([1, 6, s_config.FrameChannels], DType.Float64);
        var alone = Tensor.From(new long[] { 6, 7, 8 }, 1, 3);
        var padded = Tensor.From(new long[] { 6, 7, 8, 0, 0, 0, 0 }, 1, 7);
        using var a = model.Forward(alone, frames);
        using var b = model.Forward(padded, frames);
        Assert.True((a.Mel - b.Mel).Abs().Max().Item<double>() < 1e-12);
        Assert.True((a.Attention - b.Attention.Narrow(2, 0, 3)).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void OutputAtStepTNeverSeesLaterFrames()
    {
        using var scope = NewScope();
        using var model = Create(3);
        var frames = Tensor.RandN([2, 40, s_config.FrameChannels], DType.Float64);
        var changed = frames.Clone();
        changed.Narrow(1, 25, 15).Copy_(frames.Narrow(1, 25, 15) + 1);
        using var a = model.Forward(Text(), frames);
        using var b = model.Forward(Text(), changed);
        Assert.Equal(0, (a.Mel - b.Mel).Narrow(1, 0, 25).Abs().Max().Item<double>());
        Assert.Equal(0, (a.Attention - b.Attention).Narrow(1, 0, 25).Abs().Max().Item<double>());
        Assert.True((a.Mel - b.Mel).Narrow(1, 25, 15).Abs().Max().Item<double>() > 1e-10);   // default init attenuates: ≈ 2e-7
    }

    [Fact]
    public void SynthesisIsTheTeacherForcedPassOnItsOwnOutput()
    {
        using var scope = NewScope();
        using var model = Create(4);
        using var free = model.Synthesise(Text(), 7);
        using var forced = model.Forward(Text(), Text2Mel.Shifted(free.Mel));
        Assert.True((free.Mel - forced.Mel).Abs().Max().Item<double>() < 1e-12);
        Assert.True((free.Attention - forced.Attention).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void ShiftedStartsWithAZeroFrameAndDropsTheLast()
    {
        using var scope = NewScope();
        var frames = Tensor.Arange(1, 7, 1, DType.Float64).Reshape(1, 3, 2);
        Assert.Equal(new double[] { 0, 0, 1, 2, 3, 4 }, Text2Mel.Shifted(frames).ToArray<double>());
    }

    [Fact]
    public void StackGroupsConsecutiveFramesAndUnstackInvertsIt()
    {
        using var scope = NewScope();
        var mel = Tensor.Arange(0, 10, 1, DType.Float64).Reshape(1, 5, 2);                 // 5 frames of 2 bands
        var steps = Text2Mel.Stack(mel, 2, padValue: -1);
        Assert.Equal(new long[] { 1, 3, 4 }, steps.Shape);
        Assert.Equal(new double[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1 }, steps.ToArray<double>());
        Assert.Equal(mel.ToArray<double>(), Text2Mel.Unstack(steps, 2).Narrow(1, 0, 5).ToArray<double>());
    }

    [Fact]
    public void RejectsFramesOfTheWrongWidth()
    {
        using var scope = NewScope();
        using var model = Create(5);
        Assert.Throws<ArgumentException>(() => model.Forward(Text(), Tensor.Zeros([2, 4, 5], DType.Float64)));
    }
}
