using System.Security.Cryptography;
using System.Text;

namespace Research.Experiments.Data;

/// <summary>
/// A directory of generated files (speech, signals, converted images) keyed by their generation parameters.
/// Root: <c>RESEARCH_CACHE</c>, else <c>$XDG_CACHE_HOME/research</c>, else <c>~/.cache/research</c>.
/// </summary>
public static class DataCache
{
    /// <summary>The cache root (created on first use).</summary>
    public static string Root
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("RESEARCH_CACHE");
            if (string.IsNullOrEmpty(root))
            {
                var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                if (string.IsNullOrEmpty(xdg)) xdg = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
                root = Path.Combine(xdg, "research");
            }
            Directory.CreateDirectory(root);
            return root;
        }
    }

    /// <summary>The path for an item of <paramref name="kind"/> generated from <paramref name="parameters"/> (not created).</summary>
    public static string PathFor(string kind, string parameters, string extension)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(parameters)))[..16].ToLowerInvariant();
        var dir = Path.Combine(Root, kind);
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"{hash}.{extension.TrimStart('.')}");
    }

    /// <summary>
    /// Returns the cached file for (<paramref name="kind"/>, <paramref name="parameters"/>), calling
    /// <paramref name="produce"/> with a temporary path to create it when missing. The file appears atomically.
    /// </summary>
    public static string GetOrCreate(string kind, string parameters, string extension, Action<string> produce)
    {
        var path = PathFor(kind, parameters, extension);
        if (File.Exists(path)) return path;
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp{Path.GetExtension(path)}";
        try
        {
            produce(temp);
            if (!File.Exists(temp)) throw new InvalidOperationException($"generating {kind} ({parameters}) produced no file");
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return path;
    }
}
