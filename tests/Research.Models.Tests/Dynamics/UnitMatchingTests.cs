using Research.Models.Dynamics;
using Research.Models.WeightSpace;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Dynamics;

public class UnitMatchingTests
{
    [Fact]
    public void CorrelationsArePearson()
    {
        using var scope = NewScope();
        ManualSeed(2);
        var ha = Tensor.RandN([50, 3], DType.Float64);
        var hb = Tensor.Cat([ha.Select(1, 1).Unsqueeze(1) * 2.0 + 1.0, -ha.Select(1, 0).Unsqueeze(1), Tensor.Zeros([50, 1], DType.Float64)], 1);
        var r = UnitMatching.Correlations(ha, hb);
        Assert.Equal(1.0, r[1, 0], 12);                                           // affine copy
        Assert.Equal(-1.0, r[0, 1], 12);                                          // negated copy
        Assert.Equal(0.0, r[2, 2], 12);                                           // a constant unit
        var x = ha.ToArray2D<double>();
        double Mean(int c) => Enumerable.Range(0, 50).Average(s => x[s, c]);
        double Cov(int c, int d) => Enumerable.Range(0, 50).Average(s => (x[s, c] - Mean(c)) * (x[s, d] - Mean(d)));
        Assert.Equal(Cov(0, 2) / Math.Sqrt(Cov(0, 0) * Cov(2, 2)), UnitMatching.Correlations(ha, ha)[0, 2], 12);
        Assert.Throws<ArgumentException>(() => UnitMatching.Correlations(ha, hb.Narrow(0, 0, 10)));
    }

    [Fact]
    public void MatchingRecoversAKnownPermutationOfANetworksUnitsExactly()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var a = new ReluMlp([6, 20, 3]);
        var permutation = new[] { 7, 3, 19, 0, 12, 5, 1, 18, 9, 2, 14, 4, 16, 11, 6, 17, 8, 13, 15, 10 };
        using var b = a.Permuted([permutation]);                                // unit i of B is unit permutation[i] of A
        var x = Tensor.RandN([400, 6]);
        var r = UnitMatching.Correlations(a.HiddenActivations(x)[0], b.HiddenActivations(x)[0]);
        var match = UnitMatching.Match(r);
        Assert.Equal(LinearAssignment.Inverse(permutation), match);             // A's unit p[i] ↔ B's unit i
        Assert.All(UnitMatching.MatchedCorrelations(r, match), v => Assert.Equal(1.0, v, 9));
    }

    [Fact]
    public void ANetworkMatchedWithItselfIsTheIdentity()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var h = Tensor.RandN([300, 12]).Relu() + Tensor.RandN([300, 1]);       // correlated units, none identical
        var r = UnitMatching.Correlations(h, h);
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(1.0, r[i, i], 12);
            for (int j = 0; j < 12; j++) Assert.True(i == j || r[i, j] < 1 - 1e-6);
        }
        Assert.Equal(Enumerable.Range(0, 12).ToArray(), UnitMatching.Match(r));
        Assert.All(UnitMatching.BestCorrelations(r), v => Assert.Equal(1.0, v, 12));
    }

    [Fact]
    public void BestCorrelationsMayReuseAPartnerButTheMatchingMayNot()
    {
        var r = new double[,] { { 0.9, 0.1 }, { 0.8, 0.3 } };
        Assert.Equal([0.9, 0.8], UnitMatching.BestCorrelations(r));
        var match = UnitMatching.Match(r);                                      // 0.9 + 0.3 < 0.1 + 0.8? no: 1.2 > 0.9
        Assert.Equal([0, 1], match);
        Assert.Equal([0.9, 0.3], UnitMatching.MatchedCorrelations(r, match));
    }

    [Fact]
    public void SortedByMatchPutsMatchedPairsOnTheDiagonalBestFirst()
    {
        var r = new double[,] { { 0.1, 0.5, 0.0 }, { 0.95, 0.2, 0.1 }, { 0.0, 0.3, 0.7 } };
        var match = UnitMatching.Match(r);
        Assert.Equal([1, 0, 2], match);
        var sorted = UnitMatching.SortedByMatch(r, match);
        Assert.Equal([0.95, 0.7, 0.5], Enumerable.Range(0, 3).Select(i => sorted[i][i]));
        Assert.Equal([0.95, 0.1, 0.2], sorted[0]);                              // A's unit 1 against B's units 0, 2, 1
    }
}
