using Research.Torch.Native;

namespace Research.Torch;

/// <summary>Restores the previous grad mode when disposed (see <see cref="Torch.NoGrad"/>).</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool _previous;

    internal GradModeScope(bool enabled)
    {
        _previous = NativeMethods.rt_grad_enabled() != 0;
        NativeMethods.rt_set_grad_enabled(enabled ? 1 : 0);
    }

    /// <summary>Restores the grad mode that was in force before.</summary>
    public void Dispose() => NativeMethods.rt_set_grad_enabled(_previous ? 1 : 0);
}
