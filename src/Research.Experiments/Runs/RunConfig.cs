using System.Text.Json;

namespace Research.Experiments;

/// <summary>The contents of a run's config.json: every hyperparameter, the seed and the environment.</summary>
public sealed record RunConfig(
    string Experiment,
    string Id,
    DateTimeOffset Created,
    ulong Seed,
    string? Scale,
    SortedDictionary<string, JsonElement> Hyperparameters,
    EnvironmentInfo Environment,
    string? ResumedFrom = null)
{
    /// <summary>
    /// Turns hyperparameters into JSON values: a dictionary is taken key by key, any other object (a record,
    /// an anonymous object) property by property; null gives none.
    /// </summary>
    public static SortedDictionary<string, JsonElement> ToJson(object? hyperparameters)
    {
        var result = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        if (hyperparameters is null) return result;
        if (hyperparameters is System.Collections.IDictionary dict)
        {
            foreach (System.Collections.DictionaryEntry e in dict)
                result[Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] = JsonSerializer.SerializeToElement(e.Value, MetricsLog.Json);
            return result;
        }
        var element = JsonSerializer.SerializeToElement(hyperparameters, hyperparameters.GetType(), MetricsLog.Json);
        if (element.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"hyperparameters must be an object or a dictionary, got a JSON {element.ValueKind}", nameof(hyperparameters));
        foreach (var p in element.EnumerateObject()) result[p.Name] = p.Value.Clone();
        return result;
    }

    /// <summary>A hyperparameter's value as text (JSON for non-strings), or null when absent.</summary>
    public string? Text(string key) =>
        Hyperparameters.TryGetValue(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : JsonSerializer.Serialize(v) : null;
}
