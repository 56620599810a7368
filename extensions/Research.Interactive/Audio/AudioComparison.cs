using System.Text;
using Research.Torch;

namespace Research.Interactive;

/// <summary>Target and generated audio side by side: spectrograms on a shared dB scale with a player under each.</summary>
public sealed class AudioComparison : IMimeRenderable, IUsesPlotly
{
    private readonly AudioPlayer _target, _generated;

    /// <summary>Builds the view; <paramref name="mel"/> selects mel or linear spectrograms.</summary>
    public AudioComparison(ReadOnlySpan<float> target, ReadOnlySpan<float> generated, int sampleRate, bool mel = true, string? title = null)
        : this(SpectrogramView.Compare(target, generated, sampleRate, mel, title: title),
            new AudioPlayer(target, sampleRate, "target"), new AudioPlayer(generated, sampleRate, "generated"))
    {
    }

    /// <summary>Builds the view from mono waveform tensors of shape [T] or [1, T].</summary>
    public AudioComparison(Tensor target, Tensor generated, int sampleRate, bool mel = true, string? title = null)
        : this(SpectrogramView.Compare(target, generated, sampleRate, mel, title: title),
            new AudioPlayer(target, sampleRate, "target"), new AudioPlayer(generated, sampleRate, "generated"))
    {
    }

    private AudioComparison(Figure figure, AudioPlayer target, AudioPlayer generated)
    {
        Figure = figure;
        _target = target;
        _generated = generated;
    }

    /// <summary>The side-by-side spectrogram figure.</summary>
    public Figure Figure { get; }

    /// <summary>Figure and players as HTML; <paramref name="selfContained"/> embeds plotly.js.</summary>
    public string ToHtml(bool selfContained = false)
    {
        var sb = new StringBuilder("<div class=\"research-audio-comparison\">");
        sb.Append(Figure.ToHtml(selfContained));
        sb.Append("<div style=\"display:flex;gap:24px;justify-content:space-around\">");
        sb.Append(_target.ToHtml()).Append(_generated.ToHtml());
        sb.Append("</div></div>");
        return sb.ToString();
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => new MimeBundle()
        .Add(MimeBundle.Html, ToHtml(selfContained: PlotlyJs.SentToNotebook.TryClaim()))
        .Add(MimeBundle.PlainText, $"AudioComparison({_target.Duration:F2} s vs {_generated.Duration:F2} s)");
}
