using System.Collections;
using System.Collections.Concurrent;
using Microsoft.DotNet.Interactive.Formatting;
using Research.Torch;
using Research.Torch.NN;

namespace Research.Interactive;

/// <summary>
/// Registers this extension's HTML formatters with .NET Interactive's <see cref="Formatter"/> registry, so values
/// display the same in our kernel and in Polyglot Notebooks.
/// </summary>
public static class Formatters
{
    private static readonly object Gate = new();
    private static readonly ConcurrentDictionary<Type, bool> Registered = new();
    private static volatile bool _registered;

    /// <summary>
    /// Registers the formatters (figures and live views, record tables, Research.Torch tensors and modules, and data frames
    /// of Microsoft.Data.Analysis and Deedle once their assemblies load); calling it
    /// again does nothing.
    /// </summary>
    public static void Register()
    {
        if (_registered) return;   // hosts call this before every value they format
        lock (Gate)
        {
            if (_registered) return;
            Formatter.Register(typeof(IMimeRenderable), (value, context) => WriteHtml((IMimeRenderable)value, context), MimeBundle.Html);
            Formatter.Register(typeof(IEnumerable), (value, context) => WriteSequence((IEnumerable)value, context), MimeBundle.Html);
            Add<Tensor>(TensorView.ToHtml);
            Add<Module>(ModuleView.ToHtml);
            Formatter.Register<Tensor>(TensorView.Describe, MimeBundle.PlainText);
            Formatter.Register<Module>(m => m.ToString(), MimeBundle.PlainText);
            LibraryFormatters.Start();
            _registered = true;
        }
    }

    /// <summary>
    /// Registers an HTML formatter for <typeparamref name="T"/> through the same registry, once per type: the extension point
    /// for libraries above this one (tensors, modules) to add their own views.
    /// </summary>
    public static void Register<T>(Func<T, string> html)
    {
        Register();
        Add(html);
    }

    private static void Add<T>(Func<T, string> html)
    {
        if (Registered.TryAdd(typeof(T), true)) Formatter.Register<T>(html, MimeBundle.Html);
    }

    /// <summary>
    /// The MIME bundle a notebook host sends for <paramref name="value"/>: the value's own bundle when it has one,
    /// otherwise text/html and text/plain from the formatter registry.
    /// </summary>
    public static MimeBundle ToMimeBundle(object? value)
    {
        Register();
        if (Renderable(value) is IMimeRenderable renderable) return renderable.ToMimeBundle();
        return new MimeBundle()
            .Add(MimeBundle.Html, Formatter.ToDisplayString(value, MimeBundle.Html))
            .Add(MimeBundle.PlainText, Formatter.ToDisplayString(value, MimeBundle.PlainText));
    }

    /// <summary>
    /// The value a host should render: a Plotly.NET chart becomes a <see cref="PlotlyNetChart"/> (drawn with the extension's
    /// plotly.js); anything else is returned as it is.
    /// </summary>
    public static object? Renderable(object? value) => PlotlyNetChart.From(value) ?? value;

    // Records become tables; any other sequence keeps its plain-text form (registering for IEnumerable
    // replaces the registry's own HTML for every sequence, so "not handled" must still write something).
    private static bool WriteSequence(IEnumerable value, FormatContext context)
    {
        if (RecordTable.TryWrite(value, context.Writer)) return true;
        context.Writer.Write("<pre>" + System.Net.WebUtility.HtmlEncode(Formatter.ToDisplayString(value, MimeBundle.PlainText)) + "</pre>");
        return true;
    }

    private static bool WriteHtml(IMimeRenderable value, FormatContext context)
    {
        var html = value.ToMimeBundle().GetText(MimeBundle.Html);
        if (html is null) return false;
        context.Writer.Write(html);
        return true;
    }
}
