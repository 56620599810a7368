using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.WeightSpace;

/// <summary>
/// The weight space of an MLP with L weight matrices W_l [d_{l+1}, d_l] and biases b_l [d_{l+1}], laid out by the symmetry
/// that acts on it (Navon et al., 2023): the hidden neuron sets n_1 … n_{L−1} can each be permuted, the input n_0 and output
/// n_L cannot. Entries indexed by one hidden set are <see cref="Neurons"/> features [B, d_i, C] — for set i its bias
/// b_{i−1}, plus the incoming input weights W_0 (i = 1) and the outgoing output weights W_{L−1}ᵀ (i = L−1), whose unpermuted
/// index becomes channels; entries indexed by two hidden sets are <see cref="Edges"/> features [B, d_{l+1}, d_l, C] (W_l for
/// l = 1 … L−2); the output bias, indexed by no hidden set, is <see cref="Global"/> [B, C]. Channels last.
/// </summary>
public sealed class WeightSpaceFeatures
{
    /// <summary>Features of the objects of one weight space.</summary>
    public WeightSpaceFeatures(Tensor[] neurons, Tensor[] edges, Tensor global)
    {
        if (edges.Length != Math.Max(0, neurons.Length - 1))
            throw new ArgumentException($"{neurons.Length} hidden neuron sets need {neurons.Length - 1} hidden-to-hidden matrices, got {edges.Length}");
        (Neurons, Edges, Global) = (neurons, edges, global);
    }

    /// <summary>Per hidden set i = 1 … L−1: [B, d_i, C].</summary>
    public Tensor[] Neurons { get; }

    /// <summary>Per hidden-to-hidden matrix W_l, l = 1 … L−2: [B, d_{l+1}, d_l, C].</summary>
    public Tensor[] Edges { get; }

    /// <summary>[B, C]: the features no hidden permutation moves.</summary>
    public Tensor Global { get; }

    /// <summary>The weights [B, d_{l+1}, d_l] and biases [B, d_{l+1}] of B MLPs (at least one hidden layer) as features.</summary>
    public static WeightSpaceFeatures FromMlp(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> biases)
    {
        int layers = weights.Count;
        if (layers < 2 || biases.Count != layers) throw new ArgumentException($"need ≥ 2 layers with one bias each, got {weights.Count} and {biases.Count}");
        var neurons = new Tensor[layers - 1];
        for (int i = 1; i < layers; i++)
        {
            var parts = new List<Tensor>();
            if (i == 1) parts.Add(weights[0]);                                      // [B, d_1, d_0]
            parts.Add(biases[i - 1].Unsqueeze(-1));                                   // [B, d_i, 1]
            if (i == layers - 1) parts.Add(weights[layers - 1].Transpose(1, 2));      // [B, d_{L−1}, d_L]
            neurons[i - 1] = Tensor.Cat(parts.ToArray(), -1);
        }
        var edges = Enumerable.Range(1, layers - 2).Select(l => weights[l].Unsqueeze(-1)).ToArray();
        return new WeightSpaceFeatures(neurons, edges, biases[layers - 1]);
    }

    /// <summary>Channels per neuron set for an MLP of <paramref name="sizes"/> d_0 … d_L.</summary>
    public static long[] NeuronChannels(long[] sizes) =>
        Enumerable.Range(1, sizes.Length - 2).Select(i => (i == 1 ? sizes[0] : 0) + 1 + (i == sizes.Length - 2 ? sizes[^1] : 0)).ToArray();

    /// <summary>Every object pooled over its hidden indices and concatenated: [B, Σ channels] (invariant to hidden permutations).</summary>
    public Tensor Pooled()
    {
        using var scope = NewScope();
        var parts = Neurons.Select(v => v.Mean(1)).Concat(Edges.Select(e => e.Mean([1, 2]))).Append(Global).ToArray();
        return scope.Keep(Tensor.Cat(parts, -1));
    }

    /// <summary>The same objects after <paramref name="f"/> (an element-wise map such as ReLU).</summary>
    public WeightSpaceFeatures Map(Func<Tensor, Tensor> f) => new(Neurons.Select(f).ToArray(), Edges.Select(f).ToArray(), f(Global));

    /// <summary>
    /// Permutes hidden set i (1 … L−1) of B MLPs by <paramref name="permutation"/> [B, d_i] (new neuron j is old neuron π_b(j)):
    /// rows of W_{i−1} and b_{i−1}, columns of W_i. The networks compute the same functions; returns new tensors.
    /// </summary>
    public static (Tensor[] Weights, Tensor[] Biases) PermuteHidden(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> biases, int set, Tensor permutation)
    {
        if (set < 1 || set >= weights.Count) throw new ArgumentOutOfRangeException(nameof(set), set, $"hidden sets are 1 … {weights.Count - 1}");
        using var scope = NewScope();
        var w = weights.ToArray();
        var b = biases.ToArray();
        var rows = permutation.Unsqueeze(-1);                                                     // [B, d_i, 1]
        w[set - 1] = w[set - 1].Gather(1, rows.Expand(-1, -1, w[set - 1].Size(2)));
        b[set - 1] = b[set - 1].Gather(1, permutation);
        w[set] = w[set].Gather(2, permutation.Unsqueeze(1).Expand(-1, w[set].Size(1), -1));
        for (int l = 0; l < w.Length; l++)
        {
            w[l] = scope.Keep(l == set - 1 || l == set ? w[l] : w[l].Clone());
            b[l] = scope.Keep(l == set - 1 ? b[l] : b[l].Clone());
        }
        return (w, b);
    }
}

/// <summary>
/// One DWS layer (Navon et al., 2023, Sec. 4): a linear map between weight spaces that commutes with every permutation of
/// every hidden neuron set, built from channel-mixing linear maps of the objects, of their means over each permuted index
/// (broadcast back), and of the objects that share an index with them. For a neuron set i, with s the vector of every
/// object's full mean (the invariant part):
/// <code>
///   V'_i = A V_i + B mean_n V_i + Σ_{E with rows n_i} R mean_cols E + Σ_{E with columns n_i} K mean_rows E + G_i s
///   E'_l = A E_l + R mean_cols E_l + K mean_rows E_l + P V_{l+1} (along rows) + Q V_l (along columns) + G_l s
///   g'   = A g + G s
/// </code>
/// — the weight→weight (identity, row, column and total sums), bias→weight, weight→bias and bias→bias blocks of the paper,
/// where the input and output indices, which no symmetry moves, are carried as channels.
/// </summary>
public sealed class DwsLayer : Module<WeightSpaceFeatures, WeightSpaceFeatures>
{
    /// <summary>A layer from <paramref name="neuronIn"/> channels per neuron set, <paramref name="edgeIn"/> per edge matrix and
    /// <paramref name="globalIn"/> global channels to <paramref name="outChannels"/> channels for every object.</summary>
    public DwsLayer(long[] neuronIn, long edgeIn, long globalIn, long outChannels, Device? device = null)
    {
        int sets = neuronIn.Length, edges = Math.Max(0, sets - 1);
        long summary = neuronIn.Sum() + edges * edgeIn + globalIn;
        Linear L(long i, bool bias = false) => new(i, outChannels, bias: bias, device: device);
        NeuronSelf = neuronIn.Select(c => L(c)).ToArray();
        NeuronMean = neuronIn.Select(c => L(c)).ToArray();
        NeuronSummary = neuronIn.Select(_ => L(summary, bias: true)).ToArray();
        NeuronFromEdgeRows = Enumerable.Range(0, edges).Select(_ => L(edgeIn)).ToArray();
        NeuronFromEdgeColumns = Enumerable.Range(0, edges).Select(_ => L(edgeIn)).ToArray();
        EdgeSelf = Enumerable.Range(0, edges).Select(_ => L(edgeIn)).ToArray();
        EdgeRowMean = Enumerable.Range(0, edges).Select(_ => L(edgeIn)).ToArray();
        EdgeColumnMean = Enumerable.Range(0, edges).Select(_ => L(edgeIn)).ToArray();
        EdgeFromRowNeurons = Enumerable.Range(0, edges).Select(e => L(neuronIn[e + 1])).ToArray();
        EdgeFromColumnNeurons = Enumerable.Range(0, edges).Select(e => L(neuronIn[e])).ToArray();
        EdgeSummary = Enumerable.Range(0, edges).Select(_ => L(summary, bias: true)).ToArray();
        GlobalSelf = L(globalIn);
        GlobalSummary = L(summary, bias: true);
    }

    /// <summary>A, B, G_i of every neuron set.</summary>
    public Linear[] NeuronSelf { get; }
    /// <summary>B: from the set's mean.</summary>
    public Linear[] NeuronMean { get; }
    /// <summary>G_i: from every object's full mean.</summary>
    public Linear[] NeuronSummary { get; }
    /// <summary>R: from edge matrix e (rows = set e + 1, 0-based) averaged over its columns.</summary>
    public Linear[] NeuronFromEdgeRows { get; }
    /// <summary>K: from edge matrix e (columns = set e) averaged over its rows.</summary>
    public Linear[] NeuronFromEdgeColumns { get; }
    /// <summary>A of every edge matrix.</summary>
    public Linear[] EdgeSelf { get; }
    /// <summary>R: the row means (over columns) broadcast along the row.</summary>
    public Linear[] EdgeRowMean { get; }
    /// <summary>K: the column means (over rows) broadcast along the column.</summary>
    public Linear[] EdgeColumnMean { get; }
    /// <summary>P: the row neurons' features broadcast along the row.</summary>
    public Linear[] EdgeFromRowNeurons { get; }
    /// <summary>Q: the column neurons' features broadcast along the column.</summary>
    public Linear[] EdgeFromColumnNeurons { get; }
    /// <summary>G_l: from every object's full mean.</summary>
    public Linear[] EdgeSummary { get; }
    /// <summary>A of the global features.</summary>
    public Linear GlobalSelf { get; }
    /// <summary>G of the global features.</summary>
    public Linear GlobalSummary { get; }

    /// <summary>Features in → features out, equivariant to hidden-neuron permutations.</summary>
    public override WeightSpaceFeatures Forward(WeightSpaceFeatures x)
    {
        using var scope = NewScope();
        var s = x.Pooled();                                                              // [B, summary]
        var neurons = new Tensor[x.Neurons.Length];
        for (int i = 0; i < neurons.Length; i++)
        {
            var v = x.Neurons[i];                                                        // [B, d_i, C]
            var y = NeuronSelf[i].Forward(v) + NeuronMean[i].Forward(v.Mean(1, keepDim: true)) + NeuronSummary[i].Forward(s).Unsqueeze(1);
            if (i > 0) y = y + NeuronFromEdgeRows[i - 1].Forward(x.Edges[i - 1].Mean(2));      // edge i−1 has rows n_i
            if (i < x.Edges.Length) y = y + NeuronFromEdgeColumns[i].Forward(x.Edges[i].Mean(1)); // edge i has columns n_i
            neurons[i] = y;
        }
        var edges = new Tensor[x.Edges.Length];
        for (int e = 0; e < edges.Length; e++)
        {
            var m = x.Edges[e];                                                          // [B, rows, cols, C]
            edges[e] = EdgeSelf[e].Forward(m)
                + EdgeRowMean[e].Forward(m.Mean(2, keepDim: true)) + EdgeColumnMean[e].Forward(m.Mean(1, keepDim: true))
                + EdgeFromRowNeurons[e].Forward(x.Neurons[e + 1]).Unsqueeze(2) + EdgeFromColumnNeurons[e].Forward(x.Neurons[e]).Unsqueeze(1)
                + EdgeSummary[e].Forward(s).Unsqueeze(1).Unsqueeze(1);
        }
        var global = GlobalSelf.Forward(x.Global) + GlobalSummary.Forward(s);
        scope.Keep(neurons);
        scope.Keep(edges);
        return new WeightSpaceFeatures(neurons, edges, scope.Keep(global));
    }
}

/// <summary>
/// DWSNet (Navon et al., 2023) for invariant tasks: DWS layers with ReLU between them, then the invariant pooling of every
/// object (<see cref="WeightSpaceFeatures.Pooled"/>) and an MLP head. Its output does not change when the hidden neurons of
/// the input network are permuted.
/// </summary>
public sealed class DwsNet : Module<WeightSpaceFeatures, Tensor>
{
    /// <summary>For MLPs of layer sizes <paramref name="sizes"/> (d_0 … d_L): <paramref name="depth"/> DWS layers of
    /// <paramref name="channels"/> channels and a head with one hidden layer of <paramref name="headWidth"/>.</summary>
    public DwsNet(long[] sizes, int depth, long channels, long headWidth, long outputs, Device? device = null)
    {
        var neuronIn = WeightSpaceFeatures.NeuronChannels(sizes);
        Layers = new DwsLayer[depth];
        for (int k = 0; k < depth; k++)
            Layers[k] = k == 0
                ? new DwsLayer(neuronIn, 1, sizes[^1], channels, device)
                : new DwsLayer(Enumerable.Repeat(channels, neuronIn.Length).ToArray(), channels, channels, channels, device);
        long pooled = channels * (neuronIn.Length + neuronIn.Length - 1 + 1);
        Hidden = new Linear(pooled, headWidth, device: device);
        Output = new Linear(headWidth, outputs, device: device);
    }

    /// <summary>The equivariant layers.</summary>
    public DwsLayer[] Layers { get; }

    /// <summary>The head's hidden layer.</summary>
    public Linear Hidden { get; }

    /// <summary>The head's output layer.</summary>
    public Linear Output { get; }

    /// <summary>Weight-space features → outputs [B, outputs].</summary>
    public override Tensor Forward(WeightSpaceFeatures x)
    {
        using var scope = NewScope();
        var h = x;
        for (int k = 0; k < Layers.Length; k++)
        {
            h = Layers[k].Forward(h);
            if (k < Layers.Length - 1) h = h.Map(t => t.Relu());
        }
        return scope.Keep(Output.Forward(Hidden.Forward(h.Pooled()).Relu()));
    }
}
