namespace Research.Torch;

/// <summary>An error reported by libtorch, carrying libtorch's own message (shapes and dtypes included).</summary>
public class TorchException : Exception
{
    public TorchException(string message) : base(message) { }

    internal static Exception FromCode(int code, string message) => code switch
    {
        2 => new TorchIndexException(message),
        3 or 4 or 9 => new TorchArgumentException(message),
        5 => new NotSupportedException(message),
        6 => new TorchLinAlgException(message),
        7 => new InsufficientMemoryException(message),
        _ => new TorchException(message),
    };
}

/// <summary>An index out of range for a dimension (libtorch's IndexError).</summary>
public sealed class TorchIndexException : TorchException
{
    public TorchIndexException(string message) : base(message) { }
}

/// <summary>An argument of the wrong type, value or kind (libtorch's TypeError/ValueError, or rejected by the binding).</summary>
public sealed class TorchArgumentException : TorchException
{
    public TorchArgumentException(string message) : base(message) { }
}

/// <summary>A linear-algebra failure such as a singular matrix (libtorch's LinAlgError).</summary>
public sealed class TorchLinAlgException : TorchException
{
    public TorchLinAlgException(string message) : base(message) { }
}
