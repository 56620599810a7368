namespace Research.Torch;

/// <summary>Device kinds, numbered as c10::DeviceType.</summary>
public enum DeviceType { CPU = 0, CUDA = 1 }

/// <summary>Where a tensor lives: <c>cpu</c> or <c>cuda:N</c>.</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The CPU.</summary>
    public static readonly Device CPU = new(DeviceType.CPU);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>The best device available: the first CUDA device when the loaded libtorch has CUDA, else the CPU.</summary>
    public static Device Best => Torch.CudaIsAvailable ? Cuda(0) : CPU;

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:") && int.TryParse(s.AsSpan(5), out var i) && i >= 0) return Cuda(i);
        throw new ArgumentException($"'{text}' is not a device (expected cpu, cuda or cuda:N)", nameof(text));
    }

    public static implicit operator Device(string text) => Parse(text);

    public override string ToString() => Type == DeviceType.CPU ? "cpu" : Index < 0 ? "cuda" : $"cuda:{Index}";
}
