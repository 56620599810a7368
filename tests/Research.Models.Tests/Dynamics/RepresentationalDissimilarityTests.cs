using Research.Models.Dynamics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Dynamics;

public class RepresentationalDissimilarityTests
{
    [Fact]
    public void MatrixIsThePairwiseEuclideanDistance()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var r = Tensor.RandN(7, 5);
        var rdm = RepresentationalDissimilarity.Matrix(r);
        Assert.Equal(DType.Float64, rdm.DType);
        var x = r.Double().ToArray2D<double>();
        var d = rdm.ToArray2D<double>();
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++)
            {
                double expected = Math.Sqrt(Enumerable.Range(0, 5).Sum(f => (x[i, f] - x[j, f]) * (x[i, f] - x[j, f])));
                Assert.Equal(expected, d[i, j], 12);
            }
    }

    [Fact]
    public void MatrixOfNearlyEqualPointsKeepsItsDigits()
    {
        // The ‖a‖² + ‖b‖² − 2a·b shortcut would return 0 (or noise) for points 1e-7 apart at distance 1e3 from the origin.
        using var scope = NewScope();
        var r = Tensor.From(new[] { 1000.0, 1000.0, 1000.0, 1000.0 + 1e-7 }, 2, 2);
        Assert.Equal((1000.0 + 1e-7) - 1000.0, RepresentationalDissimilarity.Matrix(r).ToArray2D<double>()[0, 1], 15);
    }

    [Fact]
    public void CorrelationIsPearsonOverTheUpperTriangle()
    {
        using var scope = NewScope();
        ManualSeed(4);
        var a = RepresentationalDissimilarity.Matrix(Tensor.RandN(6, 3));
        var b = RepresentationalDissimilarity.Matrix(Tensor.RandN(6, 4));
        var (da, db) = (a.ToArray2D<double>(), b.ToArray2D<double>());
        var pairs = (from i in Enumerable.Range(0, 6) from j in Enumerable.Range(0, 6) where i < j select (da[i, j], db[i, j])).ToArray();
        double ma = pairs.Average(p => p.Item1), mb = pairs.Average(p => p.Item2);
        double cov = pairs.Sum(p => (p.Item1 - ma) * (p.Item2 - mb));
        double expected = cov / Math.Sqrt(pairs.Sum(p => (p.Item1 - ma) * (p.Item1 - ma)) * pairs.Sum(p => (p.Item2 - mb) * (p.Item2 - mb)));
        Assert.Equal(expected, RepresentationalDissimilarity.Correlation(a, b), 12);
    }

    [Fact]
    public void CorrelationIgnoresScaleOffsetAndTheDiagonalButNotTheGeometry()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var r = Tensor.RandN(8, 4);
        var rdm = RepresentationalDissimilarity.Matrix(r);
        Assert.Equal(1.0, RepresentationalDissimilarity.Correlation(rdm, rdm), 12);
        Assert.Equal(1.0, RepresentationalDissimilarity.Correlation(rdm, rdm * 3 + 2), 12);
        // Rotating and translating the points leaves the RDM unchanged.
        var q = Linalg.Qr(Tensor.RandN(4, 4)).Q;
        Assert.Equal(1.0, RepresentationalDissimilarity.Correlation(rdm, RepresentationalDissimilarity.Matrix(r.Matmul(q) + 5)), 9);
        // Reversing the order of the distances gives −1.
        Assert.Equal(-1.0, RepresentationalDissimilarity.Correlation(rdm, -rdm), 12);
    }

    [Fact]
    public void LabelRdmOfTwoClassesIsTheirIndicator()
    {
        using var scope = NewScope();
        var labels = Tensor.From(new float[] { 1, 1, -1, -1 }, 4, 1);
        var d = RepresentationalDissimilarity.Matrix(labels).ToArray2D<double>();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal((i < 2) == (j < 2) ? 0.0 : 2.0, d[i, j], 12);
    }

    [Fact]
    public void BadShapesAndConstantRdmsAreRejected()
    {
        using var scope = NewScope();
        Assert.Throws<ArgumentException>(() => RepresentationalDissimilarity.Matrix(Tensor.Zeros(3)));
        var rdm = RepresentationalDissimilarity.Matrix(Tensor.RandN(4, 2));
        Assert.Throws<ArgumentException>(() => RepresentationalDissimilarity.Correlation(rdm, Tensor.Zeros(3, 3)));
        Assert.Throws<ArgumentException>(() => RepresentationalDissimilarity.Correlation(rdm, Tensor.Zeros(4, 3)));
        Assert.Throws<ArgumentException>(() => RepresentationalDissimilarity.Correlation(rdm, Tensor.Ones(4, 4)));
        var two = RepresentationalDissimilarity.Matrix(Tensor.RandN(2, 2));
        Assert.Throws<ArgumentException>(() => RepresentationalDissimilarity.Correlation(two, two));
    }
}
