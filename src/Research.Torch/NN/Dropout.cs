namespace Research.Torch.NN;

/// <summary>Zeros elements with probability p in training and scales the rest by 1/(1−p); the identity in evaluation.</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public Dropout(double p = 0.5)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        P = p;
    }

    /// <summary>Probability of zeroing.</summary>
    public double P { get; }

    /// <summary>Applies dropout in training mode.</summary>
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training);

    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>Zeros whole channels with probability p in training (Dropout1d/Dropout2d): input [batch, C, ...].</summary>
public sealed class ChannelDropout : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public ChannelDropout(double p = 0.5)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        P = p;
    }

    /// <summary>Probability of zeroing a channel.</summary>
    public double P { get; }

    /// <summary>Applies channel dropout in training mode.</summary>
    public override Tensor Forward(Tensor input) => F.FeatureDropout(input, P, Training);

    protected override string ExtraRepr() => $"p={P}";
}
