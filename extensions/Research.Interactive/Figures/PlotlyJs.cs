namespace Research.Interactive;

/// <summary>Finds the plotly.js bundle installed by environment/setup.d/20-npm.sh and tracks whether a notebook has it.</summary>
public static class PlotlyJs
{
    /// <summary>Environment variable that names the plotly.js file to embed, overriding the search.</summary>
    public const string PathVariable = "RESEARCH_PLOTLY_JS";

    /// <summary>The file name the Research.Interactive package ships next to its assembly (lib/net10.0/).</summary>
    private const string PackagedName = "plotly.min.js";
    private const string RepoRelative = "environment/npm/node_modules/plotly.js-dist-min/plotly.min.js";
    private static readonly Lazy<string> Source = new(() => File.ReadAllText(FindPath()));

    /// <summary>Whether plotly.js has been sent to the current notebook (claimed by the first output that embeds it).</summary>
    internal static readonly OnceFlag SentToNotebook = new();

    /// <summary>The plotly.js source text, read once.</summary>
    public static string Script => Source.Value;

    /// <summary>
    /// The path of plotly.min.js: <c>$RESEARCH_PLOTLY_JS</c>, else the copy the NuGet package ships beside this assembly,
    /// else environment/npm/node_modules/… in the nearest repository above the current directory or this assembly.
    /// </summary>
    public static string FindPath()
    {
        var fromEnv = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            if (File.Exists(fromEnv)) return fromEnv;
            throw new FileNotFoundException($"{PathVariable} is set to '{fromEnv}', but no file is there.", fromEnv);
        }
        var shipped = Path.Combine(Path.GetDirectoryName(typeof(PlotlyJs).Assembly.Location) ?? "", PackagedName);
        if (File.Exists(shipped)) return shipped;
        var searched = new List<string>();
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RepoRelative);
                if (File.Exists(candidate)) return candidate;
                searched.Add(dir.FullName);
            }
        }
        throw new FileNotFoundException(
            $"plotly.js not found: looked for {PackagedName} beside {typeof(PlotlyJs).Assembly.Location} and for {RepoRelative} above {Directory.GetCurrentDirectory()} and {AppContext.BaseDirectory}. " +
            $"Run environment/setup.d/20-npm.sh in the repository, or set {PathVariable} to a plotly.min.js file.");
    }

    /// <summary>Forgets that the notebook has plotly.js, so the next figure embeds it again (a host calls this on kernel restart).</summary>
    public static void ResetNotebook() => SentToNotebook.Reset();

    /// <summary>Before the first figure is shown through <paramref name="target"/>, shows plotly.js as its own output.</summary>
    /// <remarks>
    /// Live figures are replaced in place; if the library rode in the first figure's output, an update would remove it
    /// from the saved notebook. A separate output that is never updated keeps it for every later figure.
    /// </remarks>
    internal static void EnsureShown(IDisplayTarget target)
    {
        if (SentToNotebook.TryClaim()) target.Show(new PlotlyLibraryOutput());
    }

    /// <summary>A notebook output that only loads plotly.js.</summary>
    private sealed class PlotlyLibraryOutput : IMimeRenderable
    {
        public MimeBundle ToMimeBundle() => new MimeBundle()
            .Add(MimeBundle.Html, PlotlyHtml.LibraryScript())
            .Add(MimeBundle.PlainText, "plotly.js loaded");
    }
}

/// <summary>A flag that one caller claims; thread-safe.</summary>
internal sealed class OnceFlag
{
    private int _claimed;

    /// <summary>True for the first caller after creation or <see cref="Reset"/>.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Whether the flag has been claimed.</summary>
    public bool IsClaimed => Volatile.Read(ref _claimed) == 1;

    /// <summary>Makes the flag claimable again.</summary>
    public void Reset() => Volatile.Write(ref _claimed, 0);
}

/// <summary>Marks outputs that draw with plotly.js, so <see cref="Display.Show"/> can load the library first.</summary>
internal interface IUsesPlotly;
