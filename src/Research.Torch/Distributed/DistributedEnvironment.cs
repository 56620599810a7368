using System.Globalization;

namespace Research.Torch.Distributed;

/// <summary>
/// Where this process sits in a multi-process job, read from the variables <c>torchrun</c> sets (and
/// <c>research run --nproc</c> sets the same way): <c>RANK</c>, <c>WORLD_SIZE</c>, <c>LOCAL_RANK</c>,
/// <c>MASTER_ADDR</c>, <c>MASTER_PORT</c>, and torchelastic's <c>TORCHELASTIC_USE_AGENT_STORE</c> (the launcher hosts
/// the store) with <c>TORCHELASTIC_RESTART_COUNT</c>.
/// </summary>
public sealed record DistributedEnvironment(int Rank, int WorldSize, int LocalRank, string MasterAddr, int MasterPort,
    bool UseAgentStore = false, int RestartCount = 0)
{
    /// <summary>The environment of this process, or null when <c>WORLD_SIZE</c> is not set; throws when it is set but incomplete.</summary>
    public static DistributedEnvironment? FromVariables() => From(Environment.GetEnvironmentVariable);

    /// <summary>Reads the variables through <paramref name="get"/> (null when <c>WORLD_SIZE</c> is absent).</summary>
    public static DistributedEnvironment? From(Func<string, string?> get)
    {
        if (string.IsNullOrEmpty(get("WORLD_SIZE"))) return null;
        int Int(string name, int? fallback = null)
        {
            var text = get(name);
            if (string.IsNullOrEmpty(text))
                return fallback ?? throw new InvalidOperationException($"WORLD_SIZE is set, so {name} must be set too (as torchrun sets it)");
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v : throw new InvalidOperationException($"{name} must be a non-negative integer, not '{text}'");
        }
        int world = Int("WORLD_SIZE"), rank = Int("RANK");
        if (world < 1 || rank >= world) throw new InvalidOperationException($"RANK {rank} is not in a world of size {world}");
        int port = Int("MASTER_PORT");
        if (port is < 1 or > 65535) throw new InvalidOperationException($"MASTER_PORT must be in 1..65535, not {port}");
        var addr = get("MASTER_ADDR");
        if (string.IsNullOrEmpty(addr)) throw new InvalidOperationException("WORLD_SIZE is set, so MASTER_ADDR must be set too (as torchrun sets it)");
        return new DistributedEnvironment(rank, world, Int("LOCAL_RANK", rank), addr, port,
            string.Equals(get("TORCHELASTIC_USE_AGENT_STORE"), "True", StringComparison.OrdinalIgnoreCase), Int("TORCHELASTIC_RESTART_COUNT", 0));
    }

    /// <summary>The variables that describe this rank (what a launcher sets for its children).</summary>
    public IReadOnlyDictionary<string, string> ToVariables() => new Dictionary<string, string>
    {
        ["RANK"] = Rank.ToString(CultureInfo.InvariantCulture),
        ["WORLD_SIZE"] = WorldSize.ToString(CultureInfo.InvariantCulture),
        ["LOCAL_RANK"] = LocalRank.ToString(CultureInfo.InvariantCulture),
        ["MASTER_ADDR"] = MasterAddr,
        ["MASTER_PORT"] = MasterPort.ToString(CultureInfo.InvariantCulture),
        ["TORCHELASTIC_USE_AGENT_STORE"] = UseAgentStore ? "True" : "False",
        ["TORCHELASTIC_RESTART_COUNT"] = RestartCount.ToString(CultureInfo.InvariantCulture),
    };
}
