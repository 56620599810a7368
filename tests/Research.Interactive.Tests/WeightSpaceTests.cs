namespace Research.Interactive.Tests;

public class WeightSpaceTests
{
    [Fact]
    public void PcaPathOfAStraightLineTrajectoryHasNoSecondComponent()
    {
        var rng = new Random(3);
        int d = 500;
        var start = Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble()).ToArray();
        var dir = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        // Uneven speed along the line, as training slows down.
        var snapshots = Enumerable.Range(0, 30).Select(t => { double s = Math.Sqrt(t); return start.Select((w, i) => (float)(w + s * dir[i])).ToArray(); }).ToList();
        var pca = WeightPath.Fit(snapshots);
        Assert.True(pca.ExplainedVarianceRatio[0] > 0.999999, $"PC1 explains {pca.ExplainedVarianceRatio[0]}");
        double span = pca.Coordinates.Max(p => p[0]) - pca.Coordinates.Min(p => p[0]);
        Assert.All(pca.Coordinates, p => Assert.True(Math.Abs(p[1]) < 1e-4 * span, $"PC2 coordinate {p[1]} vs span {span}"));
        // PC1 is the direction of travel (up to sign) and coordinates are monotone along the path.
        double norm = Math.Sqrt(dir.Sum(x => (double)x * x));
        double cos = pca.Components[0].Select((c, i) => c * dir[i] / norm).Sum();
        Assert.Equal(1, Math.Abs(cos), 5);
        var c0 = pca.Coordinates.Select(p => p[0] * Math.Sign(cos)).ToArray();
        Assert.True(c0.Zip(c0.Skip(1)).All(p => p.Second > p.First));

        var fig = WeightPath.Plot(pca, Enumerable.Range(0, 30).Select(t => t * 100.0).ToArray()).ToJsonObject();
        var marker = fig["data"]![0]!["marker"]!;
        Assert.Equal(2900, (double)marker["color"]!.AsArray()[^1]!);
        Assert.Equal("step", (string)marker["colorbar"]!["title"]!["text"]!);
    }

    [Fact]
    public void PcaOfPlanarPointsRecoversTheirVarianceAndThePlaneLossContour()
    {
        // Points on an ellipse in a 2-D subspace of 50-D space: two components carry all variance, in ratio 9:1.
        var u = new float[50]; u[3] = 1;
        var v = new float[50]; v[7] = 1;
        var pts = Enumerable.Range(0, 40).Select(t => { double a = 2 * Math.PI * t / 40; return u.Select((x, i) => (float)(3 * Math.Cos(a) * x + Math.Sin(a) * v[i])).ToArray(); }).ToList();
        var pca = WeightPath.Fit(pts);
        Assert.Equal(0.9, pca.ExplainedVarianceRatio[0], 6);
        Assert.Equal(0.1, pca.ExplainedVarianceRatio[1], 6);
        var surface = WeightPath.EvaluatePlane(pca, w => w.Sum(x => (double)x * x), resolution: 11);
        Assert.Equal(11, surface.Values.Length);
        // |w|² = a² + b² on the plane through the origin: minimum at the centre of the symmetric grid.
        Assert.Equal(0, surface.Values[5][5], 6);
        var fig = WeightPath.Plot(pca, Enumerable.Range(0, 40).Select(i => (double)i).ToArray(), surface).ToJsonObject();
        Assert.Equal("contour", (string)fig["data"]![0]!["type"]!);
    }

    [Fact]
    public void InterpolatingAQuadraticLossGivesTheExpectedParabola()
    {
        var rng = new Random(5);
        var c = Enumerable.Range(0, 20).Select(_ => rng.NextDouble()).ToArray();
        var w0 = Enumerable.Range(0, 20).Select(_ => (float)rng.NextDouble()).ToArray();
        var w1 = Enumerable.Range(0, 20).Select(_ => (float)rng.NextDouble()).ToArray();
        double Loss(float[] w) => w.Select((x, i) => (x - c[i]) * (x - c[i])).Sum();
        var (alphas, losses) = LinearInterpolation.Evaluate(w0, w1, Loss, points: 21, from: -0.5, to: 1.5);
        // L(α) = |w0 − c + α(w1 − w0)|² = A α² + B α + C.
        double A = 0, B = 0, C = 0;
        for (int i = 0; i < 20; i++)
        {
            double d = w1[i] - w0[i], e = w0[i] - c[i];
            A += d * d; B += 2 * d * e; C += e * e;
        }
        for (int k = 0; k < alphas.Length; k++) Assert.Equal(A * alphas[k] * alphas[k] + B * alphas[k] + C, losses[k], 4);
        Assert.Equal(-0.5, alphas[0]); Assert.Equal(1.5, alphas[^1]);
        var fig = LinearInterpolation.Plot(alphas, losses).ToJsonObject();
        Assert.Equal(losses[5], (double)fig["data"]![1]!["y"]![0]!, 9); // α = 0 marker sits on the curve
    }

    [Fact]
    public void FilterNormalisedDirectionsMatchFilterNormsAndSkipBiases()
    {
        var rng = new Random(7);
        int[][] shapes = [[4, 3], [4], [2, 4]];
        var w = Enumerable.Range(0, 12 + 4 + 8).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var d = LossLandscape.FilterNormalizedDirection(w, shapes, new Random(1));
        double Norm(float[] x, int from, int n) => Math.Sqrt(x.Skip(from).Take(n).Sum(v => (double)v * v));
        for (int f = 0; f < 4; f++) Assert.Equal(Norm(w, 3 * f, 3), Norm(d, 3 * f, 3), 5);
        Assert.All(d.Skip(12).Take(4), v => Assert.Equal(0f, v));
        for (int f = 0; f < 2; f++) Assert.Equal(Norm(w, 16 + 4 * f, 4), Norm(d, 16 + 4 * f, 4), 5);
        Assert.Throws<ArgumentException>(() => LossLandscape.FilterNormalizedDirection(w, [[5, 5]], new Random(1)));

        var surface = LossLandscape.Compute(w, shapes, x => x.Select((v, i) => (v - w[i]) * (double)(v - w[i])).Sum(), resolution: 9, range: 1);
        int argmin = surface.Values.SelectMany((r, j) => r.Select((v, i) => (v, i, j))).MinBy(t => t.v) is var m ? m.j * 9 + m.i : -1;
        Assert.Equal(4 * 9 + 4, argmin); // the solution is the centre of the slice
        Assert.Equal("contour", (string)LossLandscape.Plot(surface, logLoss: true).ToJsonObject()["data"]![0]!["type"]!);
    }

    [Fact]
    public void HistogramsCountCorrectly()
    {
        var h = HistogramCounts.Compute([0f, 0.1f, 0.25f, 0.5f, 0.99f, 1f, -0.1f, 1.5f, float.NaN], bins: 4, min: 0, max: 1);
        Assert.Equal(new long[] { 2, 1, 1, 2 }, h.Counts);   // [0,.25) [.25,.5) [.5,.75) [.75,1]
        Assert.Equal(1, h.Below); Assert.Equal(1, h.Above);
        Assert.Equal(new[] { 0.125, 0.375, 0.625, 0.875 }, h.Centers);
        var auto = HistogramCounts.Compute([1f, 2f, 3f, 4f], bins: 3);
        Assert.Equal(4, auto.Counts.Sum()); Assert.Equal(1, auto.Min); Assert.Equal(4, auto.Max);

        var hist = new WeightHistograms(bins: 10);
        hist.Add(0, "fc1", [0.5f, -0.5f, 0f]);
        hist.Add(100, "fc1", [0.7f, 0.7f, 0.75f]);
        hist.Add(0, "fc2", [2f]);
        Assert.Equal(3, hist.Get("fc1")[1].Counts.Sum());
        Assert.Equal(-0.75, hist.Get("fc1")[0].Min, 9);
        var fig = hist.ToFigure().ToJsonObject();
        Assert.Equal(2, fig["data"]!.AsArray().Count);
        Assert.Equal("y2", (string)fig["data"]![1]!["yaxis"]!);
        Assert.NotNull(fig["layout"]!["yaxis2"]);
    }

    [Fact]
    public void SingularValuesOfKnownMatricesAndTheirLogPlot()
    {
        var diag = new float[3, 5]; diag[0, 0] = 3; diag[1, 1] = -2; diag[2, 2] = 0.5f;
        using (var t = Research.Torch.Tensor.From(diag))
            Assert.Equal(new[] { 3.0, 2.0, 0.5 }, SingularValueSpectrum.Compute(t).Select(s => Math.Round(s, 6)));
        // Rank one: u vᵀ has a single singular value |u||v|.
        var r1 = new float[6, 4];
        for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) r1[i, j] = (i + 1) * (j - 1.5f);
        using var r1t = Research.Torch.Tensor.From(r1);
        var s = SingularValueSpectrum.Compute(r1t);
        double expected = Math.Sqrt(Enumerable.Range(1, 6).Sum(i => i * i)) * Math.Sqrt(new[] { -1.5, -0.5, 0.5, 1.5 }.Sum(x => x * x));
        Assert.Equal(expected, s[0], 4);
        Assert.All(s.Skip(1), v => Assert.True(v < 1e-5));
        var fig = SingularValueSpectrum.Plot([("fc", diag)]).ToJsonObject();
        Assert.Equal("log", (string)fig["layout"]!["yaxis"]!["type"]!);
    }

    [Fact]
    public void JacobiDiagonalisesASymmetricMatrix()
    {
        var rng = new Random(11);
        int n = 12;
        var a = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) a[i, j] = a[j, i] = rng.NextDouble() - 0.5;
        var (values, vectors) = SymmetricEigen.Decompose(a);
        for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++)
        {
            double av = 0;
            for (int j = 0; j < n; j++) av += a[i, j] * vectors[j, k];
            Assert.Equal(values[k] * vectors[i, k], av, 9);
        }
        Assert.True(values.Zip(values.Skip(1)).All(p => p.First >= p.Second));
    }

    [Fact]
    public void HungarianMatchingRecoversAPermutation()
    {
        var rng = new Random(13);
        int n = 40;
        var perm = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        // Activations of B are A's units permuted, plus noise.
        var a = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray()).ToList();
        var b = a.Select(row => Enumerable.Range(0, n).Select(j => 0.0f).ToArray()).ToList();
        for (int s = 0; s < a.Count; s++) for (int i = 0; i < n; i++) b[s][perm[i]] = a[s][i] + (float)(0.3 * (rng.NextDouble() - 0.5));
        var (r, order) = NeuronCorrelation.Compute(a, b, NeuronOrder.Hungarian);
        Assert.Equal(perm, order);
        Assert.Equal(perm, Matching.Hungarian(r));
        var fig = NeuronCorrelation.Plot(a, b).ToJsonObject();
        var z = fig["data"]![0]!["z"]!.AsArray();
        Assert.All(Enumerable.Range(0, n), i => Assert.True((double)z[i]![i]! > 0.9));
    }

    [Fact]
    public void HungarianBeatsGreedyWhereGreedyIsWrongAndHandlesRectangles()
    {
        // Greedy takes 10 first and is left with 1 + 1; the optimum is 9 + 9.
        double[,] s = { { 10, 9 }, { 9, 1 } };
        Assert.Equal(new[] { 0, 1 }, Matching.Greedy(s));
        Assert.Equal(new[] { 1, 0 }, Matching.Hungarian(s));
        Assert.Equal(18, Matching.Total(s, Matching.Hungarian(s)));

        // Brute force on random 2×5 and 5×5 problems.
        var rng = new Random(17);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = trial % 2 == 0 ? 2 : 5, m = 5;
            var sc = new double[n, m];
            for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) sc[i, j] = rng.NextDouble();
            double best = Permutations(Enumerable.Range(0, m).ToArray()).Max(p => Enumerable.Range(0, n).Sum(i => sc[i, p[i]]));
            var h = Matching.Hungarian(sc);
            Assert.Equal(n, h.Distinct().Count());
            Assert.Equal(best, Matching.Total(sc, h), 9);
        }
        Assert.Throws<ArgumentException>(() => Matching.Hungarian(new double[3, 2]));
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
            foreach (var rest in Permutations(items.Where((_, j) => j != i).ToArray()))
                yield return [items[i], .. rest];
    }

    [Fact]
    public void WeightMatrixHeatmapIsCentredOnZero()
    {
        var w = new float[2, 3] { { 1, -4, 0 }, { 2, 0.5f, -1 } };
        var fig = WeightMatrixView.Plot(w).ToJsonObject();
        var t = fig["data"]![0]!;
        Assert.Equal(-4, (double)t["zmin"]!); Assert.Equal(4, (double)t["zmax"]!); Assert.Equal(0, (double)t["zmid"]!);
        Assert.Equal(-4, (double)t["z"]![0]![1]!);
        Assert.Equal("reversed", (string)fig["layout"]!["yaxis"]!["autorange"]!);
    }
}
