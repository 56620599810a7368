namespace Research.Torch;

/// <summary>
/// Owns every tensor created on this thread while it is the innermost open scope, and frees them
/// all when disposed. Results that must outlive the scope are kept with <see cref="Keep(Tensor)"/> (moved to
/// the enclosing scope) or <see cref="Tensor.DetachFromScope"/> (owned by the caller).
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_current;

    private readonly List<Tensor> _owned = new();
    private bool _disposed;

    internal DisposeScope()
    {
        Parent = t_current;
        t_current = this;
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope that was current when this one opened.</summary>
    public DisposeScope? Parent { get; }

    /// <summary>How many tensors this scope currently owns.</summary>
    public int Count => _owned.Count;

    /// <summary>Gives a new tensor to this thread's innermost scope; false when no scope is open.</summary>
    internal static bool Register(Tensor t)
    {
        var s = t_current;
        if (s is null) return false;
        t.Scope = s;
        s._owned.Add(t);
        return true;
    }

    internal void Adopt(Tensor t)
    {
        t.Scope = this;
        _owned.Add(t);
    }

    /// <summary>Moves tensors to the enclosing scope (or to the caller when there is none) and returns the first.</summary>
    public Tensor Keep(Tensor tensor)
    {
        MoveOut(tensor);
        return tensor;
    }

    /// <summary>Moves tensors to the enclosing scope (or to the caller when there is none).</summary>
    public void Keep(params ReadOnlySpan<Tensor> tensors)
    {
        foreach (var t in tensors) MoveOut(t);
    }

    private void MoveOut(Tensor t)
    {
        if (t.Scope != this) return;
        if (Parent is { } parent) parent.Adopt(t);
        else t.Scope = null;                      // the caller owns it now (and the tensor gets its backstop)
    }

    /// <summary>Frees every tensor still owned by this scope and closes it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (t_current != this)
            throw new InvalidOperationException("dispose scopes must be closed in the reverse order they were opened (on the same thread)");
        t_current = Parent;
        foreach (var t in _owned)
            if (t.Scope == this) t.Dispose();
        _owned.Clear();
    }
}
