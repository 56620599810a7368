namespace Research.Experiments;

/// <summary>Derives independent seeds from a run seed (SplitMix64 mixing), e.g. one per step or per epoch.</summary>
public static class Seeds
{
    /// <summary>A well-mixed 64-bit seed from a base seed and a stream index.</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed + 0x9E3779B97F4A7C15UL * (stream + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The libtorch seed the trainer sets before step <paramref name="step"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static ulong ForStep(ulong seed, long step) => Mix(seed ^ 0x5DEECE66DUL, (ulong)step);
}

/// <summary>A small, fast, platform-independent generator (SplitMix64).</summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, bound) without modulo bias.</summary>
    public ulong NextBelow(ulong bound)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = Next(); while (r >= limit);
        return r % bound;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
