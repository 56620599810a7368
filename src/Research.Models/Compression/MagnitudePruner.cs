using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Compression;

/// <summary>Whether <see cref="MagnitudePruner.Prune"/> ranks magnitudes within each tensor or over all pruned tensors together.</summary>
public enum PruningScope
{
    /// <summary>Every pruned tensor gets the target sparsity (Zhu &amp; Gupta's setting).</summary>
    PerLayer,

    /// <summary>One magnitude ranking over all pruned tensors: the total reaches the target, layers may differ.</summary>
    Global,
}

/// <summary>One pruned tensor: its dotted name, the parameter, and its binary mask (1 = kept, 0 = pruned; same shape, dtype and device).</summary>
/// <param name="Name">The parameter's dotted path in the module (<c>layers.0.weight</c>).</param>
/// <param name="Parameter">The pruned parameter.</param>
/// <param name="Mask">The mask, a persistent buffer <c>{name}_mask</c> of the module that owns the parameter (saved in its state dict).</param>
public sealed record PrunedParameter(string Name, Parameter Parameter, Tensor Mask)
{
    /// <summary>Number of entries.</summary>
    public long Count => Parameter.NumEl;

    /// <summary>Number of entries the mask prunes.</summary>
    public long Pruned
    {
        get
        {
            using var scope = NewScope();
            return Count - Mask.CountNonzero().Item<long>();
        }
    }

    /// <summary>The fraction of entries the mask prunes.</summary>
    public double Sparsity => (double)Pruned / Count;
}

/// <summary>
/// Magnitude pruning with binary masks (Zhu &amp; Gupta, 2017, and the pruning literature that builds on it) over chosen
/// parameters of any <see cref="Module"/>. Each pruned parameter gets a mask, registered on the module that owns it as the
/// persistent buffer <c>{name}_mask</c> (so checkpoints keep it). <see cref="Prune"/> sets the masks so that exactly
/// round(s · count) entries are zero — per tensor (<see cref="PruningScope.PerLayer"/>) or over all of them
/// (<see cref="PruningScope.Global"/>) — keeping the largest |w| by <c>topk</c>; pruned weights rank below every kept one,
/// so masks only ever lose entries and a pruned weight never comes back.
/// <para>
/// Keeping pruned weights at zero while training takes both halves of <see cref="Step"/>: the gradients are masked before
/// the optimiser step, and the masks are applied to the weights after it — masked gradients alone do not suffice with
/// momentum or Adam, whose running averages keep moving a weight for many steps after its gradient became zero.
/// </para>
/// <code>
///   var pruner = new MagnitudePruner(model);                 // every weight with ≥ 2 dimensions; biases stay dense
///   var schedule = GradualSparsitySchedule.Between(0.9, startStep: 200, endStep: 2000, frequency: 50);
///   // per step t:  pruner.Update(schedule, t); loss.Backward(); pruner.Step(optimizer);
/// </code>
/// </summary>
public sealed class MagnitudePruner
{
    private readonly List<PrunedParameter> _layers = new();

    /// <summary>
    /// Prunes the parameters of <paramref name="module"/> that <paramref name="include"/> selects (by dotted name and
    /// parameter; default: every parameter with at least 2 dimensions, i.e. weight matrices and kernels, not biases or
    /// norm gains). The masks start at all-ones. Throws if nothing is selected or a selected parameter already has a mask.
    /// </summary>
    public MagnitudePruner(Module module, PruningScope scope = PruningScope.PerLayer, Func<string, Parameter, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!Enum.IsDefined(scope)) throw new ArgumentOutOfRangeException(nameof(scope), scope, "unknown pruning scope");
        Scope = scope;
        include ??= static (_, p) => p.Dim >= 2;
        var modules = module.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        var selected = new List<(string Name, Parameter Param, Module Owner, string Buffer)>();
        foreach (var (name, p) in module.NamedParameters())
        {
            if (!include(name, p)) continue;
            var (owner, local) = Owner(modules, name);
            string bufferName = local.Replace('.', '_') + "_mask";
            if (owner.NamedBuffers().Any(b => b.Name == bufferName))
                throw new InvalidOperationException($"'{name}' already has a pruning mask ('{bufferName}'): one pruner per parameter");
            selected.Add((name, p, owner, bufferName));
        }
        if (selected.Count == 0)
            throw new ArgumentException($"no parameter of {module.GetType().Name} was selected for pruning (parameters: {string.Join(", ", module.NamedParameters().Select(p => p.Name))})", nameof(include));
        using var noGrad = NoGrad();
        foreach (var (name, p, owner, bufferName) in selected)              // registered only once every selected parameter passed the checks
            _layers.Add(new PrunedParameter(name, p, owner.RegisterBuffer(bufferName, p.Detach().OnesLike())!));
    }

    /// <summary>How <see cref="Prune"/> ranks magnitudes.</summary>
    public PruningScope Scope { get; }

    /// <summary>The pruned parameters and their masks, in <see cref="Module.NamedParameters"/> order.</summary>
    public IReadOnlyList<PrunedParameter> Layers => _layers;

    /// <summary>Total number of entries of the pruned parameters.</summary>
    public long Count => _layers.Sum(l => l.Count);

    /// <summary>Number of entries the masks prune.</summary>
    public long Pruned => _layers.Sum(l => l.Pruned);

    /// <summary>The fraction of pruned entries over all pruned parameters.</summary>
    public double Sparsity => (double)Pruned / Count;

    /// <summary>How many entries a tensor of <paramref name="count"/> entries has pruned at <paramref name="sparsity"/>: round(s · count), halves away from zero.</summary>
    public static long PrunedCount(double sparsity, long count) => Math.Min(count, (long)Math.Round(sparsity * count, MidpointRounding.AwayFromZero));

    /// <summary>
    /// Recomputes the masks so that <see cref="PrunedCount"/>(<paramref name="sparsity"/>, n) entries are pruned (per tensor or
    /// in total, by <see cref="Scope"/>), keeping the largest magnitudes; applies them to the weights. Already pruned
    /// entries stay pruned. Throws <see cref="ArgumentOutOfRangeException"/> for a sparsity outside [0, 1] and
    /// <see cref="InvalidOperationException"/> if the masks already prune more than the target.
    /// </summary>
    public void Prune(double sparsity)
    {
        if (!(sparsity >= 0 && sparsity <= 1)) throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity must be in [0, 1]");
        using var scope = NewScope();
        using var noGrad = NoGrad();
        if (Scope == PruningScope.PerLayer)
        {
            var targets = _layers.Select(l => (Layer: l, Target: PrunedCount(sparsity, l.Count), Now: l.Pruned)).ToList();
            foreach (var (l, target, now) in targets)
                if (target < now)
                    throw new InvalidOperationException($"'{l.Name}' already has {now} of {l.Count} entries pruned, more than sparsity {sparsity} allows ({target}): masks only grow");
            foreach (var (l, target, _) in targets)
                l.Mask.Copy_(KeepLargest(Score(l).Reshape(-1), l.Count - target).View(l.Mask.Shape));
        }
        else
        {
            long total = Count, target = PrunedCount(sparsity, total), now = Pruned;
            if (target < now)
                throw new InvalidOperationException($"{now} of {total} entries are already pruned, more than sparsity {sparsity} allows ({target}): masks only grow");
            var scores = Tensor.Cat(_layers.Select(l => Score(l).Reshape(-1).To(DType.Float64)).ToArray());
            var keep = KeepLargest(scores, total - target).Split(_layers.Select(l => l.Count).ToArray());
            for (int i = 0; i < _layers.Count; i++) _layers[i].Mask.Copy_(keep[i].View(_layers[i].Mask.Shape));
        }
        ApplyMasks();
    }

    /// <summary>
    /// Prunes to <paramref name="schedule"/>'s sparsity when <paramref name="step"/> is one of its pruning steps; returns
    /// whether it did. Call it once per training step, before the forward pass.
    /// </summary>
    public bool Update(GradualSparsitySchedule schedule, long step)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (!schedule.IsPruningStep(step)) return false;
        Prune(schedule.SparsityAt(step));
        return true;
    }

    /// <summary>w ← w ⊙ mask for every pruned parameter (in place, without recording gradients).</summary>
    public void ApplyMasks()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        foreach (var l in _layers) l.Parameter.Mul_(l.Mask);
    }

    /// <summary>∇w ← ∇w ⊙ mask for every pruned parameter that has a gradient.</summary>
    public void MaskGradients()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        foreach (var l in _layers)
            l.Parameter.Grad?.Mul_(l.Mask);
    }

    /// <summary>One optimiser step that keeps pruned weights at zero: masks the gradients, steps, applies the masks to the weights.</summary>
    public void Step(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        MaskGradients();
        optimizer.Step();
        ApplyMasks();
    }

    /// <summary>How many pruned entries (mask 0) hold a non-zero weight — 0 whenever the masks are in force.</summary>
    public long NonzeroPrunedWeights()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return _layers.Sum(l => l.Parameter.Detach().MaskedSelect(l.Mask.Eq(0)).CountNonzero().Item<long>());
    }

    /// <summary>Number of non-zero entries over every parameter of <paramref name="module"/> (pruned or not, biases included).</summary>
    public static long CountNonzero(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewScope();
        return module.Parameters().Sum(p => p.Detach().CountNonzero().Item<long>());
    }

    /// <summary>Fraction of exactly-zero entries in <paramref name="tensor"/>, read from the values themselves.</summary>
    public static double ZeroFraction(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewScope();
        return 1 - (double)tensor.Detach().CountNonzero().Item<long>() / tensor.NumEl;
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"MagnitudePruner({Scope}, {_layers.Count} tensors, {Count} entries, sparsity {Sparsity:0.####})");

    // |w| with pruned entries at −1: below every kept weight, so topk never revives one while the target only grows.
    private static Tensor Score(PrunedParameter l) => l.Parameter.Detach().Abs().MaskedFill(l.Mask.Eq(0), -1.0);

    // A 0/1 vector like scores with ones at its `keep` largest entries (ties broken by topk).
    private static Tensor KeepLargest(Tensor scores, long keep)
    {
        var mask = scores.ZerosLike();
        if (keep == 0) return mask;
        var (_, indices) = scores.TopK(keep, sorted: false);
        return mask.IndexFill(0, indices, 1.0);
    }

    // The module that owns dotted parameter `name` and the parameter's name inside it (a list field keeps its index: "weights.0").
    private static (Module Owner, string Local) Owner(Dictionary<string, Module> modules, string name)
    {
        for (int dot = name.LastIndexOf('.'); dot > 0; dot = name.LastIndexOf('.', dot - 1))
            if (modules.TryGetValue(name[..dot], out var owner)) return (owner, name[(dot + 1)..]);
        return (modules[""], name);
    }
}
