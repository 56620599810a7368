using System.Diagnostics;
using System.Globalization;

namespace Research.Experiments;

/// <summary>
/// A text progress bar with rate, ETA and the latest loss, redrawn in place on a terminal; when the output is
/// redirected (CI, logs) it prints a plain line every 10 % instead.
/// </summary>
public sealed class ConsoleProgress(TextWriter? output = null, bool? inPlace = null, int width = 30) : ITrainerCallback
{
    private readonly TextWriter _out = output ?? Console.Error;
    private readonly bool _inPlace = inPlace ?? (output is null && !Console.IsErrorRedirected);
    private readonly Stopwatch _clock = new();
    private long _start;
    private double _lastDraw = double.NegativeInfinity;
    private int _lastDecile = -1;
    private string _evalText = "";

    /// <inheritdoc />
    public void OnStart(long startStep, long maxSteps)
    {
        _start = startStep;
        _clock.Restart();
    }

    /// <inheritdoc />
    public void OnStep(long stepsDone, long maxSteps, StepResult result)
    {
        double now = _clock.Elapsed.TotalSeconds;
        int decile = (int)(10 * stepsDone / Math.Max(1, maxSteps));
        bool last = stepsDone >= maxSteps;
        if (_inPlace ? now - _lastDraw < 0.1 && !last : decile == _lastDecile && !last) return;
        _lastDraw = now;
        _lastDecile = decile;
        var line = Line(stepsDone, maxSteps, result, now);
        if (_inPlace) _out.Write("\r" + line + "\u001b[K");
        else _out.WriteLine(line);
        _out.Flush();
    }

    /// <inheritdoc />
    public void OnEvaluate(long stepsDone, IReadOnlyDictionary<string, double> metrics) =>
        _evalText = string.Join(" ", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:G4}")));

    /// <inheritdoc />
    public void OnEnd(TrainingResult result)
    {
        if (_inPlace) _out.WriteLine();
        _out.WriteLine($"{result.Status}: {result.Message}");
        _out.Flush();
    }

    private string Line(long done, long max, StepResult result, double seconds)
    {
        double fraction = Math.Clamp((double)done / Math.Max(1, max), 0, 1);
        int filled = (int)Math.Round(fraction * width);
        double rate = (done - _start) / Math.Max(seconds, 1e-9);
        var eta = rate > 0 ? TimeSpan.FromSeconds((max - done) / rate) : TimeSpan.Zero;
        var loss = result.Loss is { } l ? string.Create(CultureInfo.InvariantCulture, $" loss {l:G4}") : "";
        var eval = _evalText.Length > 0 ? " | " + _evalText : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', width - filled)}] {done}/{max} {fraction:P0} {rate:F1} it/s ETA {eta:mm\\:ss}{loss}{eval}");
    }
}
