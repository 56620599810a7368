using System.Text.Json.Nodes;

namespace Research.Interactive.Tests;

/// <summary>An nbformat-4 notebook of code cells, for tests that execute notebooks through a real kernel.</summary>
internal static class TestNotebook
{
    /// <summary>A notebook for the kernel <paramref name="kernel"/> whose code cells hold <paramref name="cells"/>.</summary>
    public static JsonObject Create(string kernel, string displayName, string language, string[] cells) => new()
    {
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
        ["metadata"] = new JsonObject
        {
            ["kernelspec"] = new JsonObject { ["name"] = kernel, ["display_name"] = displayName, ["language"] = language },
            ["language_info"] = new JsonObject { ["name"] = language },
        },
        ["cells"] = new JsonArray(cells.Select((source, i) => (JsonNode)new JsonObject
        {
            ["cell_type"] = "code",
            ["id"] = $"cell{i}",
            ["metadata"] = new JsonObject(),
            ["execution_count"] = null,
            ["outputs"] = new JsonArray(),
            ["source"] = source,
        }).ToArray()),
    };
}
