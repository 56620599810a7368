using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Research.Kernel.Tests;

/// <summary>Kernels started by drivers/packages.py: #r "nuget:" restores, loads, formats and fails clearly.</summary>
public sealed class PackageSession
{
    // Restores reach the package feed and run dotnet restore several times: generous on a loaded machine.
    public JsonObject R { get; } = Harness.Driver("packages.py", 900_000, Harness.KernelDll);
    public Cell this[string name] => Cell.From(R[name]);
    public double Seconds(string name) => (double)R[name + "_s"]!;
}

public class PackageTests : IClassFixture<PackageSession>
{
    private readonly PackageSession _s;
    private readonly ITestOutputHelper _out;

    public PackageTests(PackageSession s, ITestOutputHelper output) { _s = s; _out = output; }

    private static string Stdout(Cell c) => string.Concat(c.Outputs.Where(o => o.Type == "stream").Select(o => (string)o.Content["text"]!));

    private static JsonObject Data(Cell c, string type) => c.Outputs.First(o => o.Type == type).Content["data"]!.AsObject();

    [Fact]
    public void A_package_with_dependencies_restores_and_its_data_frame_shows_as_a_compact_table()
    {
        var c = _s["mda"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        Assert.Contains("NuGet: Microsoft.Data.Analysis 0.24.0", Stdout(c));
        var data = Data(c, "execute_result");
        var html = (string)data["text/html"]!;
        Assert.Contains("DataFrame: 10,000 rows × 3 columns", System.Net.WebUtility.HtmlDecode(html));
        Assert.Contains(">loss<br>", html);
        Assert.Contains(">double</span>", html);
        Assert.Contains("9,990 more rows", html);
        Assert.Contains(">0.333333<", html);                 // six significant digits, not 0.3333333333333333
        Assert.Contains(">9999<", html);                     // the tail
        Assert.True(html.Length < 10_000, $"{html.Length} characters of HTML");
        var text = (string)data["text/plain"]!;
        Assert.Contains("step", text);
        Assert.Contains("DataFrame: 10,000 rows × 3 columns", text);
        Assert.Equal("2", _s["mda_group"].Result);          // the user's DataFrame API works (GroupBy)
        _out.WriteLine($"DataFrame 10,000 rows: restore cell {_s.Seconds("mda"):F1} s, format (HTML + text) {_s["mda_format"].Result} ms");
    }

    [Fact]
    public void Runs_and_run_comparisons_load_as_data_frames_to_filter_and_group()
    {
        var c = _s["runs_frame"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        var parts = c.Result!.Split('|');
        Assert.Equal("6", parts[0]);                          // 3 steps × 2 metrics
        Assert.Equal("3", parts[1]);                          // filtered to train/loss
        Assert.Equal("2", parts[2]);                          // grouped by name
        Assert.Equal("experiment:String,run:String,status:String,lr:Double,widths:String,eval/accuracy:Double,train/loss:Double", parts[3]);
        Assert.Equal("0.01", parts[4]);
        var html = (string)Data(_s["runs_comparison_html"], "execute_result")["text/html"]!;
        Assert.Contains("[16,4]", html);                       // an array hyperparameter in one cell
        Assert.Contains("DataFrame: 2 rows", html);
    }

    [Fact]
    public void A_Deedle_frame_shows_as_a_small_table_and_unregistered_types_stay_bounded()
    {
        var c = _s["deedle"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        var data = Data(c, "execute_result");
        var html = (string)data["text/html"]!;
        Assert.Contains("Deedle frame: 2 rows × 2 columns", System.Net.WebUtility.HtmlDecode(html));
        Assert.Contains(">2.25<", html);
        Assert.True(html.Length < 5_000, $"{html.Length} characters (the default formatter wrote 44 MB)");
        Assert.Contains("null", (string)data["text/plain"]!);   // the missing value (NaN in a Deedle frame is missing)
        // A Deedle series has no formatter of ours: the default property tree, bounded in depth and size
        var series = _s["deedle_series"];
        Assert.Equal("ok", series.Status);
        var bundle = Data(series, "display_data");
        Assert.InRange(((string)bundle["text/html"]!).Length, 1, 1 << 20);
        Assert.InRange(((string)bundle["text/plain"]!).Length, 1, 1 << 20);
    }

    [Fact]
    public void Diagnostics_after_a_nuget_line_keep_their_line_numbers()
    {
        var c = _s["line_numbers"];
        Assert.Equal("CompilationError", (string)c.Reply["ename"]!);
        Assert.Matches(@"^cell\d+\(4,14\): error CS0103", (string)c.Reply["evalue"]!);
    }

    [Fact]
    public void Versions_unify_one_FSharp_Core_serves_assemblies_built_against_older_ones()
    {
        var c = _s["fsharp"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        var parts = c.Result!.Split('|');
        Assert.Single(parts[0].Split(','));                  // one FSharp.Core loaded
        Assert.NotEqual("", parts[1]);                      // ... and assemblies referencing older versions run on it
    }

    [Fact]
    public void A_Plotly_NET_chart_draws_with_plotly_js_and_updates_in_place()
    {
        var c = _s["plotly"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        var shown = c.Outputs.Where(o => o.Type == "display_data").Select(o => o.Content).ToList();
        Assert.Contains(shown, o => ((string)o["data"]!["text/html"]!).Contains("Plotly"));   // the library output first
        var chart = shown.Last();
        var id = (string)chart["transient"]!["display_id"]!;
        var figure = chart["data"]!["application/vnd.plotly.v1+json"]!;
        Assert.Equal(new[] { 4.0, 5.0, 6.0 }, Ys(figure));
        Assert.Contains("class=\"research-figure\"", (string)chart["data"]!["text/html"]!);
        var update = c.Outputs.Single(o => o.Type == "update_display_data").Content;
        Assert.Equal(id, (string)update["transient"]!["display_id"]!);
        Assert.Equal(new[] { 7.0, 8.0, 9.0 }, Ys(update["data"]!["application/vnd.plotly.v1+json"]!));
    }

    private static double[] Ys(JsonNode figure) => figure["data"]![0]!["y"]!.AsArray().Select(v => (double)v!).ToArray();

    [Fact]
    public void Native_assets_of_a_package_load()
    {
        var c = _s["native"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        var parts = c.Result!.Split('|');
        Assert.StartsWith("3.", parts[0]);                                   // sqlite_version()
        Assert.Contains("runtimes/linux-x64/native/libe_sqlite3.so", parts[1]);   // from the package, not the system
    }

    [Fact]
    public void Unknown_package_and_unknown_version_fail_the_cell_naming_them_and_the_kernel_goes_on()
    {
        var unknown = _s["unknown"];
        Assert.Equal("NuGetRestoreFailed", (string)unknown.Reply["ename"]!);
        Assert.Contains("'No.Such.Package.Anywhere': not found", (string)unknown.Reply["evalue"]!);
        var version = _s["bad_version"];
        Assert.Equal("NuGetRestoreFailed", (string)version.Reply["ename"]!);
        Assert.Contains("'Newtonsoft.Json': version not found", (string)version.Reply["evalue"]!);
        Assert.Equal("10001", _s["after_errors"].Result);   // earlier packages and variables are still there
    }

    [Fact]
    public void A_second_kernel_reuses_the_cached_restore()
    {
        var c = _s["second_kernel"];
        Assert.True(c.Status == "ok", c.Reply.ToJsonString());
        Assert.Equal("10000", c.Result);
        Assert.Contains("restore cached", Stdout(c));
        Assert.DoesNotContain("Restoring", Stdout(c));
        _out.WriteLine($"#r + 10,000-row frame: first kernel {_s.Seconds("mda"):F1} s (dotnet restore), second kernel {_s.Seconds("second_kernel"):F1} s (cached)");
    }

    [Fact]
    public void Without_network_an_uncached_package_fails_clearly_and_a_cached_one_is_used()
    {
        var c = _s["offline_uncached"];
        Assert.Equal("NuGetRestoreFailed", (string)c.Reply["ename"]!);
        Assert.Contains("Deedle", (string)c.Reply["evalue"]!);
        Assert.Contains("no NuGet source could be reached", (string)c.Reply["evalue"]!);
        Assert.Equal("2", _s["offline_after"].Result);
        var cached = _s["offline_cached"];
        Assert.True(cached.Status == "ok", cached.Reply.ToJsonString());
        Assert.Equal("Deedle", cached.Result);
        Assert.Contains("restoring from the global packages folder", Stdout(cached));
    }
}
