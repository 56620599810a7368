namespace Research.Torch.Tests;

public class LinearAssignmentTests
{
    // The least total over every injective map rows → columns, by enumeration.
    private static double BruteForceMinimum(double[,] cost)
    {
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        double best = double.PositiveInfinity;
        var used = new bool[columns];
        void Search(int row, double total)
        {
            if (row == rows) { best = Math.Min(best, total); return; }
            for (int j = 0; j < columns; j++)
            {
                if (used[j]) continue;
                used[j] = true;
                Search(row + 1, total + cost[row, j]);
                used[j] = false;
            }
        }
        Search(0, 0);
        return best;
    }

    private static double[,] Random(Random rng, int rows, int columns, Func<Random, double> draw)
    {
        var m = new double[rows, columns];
        for (int i = 0; i < rows; i++) for (int j = 0; j < columns; j++) m[i, j] = draw(rng);
        return m;
    }

    private static void AssertValid(int[] assignment, int rows, int columns)
    {
        Assert.Equal(rows, assignment.Length);
        Assert.All(assignment, j => Assert.InRange(j, 0, columns - 1));
        Assert.Equal(rows, assignment.Distinct().Count());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 5)]
    [InlineData(7, 7)]
    [InlineData(2, 5)]
    [InlineData(4, 6)]
    [InlineData(6, 7)]
    public void MinimumEqualsBruteForceOnRandomMatrices(int rows, int columns)
    {
        var rng = new Random(100 * rows + columns);
        for (int trial = 0; trial < 25; trial++)
        {
            var cost = Random(rng, rows, columns, r => r.NextDouble() * 20 - 10);
            var assignment = LinearAssignment.Minimize(cost);
            AssertValid(assignment, rows, columns);
            Assert.Equal(BruteForceMinimum(cost), LinearAssignment.Total(cost, assignment), 9);
        }
    }

    [Fact]
    public void MinimumEqualsBruteForceWithManyTies()
    {
        // Small integer costs make many optimal assignments and ties in the shortest-path search.
        var rng = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            int n = 2 + trial % 5;
            var cost = Random(rng, n, n, r => r.Next(0, 3));
            var assignment = LinearAssignment.Minimize(cost);
            AssertValid(assignment, n, n);
            Assert.Equal(BruteForceMinimum(cost), LinearAssignment.Total(cost, assignment), 12);
        }
    }

    [Fact]
    public void MaximizeFindsTheLargestTotal()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var score = Random(rng, 5, 6, r => r.NextDouble());
            var negated = new double[5, 6];
            for (int i = 0; i < 5; i++) for (int j = 0; j < 6; j++) negated[i, j] = -score[i, j];
            var assignment = LinearAssignment.Maximize(score);
            Assert.Equal(-BruteForceMinimum(negated), LinearAssignment.Total(score, assignment), 9);
        }
    }

    [Fact]
    public void RecoversAHiddenPermutation()
    {
        // cost[i, j] = 0 where j = π(i), 1 elsewhere: the unique optimum is π itself.
        var rng = new Random(5);
        int n = 40;
        var pi = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var cost = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) cost[i, j] = j == pi[i] ? 0 : 1;
        Assert.Equal(pi, LinearAssignment.Minimize(cost));
    }

    [Fact]
    public void AGreedyTrapIsAvoided()
    {
        // Greedy takes the 0 at (0, 0) and is then forced into 100; the optimum pays 1 + 1.
        var cost = new double[,] { { 0, 1 }, { 1, 100 } };
        Assert.Equal([1, 0], LinearAssignment.Minimize(cost));
        Assert.Equal(2, LinearAssignment.Total(cost, [1, 0]));
    }

    [Fact]
    public void EmptyMatrixGivesEmptyAssignment()
    {
        Assert.Empty(LinearAssignment.Minimize(new double[0, 0]));
        Assert.Empty(LinearAssignment.Minimize(new double[0, 3]));
    }

    [Fact]
    public void BadInputIsRejectedWithAClearMessage()
    {
        var tall = Assert.Throws<ArgumentException>(() => LinearAssignment.Minimize(new double[3, 2]));
        Assert.Contains("rows ≤ columns", tall.Message);
        var nan = Assert.Throws<ArgumentException>(() => LinearAssignment.Minimize(new double[,] { { 0, double.NaN }, { 1, 2 } }));
        Assert.Contains("cost[0, 1]", nan.Message);
        Assert.Throws<ArgumentException>(() => LinearAssignment.Maximize(new double[,] { { double.PositiveInfinity } }));
        Assert.Throws<ArgumentNullException>(() => LinearAssignment.Minimize(null!));
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => LinearAssignment.Total(new double[2, 2], [1, 1])).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => LinearAssignment.Total(new double[2, 2], [0, 2])).Message);
        Assert.Throws<ArgumentException>(() => LinearAssignment.Total(new double[2, 2], [0]));
    }

    [Fact]
    public void PermutationHelpers()
    {
        Assert.True(LinearAssignment.IsPermutation([2, 0, 1]));
        Assert.True(LinearAssignment.IsPermutation([]));
        Assert.False(LinearAssignment.IsPermutation([0, 0, 1]));
        Assert.False(LinearAssignment.IsPermutation([0, 3, 1]));
        Assert.False(LinearAssignment.IsPermutation([-1, 0]));
        int[] p = [3, 0, 2, 1];
        var inverse = LinearAssignment.Inverse(p);
        for (int i = 0; i < p.Length; i++) Assert.Equal(i, inverse[p[i]]);
        Assert.Throws<ArgumentException>(() => LinearAssignment.Inverse([1, 1]));
    }
}
