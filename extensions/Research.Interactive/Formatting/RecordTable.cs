using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace Research.Interactive;

/// <summary>HTML tables for sequences of records: the stand-in for data frames (one row per record, one column per property).</summary>
public static class RecordTable
{
    /// <summary>Rows shown before the table is cut with a "… N more rows" line.</summary>
    public const int MaxRows = 200;

    /// <summary>An HTML table of <paramref name="rows"/>' public properties.</summary>
    public static string ToHtml<T>(IEnumerable<T> rows)
    {
        var writer = new StringWriter();
        Write(typeof(T), rows, writer);
        return writer.ToString();
    }

    /// <summary>Writes a table when <paramref name="sequence"/> is a sequence of records; returns false for anything else.</summary>
    internal static bool TryWrite(IEnumerable sequence, TextWriter writer)
    {
        if (sequence is string) return false;
        var element = ElementType(sequence.GetType());
        if (element is null || !IsRecord(element)) return false;
        Write(element, sequence, writer);
        return true;
    }

    /// <summary>C# records have a compiler-generated <c>&lt;Clone&gt;$</c> method (classes) or <c>EqualityContract</c>-free printing members (structs).</summary>
    internal static bool IsRecord(Type type) =>
        type.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null ||
        (type.IsValueType && type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null);

    private static Type? ElementType(Type sequenceType)
    {
        if (sequenceType.IsArray) return sequenceType.GetElementType();
        return sequenceType.GetInterfaces().Append(sequenceType)
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Select(i => i.GetGenericArguments()[0])
            .FirstOrDefault();
    }

    private static void Write(Type element, IEnumerable rows, TextWriter writer)
    {
        var props = element.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToArray();
        var sb = new StringBuilder();
        sb.Append("<table class=\"research-table\" style=\"border-collapse:collapse;font-family:monospace;font-size:12px\">");
        sb.Append("<thead><tr>");
        foreach (var p in props) sb.Append("<th style=\"text-align:right;padding:2px 8px;border-bottom:1px solid #888\">").Append(WebUtility.HtmlEncode(p.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        int n = 0;
        foreach (var row in rows)
        {
            if (n++ >= MaxRows) continue;
            sb.Append("<tr>");
            foreach (var p in props) sb.Append("<td style=\"text-align:right;padding:2px 8px\">").Append(WebUtility.HtmlEncode(Cell(p.GetValue(row)))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (n > MaxRows) sb.Append($"<div style=\"font-size:12px;color:#666\">… {n - MaxRows} more rows ({n} in all)</div>");
        writer.Write(sb.ToString());
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
