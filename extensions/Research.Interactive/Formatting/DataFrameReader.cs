using System.Collections;
using System.Reflection;

namespace Research.Interactive;

/// <summary>
/// Reads a Microsoft.Data.Analysis <c>DataFrame</c> into a <see cref="FrameTable"/> through its public API by reflection,
/// so this library does not depend on the package: only the rows shown are read.
/// </summary>
internal static class DataFrameReader
{
    public const string AssemblyName = "Microsoft.Data.Analysis";
    public const string TypeName = "Microsoft.Data.Analysis.DataFrame";

    public static FrameTable Read(object frame)
    {
        var columns = ((IEnumerable)frame.GetType().GetProperty("Columns")!.GetValue(frame)!).Cast<object>().ToList();
        var column = frame.GetType().Assembly.GetType("Microsoft.Data.Analysis.DataFrameColumn")!;
        var name = column.GetProperty("Name")!;
        var type = column.GetProperty("DataType")!;
        var length = column.GetProperty("Length")!;
        var item = column.GetProperties().First(p => p.Name == "Item" && p.GetIndexParameters() is [{ ParameterType: var t }] && t == typeof(long));
        var rows = columns.Count == 0 ? 0 : (long)length.GetValue(columns[0])!;
        return new FrameTable("DataFrame", rows,
            columns.Select(c => (string)name.GetValue(c)!).ToList(),
            columns.Select(c => (Type)type.GetValue(c)!).ToList(),
            r => r.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (r, c) => item.GetValue(columns[c], new object[] { r }));
    }
}
