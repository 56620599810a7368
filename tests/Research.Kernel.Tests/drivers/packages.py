"""#r "nuget:" through the real kernel: restore with dependencies, native assets, version unification, data-frame and
Plotly.NET formatters, clear errors, the restore cache shared by a second kernel, and no network."""
import json, os, sys, tempfile, time
from kerneltest import start, run, emit

dll = sys.argv[1]
cache = tempfile.mkdtemp(prefix="rk-nuget-cache-")     # XDG_CACHE_HOME: restore projects of these kernels only
res = {}

def kernel(env=None, cwd=None):
    e = dict(os.environ, XDG_CACHE_HOME=cache)
    e.update(env or {})
    return start(dll, env=e, cwd=cwd or tempfile.mkdtemp(prefix="rk-nb-"))

def timed(kc, name, code):
    t = time.monotonic()
    res[name] = run(kc, code, timeout=600)
    res[name + "_s"] = time.monotonic() - t

MDA = '#r "nuget: Microsoft.Data.Analysis, 0.24.0"\n'
FRAME = ('using Microsoft.Data.Analysis;\nvar n = 10_000;\n'
         'var df = new DataFrame(new PrimitiveDataFrameColumn<int>("step", Enumerable.Range(0, n)),\n'
         '    new PrimitiveDataFrameColumn<double>("loss", Enumerable.Range(0, n).Select(i => 1.0 / (i + 1))),\n'
         '    new StringDataFrameColumn("tag", Enumerable.Range(0, n).Select(i => i % 2 == 0 ? "even" : "odd")));\n')

km, kc, _ = kernel()
try:
    timed(kc, "mda", MDA + FRAME + "df")
    # formatting cost of the 10,000-row frame (HTML + text), measured in the kernel; reported, not asserted
    res["mda_format"] = run(kc, 'var sw = Stopwatch.StartNew(); for (int i = 0; i < 20; i++) Research.Interactive.Formatters.ToMimeBundle(df);\n'
                                '$"{sw.Elapsed.TotalMilliseconds / 20:F2}"')
    res["mda_group"] = run(kc, 'df.GroupBy("tag").Count().Rows.Count')
    # runs as data frames: Research.Experiments.DataFrames comes with the package (namespace imported)
    runs = tempfile.mkdtemp(prefix="rk-runs-")
    res["runs_frame"] = run(kc, f'var root = "{runs}";\n'
        'foreach (var (lr, widths) in new[] { (0.1, new[] { 8, 8 }), (0.01, new[] { 16, 4 }) })\n'
        '{\n'
        '    using var r = Run.Create("sweep", new { lr, widths }, root: root);\n'
        '    for (int s = 1; s <= 3; s++) { r.Record(s, "train/loss", lr / s); r.Record(s, "eval/accuracy", 1 - lr / s); }\n'
        '}\n'
        'var records = RunComparison.ListRuns("sweep", root);\n'
        'var metrics = records[0].MetricsFrame();\n'
        'var losses = metrics.Filter(metrics["name"].ElementwiseEquals("train/loss"));\n'
        'var byName = metrics.GroupBy("name").Mean("value");\n'
        'var comparison = RunComparison.Compare(records).ToDataFrame();\n'
        '$"{metrics.Rows.Count}|{losses.Rows.Count}|{byName.Rows.Count}|{string.Join(",", comparison.Columns.Select(c => c.Name + ":" + c.DataType.Name))}|{comparison["lr"][1]}"')
    res["runs_comparison_html"] = run(kc, "comparison")
    timed(kc, "deedle", '#r "nuget: Deedle, 8.1.0"\nusing Deedle;\n'
                        'var f = Frame.FromColumns(new[] { KeyValuePair.Create("a", new Series<int, double>(new[] { 0, 1 }, new[] { 1.5, 2.25 })),\n'
                        '    KeyValuePair.Create("b", new Series<int, double>(new[] { 0, 1 }, new[] { 3.0, double.NaN })) });\nf')
    timed(kc, "plotly", '#r "nuget: Plotly.NET.CSharp, 0.14.0"\n'
                        'var chart = Plotly.NET.CSharp.Chart.Line<int, double, string>(new[] { 1, 2, 3 }, new[] { 4.0, 5.0, 6.0 });\n'
                        'var shown = display(chart);\n'
                        'shown.Update(Plotly.NET.CSharp.Chart.Line<int, double, string>(new[] { 1, 2, 3 }, new[] { 7.0, 8.0, 9.0 }));')
    # the directive line is blanked, not removed: diagnostics keep the cell's line numbers
    res["line_numbers"] = run(kc, '\n#r "nuget: Deedle, 8.1.0"\n\nint broken = undefinedName;')
    # FSharp.Core: one copy loaded; assemblies built against older versions (Plotly.NET's dependencies) run on it
    res["fsharp"] = run(kc, 'var fsLoaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "FSharp.Core").Select(a => a.GetName().Version!).ToList();\n'
                            'var older = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.GetReferencedAssemblies().Any(r => r.Name == "FSharp.Core" && r.Version < fsLoaded[0]))\n'
                            '    .Select(a => $"{a.GetName().Name}->{a.GetReferencedAssemblies().First(r => r.Name == "FSharp.Core").Version}").ToList();\n'
                            '$"{string.Join(",", fsLoaded)}|{string.Join(",", older)}"')
    res["deedle_series"] = run(kc, 'var series = f.GetColumn<double>("a"); var sw2 = Stopwatch.StartNew(); display(series); sw2.Elapsed.TotalSeconds')
    timed(kc, "native", '#r "nuget: Microsoft.Data.Sqlite, 10.0.0"\n'
                        'var con = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:"); con.Open();\n'
                        'var cmd = con.CreateCommand(); cmd.CommandText = "select sqlite_version()";\n'
                        'var version = (string)cmd.ExecuteScalar()!;\n'
                        'var lib = File.ReadAllLines("/proc/self/maps").Select(l => l.Split(\' \').Last()).First(p => p.EndsWith("libe_sqlite3.so"));\n'
                        '$"{version}|{lib}"')
    timed(kc, "unknown", '#r "nuget: No.Such.Package.Anywhere, 1.2.3"')
    timed(kc, "bad_version", '#r "nuget: Newtonsoft.Json, 999.0.0"')
    res["after_errors"] = run(kc, "df.Rows.Count + 1")
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)

# A second kernel asking for a package set restored before: no dotnet restore (the cell says "restore cached")
km, kc, _ = kernel()
try:
    timed(kc, "second_kernel", MDA + FRAME + "df.Rows.Count")
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)

# No network: every source unreachable (a NuGet.Config in the notebook's folder), an empty global packages folder
offline = tempfile.mkdtemp(prefix="rk-offline-")
with open(os.path.join(offline, "NuGet.Config"), "w") as cfg:
    cfg.write('<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear />'
              '<add key="unreachable" value="https://127.0.0.1:9/v3/index.json" /></packageSources></configuration>\n')
km, kc, _ = kernel(env={"NUGET_PACKAGES": tempfile.mkdtemp(prefix="rk-empty-packages-")}, cwd=offline)
try:
    timed(kc, "offline_uncached", '#r "nuget: Deedle"')
    res["offline_after"] = run(kc, "1 + 1")
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
# ... and with the user's global packages folder, where the first kernel's restore put Deedle: the newest cached version
km, kc, _ = kernel(cwd=offline)
try:
    timed(kc, "offline_cached", '#r "nuget: Deedle"\ntypeof(Deedle.Frame).Assembly.GetName().Name')
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
emit(res)
