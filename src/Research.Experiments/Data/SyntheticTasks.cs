using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>Inputs and targets of a synthetic task; dispose to free both tensors.</summary>
public sealed record TaskBatch(Tensor Inputs, Tensor Targets) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Classic synthetic sequence tasks for memory and reasoning, generated in C# from a seed (independent of libtorch's RNG).
/// Token 0 is always the blank/padding symbol; shapes are documented per task.
/// </summary>
public static class SyntheticTasks
{
    /// <summary>
    /// Copy memory (Hochreiter &amp; Schmidhuber; Arjovsky et al.): <paramref name="length"/> symbols in 1..<paramref name="symbols"/>,
    /// then <paramref name="delay"/> blanks, a marker <c>symbols + 1</c>, and <c>length − 1</c> blanks.
    /// Inputs int64 [batch, 2·length + delay]; targets int64 [batch, 2·length + delay]: blank everywhere except the
    /// last <paramref name="length"/> positions, which hold the symbols. Vocabulary size: symbols + 2.
    /// </summary>
    public static TaskBatch Copy(int batch, int length, int symbols = 8, int delay = 10, int seed = 0)
    {
        var rng = new Random(seed);
        int t = 2 * length + delay;
        var x = new long[batch * t];
        var y = new long[batch * t];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < length; i++)
            {
                long s = rng.Next(1, symbols + 1);
                x[b * t + i] = s;
                y[b * t + length + delay + i] = s;
            }
            x[b * t + length + delay] = symbols + 1;
        }
        return new TaskBatch(Tensor.From(x, batch, t), Tensor.From(y, batch, t));
    }

    /// <summary>
    /// Adding problem (Hochreiter &amp; Schmidhuber): inputs float32 [batch, length, 2], channel 0 uniform in [0, 1),
    /// channel 1 marks exactly two positions (one in each half) with 1; targets float32 [batch], the sum of the marked values.
    /// </summary>
    public static TaskBatch Adding(int batch, int length, int seed = 0)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, "need at least two steps");
        var rng = new Random(seed);
        var x = new float[batch * length * 2];
        var y = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < length; i++) x[(b * length + i) * 2] = (float)rng.NextDouble();
            int half = length / 2;
            int i1 = rng.Next(0, half), i2 = rng.Next(half, length);
            x[(b * length + i1) * 2 + 1] = 1;
            x[(b * length + i2) * 2 + 1] = 1;
            y[b] = x[(b * length + i1) * 2] + x[(b * length + i2) * 2];
        }
        return new TaskBatch(Tensor.From(x, batch, length, 2), Tensor.From(y, batch));
    }

    /// <summary>
    /// Parity: inputs float32 [batch, length] of random bits 0/1; targets int64 [batch, length], the running parity
    /// (XOR of bits 0..t), so the last column is the parity of the whole sequence.
    /// </summary>
    public static TaskBatch Parity(int batch, int length, int seed = 0)
    {
        var rng = new Random(seed);
        var x = new float[batch * length];
        var y = new long[batch * length];
        for (int b = 0; b < batch; b++)
        {
            long p = 0;
            for (int i = 0; i < length; i++)
            {
                int bit = rng.Next(2);
                p ^= bit;
                x[b * length + i] = bit;
                y[b * length + i] = p;
            }
        }
        return new TaskBatch(Tensor.From(x, batch, length), Tensor.From(y, batch, length));
    }

    /// <summary>
    /// Associative recall: <paramref name="pairs"/> distinct keys (tokens 1..<paramref name="keys"/>) each followed by its value
    /// (tokens keys+1..keys+<paramref name="values"/>), then one of the keys as the query. Inputs int64 [batch, 2·pairs + 1];
    /// targets int64 [batch], the value token paired with the query. Vocabulary size: keys + values + 1.
    /// </summary>
    public static TaskBatch AssociativeRecall(int batch, int pairs, int keys = 16, int values = 16, int seed = 0)
    {
        if (pairs > keys) throw new ArgumentOutOfRangeException(nameof(pairs), pairs, $"cannot draw {pairs} distinct keys from {keys}");
        var rng = new Random(seed);
        int t = 2 * pairs + 1;
        var x = new long[batch * t];
        var y = new long[batch];
        var pool = Enumerable.Range(1, keys).ToArray();
        for (int b = 0; b < batch; b++)
        {
            rng.Shuffle(pool);
            for (int i = 0; i < pairs; i++)
            {
                x[b * t + 2 * i] = pool[i];
                x[b * t + 2 * i + 1] = keys + rng.Next(1, values + 1);
            }
            int q = rng.Next(pairs);
            x[b * t + t - 1] = x[b * t + 2 * q];
            y[b] = x[b * t + 2 * q + 1];
        }
        return new TaskBatch(Tensor.From(x, batch, t), Tensor.From(y, batch));
    }

    /// <summary>The target of positions without an answer in <see cref="MultiQueryAssociativeRecall"/> (cross-entropy's default ignore index).</summary>
    public const long IgnoreTarget = -100;

    /// <summary>
    /// Multi-query associative recall (MQAR; Arora et al., 2023, "Zoology") with overwrites, every key-value pair one token:
    /// a context of <paramref name="writes"/> pair tokens (key, value), then <paramref name="queries"/> query tokens, each asking for
    /// the value of a key that occurs in the context. Keys are drawn uniformly with replacement (unless <paramref name="distinctKeys"/>),
    /// so a key may be written several times with different values: the answer is the value of its <b>latest</b> write.
    /// With distinct keys there is nothing to overwrite and the task is plain MQAR. Queried keys are drawn uniformly from the
    /// keys present (with replacement).
    /// <para>Tokens, for K = <paramref name="keys"/> and V = <paramref name="values"/>: 0 unused; query "key k?" = 1 + k (k in 0..K−1);
    /// answer "value v" = 1 + K + v (v in 0..V−1); pair (k, v) = 1 + K + V + k·V + v. Vocabulary: <see cref="RecallVocabulary"/>.</para>
    /// Inputs int64 [batch, writes + queries]; targets int64, same shape: the answer token at every query,
    /// <see cref="IgnoreTarget"/> in the context.
    /// </summary>
    public static TaskBatch MultiQueryAssociativeRecall(int batch, int writes, int queries, int keys = 8, int values = 8, bool distinctKeys = false, int seed = 0)
    {
        if (writes < 1) throw new ArgumentOutOfRangeException(nameof(writes), writes, "need at least one key-value write");
        if (queries < 1) throw new ArgumentOutOfRangeException(nameof(queries), queries, "need at least one query");
        if (keys < 1 || values < 1) throw new ArgumentOutOfRangeException(nameof(keys), $"need at least one key and one value, got {keys} keys and {values} values");
        if (distinctKeys && writes > keys) throw new ArgumentOutOfRangeException(nameof(writes), writes, $"cannot write {writes} distinct keys out of {keys}");
        var rng = new Random(seed);
        int t = writes + queries;
        var x = new long[batch * t];
        var y = new long[batch * t];
        Array.Fill(y, IgnoreTarget);
        var pool = Enumerable.Range(0, keys).ToArray();
        var latest = new int[keys];
        var present = new List<int>(keys);
        for (int b = 0; b < batch; b++)
        {
            int row = b * t;
            Array.Fill(latest, -1);
            present.Clear();
            if (distinctKeys) rng.Shuffle(pool);
            for (int i = 0; i < writes; i++)
            {
                int key = distinctKeys ? pool[i] : rng.Next(keys), value = rng.Next(values);
                if (latest[key] < 0) present.Add(key);
                latest[key] = value;
                x[row + i] = 1 + keys + values + (long)key * values + value;
            }
            for (int j = 0; j < queries; j++)
            {
                int key = present[rng.Next(present.Count)];
                x[row + writes + j] = 1 + key;
                y[row + writes + j] = 1 + keys + latest[key];
            }
        }
        return new TaskBatch(Tensor.From(x, batch, t), Tensor.From(y, batch, t));
    }

    /// <summary>The vocabulary size of <see cref="MultiQueryAssociativeRecall"/>: 1 + K (queries) + V (answers) + K·V (pairs).</summary>
    public static int RecallVocabulary(int keys, int values) => 1 + keys + values + keys * values;

    /// <summary>
    /// Selective copy (Mamba): <paramref name="tokens"/> symbols in 1..<paramref name="symbols"/> scattered at random positions of
    /// a length-<paramref name="length"/> sequence of blanks. Inputs int64 [batch, length]; targets int64 [batch, tokens],
    /// the symbols in order of appearance.
    /// </summary>
    public static TaskBatch SelectiveCopy(int batch, int length, int tokens = 4, int symbols = 8, int seed = 0)
    {
        if (tokens > length) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"cannot place {tokens} tokens in {length} positions");
        var rng = new Random(seed);
        var x = new long[batch * length];
        var y = new long[batch * tokens];
        var positions = Enumerable.Range(0, length).ToArray();
        for (int b = 0; b < batch; b++)
        {
            rng.Shuffle(positions);
            var chosen = positions[..tokens].Order().ToArray();
            for (int k = 0; k < tokens; k++)
            {
                long s = rng.Next(1, symbols + 1);
                x[b * length + chosen[k]] = s;
                y[b * tokens + k] = s;
            }
        }
        return new TaskBatch(Tensor.From(x, batch, length), Tensor.From(y, batch, tokens));
    }

    /// <summary>Binary operations for <see cref="ModularArithmetic"/>.</summary>
    public enum ModularOperation
    {
        /// <summary>a + b mod p.</summary>
        Add,
        /// <summary>a − b mod p.</summary>
        Subtract,
        /// <summary>a · b mod p.</summary>
        Multiply,
        /// <summary>a / b mod p (b ≠ 0; p prime).</summary>
        Divide,
        /// <summary>a² + b² mod p.</summary>
        SumOfSquares,
    }

    /// <summary>
    /// The full operation table of (a ∘ b) mod <paramref name="modulus"/> (Power et al.'s grokking data), split at random:
    /// inputs int64 [n, 2] holding (a, b), targets int64 [n]. <paramref name="trainFraction"/> of the table goes to Train.
    /// </summary>
    public static (TaskBatch Train, TaskBatch Test) ModularArithmetic(int modulus, ModularOperation operation = ModularOperation.Add,
        double trainFraction = 0.5, int seed = 0)
    {
        var rows = new List<(long A, long B, long C)>();
        for (long a = 0; a < modulus; a++)
            for (long b = 0; b < modulus; b++)
            {
                if (operation == ModularOperation.Divide && b == 0) continue;
                long c = operation switch
                {
                    ModularOperation.Add => (a + b) % modulus,
                    ModularOperation.Subtract => ((a - b) % modulus + modulus) % modulus,
                    ModularOperation.Multiply => a * b % modulus,
                    ModularOperation.Divide => a * (long)System.Numerics.BigInteger.ModPow(b, modulus - 2, modulus) % modulus,
                    _ => (a * a + b * b) % modulus,
                };
                rows.Add((a, b, c));
            }
        var order = rows.ToArray();
        new Random(seed).Shuffle(order);
        int nTrain = (int)Math.Round(order.Length * trainFraction);
        return (Make(order[..nTrain]), Make(order[nTrain..]));

        static TaskBatch Make((long A, long B, long C)[] part) =>
            new(Tensor.From(part.SelectMany(r => new[] { r.A, r.B }).ToArray(), part.Length, 2), Tensor.From(part.Select(r => r.C).ToArray(), part.Length));
    }
}
