using Microsoft.DotNet.Interactive.Formatting;

namespace Research.Kernel;

/// <summary>
/// Formats through the <see cref="Formatter"/> registry, but stops the library's default formatters (the property tree
/// for types nobody registered a formatter for) after <see cref="MaxChars"/> characters. A value with a large, lazily
/// expanding graph (a 2×2 Deedle frame: 44 MB of nested tables in 8 s) then shows its <c>ToString()</c> and a note
/// instead of freezing the kernel and bloating the notebook.
/// </summary>
internal static class BoundedFormatting
{
    /// <summary>The most a default formatter may write for one value and MIME type.</summary>
    public const int MaxChars = 1 << 20;

    /// <summary>How deep the default property tree goes (the library's default is 6: a 2-element Deedle series then took 2 s and 2 MB; at 4, 0.1 s and 150 KB).</summary>
    public const int RecursionLimit = 4;

    static BoundedFormatting() => Formatter.RecursionLimit = Math.Min(Formatter.RecursionLimit, RecursionLimit);

    public static string ToDisplayString(object value, string mime)
    {
        var formatter = Formatter.GetPreferredFormatterFor(value.GetType(), mime);
        if (!IsLibraryDefault(formatter)) return Formatter.ToDisplayString(value, mime);
        var writer = new LimitedWriter(MaxChars);
        try
        {
            using (var context = new FormatContext(writer)) value.FormatTo(context, mime);
            return writer.ToString();
        }
        catch (OutputLimitException)
        {
            var text = SafeToString(value);
            var note = $"{value.GetType().FullName}: the default formatter's {mime} passed {MaxChars / (1 << 20)} MB and was stopped; " +
                       "register a formatter for this type (Formatter.Register) to show it differently.";
            return mime == MimeBundle.Html
                ? $"<pre>{System.Net.WebUtility.HtmlEncode(text)}</pre><div style=\"color:#888\">{System.Net.WebUtility.HtmlEncode(note)}</div>"
                : $"{text}\n({note})";
        }
    }

    /// <summary>The formatters .NET Interactive makes for types without a registration (registered ones are wrapped differently).</summary>
    private static bool IsLibraryDefault(ITypeFormatter formatter)
    {
        var type = formatter.GetType();
        if (!type.IsGenericType) return false;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(HtmlFormatter<>) || definition == typeof(PlainTextFormatter<>) ||
               definition == typeof(JsonFormatter<>);
    }

    private static string SafeToString(object value)
    {
        try
        {
            var s = value.ToString() ?? "";
            return s.Length > 4096 ? s[..4096] + "…" : s;
        }
        catch (Exception e) { return $"<{value.GetType().Name}: ToString threw {e.GetType().Name}>"; }
    }

    private sealed class OutputLimitException : Exception;

    private sealed class LimitedWriter(int limit) : StringWriter
    {
        private void Check(int more)
        {
            if (GetStringBuilder().Length + more > limit) throw new OutputLimitException();
        }

        public override void Write(char value) { Check(1); base.Write(value); }
        public override void Write(string? value) { Check(value?.Length ?? 0); base.Write(value); }
        public override void Write(char[] buffer, int index, int count) { Check(count); base.Write(buffer, index, count); }
        public override void Write(ReadOnlySpan<char> buffer) { Check(buffer.Length); base.Write(buffer); }
    }
}
