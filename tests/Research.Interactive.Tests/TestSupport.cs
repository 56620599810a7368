using System.Diagnostics;
using System.Text.Json;

namespace Research.Interactive.Tests;

/// <summary>
/// Tests that install <see cref="Display.Target"/> (a process-wide static) or drive the browser run one at a time,
/// sharing one Chromium.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DisplayCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "display";
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>A display host like a kernel's: formats every value to its MIME bundle and serialises the message.</summary>
internal sealed class RecordingTarget : IDisplayTarget
{
    private int _next;
    public List<(string id, MimeBundle bundle)> Shown { get; } = new();
    public List<(string id, MimeBundle bundle)> Updates { get; } = new();
    public long BytesSent { get; private set; }

    public string Show(object? value)
    {
        var id = $"d{++_next}";
        Shown.Add((id, Send(value)));
        return id;
    }

    public void Update(string displayId, object? value) => Updates.Add((displayId, Send(value)));

    private MimeBundle Send(object? value)
    {
        var bundle = Formatters.ToMimeBundle(value);
        BytesSent += JsonSerializer.SerializeToUtf8Bytes(bundle.ToJson()).Length;
        return bundle;
    }
}

internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Artifacts(string name)
    {
        var dir = Path.Combine(Root, "artifacts", "interactive");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Research.sln"))) return d.FullName;
        throw new InvalidOperationException("Research.sln not found above " + AppContext.BaseDirectory);
    }
}
