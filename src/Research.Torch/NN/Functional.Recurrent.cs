namespace Research.Torch.NN;

public static partial class F
{
    private static readonly Op s_gruSequence = new("gru", "input");

    /// <summary>
    /// One GRU layer (torch.nn.GRU's equations, libtorch's fused aten::gru) over a whole sequence with caller-owned weights,
    /// e.g. masked or pruned ones: <paramref name="weightIh"/> [3H, in], <paramref name="weightHh"/> [3H, H] and the biases
    /// [3H] (both or neither), gates in the order r, z, n. Input [batch, time, in] (or [time, batch, in] when not
    /// <paramref name="batchFirst"/>), <paramref name="h0"/> [batch, H] (zeros when null) → (outputs [batch, time, H] in
    /// the input's layout, last state [batch, H]).
    /// </summary>
    public static (Tensor Output, Tensor H) Gru(Tensor input, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null,
        Tensor? h0 = null, bool batchFirst = true)
    {
        long hidden = weightHh.Size(1);
        if (weightHh.Dim != 2 || weightHh.Size(0) != 3 * hidden || weightIh.Dim != 2 || weightIh.Size(0) != 3 * hidden)
            throw new ArgumentException($"gru: weights must be [3H, in] and [3H, H], got {weightIh.ShapeString} and {weightHh.ShapeString}", nameof(weightHh));
        if (input.Dim != 3 || input.Size(2) != weightIh.Size(1))
            throw new ArgumentException($"gru: input must be [{(batchFirst ? "batch, time" : "time, batch")}, {weightIh.Size(1)}], got {input.ShapeString}", nameof(input));
        if ((biasIh is null) != (biasHh is null))
            throw new ArgumentException("gru: give both biases or neither", nameof(biasHh));
        long batch = input.Size(batchFirst ? 0 : 1);
        using var h = h0 is null ? Tensor.Zeros([1, batch, hidden], input.DType, input.Device) : h0.Unsqueeze(0);
        Tensor[] weights = biasIh is null ? [weightIh, weightHh] : [weightIh, weightHh, biasIh, biasHh!];
        var r = s_gruSequence.Invoke(input, h, weights, biasIh is not null, 1L, 0.0, false, false, batchFirst);
        using var hn = (Tensor)r[1]!;
        return ((Tensor)r[0]!, hn.Squeeze(0));
    }
}
