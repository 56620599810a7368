using Research.TestSupport;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

/// <summary>Trains the same MLP on the same data with each optimiser in C# and in torch.optim, 25 steps, and keeps both trajectories.</summary>
public sealed class OptimizerRuns
{
    public const int Steps = 25;

    public Dictionary<string, Tensor> Ours { get; } = new();
    public Dictionary<string, Tensor> Reference { get; }

    private static readonly (string Name, Func<Sequential, Optimizer> Make, Func<Optimizer, LRScheduler>? Schedule, double? Clip, string PyOpt, string? PySched)[] Configs =
    [
        ("sgd", m => new SGD(m.Parameters(), lr: 0.1), null, null, "torch.optim.SGD(m.parameters(), lr=0.1)", null),
        ("sgd_momentum_dampening_wd", m => new SGD(m.Parameters(), lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2), null, null,
            "torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-2)", null),
        ("sgd_nesterov", m => new SGD(m.Parameters(), lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true), null, null,
            "torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True)", null),
        ("adam", m => new Adam(m.Parameters(), lr: 1e-2), null, null, "torch.optim.Adam(m.parameters(), lr=1e-2)", null),
        ("adam_wd_amsgrad", m => new Adam(m.Parameters(), lr: 1e-2, betas: (0.8, 0.99), weightDecay: 1e-2, amsgrad: true), null, null,
            "torch.optim.Adam(m.parameters(), lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=True)", null),
        ("adamw", m => new AdamW(m.Parameters(), lr: 1e-2, weightDecay: 0.1), null, null, "torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=0.1)", null),
        ("adamw_amsgrad", m => new AdamW(m.Parameters(), lr: 2e-2, amsgrad: true), null, null, "torch.optim.AdamW(m.parameters(), lr=2e-2, amsgrad=True)", null),
        ("rmsprop", m => new RMSprop(m.Parameters(), lr: 1e-2), null, null, "torch.optim.RMSprop(m.parameters(), lr=1e-2)", null),
        ("rmsprop_centered_momentum_wd", m => new RMSprop(m.Parameters(), lr: 1e-3, momentum: 0.9, centered: true, weightDecay: 1e-2), null, null,
            "torch.optim.RMSprop(m.parameters(), lr=1e-3, momentum=0.9, centered=True, weight_decay=1e-2)", null),
        ("adagrad", m => new Adagrad(m.Parameters(), lr: 0.1, lrDecay: 1e-2, weightDecay: 1e-3, initialAccumulatorValue: 0.1), null, null,
            "torch.optim.Adagrad(m.parameters(), lr=0.1, lr_decay=1e-2, weight_decay=1e-3, initial_accumulator_value=0.1)", null),
        ("sgd_steplr", m => new SGD(m.Parameters(), lr: 0.1, momentum: 0.5), o => new StepLR(o, 5, 0.5), null,
            "torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.5)", "torch.optim.lr_scheduler.StepLR(o, 5, 0.5)"),
        ("adam_cosine", m => new Adam(m.Parameters(), lr: 2e-2), o => new CosineAnnealingLR(o, 10, 1e-3), null,
            "torch.optim.Adam(m.parameters(), lr=2e-2)", "torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 1e-3)"),
        ("adam_onecycle", m => new Adam(m.Parameters(), lr: 1e-3), o => new OneCycleLR(o, 0.05, Steps), null,
            "torch.optim.Adam(m.parameters(), lr=1e-3)", $"torch.optim.lr_scheduler.OneCycleLR(o, 0.05, {Steps})"),
        ("sgd_onecycle_linear", m => new SGD(m.Parameters(), lr: 1e-3, momentum: 0.9), o => new OneCycleLR(o, 0.2, Steps, annealStrategy: "linear"), null,
            "torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9)", $"torch.optim.lr_scheduler.OneCycleLR(o, 0.2, {Steps}, anneal_strategy='linear')"),
        ("adamw_linear_warmup", m => new AdamW(m.Parameters(), lr: 1e-2), o => new LinearWarmup(o, 10, 0.1), null,
            "torch.optim.AdamW(m.parameters(), lr=1e-2)", "torch.optim.lr_scheduler.LinearLR(o, 0.1, 1.0, 10)"),
        ("sgd_param_groups", m => new SGD([new ParamGroup(m[0].Parameters()) { LearningRate = 0.02 }, new ParamGroup(m[2].Parameters())], lr: 0.1, momentum: 0.9), null, null,
            "torch.optim.SGD([{'params': m[0].parameters(), 'lr': 0.02}, {'params': m[2].parameters()}], lr=0.1, momentum=0.9)", null),
        ("sgd_clip_norm", m => new SGD(m.Parameters(), lr: 0.5), null, 0.05, "torch.optim.SGD(m.parameters(), lr=0.5)", null),
    ];

    public static IEnumerable<string> Names => Configs.Select(c => c.Name);

    public OptimizerRuns()
    {
        ManualSeed(7);
        var inputs = new Dictionary<string, Tensor>();
        var x = Tensor.RandN([16, 4], DType.Float64).DetachFromScope();
        var y = Tensor.RandN([16, 2], DType.Float64).DetachFromScope();
        inputs["X"] = x;
        inputs["Y"] = y;
        using var init = MakeModel();
        foreach (var (k, v) in init.StateDict()) inputs["init." + k] = v;
        var code = new System.Text.StringBuilder($$"""
X, Y = inputs['X'], inputs['Y']
init = {k[5:]: v for k, v in inputs.items() if k.startswith('init.')}
def run(name, make_opt, make_sched=None, clip=None):
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    m.load_state_dict(init)
    o = make_opt(m)
    s = make_sched(o) if make_sched else None
    losses = []
    for _ in range({{Steps}}):
        loss = F.mse_loss(m(X), Y)
        o.zero_grad()
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(m.parameters(), clip)
        o.step()
        if s:
            s.step()
        losses.append(loss.item())
    outputs[name + '.losses'] = torch.tensor(losses, dtype=torch.float64)
    for n, p in m.named_parameters():
        outputs[name + '.p.' + n] = p

""");
        foreach (var c in Configs)
        {
            code.AppendLine($"run('{c.Name}', lambda m: {c.PyOpt}" + (c.PySched is null ? ", None" : $", lambda o: {c.PySched}") + (c.Clip is { } clip ? $", {clip})" : ")"));
            using var model = MakeModel();
            model.LoadStateDict(init.StateDict());
            using var opt = c.Make(model);
            var sched = c.Schedule?.Invoke(opt);
            var losses = new double[Steps];
            for (int step = 0; step < Steps; step++)
            {
                using var scope = NewScope();
                var loss = F.MseLoss(model.Forward(x), y);
                opt.ZeroGrad();
                loss.Backward();
                if (c.Clip is { } maxNorm) GradClip.ClipGradNorm(model.Parameters(), maxNorm);
                opt.Step();
                sched?.Step();
                losses[step] = loss.Item<double>();
            }
            Ours[c.Name + ".losses"] = Tensor.From(losses).DetachFromScope();
            foreach (var (k, v) in model.NamedParameters()) Ours[$"{c.Name}.p.{k}"] = v.Detach().Clone().DetachFromScope();
        }
        Reference = PyTorchReference.Run(code.ToString(), inputs);
    }

    public static Sequential MakeModel() => (Sequential)new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 2)).Double();
}

public sealed class OptimizerTrajectoryTests(OptimizerRuns runs) : IClassFixture<OptimizerRuns>
{
    public static TheoryData<string> Names() => new(OptimizerRuns.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void TrajectoryMatchesTorchOptimOver25Steps(string name)
    {
        var keys = runs.Ours.Keys.Where(k => k.StartsWith(name + ".")).ToList();
        Assert.Equal(5, keys.Count);
        foreach (var k in keys)
        {
            Assert.True(runs.Reference.ContainsKey(k), $"PyTorch produced no {k}");
            var close = PyTorchReference.Closeness(runs.Ours[k], runs.Reference[k], 1e-9, 1e-12);
            Assert.True(close <= 1, $"{k}: closeness {close:G3} between C# and torch.optim");
        }
        using var first = runs.Ours[name + ".losses"][0];
        using var last = runs.Ours[name + ".losses"][OptimizerRuns.Steps - 1];
        Assert.True(last.Item<double>() < first.Item<double>(), $"{name} did not reduce the loss");
    }
}
