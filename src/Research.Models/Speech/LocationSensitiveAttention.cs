using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Speech;

/// <summary>
/// Additive attention of a decoder query over encoder memory, optionally location-sensitive (Chorowski et al., 2015; as in
/// Tacotron 2): e_ij = wᵀ tanh(W s_i + V h_j + U f_ij + b) with location features f_i = F ∗ α_cum, a 1-D convolution over the
/// cumulative attention weights of the previous decoder steps; α_i = softmax_j(e_ij) over the valid characters and the
/// context c_i = Σ_j α_ij h_j. With <c>location: false</c> the U f term and its parameters are absent (content-based
/// attention, the control). Gradients come from autograd.
/// </summary>
public sealed class LocationSensitiveAttention : Module
{
    /// <summary>Creates the attention.</summary>
    /// <param name="queryDim">Features of the query s_i (the attention RNN's output).</param>
    /// <param name="memoryDim">Features of the memory h_j (the encoder's output).</param>
    /// <param name="attentionDim">Width of the energy's hidden layer.</param>
    /// <param name="locationFilters">Channels of the location convolution F.</param>
    /// <param name="locationKernel">Odd kernel size of F (centred).</param>
    /// <param name="location">Whether the location term U f is used.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    public LocationSensitiveAttention(int queryDim, int memoryDim, int attentionDim, int locationFilters = 8, int locationKernel = 15,
        bool location = true, DType? dtype = null, Device? device = null)
    {
        if (locationKernel % 2 == 0) throw new ArgumentException($"the location kernel must be odd, got {locationKernel}", nameof(locationKernel));
        Query = new Linear(queryDim, attentionDim, bias: true, dtype: dtype, device: device);        // W s + b
        Memory = new Linear(memoryDim, attentionDim, bias: false, dtype: dtype, device: device);     // V h
        Energy = new Linear(attentionDim, 1, bias: false, dtype: dtype, device: device);             // wᵀ
        if (!location) return;
        LocationConv = new Conv1d(1, locationFilters, locationKernel, padding: locationKernel / 2, bias: false, dtype: dtype, device: device);
        LocationDense = new Linear(locationFilters, attentionDim, bias: false, dtype: dtype, device: device);   // U
    }

    /// <summary>W (with the bias b).</summary>
    public Linear Query { get; }

    /// <summary>V.</summary>
    public Linear Memory { get; }

    /// <summary>w.</summary>
    public Linear Energy { get; }

    /// <summary>F, or null for content-based attention.</summary>
    public Conv1d? LocationConv { get; }

    /// <summary>U, or null for content-based attention.</summary>
    public Linear? LocationDense { get; }

    /// <summary>Whether the energies use the location features.</summary>
    public bool UsesLocation => LocationConv is not null;

    /// <summary>The keys V h [B, N, attention] of memory [B, N, memory] (computed once per utterance).</summary>
    public Tensor Keys(Tensor memory) => Memory.Forward(memory);

    /// <summary>
    /// One step: the context [B, memory] and the weights α [B, N] from the query [B, query], the memory [B, N, memory], its
    /// <see cref="Keys"/>, the cumulative weights of the previous steps [B, N] and the padding mask [B, N] (true = padding).
    /// </summary>
    public (Tensor Context, Tensor Weights) Forward(Tensor query, Tensor memory, Tensor keys, Tensor cumulative, Tensor padding)
    {
        if (query.Dim != 2 || memory.Dim != 3 || keys.Dim != 3 || cumulative.Dim != 2 || padding.Dim != 2)
            throw new ArgumentException($"expected query [B, Q], memory [B, N, D], keys [B, N, A], cumulative and padding [B, N]; got " +
                $"{query.ShapeString}, {memory.ShapeString}, {keys.ShapeString}, {cumulative.ShapeString}, {padding.ShapeString}");
        using var scope = NewScope();
        var hidden = Query.Forward(query).Unsqueeze(1) + keys;                                    // [B, N, A]
        if (LocationConv is not null && LocationDense is not null)
        {
            var f = LocationConv.Forward(cumulative.Unsqueeze(1)).Transpose(1, 2);                  // [B, N, filters]
            hidden += LocationDense.Forward(f);
        }
        var energies = Energy.Forward(hidden.Tanh()).Squeeze(2).MaskedFill(padding, double.NegativeInfinity);   // [B, N]
        var weights = energies.Softmax(1);
        var context = weights.Unsqueeze(1).Bmm(memory).Squeeze(1);                                 // [B, D]
        return (scope.Keep(context), scope.Keep(weights));
    }
}
