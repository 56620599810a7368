using System.Reflection;
using Microsoft.DotNet.Interactive.Formatting;

namespace Research.Interactive;

/// <summary>
/// Formatters for types of libraries this one does not reference (Microsoft.Data.Analysis data frames, Deedle frames):
/// registered with the <see cref="Formatter"/> registry by type name when the library's assembly is loaded (e.g. by
/// <c>#r "nuget: …"</c>), so notebooks that never load them pay nothing and the extension carries no dependency on them.
/// </summary>
internal static class LibraryFormatters
{
    private static readonly (string Assembly, string Type, Func<object, FrameTable> Read)[] Frames =
    {
        (DataFrameReader.AssemblyName, DataFrameReader.TypeName, DataFrameReader.Read),
        (DeedleFrameReader.AssemblyName, DeedleFrameReader.TypeName, DeedleFrameReader.Read),
    };

    private static int _started;

    /// <summary>Registers for the libraries already loaded and watches for the others; once.</summary>
    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        AppDomain.CurrentDomain.AssemblyLoad += (_, e) => OnLoad(e.LoadedAssembly);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies()) OnLoad(assembly);
    }

    private static void OnLoad(Assembly assembly)
    {
        if (assembly.IsDynamic) return;
        var name = assembly.GetName().Name;
        foreach (var (asm, typeName, read) in Frames)
        {
            if (name != asm || assembly.GetType(typeName) is not { } type) continue;
            Formatter.Register(type, (value, context) => { context.Writer.Write(read(value).ToHtml()); return true; }, MimeBundle.Html);
            Formatter.Register(type, (value, context) => { context.Writer.Write(read(value).ToText()); return true; }, MimeBundle.PlainText);
        }
    }
}
