using System.Text;
using Research.TestSupport;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

/// <summary>Runs every <see cref="OpCatalog"/> case on both sides once (one Python process) and keeps the results.</summary>
public sealed class OpResults : IDisposable
{
    public readonly Dictionary<string, Tensor> Ours = new();
    public readonly Dictionary<string, Tensor> Theirs;

    public OpResults()
    {
        ManualSeed(7);
        var inputs = new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.RandN([3, 4], DType.Float64).DetachFromScope(),
            ["y"] = Tensor.RandN([3, 4], DType.Float64).DetachFromScope(),
        };
        var py = new StringBuilder("xs, ys = inputs['x'], inputs['y']\n");
        foreach (var c in OpCatalog.Cases)
        {
            using var scope = NewScope();
            var x = (c.Positive ? inputs["x"].Abs() + 0.5 : inputs["x"].Clone()).Detach().RequiresGrad_();
            var y = (c.Positive ? inputs["y"].Abs() + 0.5 : inputs["y"].Clone()).Detach().RequiresGrad_();
            var output = c.Ours(x, y);
            Ours[c.Name] = scope.Keep(output.Detach());
            if (c.Differentiable)
            {
                var w = Tensor.Linspace(-1, 1, output.NumEl, output.DType).Reshape(output.Shape);
                var grads = Autograd.Grad([(output * w).Sum()], [x, y], allowUnused: true);
                Ours[c.Name + "/dx"] = scope.Keep(grads[0] ?? x.ZerosLike());
                Ours[c.Name + "/dy"] = scope.Keep(grads[1] ?? y.ZerosLike());
            }
            var pos = c.Positive ? "True" : "False";
            py.Append($"x = ((xs.abs() + 0.5) if {pos} else xs.clone()).detach().requires_grad_(True)\n");
            py.Append($"y = ((ys.abs() + 0.5) if {pos} else ys.clone()).detach().requires_grad_(True)\n");
            py.Append($"out = {c.Python}\n");
            py.Append($"outputs['{c.Name}'] = out.detach()\n");
            if (c.Differentiable)
            {
                py.Append("w = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)\n");
                py.Append("gx, gy = torch.autograd.grad((out * w).sum(), [x, y], allow_unused=True)\n");
                py.Append($"outputs['{c.Name}/dx'] = gx if gx is not None else torch.zeros_like(x)\n");
                py.Append($"outputs['{c.Name}/dy'] = gy if gy is not None else torch.zeros_like(y)\n");
            }
        }
        Theirs = PyTorchReference.Run(py.ToString(), inputs);
        foreach (var t in inputs.Values) t.Dispose();
    }

    public void Dispose()
    {
        foreach (var t in Ours.Values.Concat(Theirs.Values)) t.Dispose();
    }
}

public sealed class OpsMatchPyTorch(OpResults results) : IClassFixture<OpResults>
{
    public static TheoryData<string> CaseNames() => new(OpCatalog.Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ValuesAndGradientsMatch(string name)
    {
        var c = OpCatalog.Cases.Single(k => k.Name == name);
        foreach (var key in c.Differentiable ? new[] { name, name + "/dx", name + "/dy" } : new[] { name })
        {
            var ours = results.Ours[key];
            var theirs = results.Theirs[key];
            Assert.Equal(theirs.Shape, ours.Shape);
            Assert.Equal(theirs.DType, ours.DType);
            double closeness = PyTorchReference.Closeness(ours, theirs, rtol: 1e-10, atol: 1e-12);
            Assert.True(closeness <= 1, $"{key}: max |ours - pytorch| / (1e-12 + 1e-10·|pytorch|) = {closeness:G3}\nours:   {ours}\npytorch: {theirs}");
        }
    }
}
