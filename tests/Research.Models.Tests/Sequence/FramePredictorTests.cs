using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class FramePredictorTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Theory]
    [InlineData(FrameRecurrence.ConvS5)]
    [InlineData(FrameRecurrence.ConvLstm)]
    public void PredictionsNeverSeeLaterFrames(FrameRecurrence kind)
    {
        using var scope = NewScope();
        ManualSeed(41);
        using var model = new FramePredictor(kind, 1, width: 3, layers: 2, state: 4, dtype: DType.Float64);
        var frames = Tensor.RandN([2, 7, 1, 6, 6], DType.Float64).RequiresGrad_();
        model.Forward(frames).Select(1, 3).Sum().Backward();
        var g = frames.Grad!.Abs().Sum([0, 2, 3, 4]).ToArray<double>();
        Assert.All(g.Take(4), v => Assert.True(v > 0));
        Assert.All(g.Skip(4), v => Assert.Equal(0.0, v));
    }

    [Theory]
    [InlineData(FrameRecurrence.ConvS5)]
    [InlineData(FrameRecurrence.ConvLstm)]
    public void RolloutContinuesTheTeacherForcedPredictions(FrameRecurrence kind)
    {
        using var scope = NewScope();
        ManualSeed(42);
        using var model = new FramePredictor(kind, 1, width: 3, layers: 2, state: 4, dtype: DType.Float64);
        var context = Tensor.RandN([2, 5, 1, 6, 6], DType.Float64);
        using var noGrad = NoGrad();
        var rollout = model.Rollout(context, 3);
        Assert.Equal([2L, 3, 1, 6, 6], rollout.Shape);
        // frame 1 is the prediction after the context; frame 2 the prediction after the context and frame 1 fed back.
        var first = model.Forward(context).Select(1, 4);
        Assert.True(MaxAbsDiff(rollout.Select(1, 0), first) < 1e-12);
        var fed = Tensor.Cat([context, first.Unsqueeze(1)], 1);
        Assert.True(MaxAbsDiff(rollout.Select(1, 1), model.Forward(fed).Select(1, 5)) < 1e-12);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void MatchedStateGivesTheConvLstmsParameterCountWithinTenPercent(int width)
    {
        using var scope = NewScope();
        long state = FramePredictor.MatchedState(width);
        using var s5 = new FramePredictor(FrameRecurrence.ConvS5, 1, width, 2, state);
        using var lstm = new FramePredictor(FrameRecurrence.ConvLstm, 1, width, 2, state);
        Assert.Equal(FramePredictor.ConvS5LayerParameters(width, state), s5.Layers[0].ParameterCount());
        Assert.Equal(FramePredictor.ConvLstmLayerParameters(width), lstm.Layers[0].ParameterCount());
        Assert.InRange(s5.ParameterCount() / (double)lstm.ParameterCount(), 0.9, 1.1);
    }
}
