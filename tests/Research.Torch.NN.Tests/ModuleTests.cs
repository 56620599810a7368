using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

public sealed class ModuleTests
{
    private sealed class Block : Module<Tensor, Tensor>
    {
        public readonly Conv1d Conv = new(4, 4, 3, padding: Padding.Causal);
        private readonly Parameter _gain = new(Tensor.Ones(4));

        public override Tensor Forward(Tensor x)
        {
            using var scope = NewScope();
            return scope.Keep(Conv.Forward(x).Tanh() * _gain.View(1, 4, 1));
        }
    }

    private sealed class Net : Module<Tensor, Tensor>
    {
        public ModuleList<Block> Blocks { get; } = new(Enumerable.Range(0, 4).Select(_ => new Block()));
        public List<Linear> Heads { get; } = [new Linear(4, 2), new Linear(4, 3)];
        public Linear InProj { get; set; } = new(4, 4);

        public override Tensor Forward(Tensor x)
        {
            using var scope = NewScope();
            var h = x;
            foreach (var b in Blocks) h = b.Forward(h);
            return scope.Keep(Heads[0].Forward(h.Mean(-1)));
        }
    }

    [Fact]
    public void FieldsAndPropertiesAreRegisteredWithDottedSnakeCaseNames()
    {
        using var net = new Net();
        var names = net.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("blocks.3.conv.weight", names);
        Assert.Contains("blocks.0.gain", names);
        Assert.Contains("heads.1.bias", names);
        Assert.Contains("in_proj.weight", names);
        Assert.Equal(4 * 3 + 4 + 2, names.Count);
        Assert.Equal(names.Count, names.Distinct().Count());
        net.InProj = new Linear(4, 8);
        Assert.Equal([8, 4], net.NamedParameters().First(p => p.Name == "in_proj.weight").Param.Shape);
    }

    [Fact]
    public void ParametersOutliveTheScopeTheModelWasBuiltIn()
    {
        Net net;
        using (NewScope()) net = new Net();
        Assert.All(net.Parameters(), p => Assert.False(p.IsDisposed));
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
        using (NewScope())
        {
            var y = net.Forward(Tensor.RandN(2, 4, 6));
            Assert.Equal([2, 2], y.Shape);
        }
        net.Dispose();
        Assert.All(net.Parameters(), p => Assert.True(p.IsDisposed));
    }

    [Fact]
    public void TrainingStepsInScopesKeepLiveTensorCountFlat()
    {
        using var model = new Sequential(new Linear(8, 32), new GELU(), new LayerNorm(32), new Dropout(0.1), new Linear(32, 1));
        using var opt = new AdamW(model.Parameters(), lr: 1e-3);
        void Step()
        {
            using var scope = NewScope();
            var x = Tensor.RandN(16, 8);
            var loss = F.MseLoss(model.Forward(x), x.Sum(1, keepDim: true));
            opt.ZeroGrad();
            loss.Backward();
            GradClip.ClipGradNorm(model.Parameters(), 1.0);
            opt.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        using var live = Tensor.TrackLive();              // what other tests and finalizers do cannot move it
        for (int i = 0; i < 50; i++) Step();
        Assert.Equal(0, live.Count);
    }

    [Fact]
    public void TrainAndEvalPropagateAndDropoutIsIdentityInEval()
    {
        using var scope = NewScope();
        var model = new Sequential(new Linear(4, 4), new Dropout(0.5));
        var x = Tensor.RandN(64, 4);
        model.Eval();
        Assert.All(model.Modules(), m => Assert.False(m.Training));
        Assert.True(model.Forward(x).Equal(model[0].Forward(x)));
        model.Train();
        Assert.All(model.Modules(), m => Assert.True(m.Training));
        Assert.True(model.Forward(x).Eq(0).Sum().Item<long>() > 0);
    }

    [Fact]
    public void ToDTypeKeepsParameterObjectsSoOptimisersStillWork()
    {
        using var scope = NewScope();
        var model = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        var opt = new SGD(model.Parameters(), lr: 0.1);
        var before = model.Parameters().ToList();
        model.To(DType.Float64);
        Assert.Equal(before, model.Parameters().ToList());
        Assert.All(model.Parameters(), p => Assert.Equal(DType.Float64, p.DType));
        Assert.Equal(DType.Float64, ((BatchNormNd)model[1]).RunningMean!.DType);
        Assert.Equal(DType.Int64, ((BatchNormNd)model[1]).NumBatchesTracked!.DType);
        var w = before[0].Clone();
        model.Forward(Tensor.RandN([4, 3], DType.Float64)).Square().Sum().Backward();
        opt.Step();
        Assert.False(w.Equal(before[0]));
    }

    [Fact]
    public void StateDictRoundTripsAndMismatchListsMissingUnexpectedAndMisShapedKeys()
    {
        using var scope = NewScope();
        var a = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new Linear(4, 2));
        var b = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new Linear(4, 2));
        var sd = a.StateDict();
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], sd.Keys.ToList());
        b.LoadStateDict(sd);
        var x = Tensor.RandN(5, 3);
        Assert.True(a.Forward(x).Equal(b.Forward(x)));

        var c = new Sequential(new Linear(3, 5), new BatchNorm1d(5), new Linear(5, 2), new Linear(2, 2));
        var wrong = new Dictionary<string, Tensor>(sd) { ["extra.weight"] = Tensor.Zeros(1) };
        var e = Assert.Throws<StateDictMismatchException>(() => c.LoadStateDict(wrong));
        Assert.Equal(["3.weight", "3.bias"], e.MissingKeys);
        Assert.Equal(["extra.weight"], e.UnexpectedKeys);
        Assert.Contains("0.weight: checkpoint [4, 3], model [5, 3]", e.MisShapedKeys);
        Assert.Contains("Missing key(s): 3.weight, 3.bias", e.Message);
        var ok = b.LoadStateDict(new Dictionary<string, Tensor>(sd) { ["extra"] = Tensor.Zeros(1) }, strict: false);
        Assert.Equal(["extra"], ok.UnexpectedKeys);
    }

    [Fact]
    public void SummaryTabulatesParameterCounts()
    {
        using var net = new Net();
        var s = net.Summary();
        Assert.Contains("blocks.0.conv", s);
        Assert.Contains("Conv1d", s);
        Assert.Contains($"Total parameters: {net.ParameterCount():N0}", s);
        Assert.Equal(4 * (4 * 4 * 3 + 4 + 4) + (8 + 2) + (12 + 3) + (16 + 4), net.ParameterCount());
        Assert.Contains("(in_proj): Linear(in_features=4, out_features=4, bias=True)", net.ToString());
    }

    [Fact]
    public void WrongShapesGiveExceptionsNamingTheShapes()
    {
        using var scope = NewScope();
        var e1 = Assert.Throws<ArgumentException>(() => new Linear(5, 2).Forward(Tensor.RandN(4, 3)));
        Assert.Contains("[4, 3]", e1.Message);
        Assert.Contains("5", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new Conv1d(4, 8, 3).Forward(Tensor.RandN(2, 3, 10)));
        Assert.Contains("[2, 3, 10]", e2.Message);
        Assert.Contains("[batch, 4, time]", e2.Message);
        Assert.Contains("[2, 5, 7]", Assert.Throws<ArgumentException>(() => new LSTM(4, 3).Forward(Tensor.RandN(2, 5, 7))).Message);
        Assert.Contains("[3, 5]", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.RandN(3, 5))).Message);
        Assert.Contains("[6]", Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.RandN(6, 4), Tensor.RandN(6))).Message);
        Assert.Contains("[4, 6]", Assert.Throws<ArgumentException>(() => new MultiheadAttention(8, 2).Forward(Tensor.RandN(4, 6))).Message);
        Assert.Throws<ArgumentException>(() => F.Embedding(Tensor.RandN(3), Tensor.RandN(5, 2)));
        Assert.Equal([2, 3], new Linear(4, 3).Forward(Tensor.RandN(2, 4)).Shape);
    }

    [Fact]
    public void DefaultInitialisationMatchesPyTorchsBounds()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var lin = new Linear(400, 300);
        double bound = 1 / Math.Sqrt(400);
        Assert.True(lin.Weight.Abs().Max().Item<float>() <= bound);
        Assert.True(lin.Weight.Abs().Max().Item<float>() > 0.95 * bound);
        Assert.True(lin.Bias!.Abs().Max().Item<float>() <= bound);
        var conv = new Conv1d(8, 16, 5, groups: 2);
        Assert.True(conv.Weight.Abs().Max().Item<float>() <= 1 / Math.Sqrt(4 * 5));
        var emb = new Embedding(1000, 64, paddingIdx: 3);
        Assert.InRange(emb.Weight.Std().Item<float>(), 0.95, 1.05);
        Assert.Equal(0, emb.Weight[3].Abs().Sum().Item<float>());
        var lstm = new LSTM(10, 25);
        Assert.All(lstm.Parameters(), p => Assert.True(p.Abs().Max().Item<float>() <= 0.2f));
    }

    [Fact]
    public void InitialisersProduceTheirDistributions()
    {
        using var scope = NewScope();
        ManualSeed(1);
        var w = Tensor.Empty([256, 128]);
        Init.XavierUniform_(w);
        Assert.True(w.Abs().Max().Item<float>() <= Math.Sqrt(6.0 / 384));
        Init.XavierNormal_(w, gain: 2);
        Assert.InRange(w.Std().Item<float>(), 0.95 * 2 * Math.Sqrt(2.0 / 384), 1.05 * 2 * Math.Sqrt(2.0 / 384));
        Init.KaimingNormal_(w, nonlinearity: "relu");
        Assert.InRange(w.Std().Item<float>(), 0.95 * Math.Sqrt(2.0 / 128), 1.05 * Math.Sqrt(2.0 / 128));
        Init.KaimingUniform_(w, mode: "fan_out", nonlinearity: "relu");
        Assert.True(w.Abs().Max().Item<float>() <= Math.Sqrt(6.0 / 256));
        var q = Tensor.Empty([6, 10]);
        Init.Orthogonal_(q);
        Assert.True((q.Matmul(q.T) - Tensor.Eye(6)).Abs().Max().Item<float>() < 1e-5);
        var siren = new Linear(64, 32);
        Init.Custom_(siren.Weight, c => Tensor.Empty(c.Shape).Uniform_(-Math.Sqrt(6.0 / c.FanIn) / 30, Math.Sqrt(6.0 / c.FanIn) / 30));
        Assert.True(siren.Weight.Abs().Max().Item<float>() <= Math.Sqrt(6.0 / 64) / 30);
        Init.Zeros_(siren.Bias!);
        Assert.Equal(0, siren.Bias!.Abs().Sum().Item<float>());
        Assert.False(siren.Weight.Grad is not null);
    }

    [Fact]
    public void CausalConvolutionNeverSeesTheFuture()
    {
        using var scope = NewScope();
        var conv = new Conv1d(2, 3, 4, padding: Padding.Causal, dilation: 3);
        var x = Tensor.RandN(1, 2, 30).RequiresGrad_();
        var y = conv.Forward(x);
        Assert.Equal([1, 3, 30], y.Shape);
        y[.., .., 10].Sum().Backward();
        var g = x.Grad!;
        Assert.Equal(0, g[.., .., 11..].Abs().Sum().Item<float>());
        Assert.True(g[.., .., 10].Abs().Sum().Item<float>() > 0);
    }

    [Fact]
    public void GradClippingByNormAndValue()
    {
        using var scope = NewScope();
        var p = new Parameter(Tensor.Zeros(4));
        p.Grad = Tensor.From(new[] { 3f, 4f, 0f, 0f });
        double norm = GradClip.ClipGradNorm([p], 1.0);
        Assert.Equal(5, norm, 5);
        Assert.Equal(1, p.Grad!.Norm().Item<float>(), 4);
        p.Grad = Tensor.From(new[] { 3f, -4f, 0.5f, 0f });
        GradClip.ClipGradValue([p], 1.0);
        Assert.Equal(new[] { 1f, -1f, 0.5f, 0f }, p.Grad!.ToArray<float>());
    }
}
