namespace Research.GpuCheck;

/// <summary><c>--name value</c> pairs of the command line, with typed getters that name the option on a bad value.</summary>
internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--") || i + 1 >= list.Count)
                throw new ArgumentException($"expected --option value pairs, got '{list[i]}'");
            values[list[i]] = list[++i];
        }
        return new Options(values);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);

    public int GetInt(string name, int fallback) =>
        values.TryGetValue(name, out var s) ? int.TryParse(s, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} must be a count, not '{s}'") : fallback;
}
