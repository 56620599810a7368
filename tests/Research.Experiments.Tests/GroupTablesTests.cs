using Research.Experiments.Data;

namespace Research.Experiments.Tests;

public class GroupTablesTests
{
    public static TheoryData<string> Groups => new() { "Z_1", "Z_12", "Z_97", "Z_13*", "Z_97*", "S_1", "S_3", "S_4", "S_5" };

    private static GroupTable Make(string name) => name switch
    {
        "Z_1" => GroupTables.CyclicAddition(1),
        "Z_12" => GroupTables.CyclicAddition(12),
        "Z_97" => GroupTables.CyclicAddition(97),
        "Z_13*" => GroupTables.MultiplicativeModPrime(13),
        "Z_97*" => GroupTables.MultiplicativeModPrime(97),
        "S_1" => GroupTables.Symmetric(1),
        "S_3" => GroupTables.Symmetric(3),
        "S_4" => GroupTables.Symmetric(4),
        _ => GroupTables.Symmetric(5),
    };

    [Theory]
    [MemberData(nameof(Groups))]
    public void TablesSatisfyTheGroupAxioms(string name)
    {
        var g = Make(name);
        int n = g.Order;
        for (int a = 0; a < n; a++)
        {
            Assert.Equal(a, g.Multiply(g.Identity, a));                                      // identity, both sides
            Assert.Equal(a, g.Multiply(a, g.Identity));
            Assert.Equal(g.Identity, g.Multiply(a, g.Inverse(a)));                           // inverses, both sides
            Assert.Equal(g.Identity, g.Multiply(g.Inverse(a), a));
            var row = new bool[n];
            for (int b = 0; b < n; b++)
            {
                int ab = g.Multiply(a, b);
                Assert.InRange(ab, 0, n - 1);                                                // closure
                Assert.False(row[ab], $"{name}: {a}∘x takes the value {ab} twice");           // Latin square (cancellation)
                row[ab] = true;
                for (int c = 0; c < n; c++)
                    Assert.Equal(g.Multiply(ab, c), g.Multiply(a, g.Multiply(b, c)));        // associativity
            }
        }
    }

    [Fact]
    public void TablesComputeTheirDefinitions()
    {
        var z = GroupTables.CyclicAddition(97);
        Assert.Equal("Z_97 (+)", z.Name);
        Assert.Equal((60 + 50) % 97, z.Multiply(60, 50));
        Assert.Equal(0, z.Identity);
        Assert.Equal(97 - 5, z.Inverse(5));
        Assert.True(z.IsAbelian);

        var m = GroupTables.MultiplicativeModPrime(13);                                      // element k is the residue k + 1
        Assert.Equal(12, m.Order);
        Assert.Equal("1", m.ElementNames[m.Identity]);
        Assert.Equal(5 * 8 % 13, m.Multiply(4, 7) + 1);
        Assert.Equal("9", m.ElementNames[m.Inverse(2)]);                                    // 3 · 9 = 27 ≡ 1 mod 13
        Assert.True(m.IsAbelian);

        var s3 = GroupTables.Symmetric(3);
        Assert.Equal(6, s3.Order);
        Assert.Equal(24, GroupTables.Symmetric(4).Order);
        Assert.Equal("(0 1 2)", s3.ElementNames[0]);
        Assert.Equal(0, s3.Identity);
        Assert.False(s3.IsAbelian);
        for (int s = 0; s < 6; s++)
            for (int t = 0; t < 6; t++)
            {
                int[] sigma = GroupTables.Permutation(3, s), tau = GroupTables.Permutation(3, t), product = GroupTables.Permutation(3, s3.Multiply(s, t));
                for (int i = 0; i < 3; i++) Assert.Equal(sigma[tau[i]], product[i]);       // (σ∘τ)(i) = σ(τ(i))
            }
    }

    [Fact]
    public void AllPairsListsEveryProductInRowMajorOrder()
    {
        var g = GroupTables.Symmetric(3);
        var (left, right, product) = g.AllPairs();
        Assert.Equal(36, left.Length);
        for (int i = 0; i < 36; i++)
        {
            Assert.Equal(i / 6, left[i]);
            Assert.Equal(i % 6, right[i]);
            Assert.Equal(g.Multiply((int)left[i], (int)right[i]), product[i]);
        }
    }

    [Fact]
    public void NonGroupsAreRejectedWithTheViolatedAxiom()
    {
        Assert.Contains("not closed", GroupTable.AxiomViolation(new[,] { { 0, 2 }, { 1, 0 } }));
        Assert.Contains("not associative", GroupTable.AxiomViolation(new[,] { { 1, 0 }, { 0, 0 } }));
        Assert.Contains("no identity", GroupTable.AxiomViolation(new[,] { { 1, 1 }, { 1, 1 } }));
        Assert.Contains("no inverse", GroupTable.AxiomViolation(new[,] { { 0, 1 }, { 1, 1 } }));      // max on {0, 1}: a monoid
        Assert.Null(GroupTable.AxiomViolation(new[,] { { 0, 1 }, { 1, 0 } }));
        var e = Assert.Throws<ArgumentException>(() => new GroupTable("max", new[,] { { 0, 1 }, { 1, 1 } }));
        Assert.Contains("max is not a group", e.Message);
        Assert.Throws<ArgumentException>(() => GroupTables.MultiplicativeModPrime(12));
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupTables.Symmetric(6));
    }
}
