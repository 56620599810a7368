using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// Three ways to evaluate the diagonal linear recurrence at the heart of minGRU, Mamba-style SSMs and
/// linear RNNs:
/// <code>
///   h_t = a_t ⊙ h_{t−1} + b_t,   t = 1..T,   h_0 given (or 0)
///       = (Π_{j≤t} a_j) h_0 + Σ_{i≤t} (Π_{i&lt;j≤t} a_j) b_i
/// </code>
/// All take <c>[batch, time, channels]</c> tensors and return all states <c>h_1..h_T</c> as
/// <c>[batch, time, channels]</c>. The log-space scan (Heinsen 2023, used by minGRU) is parallel in
/// time but needs a, b &gt; 0; the chunked scan is parallel inside chunks and exact for any sign of a
/// (negative eigenvalues); the sequential loop is the definition.
/// </summary>
/// <remarks>
/// Precision: the log-space scan computes exp(a*_t + log Σ exp(log b_i − a*_i)) with a*_t = Σ log a_j, whose
/// terms grow with length. In float64 it matches the loop to ~1e-12; in float32 the relative error grows
/// with T (≈1e-4 at T = 4096, gradients worse). Test equivalences in float64.
/// </remarks>
public static class LinearRecurrence
{
    /// <summary>
    /// The definition: one step per time index (the inputs are split once up front, so autograd's
    /// backward stays linear in T). a, b: [batch, time, channels]; h0: [batch, channels] or null (zeros).
    /// </summary>
    public static Tensor Sequential(Tensor a, Tensor b, Tensor? h0 = null)
    {
        CheckSameShape(a, b);
        using var scope = NewScope();
        var aSteps = a.Unbind(1);                            // T × [batch, channels]
        var bSteps = b.Unbind(1);
        var states = new Tensor[aSteps.Length];
        Tensor h = h0 ?? bSteps[0].ZerosLike();
        for (int t = 0; t < aSteps.Length; t++)
        {
            h = aSteps[t] * h + bSteps[t];                   // h_t = a_t ⊙ h_{t−1} + b_t
            states[t] = h;
        }
        return scope.Keep(Tensor.Stack(states, dim: 1));     // [batch, time, channels]
    }

    /// <summary>
    /// Parallel scan in log space (minGRU's <c>parallel_scan_log</c>) for positive a and b:
    /// <c>log h_t = a*_t + logcumsumexp_{i≤t}(log b_i − a*_i)</c> with <c>a*_t = Σ_{j≤t} log a_j</c>.
    /// logA, logB: [batch, time, channels]; logH0: [batch, channels] or null (h_0 = 0).
    /// </summary>
    public static Tensor LogSpace(Tensor logA, Tensor logB, Tensor? logH0 = null)
    {
        CheckSameShape(logA, logB);
        using var scope = NewScope();
        Tensor logH;
        if (logH0 is null)
        {
            var aStar = logA.CumSum(1);                                  // a*_t = Σ_{j≤t} log a_j
            logH = aStar + (logB - aStar).LogCumSumExp(1);
        }
        else
        {
            // h_0 enters as the value at position 0 whose coefficient product is empty (a*_0 = 0).
            var aStar = logA.CumSum(1).Pad([0, 0, 1, 0]);               // [batch, 1 + time, channels]
            var logValues = Tensor.Cat([logH0.Unsqueeze(1), logB], 1);  // [batch, 1 + time, channels]
            logH = (aStar + (logValues - aStar).LogCumSumExp(1)).Narrow(1, 1, logA.Size(1));
        }
        return scope.Keep(logH.Exp());
    }

    /// <summary>
    /// Chunked scan, exact for any sign of a: inside each chunk of <paramref name="chunk"/> steps the
    /// transfer matrix <c>L[k,i] = Π_{i&lt;j≤k} a_j</c> (a cumulative product, no division, no logarithm)
    /// gives all states at once; a loop over T / chunk chunks carries the state across chunk boundaries.
    /// Memory is O(batch · T · chunk · channels).
    /// </summary>
    public static Tensor Chunked(Tensor a, Tensor b, Tensor? h0 = null, int chunk = 16)
    {
        CheckSameShape(a, b);
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk length must be positive");
        using var scope = NewScope();
        long batch = a.Size(0), time = a.Size(1), channels = a.Size(2);
        long n = (time + chunk - 1) / chunk, padded = n * chunk;
        if (padded != time)
        {
            // Steps appended after the end (a = 1, b = 0) never influence earlier states.
            a = a.Pad([0, 0, 0, padded - time], value: 1);
            b = b.Pad([0, 0, 0, padded - time]);
        }
        a = a.View(batch, n, chunk, channels);                          // [batch, n, C, channels]
        b = b.View(batch, n, chunk, channels);

        var k = Tensor.Arange(chunk, device: a.Device);
        var later = k.Unsqueeze(1) > k.Unsqueeze(0);                    // [C(k), C(i)]: k > i
        var causal = (k.Unsqueeze(1) >= k.Unsqueeze(0)).To(a.DType);    // k ≥ i
        var later5 = later.View(1, 1, chunk, chunk, 1);
        var causal5 = causal.View(1, 1, chunk, chunk, 1);

        // L[k, i] = Π_{i<j≤k} a_j: cumulative product over k of (a_k if k > i else 1), zero above the diagonal.
        var aRows = a.Unsqueeze(3).Expand(batch, n, chunk, chunk, channels);
        var transfer = Tensor.Where(later5, aRows, 1.0).CumProd(2) * causal5;   // [batch, n, C(k), C(i), channels]
        var local = (transfer * b.Unsqueeze(2)).Sum(3);                         // Σ_i L[k,i] b_i: [batch, n, C, channels]
        var decay = a.CumProd(2);                                               // Π_{j≤k} a_j within the chunk

        var localChunks = local.Unbind(1);
        var decayChunks = decay.Unbind(1);
        var outputs = new Tensor[n];
        Tensor? carry = h0;                                                     // [batch, channels]
        for (int c = 0; c < n; c++)
        {
            var states = carry is null ? localChunks[c] : localChunks[c] + decayChunks[c] * carry.Unsqueeze(1);
            outputs[c] = states;
            carry = states.Select(1, chunk - 1);
        }
        var h = Tensor.Cat(outputs, 1);                                         // [batch, padded, channels]
        return scope.Keep(padded == time ? h : h.Narrow(1, 0, time));
    }

    private static void CheckSameShape(Tensor a, Tensor b)
    {
        if (a.Dim != 3 || !a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"the recurrence needs coefficients and inputs of the same shape [batch, time, channels], got {a.ShapeString} and {b.ShapeString}");
    }
}
