namespace Research.Torch.Fuzz;

/// <summary>One bad (or odd) call: its family, a one-line C# reproduction, and the call itself.</summary>
public sealed record FuzzCase(int Index, string Family, string Repro, Action Call);

/// <summary>What a call did: returned, raised a typed exception, raised an untyped one, or took the process down.</summary>
public enum Outcome { Returned, Typed, Untyped, Crash, Hang }

/// <summary>Which exceptions count as typed: the binding's own and the .NET argument/state/data families.</summary>
public static class Outcomes
{
    public static Outcome Of(Exception e) => e switch
    {
        TorchException or ArgumentException or ObjectDisposedException or InvalidOperationException or InvalidDataException
            or FileNotFoundException or DirectoryNotFoundException or NotSupportedException or OutOfMemoryException => Outcome.Typed,
        _ => Outcome.Untyped,
    };
}
