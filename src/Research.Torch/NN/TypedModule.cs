namespace Research.Torch.NN;

/// <summary>A module with a typed forward pass from <typeparamref name="TIn"/> to <typeparamref name="TOut"/>.</summary>
public abstract class Module<TIn, TOut> : Module
{
    /// <summary>Computes the module's output.</summary>
    public abstract TOut Forward(TIn input);
}

/// <summary>A module with a typed forward pass over two inputs (e.g. a loss: prediction and target).</summary>
public abstract class Module<TIn1, TIn2, TOut> : Module
{
    /// <summary>Computes the module's output.</summary>
    public abstract TOut Forward(TIn1 input1, TIn2 input2);
}
