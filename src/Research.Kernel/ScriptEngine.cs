using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using Research.Kernel.Packages;

namespace Research.Kernel;

/// <summary>The outcome of one cell.</summary>
internal sealed class CellOutcome
{
    public bool HasValue { get; init; }
    public object? Value { get; init; }
    public Exception? Exception { get; init; }
    public string? ErrorName { get; init; }
    public string? ErrorValue { get; init; }
    public IReadOnlyList<string>? Traceback { get; init; }
    public bool IsError => Exception is not null || ErrorName is not null;
}

/// <summary>Roslyn scripting: cells chained with ContinueWith, state carried across cells.</summary>
internal sealed partial class ScriptEngine
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    private readonly KernelGlobals _globals = new();
    private readonly Task<ScriptState<object>> _initial;
    private ScriptOptions _options = ScriptOptions.Default;
    private volatile ScriptState<object>? _state;
    private readonly string _baseDirectory;
    private NuGetPackages? _packages;   // created by the first cell with #r "nuget:"

    public ScriptEngine(string baseDirectory)
    {
        _baseDirectory = baseDirectory;
        // Build options and the base state (references + imports) in the background: this also warms
        // up Roslyn's parser, binder and emitter so the first cell is fast.
        _initial = Task.Run(async () =>
        {
            var assemblies = Preloaded.LoadAssemblies();
            var references = assemblies.Select(a => (MetadataReference)MetadataReference.CreateFromFile(a.Location));
            _options = ScriptOptions.Default
                .AddReferences(references)
                .AddImports(Preloaded.Imports(assemblies))
                .WithMetadataResolver(new KernelMetadataResolver(baseDirectory))
                .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, baseDirectory))
                .WithEmitDebugInformation(true)
                .WithOptimizationLevel(OptimizationLevel.Release)
                .WithFileEncoding(System.Text.Encoding.UTF8)
                .WithLanguageVersion(LanguageVersion.Latest)
                .WithAllowUnsafe(true);
            Log.Debug("warm-up: options built");
            // On the other core, compile a throwaway cell with the same references: it JITs Roslyn's binder
            // and emitter and reads the references' metadata while the base state is built.
            var options = _options;
            _ = Task.Run(() =>
            {
                try { CSharpScript.Create<object>("1 + 1", options.WithFilePath("warmup"), typeof(KernelGlobals)).Compile(); Log.Debug("warm-up: compiler"); }
                catch (Exception e) { Log.Debug($"warm-up: {e.Message}"); }
            });
            var state = await CSharpScript.RunAsync("", _options.WithFilePath("cell0"), _globals, typeof(KernelGlobals));
            Log.Debug("warm-up: base state");
            return state;
        });
    }

    /// <summary>Completes once the base state (references + imports) is built.</summary>
    public Task WarmUp => _initial;

    private ScriptState<object> State => _state ?? _initial.GetAwaiter().GetResult();

    /// <summary>Compiles and runs a cell on the calling thread. Never throws for user errors.</summary>
    public CellOutcome Execute(string code, int cellNumber, CellContext cell)
    {
        var token = cell.Token;
        var previous = State;
        var name = $"cell{cellNumber}";

        if (PackageRequest.InCode(code) is { Count: > 0 } requests)
        {
            try
            {
                var (references, imports) = (_packages ??= new NuGetPackages(_baseDirectory)).Add(requests, Console.WriteLine);
                _options = _options.AddReferences(references).AddImports(imports);
            }
            catch (PackageRestoreException e)
            {
                var lines = e.Message.Split('\n');
                return new CellOutcome { ErrorName = "NuGetRestoreFailed", ErrorValue = lines[0], Traceback = lines };
            }
            code = PackageRequest.WithoutDirectives(code);   // Roslyn takes one assembly per #r; the packages' are in the options now
        }

        var script = previous.Script.ContinueWith(code, _options.WithFilePath(name));
        ImmutableArray<Diagnostic> diagnostics;
        try { diagnostics = script.Compile(token); }
        catch (CompilationErrorException e) { diagnostics = e.Diagnostics; }
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            var lines = errors.Select(d => FormatDiagnostic(d, name)).ToList();
            return new CellOutcome { ErrorName = "CompilationError", ErrorValue = lines[0], Traceback = lines };
        }

        Log.Debug($"{name}: compiled");
        bool trailing = HasTrailingExpression(script);
        ScriptState<object> next;
        try
        {
            // The token is for user code (the CancellationToken global); Roslyn must still hand back the state of an interrupted cell.
            next = script.RunFromAsync(previous, _ => true, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            return new CellOutcome { Exception = e };
        }
        if (!cell.Orphaned) _state = next; // an orphaned cell finishing late must not rewind the notebook
        if (next.Exception is { } ex) return new CellOutcome { Exception = ex };
        return new CellOutcome { HasValue = trailing, Value = next.ReturnValue };
    }

    private static string FormatDiagnostic(Diagnostic d, string cell)
    {
        var span = d.Location.GetMappedLineSpan();
        var file = span.Path is { Length: > 0 } p && p != cell ? p : cell;
        var pos = d.Location.IsInSource ? $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})" : "";
        return $"{file}{pos}: error {d.Id}: {d.GetMessage()}";
    }

    /// <summary>True if the cell ends with an expression without a semicolon whose type is not void.</summary>
    private static bool HasTrailingExpression(Script script)
    {
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.LastOrDefault();
        if (tree?.GetRoot() is not CompilationUnitSyntax root) return false;
        if (root.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax stmt }) return false;
        if (!stmt.SemicolonToken.IsMissing) return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(stmt.Expression).Type;
        return type is null || type.SpecialType != SpecialType.System_Void;
    }

    // ---- is_complete, completion, inspection ----

    public static (string Status, string Indent) IsComplete(string code)
    {
        if (string.IsNullOrWhiteSpace(code)) return ("complete", "");
        var tree = SyntaxFactory.ParseSyntaxTree(code, ParseOptions);
        if (SyntaxFactory.IsCompleteSubmission(tree)) return ("complete", "");
        return ("incomplete", "    ");
    }

    private (Compilation Compilation, SyntaxTree Tree) CompileForAnalysis(string code)
    {
        var script = State.Script.ContinueWith(code, _options.WithFilePath("analysis"));
        var compilation = script.GetCompilation();
        return (compilation, compilation.SyntaxTrees.Last());
    }

    public (List<string> Matches, int Start, int End) Complete(string code, int cursor)
    {
        cursor = Math.Clamp(cursor, 0, code.Length);
        var (compilation, tree) = CompileForAnalysis(code);
        var model = compilation.GetSemanticModel(tree);
        var root = tree.GetRoot();
        int start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_')) start--;
        var prefix = code[start..cursor];

        IEnumerable<ISymbol> symbols;
        var before = start > 0 ? root.FindToken(start - 1) : default;
        int position = start;
        if (before.IsKind(SyntaxKind.DotToken) && before.Parent is MemberAccessExpressionSyntax ma)
        {
            var left = model.GetSymbolInfo(ma.Expression).Symbol;
            if (left is INamespaceOrTypeSymbol container)
                symbols = model.LookupSymbols(position, container).Where(s => s.IsStatic || s is INamespaceOrTypeSymbol);
            else
            {
                var type = model.GetTypeInfo(ma.Expression).Type;
                symbols = type is null ? Enumerable.Empty<ISymbol>()
                    : model.LookupSymbols(position, type, includeReducedExtensionMethods: true).Where(s => !s.IsStatic || s is IMethodSymbol { MethodKind: MethodKind.ReducedExtension });
            }
        }
        else if (before.IsKind(SyntaxKind.DotToken) && before.Parent is QualifiedNameSyntax qn && model.GetSymbolInfo(qn.Left).Symbol is INamespaceOrTypeSymbol ns)
            symbols = model.LookupSymbols(position, ns);
        else
            symbols = model.LookupSymbols(position);

        var matches = symbols
            .Where(s => s.CanBeReferencedByName && !s.Name.StartsWith("<", StringComparison.Ordinal))
            .Select(s => s.Name)
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Distinct()
            .OrderBy(n => !n.StartsWith(prefix, StringComparison.Ordinal)).ThenBy(n => n, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return (matches, start, cursor);
    }

    public string? Inspect(string code, int cursor)
    {
        cursor = Math.Clamp(cursor, 0, code.Length);
        var (compilation, tree) = CompileForAnalysis(code);
        var model = compilation.GetSemanticModel(tree);
        var root = tree.GetRoot();
        int pos = cursor;
        var token = root.FindToken(pos);
        if ((!token.IsKind(SyntaxKind.IdentifierToken) || pos > token.Span.End) && pos > 0) token = root.FindToken(pos - 1);
        if (!token.IsKind(SyntaxKind.IdentifierToken) && !token.IsKeyword()) return null;
        ISymbol? symbol = null;
        for (var node = token.Parent; node is not null && symbol is null; node = node.Parent)
        {
            var info = model.GetSymbolInfo(node);
            symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault() ?? model.GetDeclaredSymbol(node);
            if (symbol is null && node is ExpressionSyntax or TypeSyntax) symbol = model.GetTypeInfo(node).Type;
            if (node is StatementSyntax) break;
        }
        if (symbol is null) return null;
        var text = symbol.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat.WithMemberOptions(
            SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType | SymbolDisplayMemberOptions.IncludeContainingType));
        if (symbol is ILocalSymbol or IFieldSymbol or IPropertySymbol or IParameterSymbol)
        {
            var type = symbol switch { ILocalSymbol l => l.Type, IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, IParameterSymbol p => p.Type, _ => null };
            if (type is not null && !text.StartsWith(type.ToDisplayString(), StringComparison.Ordinal)) text = $"{type.ToDisplayString()} {text}";
        }
        var summary = DocSummary(symbol);
        return summary is null ? text : $"{text}\n\n{summary}";
    }

    private static string? DocSummary(ISymbol symbol)
    {
        var xml = symbol.GetDocumentationCommentXml();
        if (string.IsNullOrWhiteSpace(xml)) xml = XmlDocs.Lookup(symbol);
        if (string.IsNullOrWhiteSpace(xml)) return null;
        try
        {
            var doc = System.Xml.Linq.XElement.Parse(xml.TrimStart().StartsWith("<member", StringComparison.Ordinal) ? xml : $"<member>{xml}</member>");
            var summary = doc.Element("summary");
            if (summary is null) return null;
            foreach (var cref in summary.Descendants().Where(e => e.Attribute("cref") is not null).ToList())
                cref.ReplaceWith(cref.Attribute("cref")!.Value.Split(':').Last());
            foreach (var pr in summary.Descendants("paramref").ToList()) pr.ReplaceWith(pr.Attribute("name")?.Value ?? "");
            return Regex.Replace(summary.Value, @"\s+", " ").Trim();
        }
        catch { return null; }
    }
}

/// <summary>XML documentation files next to assemblies (ours) or in the targeting pack (the framework).</summary>
internal static class XmlDocs
{
    private static readonly Dictionary<string, Dictionary<string, string>?> Cache = new();

    public static string? Lookup(ISymbol symbol)
    {
        var asm = symbol.ContainingAssembly?.Name;
        var id = symbol.GetDocumentationCommentId();
        if (asm is null || id is null) return null;
        Dictionary<string, string>? provider;
        lock (Cache)
        {
            if (!Cache.TryGetValue(asm, out provider))
            {
                var file = Candidates(asm).FirstOrDefault(File.Exists);
                Cache[asm] = provider = file is null ? null : Load(file);
            }
        }
        return provider is not null && provider.TryGetValue(id, out var xml) ? xml : null;
    }

    private static Dictionary<string, string>? Load(string file)
    {
        try
        {
            return System.Xml.Linq.XDocument.Load(file).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => m.Attribute("name")!.Value)
                .ToDictionary(g => g.Key, g => g.First().ToString());
        }
        catch { return null; }
    }

    private static IEnumerable<string> Candidates(string assembly)
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assembly && !a.IsDynamic);
        if (loaded is { Location.Length: > 0 }) yield return Path.ChangeExtension(loaded.Location, ".xml");
        var dotnetRoot = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)));
        var packs = dotnetRoot is null ? null : Path.Combine(Path.GetDirectoryName(dotnetRoot)!, "packs", "Microsoft.NETCore.App.Ref");
        if (packs is not null && Directory.Exists(packs))
            foreach (var v in Directory.GetDirectories(packs).OrderByDescending(v => v, StringComparer.Ordinal))
                foreach (var tfm in Directory.GetDirectories(Path.Combine(v, "ref")))
                    yield return Path.Combine(tfm, assembly + ".xml");
    }
}
