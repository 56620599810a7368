using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

/// <summary>Builds every layer case once and runs PyTorch once for the whole class.</summary>
public sealed class LayerCases
{
    public Parity Parity { get; } = new();

    public LayerCases()
    {
        ManualSeed(1234);
        var p = Parity;
        p.AddPython("""
class RMSNorm(nn.Module):
    def __init__(self, n, eps=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps
    def forward(self, x):
        eps = self.eps if self.eps is not None else torch.finfo(x.dtype).eps
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight

def run_lstm_cell(m, x):
    state, hs = None, []
    for t in range(x.shape[0]):
        state = m(x[t], state)
        hs.append(state[0])
    return torch.stack(hs)

def run_gru_cell(m, x):
    h, hs = None, []
    for t in range(x.shape[0]):
        h = m(x[t], h)
        hs.append(h)
    return torch.stack(hs)
""");
        Tensor R(params long[] shape) => Tensor.RandN(shape);

        var lin = new Linear(5, 3);
        p.Module("linear", lin, R(4, 5), lin.Forward, "nn.Linear(5, 3)");
        var linNb = new Linear(5, 3, bias: false);
        p.Module("linear_nobias", linNb, R(2, 4, 5), linNb.Forward, "nn.Linear(5, 3, bias=False)");

        var c1 = new Conv1d(3, 4, 3, stride: 2, padding: 1);
        p.Module("conv1d", c1, R(2, 3, 11), c1.Forward, "nn.Conv1d(3, 4, 3, stride=2, padding=1)");
        var c1s = new Conv1d(3, 4, 4, padding: Padding.Same, dilation: 2);
        p.Module("conv1d_same", c1s, R(2, 3, 10), c1s.Forward, "nn.Conv1d(3, 4, 4, padding='same', dilation=2)");
        var c1c = new Conv1d(3, 4, 3, padding: Padding.Causal, dilation: 2);
        p.Module("conv1d_causal", c1c, R(2, 3, 9), c1c.Forward, "nn.Conv1d(3, 4, 3, dilation=2)", "m(F.pad(x, (4, 0)))");
        var c1g = new Conv1d(4, 6, 3, padding: 1, groups: 2, paddingMode: PaddingMode.Reflect);
        p.Module("conv1d_groups_reflect", c1g, R(2, 4, 7), c1g.Forward, "nn.Conv1d(4, 6, 3, padding=1, groups=2, padding_mode='reflect')");
        var c2 = new Conv2d(3, 5, (3, 2), stride: (2, 1), padding: (1, 0));
        p.Module("conv2d", c2, R(2, 3, 8, 7), c2.Forward, "nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(1, 0))");
        var c2s = new Conv2d(2, 3, 3, padding: Padding.Same, dilation: 2, paddingMode: PaddingMode.Circular);
        p.Module("conv2d_same_circular", c2s, R(1, 2, 6, 7), c2s.Forward, "nn.Conv2d(2, 3, 3, padding='same', dilation=2, padding_mode='circular')");
        var ct1 = new ConvTranspose1d(3, 2, 4, stride: 2, padding: 1);
        p.Module("convT1d", ct1, R(2, 3, 6), ct1.Forward, "nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1)");
        var ct2 = new ConvTranspose2d(4, 2, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2);
        p.Module("convT2d", ct2, R(1, 4, 4, 5), ct2.Forward, "nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2)");
        var wn = new Conv1d(3, 4, 3);
        wn.ApplyWeightNorm();
        p.Module("weight_norm_conv1d", wn, R(2, 3, 8), wn.Forward, "torch.nn.utils.weight_norm(nn.Conv1d(3, 4, 3))");
        var wnl = new Linear(4, 3);
        wnl.ApplyWeightNorm(dim: 1);
        p.Module("weight_norm_linear_dim1", wnl, R(5, 4), wnl.Forward, "torch.nn.utils.weight_norm(nn.Linear(4, 3), dim=1)");

        var emb = new Embedding(10, 4, paddingIdx: 0);
        p.Module("embedding", emb, Tensor.From(new long[] { 0, 3, 9, 3, 0, 1 }, 2, 3), emb.Forward, "nn.Embedding(10, 4, padding_idx=0)");

        var ln = new LayerNorm(6);
        p.Module("layernorm", ln, R(3, 4, 6), ln.Forward, "nn.LayerNorm(6)");
        var ln2 = new LayerNorm([4, 6], eps: 1e-3);
        p.Module("layernorm_2d", ln2, R(3, 4, 6), ln2.Forward, "nn.LayerNorm([4, 6], eps=1e-3)");
        var rms = new RMSNorm(6);
        p.Module("rmsnorm", rms, R(3, 6), rms.Forward, "RMSNorm(6)");
        var bn1 = new BatchNorm1d(4);
        p.Module("batchnorm1d_train", bn1, R(8, 4), bn1.Forward, "nn.BatchNorm1d(4)");
        var bn1c = new BatchNorm1d(3, momentum: null);
        p.Module("batchnorm1d_cumulative", bn1c, R(5, 3, 4), bn1c.Forward, "nn.BatchNorm1d(3, momentum=None)");
        var bn2 = new BatchNorm2d(3);
        p.Module("batchnorm2d_train", bn2, R(4, 3, 5, 5), bn2.Forward, "nn.BatchNorm2d(3)");
        var bn2e = new BatchNorm2d(3);
        using (NoGrad())
        {
            bn2e.RunningMean!.Copy_(Tensor.RandN(3));
            bn2e.RunningVar!.Copy_(Tensor.Rand(3) + 0.5);
        }
        p.Module("batchnorm2d_eval", bn2e, R(2, 3, 4, 4), bn2e.Forward, "nn.BatchNorm2d(3)", train: false);
        var gn = new GroupNorm(2, 6);
        p.Module("groupnorm", gn, R(3, 6, 5), gn.Forward, "nn.GroupNorm(2, 6)");

        foreach (var (name, module, py) in new (string, Module<Tensor, Tensor>, string)[]
        {
            ("relu", new ReLU(), "nn.ReLU()"), ("leaky_relu", new LeakyReLU(0.2), "nn.LeakyReLU(0.2)"), ("gelu", new GELU(), "nn.GELU()"),
            ("gelu_tanh", new GELU("tanh"), "nn.GELU('tanh')"), ("silu", new SiLU(), "nn.SiLU()"), ("tanh", new Tanh(), "nn.Tanh()"),
            ("sigmoid", new Sigmoid(), "nn.Sigmoid()"), ("softplus", new Softplus(2, 5), "nn.Softplus(2, 5)"), ("elu", new ELU(0.5), "nn.ELU(0.5)"),
            ("softmax", new Softmax(-1), "nn.Softmax(-1)"), ("flatten", new Flatten(), "nn.Flatten()"),
            ("maxpool1d", new MaxPool1d(3, 2), "nn.MaxPool1d(3, 2)"), ("avgpool1d", new AvgPool1d(3, 2, 1), "nn.AvgPool1d(3, 2, 1)"),
            ("adaptive_avg1d", new AdaptiveAvgPool1d(4), "nn.AdaptiveAvgPool1d(4)"), ("adaptive_max1d", new AdaptiveMaxPool1d(3), "nn.AdaptiveMaxPool1d(3)"),
            ("upsample_nearest1d", new Upsample(2.0), "nn.Upsample(scale_factor=2.0)"),
            ("upsample_linear1d", new Upsample(new long[] { 13 }, "linear", alignCorners: true), "nn.Upsample(size=13, mode='linear', align_corners=True)"),
        })
            p.Module(name, module, R(2, 3, 9), module.Forward, py);
        var sine = new Sine(30);
        p.Module("sine", sine, R(4, 5) * 0.1, sine.Forward, "nn.Identity()", "torch.sin(30 * x)");
        foreach (var (name, module, py) in new (string, Module<Tensor, Tensor>, string)[]
        {
            ("maxpool2d", new MaxPool2d(2), "nn.MaxPool2d(2)"), ("avgpool2d", new AvgPool2d(3, 2, 1), "nn.AvgPool2d(3, 2, 1)"),
            ("adaptive_avg2d", new AdaptiveAvgPool2d((2, 3)), "nn.AdaptiveAvgPool2d((2, 3))"), ("adaptive_max2d", new AdaptiveMaxPool2d(2), "nn.AdaptiveMaxPool2d(2)"),
            ("upsample_nearest2d", new Upsample(new long[] { 7, 9 }), "nn.Upsample(size=(7, 9))"),
            ("upsample_bilinear2d", new Upsample(1.5, "bilinear"), "nn.Upsample(scale_factor=1.5, mode='bilinear')"),
            ("upsample_bicubic2d", new Upsample(2.0, "bicubic", alignCorners: true), "nn.Upsample(scale_factor=2.0, mode='bicubic', align_corners=True)"),
        })
            p.Module(name, module, R(2, 3, 6, 5), module.Forward, py);

        var lstm = new LSTM(5, 7, numLayers: 2, batchFirst: true, bidirectional: true);
        p.Module("lstm", lstm, R(3, 6, 5), x => lstm.Forward(x).Output, "nn.LSTM(5, 7, 2, batch_first=True, bidirectional=True)");
        var lstmH = new LSTM(4, 3);
        p.Module("lstm_last_cell_state", lstmH, R(5, 2, 4), x => lstmH.Forward(x).C, "nn.LSTM(4, 3)", "m(x)[1][1]");
        var gru = new GRU(4, 6, numLayers: 2);
        p.Module("gru", gru, R(5, 2, 4), x => gru.Forward(x).Output, "nn.GRU(4, 6, 2)");
        var gruU = new GRU(4, 6, batchFirst: true);
        p.Module("gru_unbatched_hidden", gruU, R(5, 4), x => gruU.Forward(x).H, "nn.GRU(4, 6, batch_first=True)", "m(x)[1]");
        var lcell = new LSTMCell(4, 5);
        p.Module("lstm_cell", lcell, R(6, 2, 4), x => lcell.ForwardSequence(x).Output, "nn.LSTMCell(4, 5)", "run_lstm_cell(m, x)");
        var gcell = new GRUCell(4, 5);
        p.Module("gru_cell", gcell, R(6, 2, 4), x => gcell.ForwardSequence(x).Output, "nn.GRUCell(4, 5)", "run_gru_cell(m, x)");

        var mha = new MultiheadAttention(8, 2, batchFirst: true);
        using (var mask = MultiheadAttention.CausalMask(5))
            p.Module("mha_causal", mha, R(2, 5, 8), x => mha.Forward(x, x, x, attnMask: mask).Output, "nn.MultiheadAttention(8, 2, batch_first=True)",
                "m(x, x, x, attn_mask=torch.triu(torch.ones(5, 5, dtype=torch.bool), 1))[0]");
        var mhaW = new MultiheadAttention(6, 3);
        using (var kpm = Tensor.From(new[] { false, false, true, false, false, false, true, true }, 2, 4))
            p.Module("mha_weights_padding", mhaW, R(4, 2, 6), x => mhaW.Forward(x, x, x, keyPaddingMask: kpm).Weights!, "nn.MultiheadAttention(6, 3)",
                "m(x, x, x, key_padding_mask=torch.tensor([[False, False, True, False], [False, False, True, True]]))[1]");

        var seq = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 2));
        p.Module("sequential", seq, R(3, 4), seq.Forward, "nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))");

        p.Run();
    }
}

public sealed class LayerParityTests(LayerCases cases) : IClassFixture<LayerCases>
{
    [Theory]
    [InlineData("linear"), InlineData("linear_nobias"), InlineData("conv1d"), InlineData("conv1d_same"), InlineData("conv1d_causal"),
     InlineData("conv1d_groups_reflect"), InlineData("conv2d"), InlineData("conv2d_same_circular"), InlineData("convT1d"), InlineData("convT2d"),
     InlineData("weight_norm_conv1d"), InlineData("weight_norm_linear_dim1"), InlineData("embedding")]
    public void LinearConvEmbeddingMatchPyTorch(string name) => cases.Parity.AssertMatches(name);

    [Theory]
    [InlineData("layernorm"), InlineData("layernorm_2d"), InlineData("rmsnorm"), InlineData("batchnorm1d_train"), InlineData("batchnorm1d_cumulative"),
     InlineData("batchnorm2d_train"), InlineData("batchnorm2d_eval"), InlineData("groupnorm")]
    public void NormalisationsMatchPyTorchIncludingRunningStats(string name) => cases.Parity.AssertMatches(name);

    [Theory]
    [InlineData("relu"), InlineData("leaky_relu"), InlineData("gelu"), InlineData("gelu_tanh"), InlineData("silu"), InlineData("tanh"),
     InlineData("sigmoid"), InlineData("softplus"), InlineData("elu"), InlineData("softmax"), InlineData("sine"), InlineData("flatten")]
    public void ActivationsMatchPyTorch(string name) => cases.Parity.AssertMatches(name);

    [Theory]
    [InlineData("maxpool1d"), InlineData("avgpool1d"), InlineData("adaptive_avg1d"), InlineData("adaptive_max1d"), InlineData("maxpool2d"),
     InlineData("avgpool2d"), InlineData("adaptive_avg2d"), InlineData("adaptive_max2d"), InlineData("upsample_nearest1d"), InlineData("upsample_linear1d"),
     InlineData("upsample_nearest2d"), InlineData("upsample_bilinear2d"), InlineData("upsample_bicubic2d")]
    public void PoolingAndResamplingMatchPyTorch(string name) => cases.Parity.AssertMatches(name);

    [Theory]
    [InlineData("lstm"), InlineData("lstm_last_cell_state"), InlineData("gru"), InlineData("gru_unbatched_hidden"), InlineData("lstm_cell"),
     InlineData("gru_cell"), InlineData("mha_causal"), InlineData("mha_weights_padding"), InlineData("sequential")]
    public void RecurrentAttentionAndContainersMatchPyTorch(string name) => cases.Parity.AssertMatches(name);
}
