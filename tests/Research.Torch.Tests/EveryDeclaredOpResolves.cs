using System.Reflection;

namespace Research.Torch.Tests;

public class EveryDeclaredOpResolves
{
    [Fact]
    public void AllOpFieldsNameARegisteredSchema()
    {
        var ops = typeof(Tensor).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Where(f => f.FieldType == typeof(Op))
            .Select(f => (Field: $"{f.DeclaringType!.Name}.{f.Name}", Op: (Op)f.GetValue(null)!))
            .ToList();
        Assert.True(ops.Count > 200, $"expected the typed API to declare many ops, found {ops.Count}");
        var broken = new List<string>();
        foreach (var (field, op) in ops)
        {
            try { Assert.NotEmpty(op.Schema); }
            catch (Exception e) { broken.Add($"{field} ({op}): {e.Message.Split('\n')[0]}"); }
        }
        Assert.True(broken.Count == 0, "unresolvable ops:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void AnyAtenOpIsReachableByName()
    {
        Assert.Contains(Op.AllSchemas(), s => s.StartsWith("aten::conv1d("));
        using var x = Tensor.Ones(1, 1, 5);
        using var w = Tensor.Ones(1, 1, 2);
        using var y = new Op("aten::conv1d").Call(x, w, OpArg.None, 1L, 0L, 1L, 1L);
        Assert.Equal([1L, 1, 4], y.Shape);
        Assert.Equal([2f, 2, 2, 2], y.ToArray<float>());
    }
}
