using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

public sealed class LossCases
{
    public Parity Parity { get; } = new();

    public LossCases()
    {
        ManualSeed(99);
        var p = Parity;
        var x = Tensor.RandN(6, 4);
        var y = Tensor.RandN(6, 4).Double();
        var classes = Tensor.From(new long[] { 0, 3, 1, -100, 2, 3 });
        var classes3d = Tensor.RandInt(0, 4, [6, 5]);
        var w = Tensor.From(new[] { 0.5, 1.0, 2.0, 1.5 });
        var probs = Tensor.RandN(6, 4).Softmax(-1).Double();
        var bits = Tensor.Rand(6, 4).Double();
        var posW = Tensor.From(new[] { 1.0, 2.0, 0.5, 3.0 });
        foreach (var (r, py) in new[] { (Reduction.Mean, "mean"), (Reduction.Sum, "sum"), (Reduction.None, "none") })
        {
            p.Function($"mse_{py}", x, new Dictionary<string, Tensor> { ["y"] = y }, v => F.MseLoss(v, y, r), $"F.mse_loss(x, a['y'], reduction='{py}')");
            p.Function($"l1_{py}", x, new Dictionary<string, Tensor> { ["y"] = y }, v => F.L1Loss(v, y, r), $"F.l1_loss(x, a['y'], reduction='{py}')");
            p.Function($"huber_{py}", x, new Dictionary<string, Tensor> { ["y"] = y }, v => F.HuberLoss(v, y, r, 0.5), $"F.huber_loss(x, a['y'], reduction='{py}', delta=0.5)");
            p.Function($"ce_{py}", x, new Dictionary<string, Tensor> { ["t"] = classes, ["w"] = w },
                v => F.CrossEntropy(v, classes, w, reduction: r, labelSmoothing: 0.1),
                $"F.cross_entropy(x, a['t'], weight=a['w'], reduction='{py}', label_smoothing=0.1)");
            p.Function($"kl_{py}", x, new Dictionary<string, Tensor> { ["p"] = probs }, v => F.KlDiv(v.LogSoftmax(-1), probs, r),
                $"F.kl_div(x.log_softmax(-1), a['p'], reduction='{py}')");
            p.Function($"bce_logits_{py}", x, new Dictionary<string, Tensor> { ["b"] = bits, ["pw"] = posW },
                v => F.BinaryCrossEntropyWithLogits(v, bits, posWeight: posW, reduction: r),
                $"F.binary_cross_entropy_with_logits(x, a['b'], pos_weight=a['pw'], reduction='{py}')");
        }
        p.Function("ce_ignore_index", x, new Dictionary<string, Tensor> { ["t"] = Tensor.From(new long[] { 0, 3, 1, 2, 2, 3 }) },
            v => F.CrossEntropy(v, Tensor.From(new long[] { 0, 3, 1, 2, 2, 3 }), ignoreIndex: 2), "F.cross_entropy(x, a['t'], ignore_index=2)");
        p.Function("ce_prob_targets", x, new Dictionary<string, Tensor> { ["p"] = probs }, v => F.CrossEntropy(v, probs), "F.cross_entropy(x, a['p'])");
        var x3 = Tensor.RandN(6, 4, 5);
        p.Function("ce_3d", x3, new Dictionary<string, Tensor> { ["t"] = classes3d }, v => F.CrossEntropy(v, classes3d), "F.cross_entropy(x, a['t'])");
        p.Function("nll_3d_weighted", x3, new Dictionary<string, Tensor> { ["t"] = classes3d, ["w"] = w },
            v => F.NllLoss(v.LogSoftmax(1), classes3d, w), "F.nll_loss(x.log_softmax(1), a['t'], weight=a['w'])");
        p.Function("nll", x, new Dictionary<string, Tensor> { ["t"] = classes }, v => F.NllLoss(v.LogSoftmax(1), classes), "F.nll_loss(x.log_softmax(1), a['t'])");
        p.Function("bce", x, new Dictionary<string, Tensor> { ["b"] = bits }, v => F.BinaryCrossEntropy(v.Sigmoid(), bits), "F.binary_cross_entropy(x.sigmoid(), a['b'])");
        p.Function("kl_batchmean_log_target", x, new Dictionary<string, Tensor> { ["p"] = probs },
            v => F.KlDivBatchMean(v.LogSoftmax(-1), probs.Log(), logTarget: true),
            "F.kl_div(x.log_softmax(-1), a['p'].log(), reduction='batchmean', log_target=True)");
        p.Function("smooth_l1", x, new Dictionary<string, Tensor> { ["y"] = y }, v => F.SmoothL1Loss(v, y, beta: 0.3), "F.smooth_l1_loss(x, a['y'], beta=0.3)");
        p.Function("functional_conv_dropout0", Tensor.RandN(2, 3, 8), new Dictionary<string, Tensor>(),
            v => F.Dropout(F.Gelu(v), 0.0), "F.dropout(F.gelu(x), 0.0)");
        p.Run();
    }
}

public sealed class LossParityTests(LossCases cases) : IClassFixture<LossCases>
{
    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var r in new[] { "mean", "sum", "none" })
            foreach (var l in new[] { "mse", "l1", "huber", "ce", "kl", "bce_logits" })
                names.Add($"{l}_{r}");
        foreach (var n in new[] { "ce_ignore_index", "ce_prob_targets", "ce_3d", "nll_3d_weighted", "nll", "bce", "kl_batchmean_log_target", "smooth_l1", "functional_conv_dropout0" })
            names.Add(n);
        return names;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void LossAndItsGradientMatchPyTorch(string name) => cases.Parity.AssertMatches(name);
}
