using System.Text.Json;
using System.Text.Json.Nodes;
using Research.Cli;

namespace Research.Experiments.Tests;

/// <summary>The gallery, `research list` and the README's results table, built from the runs' claim records.</summary>
public class GalleryTests
{
    private static ClaimCondition Condition(string quantity, double measured, double threshold) =>
        new(quantity, measured, "≥", threshold, measured >= threshold, $"{quantity}: {measured} ≥ {threshold} (margin {measured - threshold}) ✓");

    private static ClaimRecord Record(string runs, string id, string scale, DateTimeOffset finished, bool holds = true)
    {
        var dir = Path.Combine(runs, id, $"{finished:yyyyMMdd-HHmmss}-{scale}");
        Directory.CreateDirectory(dir);
        var record = new ClaimRecord(id, $"Title {id}", "family", $"claim {id}", null, scale, "cpu", holds, "Completed",
            [Condition("accuracy", holds ? 0.9 : 0.7, 0.8)], 12.5, "abcdef0123456789", false, finished, dir);
        record.Write();
        return record;
    }

    // A notebook with three figures: the middle cell is tagged as the key figure.
    private static string Notebook(string path, bool tagged, int hugeFigureBytes = 0)
    {
        static JsonObject Figure(string title, int pad = 0) => new()
        {
            ["data"] = new JsonArray(new JsonObject { ["type"] = "scatter", ["y"] = new JsonArray(1, 2, 3), ["name"] = new string('x', pad) }),
            ["layout"] = new JsonObject { ["title"] = title },
        };
        static JsonObject Cell(JsonObject figure, bool tag) => new()
        {
            ["cell_type"] = "code",
            ["metadata"] = tag ? new JsonObject { ["tags"] = new JsonArray("figure") } : new JsonObject(),
            ["source"] = new JsonArray("display(figure);"),
            ["outputs"] = new JsonArray(new JsonObject
            {
                ["output_type"] = "display_data",
                ["data"] = new JsonObject { [ReproductionGallery.PlotlyMime] = figure, ["text/plain"] = "Figure" },
            }),
        };
        var nb = new JsonObject
        {
            ["cells"] = new JsonArray(Cell(Figure("first"), false), Cell(Figure("key"), tagged), Cell(Figure("last", hugeFigureBytes), false)),
            ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, nb.ToJsonString());
        return path;
    }

    private static string? TitleOf(string? figureJson) => figureJson is null ? null : JsonNode.Parse(figureJson)!["layout"]!["title"]!.GetValue<string>();

    [Fact]
    public void TheKeyFigureIsTheTaggedCellsElseTheLastFigureThatIsNotOversized()
    {
        using var dir = new TempDirectory();
        Assert.Equal("key", TitleOf(ReproductionGallery.KeyFigure(Notebook(Path.Combine(dir.Path, "a.ipynb"), tagged: true))));
        Assert.Equal("last", TitleOf(ReproductionGallery.KeyFigure(Notebook(Path.Combine(dir.Path, "b.ipynb"), tagged: false))));
        var huge = Notebook(Path.Combine(dir.Path, "c.ipynb"), tagged: false, hugeFigureBytes: ReproductionGallery.MaxFigureBytes);
        Assert.Equal("key", TitleOf(ReproductionGallery.KeyFigure(huge)));
        File.WriteAllText(Path.Combine(dir.Path, "d.ipynb"), "{ not json");
        Assert.Null(ReproductionGallery.KeyFigure(Path.Combine(dir.Path, "d.ipynb")));
    }

    [Fact]
    public void LatestRecordsArePerExperimentAndScaleAndSkipDamagedFiles()
    {
        using var dir = new TempDirectory();
        var t0 = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        Record(dir.Path, "alpha", "cpu", t0);
        var newer = Record(dir.Path, "alpha", "cpu", t0.AddHours(1), holds: false);
        var smoke = Record(dir.Path, "alpha", "smoke", t0.AddHours(2));
        Record(dir.Path, "beta", "cpu", t0);
        var damaged = Path.Combine(dir.Path, "beta", "broken");
        Directory.CreateDirectory(damaged);
        File.WriteAllText(Path.Combine(damaged, ClaimRecord.FileName), "{ \"Experiment\": ");

        var any = ClaimRecord.Latest(dir.Path);
        Assert.Equal(smoke.Run, any["alpha"].Run);
        var cpu = ClaimRecord.Latest(dir.Path, "cpu");
        Assert.Equal(newer.Run, cpu["alpha"].Run);
        Assert.Equal("does not hold", cpu["alpha"].Verdict);
        Assert.Equal(0.7, cpu["alpha"].Conditions[0].Measured);
        Assert.Equal(["alpha", "beta"], cpu.Keys);
        Assert.Throws<InvalidDataException>(() => ClaimRecord.Read(damaged));
    }

    [Fact]
    public void CardsJoinNotebooksRecordsTimesAndTheCatalogue()
    {
        using var dir = new TempDirectory();
        var runs = Path.Combine(dir.Path, "runs");
        var notebooks = Path.Combine(dir.Path, "notebooks");
        Record(runs, "alpha", "cpu", DateTimeOffset.UtcNow);
        Notebook(Path.Combine(notebooks, "seq", "alpha.ipynb"), tagged: true);
        File.WriteAllText(Path.Combine(notebooks, "seq", "alpha.html"), "<html></html>");
        Notebook(Path.Combine(notebooks, "seq", "beta.ipynb"), tagged: false);
        File.WriteAllText(Path.Combine(notebooks, "times.json"), """
            {"notebooks/seq/alpha.ipynb": {"seconds": 61.5, "ok": true, "scale": "cpu"}, "notebooks/seq/beta.ipynb": {"seconds": 3, "ok": false}}
            """);
        var catalogue = new Dictionary<string, CatalogueEntry> { ["alpha"] = new("alpha", "sequence models", 1, "The Alpha Paper") };

        var cards = ReproductionGallery.Cards(notebooks, runs, catalogue, notebooks).ToDictionary(c => c.Id);
        Assert.Equal(["alpha", "beta"], cards.Keys.Order());
        var a = cards["alpha"];
        Assert.Equal(("sequence models", "The Alpha Paper", "holds", "cpu", 61.5), (a.Family, a.Title, a.Verdict, a.Scale, a.Seconds));
        Assert.Equal(Path.Combine("seq", "alpha.html"), a.Report);
        Assert.Equal("key", TitleOf(a.FigureJson));
        Assert.Single(a.Conditions);
        Assert.Equal("failed", cards["beta"].Verdict);          // the notebook failed: no record can say otherwise
        Assert.Null(cards["beta"].Report);
    }

    [Fact]
    public void TheResultsTableReplacesOnlyTheReadmesResultsBlock()
    {
        using var dir = new TempDirectory();
        var record = Record(dir.Path, "alpha", "cpu", DateTimeOffset.UtcNow) with { Narrower = "one task" };
        var table = ResultsTable.Markdown([record]);
        Assert.Contains("| `alpha` | holds (narrower than the paper) | accuracy: 0.9 ≥ 0.8", table);
        Assert.Contains("`abcdef0`", table);
        var readme = $"# Title\n\nbefore\n{ResultsTable.Begin}\nold rows\n{ResultsTable.End}\nafter\n";
        var updated = ResultsTable.Replace(readme, table);
        Assert.StartsWith("# Title\n\nbefore\n", updated);
        Assert.EndsWith($"{ResultsTable.End}\nafter\n", updated);
        Assert.DoesNotContain("old rows", updated);
        Assert.Equal(updated, ResultsTable.Replace(updated, table));
        Assert.Throws<InvalidDataException>(() => ResultsTable.Replace("no markers", table));
    }

    [Fact]
    public void ARunWritesItsClaimRecordAndTheCommandsReadIt()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = Cli.Run(dir.Path, "run", "digits-logreg", "--scale", "smoke");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(dir.Path, "digits-logreg")));
        var record = ClaimRecord.Read(run)!;
        Assert.Equal(("digits-logreg", "smoke", "holds", "Completed"), (record.Experiment, record.Scale, record.Verdict, record.Status));
        Assert.NotEmpty(record.Conditions);
        Assert.All(record.Conditions, c => Assert.True(c.Holds));
        Assert.True(record.Seconds > 0);

        var (listCode, listOut, _) = Cli.Run(dir.Path, "list");
        Assert.Equal(0, listCode);
        Assert.Contains("claim holds (smoke", listOut);
        var (tableCode, tableOut, _) = Cli.Run(dir.Path, "table", "--scale", "smoke");
        Assert.Equal(0, tableCode);
        Assert.Contains("| `digits-logreg` | holds |", tableOut);

        var notebooks = Path.Combine(dir.Path, "notebooks");
        Notebook(Path.Combine(notebooks, "demo", "digits-logreg.ipynb"), tagged: true);
        var catalogue = Path.Combine(dir.Path, "catalogue.tsv");
        File.WriteAllText(catalogue, "# test\nid\tfamily\tpriority\ttitle\ndigits-logreg\tdemo\t1\tLogistic regression on digits\nother\tdemo\t2\tOther\n");
        var (galleryCode, galleryOut, galleryErr) = Cli.Run(dir.Path, "gallery", "--notebooks", notebooks, "--catalogue", catalogue);
        Assert.True(galleryCode == 0, galleryErr);
        Assert.Contains("1 of 2 catalogued papers have a notebook. 1 claims hold", galleryOut);
        var html = File.ReadAllText(Path.Combine(notebooks, "index.html"));
        Assert.Contains("id=\"card-digits-logreg\"", html);
        Assert.Contains("Logistic regression on digits", html);
    }
}
