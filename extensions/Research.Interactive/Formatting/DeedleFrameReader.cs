using System.Collections;
using System.Reflection;

namespace Research.Interactive;

/// <summary>
/// Reads a Deedle <c>Frame&lt;TRowKey, TColumnKey&gt;</c> into a <see cref="FrameTable"/> by reflection (row keys, column keys
/// and types, and the shown cells through <c>GetColumnAt&lt;object&gt;</c> / <c>TryGetAt</c>; missing values show as null).
/// </summary>
internal static class DeedleFrameReader
{
    public const string AssemblyName = "Deedle";
    public const string TypeName = "Deedle.Frame`2";

    public static FrameTable Read(object frame)
    {
        var t = frame.GetType();
        var rowCount = (int)t.GetProperty("RowCount")!.GetValue(frame)!;
        var keys = ((IEnumerable)t.GetProperty("ColumnKeys")!.GetValue(frame)!).Cast<object>().Select(k => FrameTable.FormatCell(k)).ToList();
        var types = ((IEnumerable<Type>)t.GetProperty("ColumnTypes")!.GetValue(frame)!).ToList();
        var rowKeyAt = t.GetMethod("GetRowKeyAt")!;
        var columnAt = t.GetMethods().First(m => m.Name == "GetColumnAt" && m.IsGenericMethodDefinition).MakeGenericMethod(typeof(object));
        var series = new Dictionary<int, (object Series, MethodInfo TryGetAt)>();
        (object Series, MethodInfo TryGetAt) Column(int c)
        {
            if (!series.TryGetValue(c, out var s))
            {
                var col = columnAt.Invoke(frame, new object[] { c })!;
                series[c] = s = (col, col.GetType().GetMethod("TryGetAt")!);
            }
            return s;
        }
        return new FrameTable("Deedle frame", rowCount, keys, types,
            r => FrameTable.FormatCell(rowKeyAt.Invoke(frame, new object[] { (int)r })!),
            (r, c) =>
            {
                var (s, tryGetAt) = Column(c);
                var optional = tryGetAt.Invoke(s, new object[] { (int)r })!;
                var ot = optional.GetType();
                return (bool)ot.GetProperty("HasValue")!.GetValue(optional)! ? ot.GetProperty("Value")!.GetValue(optional) : null;
            },
            indexName: "");
    }
}
