namespace Research.Experiments;

/// <summary>One row of the architecture catalogue: a reproducible paper.</summary>
/// <param name="Id">The catalogue id (experiment id and notebook name).</param>
/// <param name="Family">The family it is catalogued under.</param>
/// <param name="Priority">1 (first), 2 or 3.</param>
/// <param name="Title">The paper's title.</param>
public sealed record CatalogueEntry(string Id, string Family, int Priority, string Title);

/// <summary>
/// The architecture catalogue (<c>notebooks/catalogue.tsv</c>, taken from the catalogue of the seed papers): every paper the
/// project means to reproduce, so the gallery can say how many have a notebook.
/// </summary>
public static class Catalogue
{
    /// <summary>The catalogue file of a checkout.</summary>
    public const string RelativePath = "notebooks/catalogue.tsv";

    /// <summary>Reads a catalogue: '#' lines are comments, the first other line is the header id, family, priority, title.</summary>
    /// <exception cref="InvalidDataException">A row does not have four tab-separated fields or a numeric priority.</exception>
    public static IReadOnlyDictionary<string, CatalogueEntry> Load(string path)
    {
        var entries = new Dictionary<string, CatalogueEntry>(StringComparer.Ordinal);
        bool header = true;
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.StartsWith('#') || text.Length == 0) continue;
            if (header) { header = false; continue; }
            var f = text.Split('\t');
            if (f.Length != 4 || !int.TryParse(f[2], out int priority))
                throw new InvalidDataException($"{path}:{line}: expected 'id<TAB>family<TAB>priority<TAB>title', got '{text}'");
            entries[f[0]] = new CatalogueEntry(f[0], f[1], priority, f[3]);
        }
        return entries;
    }
}
