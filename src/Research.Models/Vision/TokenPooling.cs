namespace Research.Models.Vision;

/// <summary>How a classifier reduces its grid of tokens to one feature vector before the linear head.</summary>
public enum TokenPooling
{
    /// <summary>The mean over tokens (ViT without a class token).</summary>
    Mean,

    /// <summary>The per-channel maximum over tokens: a sparse, local detection survives any number of background tokens.</summary>
    Max,
}
