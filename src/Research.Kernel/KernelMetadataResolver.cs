using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace Research.Kernel;

/// <summary>
/// Script <c>#r</c> resolution as Roslyn does it, except <c>nuget:</c>: the engine restores those and removes the directive
/// before compiling (Roslyn accepts one assembly per <c>#r</c>), so here (completion, inspection) they resolve to nothing.
/// </summary>
internal sealed class KernelMetadataResolver : MetadataReferenceResolver
{
    private readonly ScriptMetadataResolver _inner;

    public KernelMetadataResolver(string baseDirectory) => _inner = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory);

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        if (reference.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase)) return ImmutableArray<PortableExecutableReference>.Empty;
        return _inner.ResolveReference(reference, baseFilePath, properties);
    }

    public override bool ResolveMissingAssemblies => _inner.ResolveMissingAssemblies;
    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) => _inner.ResolveMissingAssembly(definition, referenceIdentity);
    public override bool Equals(object? other) => other is KernelMetadataResolver r && r._inner.Equals(_inner);
    public override int GetHashCode() => _inner.GetHashCode();
}
