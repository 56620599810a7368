using Research.Models.Speech;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Speech;

public class AttentionAlignmentTests
{
    // A [2, T=6, N=4]: item 0 uses all of it, item 1 only 4 frames × 3 characters (the rest is padding).
    private static readonly long[] s_text = [4, 3], s_frames = [6, 4];

    private static Tensor Random(int seed)
    {
        ManualSeed((ulong)seed);
        return Tensor.RandN([2, 6, 4], DType.Float64).Softmax(-1);
    }

    [Fact]
    public void GuidedCostIsTheOffBandMassPerValidFrameComputedByLoops()
    {
        using var scope = NewScope();
        var a = Random(1);
        var values = a.ToArray<double>();
        double sum = 0;
        int frames = 0;
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < s_frames[b]; t++, frames++)
                for (int n = 0; n < s_text[b]; n++)
                {
                    double d = (double)n / s_text[b] - (double)t / s_frames[b];
                    sum += values[(b * 6 + t) * 4 + n] * (1 - Math.Exp(-d * d / (2 * 0.2 * 0.2)));
                }
        var cost = AttentionAlignment.GuidedCost(a, Tensor.From(s_text, 2), Tensor.From(s_frames, 2));
        Assert.Equal(sum / frames, cost.Item<double>(), 12);
    }

    [Fact]
    public void PaddingDoesNotChangeEitherScore()
    {
        using var scope = NewScope();
        var a = Random(2);
        var changed = a.Clone();
        changed[1, 4.., ..].Fill_(7.0);
        changed[1, .., 3..].Fill_(-3.0);
        var (text, frames) = (Tensor.From(s_text, 2), Tensor.From(s_frames, 2));
        Assert.Equal(AttentionAlignment.GuidedCost(a, text, frames).Item<double>(), AttentionAlignment.GuidedCost(changed, text, frames).Item<double>(), 12);
        Assert.Equal(AttentionAlignment.Focus(a, text, frames).Item<double>(), AttentionAlignment.Focus(changed, text, frames).Item<double>(), 12);
    }

    [Fact]
    public void DiagonalAttentionIsFocusedAndCheapUniformIsNot()
    {
        using var scope = NewScope();
        const int T = 40, N = 20;
        var diagonal = new double[T * N];
        for (int t = 0; t < T; t++) diagonal[t * N + t * N / T] = 1;
        var lengths = (Tensor.From(new long[] { N }, 1), Tensor.From(new long[] { T }, 1));
        var d = Tensor.From(diagonal, 1, T, N);
        var u = Tensor.Full([1, T, N], 1.0 / N, DType.Float64);
        Assert.Equal(1.0, AttentionAlignment.Focus(d, lengths.Item1, lengths.Item2).Item<double>(), 12);
        Assert.Equal(1.0 / N, AttentionAlignment.Focus(u, lengths.Item1, lengths.Item2).Item<double>(), 12);
        double diagonalCost = AttentionAlignment.GuidedCost(d, lengths.Item1, lengths.Item2).Item<double>();
        double uniformCost = AttentionAlignment.GuidedCost(u, lengths.Item1, lengths.Item2).Item<double>();
        Assert.InRange(diagonalCost, 0, 0.01);
        Assert.InRange(uniformCost, 0.4, 0.6);
    }

    [Fact]
    public void GuidedCostHasGradientsAndRejectsWrongShapes()
    {
        using var scope = NewScope();
        var logits = Tensor.RandN([2, 6, 4], DType.Float64).RequiresGrad_();
        var cost = AttentionAlignment.GuidedCost(logits.Softmax(-1), Tensor.From(s_text, 2), Tensor.From(s_frames, 2));
        cost.Backward();
        Assert.True(logits.Grad!.Abs().Sum().Item<double>() > 0);
        Assert.Throws<ArgumentException>(() => AttentionAlignment.GuidedCost(Tensor.Zeros(6, 4), Tensor.From(s_text, 2), Tensor.From(s_frames, 2)));
        Assert.Throws<ArgumentException>(() => AttentionAlignment.Focus(Tensor.Zeros(3, 6, 4), Tensor.From(s_text, 2), Tensor.From(s_frames, 2)));
    }
}
