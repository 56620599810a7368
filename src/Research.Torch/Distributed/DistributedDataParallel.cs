using Research.Torch.Native;
using Research.Torch.NN;

namespace Research.Torch.Distributed;

/// <summary>
/// Data-parallel training over a <see cref="ProcessGroup"/>, on c10d's <c>Reducer</c> (the engine of PyTorch's
/// <c>DistributedDataParallel</c>). At wrap, rank 0's parameters and buffers are copied to every rank. Each backward
/// that follows <see cref="PrepareForBackward"/> (or runs through <see cref="Backward"/>) averages the gradients over the
/// ranks in buckets of about <c>bucketCapMB</c>: a bucket's all-reduce starts as soon as its gradients are ready, while
/// backward goes on, and backward returns with the averaged gradients in <c>.Grad</c>. Every parameter must get a
/// gradient in every such backward (PyTorch's <c>find_unused_parameters=False</c>).
/// </summary>
public sealed unsafe class DistributedDataParallel : IDisposable
{
    private IntPtr _reducer;

    /// <summary>Wraps a module: its parameters that require grad are averaged, its buffers are synced at wrap.</summary>
    public DistributedDataParallel(ProcessGroup group, Module module, double bucketCapMB = 25)
        : this(group, module.Parameters().Where(p => p.RequiresGrad), module.Buffers(), bucketCapMB)
    {
        Module = module;
    }

    /// <summary>Wraps loose tensors: <paramref name="parameters"/> (leaves that require grad) are averaged; all are synced at wrap.</summary>
    public DistributedDataParallel(ProcessGroup group, IEnumerable<Tensor> parameters, IEnumerable<Tensor>? buffers = null, double bucketCapMB = 25)
    {
        Group = group;
        var all = parameters.ToArray();
        if (all.Length == 0) throw new ArgumentException("data-parallel training needs at least one parameter", nameof(parameters));
        using (Torch.NoGrad())
            group.BroadcastCoalesced([.. all, .. buffers ?? []]);
        // The reducer keeps its own references to the parameters: the handles given here may be freed after the call.
        var handles = all.Select(p => p.Handle).ToArray();
        long cap = (long)(bucketCapMB * (1 << 20));
        fixed (IntPtr* p = handles)
            NativeRuntime.Check(NativeMethods.rt_dist_reducer_new(group.Handle, p, handles.Length, cap, FirstBucketBytes, out _reducer));
        GC.KeepAlive(all);
    }

    /// <summary>PyTorch's first bucket (1 MiB): small, so the first all-reduce starts early in backward.</summary>
    private const long FirstBucketBytes = 1L << 20;

    /// <summary>The group gradients are averaged over.</summary>
    public ProcessGroup Group { get; }

    /// <summary>The wrapped module, when a module was wrapped.</summary>
    public Module? Module { get; }

    /// <summary>Arms the gradient hooks for the next backward (PyTorch's DDP does this in its forward).</summary>
    public void PrepareForBackward() =>
        NativeRuntime.Check(NativeMethods.rt_dist_reducer_prepare(_reducer != IntPtr.Zero ? _reducer : throw new ObjectDisposedException(nameof(DistributedDataParallel))));

    /// <summary>Backward from <paramref name="loss"/> with gradients averaged over the ranks.</summary>
    public void Backward(Tensor loss)
    {
        PrepareForBackward();
        loss.Backward();
    }

    /// <summary>Removes the gradient hooks; the group stays open.</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _reducer, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.rt_dist_reducer_free(h);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native reducer if it was not disposed.</summary>
    ~DistributedDataParallel() => Dispose();
}
