using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Dynamics;

/// <summary>The hidden non-linearity σ of a <see cref="GroupWordNetwork"/>.</summary>
public enum GroupActivation
{
    /// <summary>σ(z) = z²: the tractable surrogate whose solutions are sums of products of representations.</summary>
    Quadratic,

    /// <summary>σ(z) = max(z, 0).</summary>
    Relu,
}

/// <summary>
/// The two-layer network that learns a word in a finite group, here the product a∘b ("Learning words in groups: fusion
/// algebras, tensor ranks and grokking"; the same network as Gromov, 2023, for modular addition):
/// <code>
///   h = σ(E_L[a] + E_R[b])          E_L, E_R: [|G|, width]   (= W₁ · concat(onehot(a), onehot(b)))
///   logits = h · W₂                 W₂: [width, |G|]          (trained to put its maximum at a∘b)
/// </code>
/// No biases. Each hidden unit n sees the pair only through the two columns E_L[:, n], E_R[:, n]; the network computes a
/// rank-width decomposition of the |G|×|G|×|G| "word tensor" T[a, b, c] = [a∘b = c]. For the cyclic group Z_p the
/// generalising decompositions use Fourier modes: after grokking each unit's columns are close to one sinusoid
/// cos(2πk·a/p + φ) of the group index (see <see cref="CyclicFourier"/>).
/// Initialisation: E_L, E_R ~ U(±s/√(2|G|)) (PyTorch's default for a linear layer on the 2|G| one-hot inputs) and
/// W₂ ~ U(±s/√width), with s = <see cref="InitScale"/>.
/// </summary>
public sealed class GroupWordNetwork : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the network for a group of <paramref name="order"/> elements with <paramref name="width"/> hidden units.</summary>
    public GroupWordNetwork(long order, long width, GroupActivation activation = GroupActivation.Quadratic, double initScale = 1.0,
        DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!(initScale > 0) || !double.IsFinite(initScale)) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "the initialisation scale must be positive and finite");
        Order = order;
        Width = width;
        Activation = activation;
        InitScale = initScale;
        Left = RegisterParameter("left", NewParameter([order, width], dtype, device));
        Right = RegisterParameter("right", NewParameter([order, width], dtype, device));
        Readout = RegisterParameter("readout", NewParameter([width, order], dtype, device));
        double embeddingBound = initScale / Math.Sqrt(2.0 * order), readoutBound = initScale / Math.Sqrt(width);
        Init.Uniform_(Left, -embeddingBound, embeddingBound);
        Init.Uniform_(Right, -embeddingBound, embeddingBound);
        Init.Uniform_(Readout, -readoutBound, readoutBound);
    }

    /// <summary>|G|: the number of elements, of input symbols per side and of output classes.</summary>
    public long Order { get; }

    /// <summary>Number of hidden units.</summary>
    public long Width { get; }

    /// <summary>σ.</summary>
    public GroupActivation Activation { get; }

    /// <summary>The factor s on the default initialisation bounds (larger s: larger initial weight norm).</summary>
    public double InitScale { get; }

    /// <summary>E_L [|G|, width]: row a is what the left factor a adds to the hidden pre-activation.</summary>
    public Parameter Left { get; }

    /// <summary>E_R [|G|, width]: row b is what the right factor b adds to the hidden pre-activation.</summary>
    public Parameter Right { get; }

    /// <summary>W₂ [width, |G|]: the readout from hidden units to the class logits.</summary>
    public Parameter Readout { get; }

    /// <summary>E_L[a] + E_R[b]: int64 left and right factors [batch] → [batch, width].</summary>
    public Tensor PreActivation(Tensor left, Tensor right)
    {
        CheckFactors(left, right);
        using var l = Left.IndexSelect(0, left);
        using var r = Right.IndexSelect(0, right);
        return l + r;
    }

    /// <summary>The hidden units σ(E_L[a] + E_R[b]): [batch] × [batch] → [batch, width].</summary>
    public Tensor Hidden(Tensor left, Tensor right)
    {
        using var z = PreActivation(left, right);
        return Apply(z);
    }

    /// <summary>Logits over the |G| elements for the products left∘right: int64 [batch] × [batch] → [batch, |G|].</summary>
    public override Tensor Forward(Tensor left, Tensor right)
    {
        using var h = Hidden(left, right);
        return h.Matmul(Readout);
    }

    /// <summary>σ applied elementwise.</summary>
    public Tensor Apply(Tensor z) => Activation == GroupActivation.Quadratic ? z.Square() : z.Relu();

    /// <summary>The L2 norm of all parameters together, √(‖E_L‖² + ‖E_R‖² + ‖W₂‖²).</summary>
    public double WeightNorm()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var squares = Parameters().Select(p => p.Double().Square().Sum()).ToArray();
        return Math.Sqrt(Tensor.Stack(squares).Sum().Item<double>());
    }

    private void CheckFactors(Tensor left, Tensor right)
    {
        if (left.DType != DType.Int64 || right.DType != DType.Int64)
            throw new ArgumentException($"group elements must be int64 indices, got {left.DType} and {right.DType}");
        if (left.Dim != 1 || right.Dim != 1 || left.Size(0) != right.Size(0))
            throw new ArgumentException($"left and right factors must be two 1-D tensors of one length, got [{string.Join(", ", left.Shape)}] and [{string.Join(", ", right.Shape)}]");
        if (left.NumEl == 0) return;
        using var scope = NewScope();
        long min = Math.Min(left.Min().Item<long>(), right.Min().Item<long>()), max = Math.Max(left.Max().Item<long>(), right.Max().Item<long>());
        if (min < 0 || max >= Order) throw new ArgumentOutOfRangeException(nameof(left), $"group elements must be in 0…{Order - 1}, got values in {min}…{max}");
    }

    protected override string ExtraRepr() => $"order={Order}, width={Width}, activation={Activation}, init_scale={InitScale}";
}
