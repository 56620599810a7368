using System.Diagnostics;
using System.Reflection;
using Research.Torch.Tests;

namespace Research.GpuCheck;

/// <summary>
/// Runs every <see cref="CudaFactAttribute"/> test of Research.Torch.Tests in this process, as xunit would (a fresh
/// instance per test, disposed afterwards; a skip reason is reported, not run): the GPU machine has no .NET SDK to run
/// <c>dotnet test</c>, so the carried runner holds the test assembly.
/// </summary>
internal static class CudaTestRunner
{
    public static int RunAll(TextWriter output)
    {
        var tests = typeof(CudaFactAttribute).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => (Type: t, Method: m)))
            .Select(x => (x.Type, x.Method, Fact: x.Method.GetCustomAttribute<CudaFactAttribute>()))
            .Where(x => x.Fact is not null)
            .OrderBy(x => x.Type.Name).ThenBy(x => x.Method.Name)
            .ToList();
        int passed = 0, failed = 0, skipped = 0;
        foreach (var (type, method, fact) in tests)
        {
            string name = $"{type.Name}.{method.Name}";
            if (fact!.Skip is { } reason)
            {
                skipped++;
                output.WriteLine($"SKIP {name}: {reason}");
                continue;
            }
            var clock = Stopwatch.StartNew();
            try
            {
                Run(type, method);
                passed++;
                output.WriteLine($"PASS {name} ({clock.Elapsed.TotalSeconds:F2} s)");
            }
            catch (Exception e)
            {
                failed++;
                var error = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                output.WriteLine($"FAIL {name} ({clock.Elapsed.TotalSeconds:F2} s): {error.GetType().Name}: {error.Message}");
                output.WriteLine(error.StackTrace);
            }
        }
        output.WriteLine($"CUDA tests: {passed} passed, {failed} failed, {skipped} skipped (of {tests.Count})");
        return failed == 0 && tests.Count > 0 ? 0 : 1;
    }

    private static void Run(Type type, MethodInfo method)
    {
        var instance = Activator.CreateInstance(type);
        try
        {
            if (method.Invoke(instance, null) is Task task) task.GetAwaiter().GetResult();
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }
}
