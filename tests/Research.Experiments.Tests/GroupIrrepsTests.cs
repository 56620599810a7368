using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class GroupIrrepsTests
{
    public static TheoryData<string> Groups => new() { "Z_7", "Z_8", "S_3", "S_4" };

    private static (GroupTable Group, GroupIrrep[] Irreps) Make(string name) => name switch
    {
        "Z_7" => (GroupTables.CyclicAddition(7), GroupIrreps.Cyclic(7)),
        "Z_8" => (GroupTables.CyclicAddition(8), GroupIrreps.Cyclic(8)),
        "S_3" => (GroupTables.Symmetric(3), GroupIrreps.Symmetric(3)),
        _ => (GroupTables.Symmetric(4), GroupIrreps.Symmetric(4)),
    };

    [Theory]
    [MemberData(nameof(Groups))]
    public void ProjectorsAreOrthogonalIdempotentCompleteWithTraceDimensionSquared(string name)
    {
        var (group, irreps) = Make(name);
        int n = group.Order;
        var projectors = irreps.Select(r => r.Projector(group)).ToArray();
        var sum = new double[n, n];
        for (int r = 0; r < irreps.Length; r++)
        {
            var p = projectors[r];
            double trace = 0;
            for (int a = 0; a < n; a++)
            {
                trace += p[a, a];
                for (int b = 0; b < n; b++)
                {
                    sum[a, b] += p[a, b];
                    Assert.Equal(p[a, b], p[b, a], 12);                                         // symmetric
                }
            }
            // In the regular representation a real irrep of real type occurs d times (trace d²); a pair ±k of Z_n spans 2.
            int expected = irreps[r].Dimension * (name.StartsWith('Z') ? 1 : irreps[r].Dimension);
            Assert.Equal(expected, trace, 9);
            for (int q = 0; q < irreps.Length; q++)
            {
                var product = Multiply(p, projectors[q]);
                for (int a = 0; a < n; a++)
                    for (int b = 0; b < n; b++)
                        Assert.Equal(q == r ? p[a, b] : 0, product[a, b], 9);                  // P_r P_q = δ_rq P_r
            }
        }
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) Assert.Equal(a == b ? 1 : 0, sum[a, b], 9);          // Σ_r P_r = I
        Assert.Equal(n, irreps.Sum(r => r.Dimension * (name.StartsWith('Z') ? 1 : r.Dimension)));
    }

    [Fact]
    public void S4HasFiveIrrepsOfDimensions11233AndTheSignIsTheParity()
    {
        var irreps = GroupIrreps.Symmetric(4);
        Assert.Equal([1, 1, 2, 3, 3], irreps.Select(r => r.Dimension));
        Assert.Equal("2,1,1", GroupIrreps.CycleType([1, 0, 2, 3]));
        Assert.Equal("4", GroupIrreps.CycleType([1, 2, 3, 0]));
        var group = GroupTables.Symmetric(4);
        int transposition = Enumerable.Range(0, 24).First(i => GroupIrreps.CycleType(GroupTables.Permutation(4, i)) == "2,1,1");
        Assert.Equal(-1.0 / 24, irreps[1].Kernel[transposition], 12);
        Assert.Equal(1.0 / 24, irreps[1].Kernel[group.Identity], 12);
    }

    [Fact]
    public void EnergySplitsAColumnByIrrepAndConcentrationIsOneForAPureIrrep()
    {
        using var scope = NewScope();
        var group = GroupTables.Symmetric(4);
        var irreps = GroupIrreps.Symmetric(4);
        ManualSeed(0);
        var random = Tensor.RandN([24, 6], DType.Float64);
        var zero = Tensor.Zeros([24, 6], DType.Float64);
        var energy = GroupIrreps.Energy(irreps, group, random, zero);                          // [5, 6]
        Assert.Equal(random.Square().Sum(0).ToArray<double>(), energy.Sum(0).ToArray<double>(), (a, b) => Math.Abs(a - b) < 1e-9);
        var p = irreps[3].Projector(group);                                                     // the standard irrep
        var pure = Tensor.From(p).Matmul(random);
        var pureEnergy = GroupIrreps.Energy(irreps, group, pure, zero);
        Assert.Equal(1.0, GroupIrreps.Concentration(pureEnergy), 9);
        Assert.InRange(GroupIrreps.Concentration(energy), 0.2, 0.9);
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
                for (int j = 0; j < n; j++) c[i, j] += a[i, k] * b[k, j];
        return c;
    }
}
