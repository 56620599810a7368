using Research.Experiments.Reproductions;
using Research.Models.Kan;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class KanExperimentTests
{
    [Fact]
    public void RegistryListsKanAsKan()
    {
        var experiment = ExperimentRegistry.Find("kan");
        Assert.IsType<KanExperiment>(experiment);
        Assert.Equal("KAN", experiment.Family);
    }

    [Fact]
    public void StagesTileTheStepsAndTheMlpsMatchTheUnprunedKan()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu })
        {
            var s = KanSettings.For(scale);
            var stages = s.Stages;
            Assert.Equal(s.Candidates * s.SparsifySteps.Length + s.Grids.Length, stages.Length);
            Assert.Equal(0, stages[0].Start);
            for (int i = 1; i < stages.Length; i++) Assert.Equal(stages[i - 1].Start + stages[i - 1].Steps, stages[i].Start);
            Assert.Equal(s.TotalSteps, stages[^1].Start + stages[^1].Steps);
            Assert.Equal(s.Grids, stages.Where(st => st.Grid > 0).Select(st => st.Grid));
            foreach (var st in stages)
            {
                double peak = st.Grid > 0 ? s.RefineLearningRate : s.SparsifyLearningRate;
                Assert.Equal(peak, s.KanLearningRate(st.Start), 12);
                Assert.InRange(s.KanLearningRate(st.Start + st.Steps - 1), peak / 10, peak / 9);
            }
            foreach (var mlp in s.Matched)
            {
                Assert.InRange(mlp.Parameters, 0.9 * s.MatchedParameters, 1.1 * s.MatchedParameters);
                using var net = FormulaFitting.Mlp(mlp.Depth, mlp.Width, mlp.Activation);
                Assert.Equal(mlp.Parameters, net.ParameterCount());
            }
        }
    }

    [Fact]
    public void EdgeStructureRecognisesAKanBuiltFromTheFormula()
    {
        // φ_x = 0.5 sin(πx), φ_y = 0.5 y², Φ(h) = exp(2h), fitted into the splines by least squares: the check must find
        // r ≈ 1 everywhere and a ≈ 0.5; with φ_x = x instead it must report r(x-edge, sin πx) = 0.78 and fail.
        using var scope = NewScope();
        using var kan = FromFormula(x => 0.5 * Math.Sin(Math.PI * x));
        using var linearKan = FromFormula(v => 0.5 * v);
        var (x, y) = FormulaFitting.Sample(500);
        var structure = FormulaFitting.EdgeStructure(kan, x);
        Assert.True(structure.Matches(0.999), structure.ToString());
        Assert.Equal(0.5, structure.Scale, 3);
        Assert.Equal(1, structure.OutgoingShare, 9);
        Assert.True(FormulaFitting.Rmse(kan, x, y) < 1e-2);

        var linear = FormulaFitting.EdgeStructure(linearKan, x);
        Assert.InRange(linear.XSine, 0.75, 0.80);
        Assert.False(linear.Matches(0.99));
    }

    [Fact]
    public void EdgeCurvesSpanEachEdgesInputsAndCarryItsImportance()
    {
        // For the KAN built from the formula the x-edge is 0.5 sin(πx) on the inputs' range, the y-edge 0.5 y², and each
        // curve's norm is that edge's mean |φ| on the data (KanNetwork.EdgeNorms).
        using var scope = NewScope();
        using var kan = FromFormula(x => 0.5 * Math.Sin(Math.PI * x));
        var (x, _) = FormulaFitting.Sample(500);
        var curves = FormulaFitting.EdgeCurves(kan, x, points: 41);
        Assert.Equal([1, 1], curves.Select(l => l.Length));                                // [layer][out][in]
        Assert.Equal([2, 1], curves.Select(l => l[0].Length));
        var norms = KanNetwork.EdgeNorms(kan.Trace(x));
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < curves[l][0].Length; i++)
            {
                var e = curves[l][0][i];
                Assert.Equal(41, e.X.Length);
                Assert.Equal(norms[l][0, i].Item<float>(), e.Norm, 5);
            }
        var xEdge = curves[0][0][0];
        Assert.Equal(x.Select(1, 0).Min().Item<float>(), xEdge.X[0], 5);
        Assert.Equal(x.Select(1, 0).Max().Item<float>(), xEdge.X[^1], 5);
        // An absolute tolerance, not rounding to 2 decimals (−0.474995 and −0.475001 round apart).
        for (int p = 0; p < 41; p++) Assert.Equal(0.5 * Math.Sin(Math.PI * xEdge.X[p]), xEdge.Y[p], tolerance: 0.01);
        var yEdge = curves[0][0][1];
        for (int p = 0; p < 41; p++) Assert.Equal(0.5 * yEdge.X[p] * yEdge.X[p], yEdge.Y[p], tolerance: 0.01);
    }

    private static KanNetwork FromFormula(Func<double, double> xEdge)
    {
        var layers = new[] { new KanLayer(2, 1, gridSize: 20), new KanLayer(1, 1, gridSize: 20, lo: -0.6, hi: 1.0) };
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var t = Tensor.Linspace(-1, 1, 401);
        var ts = t.ToArray<float>();
        var first = Tensor.Stack([Tensor.From(ts.Select(v => (float)xEdge(v)).ToArray()), Tensor.From(ts.Select(v => 0.5f * v * v).ToArray())], 1);   // [P, 2]
        layers[0].Coefficients.Copy_(BSpline.Fit(Tensor.Stack([t, t], 1), first.Unsqueeze(1), layers[0].Grid, 3));
        var h = Tensor.Linspace(-0.6, 1.0, 401);
        layers[1].Coefficients.Copy_(BSpline.Fit(h.Unsqueeze(1), (h * 2).Exp().Unsqueeze(1).Unsqueeze(1), layers[1].Grid, 3));
        foreach (var layer in layers) layer.BaseWeight.Zero_();
        return new KanNetwork(layers);
    }
}
