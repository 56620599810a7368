using Research.TestSupport;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

/// <summary>
/// Collects differential cases (C# results plus the inputs and Python code that reproduce them) and runs
/// every case's Python in one process, so a test class costs one interpreter start.
/// </summary>
public sealed class Parity
{
    private const string Prelude = """
import math
def _flat(prefix, tag):
    n = len(prefix) + len(tag) + 2
    return {k[n:]: v for k, v in inputs.items() if k.startswith(prefix + '.' + tag + '.')}

def check(prefix, m, train=True, fwd=None):
    m = m.double()
    m.load_state_dict(_flat(prefix, 'w'), strict=True)
    m.train(train)
    x = inputs[prefix + '.x'].clone()
    if x.dtype.is_floating_point:
        x.requires_grad_(True)
    y = fwd(m, x) if fwd else m(x)
    if isinstance(y, tuple):
        y = y[0]
    (y * inputs[prefix + '.g']).sum().backward()
    outputs[prefix + '.y'] = y
    if x.grad is not None:
        outputs[prefix + '.xgrad'] = x.grad
    for n, p in m.named_parameters():
        if p.grad is not None:
            outputs[prefix + '.pg.' + n] = p.grad
    for n, b in m.named_buffers():
        outputs[prefix + '.b.' + n] = b

def fcheck(prefix, fn):
    x = inputs[prefix + '.x'].clone().requires_grad_(True)
    y = fn(x, _flat(prefix, 'a'))
    (y * inputs[prefix + '.g']).sum().backward()
    outputs[prefix + '.y'] = y
    outputs[prefix + '.xgrad'] = x.grad

""";

    private readonly Dictionary<string, Tensor> _inputs = new();
    private readonly Dictionary<string, Tensor> _ours = new();
    private readonly System.Text.StringBuilder _code = new(Prelude);
    private readonly List<string> _names = new();
    private Dictionary<string, Tensor>? _reference;

    /// <summary>Extra Python run before the cases (helper classes).</summary>
    public void AddPython(string code) => _code.AppendLine(code);

    /// <summary>
    /// A module case: forward <paramref name="x"/> in float64, backward with a random cotangent, and record the
    /// output, input grad, parameter grads and buffers; Python builds <paramref name="pyModule"/> with the same weights.
    /// </summary>
    public void Module(string name, Module module, Tensor x, Func<Tensor, Tensor> forward, string pyModule, string? pyForward = null, bool train = true)
    {
        using var scope = NewScope();
        module.To(DType.Float64);
        module.Train(train);
        foreach (var (k, v) in module.StateDict()) Keep($"{name}.w.{k}", v.Clone(), _inputs);
        var input = x.DType.IsFloatingPoint() ? x.To(DType.Float64).Detach().RequiresGrad_() : x;
        var y = forward(input);
        var g = y.RandNLike();
        (y * g).Sum().Backward();
        Keep($"{name}.x", input.Detach(), _inputs);
        Keep($"{name}.g", g, _inputs);
        Keep($"{name}.y", y.Detach(), _ours);
        if (input.DType.IsFloatingPoint()) Keep($"{name}.xgrad", input.Grad!, _ours);
        foreach (var (k, p) in module.NamedParameters())
            if (p.Grad is { } pg) Keep($"{name}.pg.{k}", pg, _ours);
        foreach (var (k, b) in module.NamedBuffers()) Keep($"{name}.b.{k}", b.Clone(), _ours);
        _code.AppendLine($"check('{name}', {pyModule}, train={(train ? "True" : "False")}{(pyForward is null ? "" : ", fwd=lambda m, x: " + pyForward)})");
        _names.Add(name);
    }

    /// <summary>A function case: y = f(x, args) in float64 with a random cotangent; Python computes <paramref name="pyExpr"/> of x and a (the args).</summary>
    public void Function(string name, Tensor x, IReadOnlyDictionary<string, Tensor> args, Func<Tensor, Tensor> f, string pyExpr)
    {
        using var scope = NewScope();
        var input = x.To(DType.Float64).Detach().RequiresGrad_();
        var y = f(input);
        var g = y.RandNLike();
        (y * g).Sum().Backward();
        Keep($"{name}.x", input.Detach(), _inputs);
        Keep($"{name}.g", g, _inputs);
        foreach (var (k, v) in args) Keep($"{name}.a.{k}", v.Clone(), _inputs);
        Keep($"{name}.y", y.Detach(), _ours);
        Keep($"{name}.xgrad", input.Grad!, _ours);
        _code.AppendLine($"fcheck('{name}', lambda x, a: {pyExpr})");
        _names.Add(name);
    }

    private static void Keep(string key, Tensor t, Dictionary<string, Tensor> into)
    {
        into[key] = t.Contiguous().DetachFromScope();
    }

    /// <summary>Runs all cases' Python at once.</summary>
    public void Run() => _reference = PyTorchReference.Run(_code.ToString(), _inputs);

    /// <summary>Every result of case <paramref name="name"/> matches PyTorch (same keys, closeness ≤ 1).</summary>
    public void AssertMatches(string name, double rtol = 1e-7, double atol = 1e-9)
    {
        Assert.NotNull(_reference);
        Assert.Contains(name, _names);
        var ours = _ours.Keys.Where(k => k.StartsWith(name + ".")).OrderBy(k => k).ToList();
        var theirs = _reference!.Keys.Where(k => k.StartsWith(name + ".")).OrderBy(k => k).ToList();
        Assert.True(ours.Count >= 2, $"case {name} recorded only {ours.Count} results");
        Assert.Equal(theirs, ours);
        foreach (var k in ours)
        {
            var close = PyTorchReference.Closeness(_ours[k], _reference[k], rtol, atol);
            Assert.True(close <= 1, $"{k}: closeness {close:G3} (> 1) between C# and PyTorch");
        }
    }
}
