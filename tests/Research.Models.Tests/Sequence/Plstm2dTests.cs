using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class Plstm2dTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x.Double() - y.Double()).Abs().Max().Item<double>();
    }

    // Random q, k, v and gates in (0, 1) (transitions unconstrained: column sums up to 2), float64.
    private static (Tensor Q, Tensor K, Tensor V, Tensor S, Tensor T, Tensor M, Tensor E) Inputs(long batch, long heads, long h, long w, long dk, long dv)
    {
        var f = DType.Float64;
        return (Tensor.RandN([batch, heads, h, w, dk], f), Tensor.RandN([batch, heads, h, w, dk], f), Tensor.RandN([batch, heads, h, w, dv], f),
            Tensor.Rand([batch, heads, h, w, 2], f), Tensor.Rand([batch, heads, h, w, 2, 2], f), Tensor.Rand([batch, heads, h, w, 2], f),
            Tensor.Rand([batch, heads, h, w], f));
    }

    [Theory]
    [InlineData(7, 5, 1)]
    [InlineData(7, 5, 2)]      // both sides padded
    [InlineData(7, 5, 3)]
    [InlineData(8, 8, 4)]      // chunks tile the grid
    [InlineData(6, 9, 16)]     // one chunk larger than the grid
    public void ChunkedEqualsSequentialInFloat64(int height, int width, int chunk)
    {
        using var scope = NewScope();
        ManualSeed(3);
        var (q, k, v, s, t, m, e) = Inputs(2, 3, height, width, 4, 5);
        var sequential = Plstm2d.Sequential(q, k, v, s, t, m, e);
        var chunked = Plstm2d.Chunked(q, k, v, s, t, m, e, chunk);
        Assert.Equal([2L, 3, height, width, 5], sequential.Shape);
        Assert.Equal(sequential.Shape, chunked.Shape);
        Assert.True(MaxAbsDiff(sequential, chunked) < 1e-10, $"|chunked − sequential| = {MaxAbsDiff(sequential, chunked):E2}");
    }

    // W(c', b' → c, a): the sum over monotone lattice paths from the outgoing edge b' of c' to the incoming edge a of c of the
    // product of the transitions at the cells passed through, written out recursively from the definition.
    private static double PathSum(double[,,,] T, int i0, int j0, int b0, int i, int j, int a)
    {
        int ni = b0 == 0 ? i0 : i0 + 1, nj = b0 == 0 ? j0 + 1 : j0, na = b0 == 0 ? 0 : 1;   // the cell the edge enters, and through which side
        if (ni > i || nj > j) return 0;
        if (ni == i && nj == j) return na == a ? 1 : 0;
        return T[ni, nj, 0, na] * PathSum(T, ni, nj, 0, i, j, a) + T[ni, nj, 1, na] * PathSum(T, ni, nj, 1, i, j, a);
    }

    [Fact]
    public void SequentialIsTheSumOverLatticePathsOfGateProducts()
    {
        using var scope = NewScope();
        ManualSeed(5);
        const int H = 4, W = 5;
        var (q, k, v, s, t, m, e) = Inputs(1, 1, H, W, 1, 1);
        var y = Plstm2d.Sequential(q, k, v, s, t, m, e).Reshape(H, W).ToArray<double>();
        double[] Flat(Tensor x) => x.Contiguous().ToArray<double>();
        double[] qa = Flat(q), ka = Flat(k), va = Flat(v), sa = Flat(s), ma = Flat(m), ea = Flat(e), ta = Flat(t);
        var T = new double[H, W, 2, 2];
        for (int i = 0; i < H; i++) for (int j = 0; j < W; j++) for (int b = 0; b < 2; b++) for (int a = 0; a < 2; a++)
            T[i, j, b, a] = ta[((i * W + j) * 2 + b) * 2 + a];
        for (int i = 0; i < H; i++)
        {
            for (int j = 0; j < W; j++)
            {
                int c = i * W + j;
                double expected = ea[c] * qa[c] * ka[c] * va[c];                                          // G[c, c] = E_c
                for (int i0 = 0; i0 <= i; i0++)
                    for (int j0 = 0; j0 <= j; j0++)
                    {
                        if (i0 == i && j0 == j) continue;
                        int c0 = i0 * W + j0;
                        double g = 0;
                        for (int b0 = 0; b0 < 2; b0++)
                            for (int a = 0; a < 2; a++) g += ma[c * 2 + a] * PathSum(T, i0, j0, b0, i, j, a) * sa[c0 * 2 + b0];
                        expected += g * qa[c] * ka[c0] * va[c0];
                    }
                Assert.True(Math.Abs(y[c] - expected) < 1e-12, $"cell ({i}, {j}): {y[c]} vs path sum {expected}");
            }
        }
    }

    [Fact]
    public void InformationFlowsOnlyRightAndDown()
    {
        using var scope = NewScope();
        ManualSeed(7);
        var (q, k, v, s, t, m, e) = Inputs(1, 2, 6, 6, 3, 2);
        var y = Plstm2d.Chunked(q, k, v, s, t, m, e, 4);
        var v2 = v.Clone();
        v2.Select(2, 3).Select(2, 2).Fill_(9.0);                                                   // change the input at (3, 2)
        var changed = Plstm2d.Chunked(q, k, v2, s, t, m, e, 4);
        var moved = (changed - y).Abs().Sum(-1).Sum(1).Squeeze(0);                                   // [H, W]
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
            {
                double d = moved[i, j].Item<double>();
                if (i >= 3 && j >= 2) Assert.True(d > 0, $"({i}, {j}) is downstream of (3, 2) but did not change");
                else Assert.Equal(0.0, d);
            }
    }

    [Fact]
    public void PModeTransitionsKeepPathSumsBoundedWhereFreeTransitionsExplode()
    {
        using var scope = NewScope();
        const int N = 24;
        var f = DType.Float64;
        var ones = Tensor.Ones([1, 1, N, N, 1], f);
        var key = Tensor.Zeros([1, 1, N, N, 1], f);
        key.Select(2, 0).Select(2, 0).Fill_(1.0);                                                    // a key written at the corner
        var gates2 = Tensor.Ones([1, 1, N, N, 2], f);
        var direct = Tensor.Ones([1, 1, N, N], f);
        // Free: every transition 1, so G[c, 0] counts the lattice paths, C(i + j, i) ~ 4^n.
        var free = Plstm2d.Chunked(ones, key, ones, gates2, Tensor.Ones([1, 1, N, N, 2, 2], f), gates2, direct, 4);
        // P-mode: λ = 1, π = ½ — what enters a cell leaves it split evenly: each of the two unit injections keeps mass 1 on every
        // anti-diagonal it reaches before the grid's edge, so no path sum exceeds 2 however many paths there are.
        var pMode = Plstm2d.Chunked(ones, key, ones, gates2, Tensor.Full([1, 1, N, N, 2, 2], 0.5, f), gates2, direct, 4);
        Assert.True(free.Max().Item<double>() > 1e12, $"free transitions: largest path sum {free.Max().Item<double>():E2}");
        Assert.True(pMode.Max().Item<double>() <= 2 + 1e-12, $"P-mode: largest path sum {pMode.Max().Item<double>()}");
        var far = pMode.Reshape(N, N);
        double diagonal = Enumerable.Range(0, N).Sum(i => far[i, N - 1 - i].Item<double>());         // the anti-diagonal i + j = N − 1
        Assert.True(Math.Abs(diagonal - 2) < 1e-9, $"P-mode: mass on the far anti-diagonal {diagonal}, expected 2");
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        using var scope = NewScope();
        var (q, k, v, s, t, m, e) = Inputs(1, 1, 3, 3, 2, 2);
        Assert.Throws<ArgumentException>(() => Plstm2d.Chunked(q.Squeeze(0), k, v, s, t, m, e));
        Assert.Contains("T [batch, heads, H, W, 2, 2]", Assert.Throws<ArgumentException>(() => Plstm2d.Sequential(q, k, v, s, s, m, e)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Plstm2d.Chunked(q, k, v, s, t, m, e, 0));
    }
}
