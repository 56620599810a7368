namespace Research.Torch;

/// <summary>
/// The linear assignment problem: match every row of a cost matrix to its own column so that the summed cost is
/// minimal. It is exact optimal transport between two uniform discrete measures of the same size n — the OT polytope's
/// vertices are the permutation matrices divided by n, so a vertex solution is an assignment (Birkhoff–von Neumann) —
/// which is why model fusion by OT between layers of equal width permutes neurons.
/// <code>
///   minimise Σ_i cost[i, σ(i)]  over injective σ: rows → columns   (rows ≤ columns)
/// </code>
/// Solved by successive shortest augmenting paths with dual potentials (Jonker–Volgenant style, O(n²m)): each row in
/// turn is connected to a free column along the cheapest path of reduced costs (Dijkstra), which keeps the potentials
/// feasible and the partial assignment optimal.
/// </summary>
/// <remarks>
/// Like SciPy's <c>linear_sum_assignment</c>; shared by the models (OT fusion permutes neurons) and Research.Interactive's
/// neuron-matching views.
/// </remarks>
public static class LinearAssignment
{
    /// <summary>
    /// The assignment of rows to distinct columns with the least total cost: result[i] is the column of row i.
    /// An empty matrix gives an empty assignment.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="cost"/> is null.</exception>
    /// <exception cref="ArgumentException">More rows than columns, or an entry that is NaN or infinite.</exception>
    public static int[] Minimize(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        if (rows > columns)
            throw new ArgumentException($"an assignment needs rows ≤ columns, got {rows}×{columns}; transpose the matrix", nameof(cost));
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                if (!double.IsFinite(cost[i, j]))
                    throw new ArgumentException($"cost[{i}, {j}] is {cost[i, j]}; every entry must be finite", nameof(cost));

        var columnOfRow = new int[rows];
        var rowOfColumn = new int[columns];
        Array.Fill(columnOfRow, -1);
        Array.Fill(rowOfColumn, -1);
        var u = new double[rows];                      // row potentials
        var v = new double[columns];                   // column potentials: cost[i, j] − u[i] − v[j] ≥ 0, = 0 on matched pairs
        var distance = new double[columns];            // shortest reduced path length from the new row to each column
        var previousRow = new int[columns];            // the row from which each column was reached
        var reached = new bool[columns];
        var rowReached = new bool[rows];
        var open = new List<int>(columns);

        for (int start = 0; start < rows; start++)
        {
            Array.Fill(distance, double.PositiveInfinity);
            Array.Clear(reached);
            Array.Clear(rowReached);
            open.Clear();
            for (int j = 0; j < columns; j++) open.Add(j);

            int row = start, sink = -1;
            double pathLength = 0;                      // length of the path up to `row`'s matched column (0 for the start row)
            while (sink < 0)
            {
                rowReached[row] = true;
                int best = -1;
                double bestDistance = double.PositiveInfinity;
                for (int k = 0; k < open.Count; k++)
                {
                    int j = open[k];
                    double d = pathLength + cost[row, j] - u[row] - v[j];
                    if (d < distance[j]) { distance[j] = d; previousRow[j] = row; }
                    // ties: prefer a free column, it ends the search
                    if (distance[j] < bestDistance || (distance[j] == bestDistance && rowOfColumn[j] < 0)) { bestDistance = distance[j]; best = k; }
                }
                int column = open[best];
                open[best] = open[^1];
                open.RemoveAt(open.Count - 1);
                reached[column] = true;
                pathLength = bestDistance;
                if (rowOfColumn[column] < 0) sink = column;
                else row = rowOfColumn[column];
            }

            // Move the potentials so that every pair on the new shortest-path tree has zero reduced cost.
            u[start] += pathLength;
            for (int i = 0; i < rows; i++)
                if (rowReached[i] && i != start) u[i] += pathLength - distance[columnOfRow[i]];
            for (int j = 0; j < columns; j++)
                if (reached[j]) v[j] -= pathLength - distance[j];

            // Flip the augmenting path: every row on it takes the column it was reached through.
            for (int column = sink; ;)
            {
                int i = previousRow[column];
                rowOfColumn[column] = i;
                (columnOfRow[i], column) = (column, columnOfRow[i]);
                if (i == start) break;
            }
        }
        return columnOfRow;
    }

    /// <summary>The assignment of rows to distinct columns with the greatest total score (minimises −score).</summary>
    /// <exception cref="ArgumentException">More rows than columns, or an entry that is NaN or infinite.</exception>
    public static int[] Maximize(double[,] score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var negated = new double[score.GetLength(0), score.GetLength(1)];
        for (int i = 0; i < score.GetLength(0); i++)
            for (int j = 0; j < score.GetLength(1); j++) negated[i, j] = -score[i, j];
        return Minimize(negated);
    }

    /// <summary>Σ_i matrix[i, assignment[i]].</summary>
    /// <exception cref="ArgumentException">The assignment does not have one valid, distinct column per row.</exception>
    public static double Total(double[,] matrix, int[] assignment)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(assignment);
        Validate(assignment, matrix.GetLength(0), matrix.GetLength(1), nameof(assignment));
        double total = 0;
        for (int i = 0; i < assignment.Length; i++) total += matrix[i, assignment[i]];
        return total;
    }

    /// <summary>True when <paramref name="assignment"/> is a permutation of 0 … n−1 (n = its length).</summary>
    public static bool IsPermutation(int[] assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var seen = new bool[assignment.Length];
        foreach (int j in assignment)
        {
            if (j < 0 || j >= seen.Length || seen[j]) return false;
            seen[j] = true;
        }
        return true;
    }

    /// <summary>The inverse permutation: inverse[permutation[i]] = i.</summary>
    /// <exception cref="ArgumentException"><paramref name="permutation"/> is not a permutation of 0 … n−1.</exception>
    public static int[] Inverse(int[] permutation)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        if (!IsPermutation(permutation)) throw new ArgumentException($"[{Preview(permutation)}] is not a permutation of 0 … {permutation.Length - 1}", nameof(permutation));
        var inverse = new int[permutation.Length];
        for (int i = 0; i < permutation.Length; i++) inverse[permutation[i]] = i;
        return inverse;
    }

    private static void Validate(int[] assignment, int rows, int columns, string name)
    {
        if (assignment.Length != rows) throw new ArgumentException($"the assignment has {assignment.Length} entries for {rows} rows", name);
        var used = new bool[columns];
        for (int i = 0; i < rows; i++)
        {
            int j = assignment[i];
            if (j < 0 || j >= columns) throw new ArgumentException($"row {i} is assigned column {j}, outside 0 … {columns - 1}", name);
            if (used[j]) throw new ArgumentException($"column {j} is assigned twice", name);
            used[j] = true;
        }
    }

    /// <summary>The first 12 entries of an assignment, for error messages.</summary>
    public static string Preview(int[] values) =>
        string.Join(", ", values.Take(12)) + (values.Length > 12 ? ", …" : "");
}
