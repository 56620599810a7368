namespace Research.Torch;

// Factories: zeros, ones, full, arange, linspace, random tensors, eye, *_like.
public partial class Tensor
{
    private static readonly Op s_zeros = new("zeros"), s_ones = new("ones"), s_empty = new("empty", "memory_format"),
        s_full = new("full"), s_arange = new("arange", "start_step"), s_linspace = new("linspace"),
        s_rand = new("rand"), s_randn = new("randn"), s_randint = new("randint", "low"), s_eye = new("eye", "m"),
        s_zerosLike = new("zeros_like"), s_onesLike = new("ones_like"), s_fullLike = new("full_like"),
        s_randLike = new("rand_like"), s_randnLike = new("randn_like"), s_randperm = new("randperm"),
        s_logspace = new("logspace");

    private static Tensor Finish(Tensor t, bool requiresGrad) => requiresGrad ? t.RequiresGrad_() : t;

    /// <summary>A tensor of zeros (float32 on the CPU unless told otherwise).</summary>
    public static Tensor Zeros(params long[] shape) => Zeros(shape, null);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Finish(s_zeros.Call(shape, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None), requiresGrad);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params long[] shape) => Ones(shape, null);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Finish(s_ones.Call(shape, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None), requiresGrad);

    /// <summary>An uninitialised tensor.</summary>
    public static Tensor Empty(long[] shape, DType? dtype = null, Device? device = null) =>
        s_empty.Call(shape, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None, OpArg.None);

    /// <summary>A tensor filled with <paramref name="value"/> (dtype inferred from the value unless given).</summary>
    public static Tensor Full(long[] shape, Scalar value, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Finish(s_full.Call(shape, value, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None), requiresGrad);

    /// <summary>Values from 0 to <paramref name="end"/> (exclusive), as <c>torch.arange(end)</c>.</summary>
    public static Tensor Arange(Scalar end, DType? dtype = null, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary>Values from <paramref name="start"/> to <paramref name="end"/> (exclusive) in steps.</summary>
    public static Tensor Arange(Scalar start, Scalar end, Scalar step, DType? dtype = null, Device? device = null) =>
        s_arange.Call(start, end, step, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor Linspace(double start, double end, long steps, DType? dtype = null, Device? device = null) =>
        s_linspace.Call(start, end, steps, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None);

    /// <summary><paramref name="steps"/> values spaced evenly on a log scale, base^start to base^end.</summary>
    public static Tensor Logspace(double start, double end, long steps, double @base = 10, DType? dtype = null, Device? device = null) =>
        s_logspace.Call(start, end, steps, @base, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None);

    /// <summary>Uniform random values in [0, 1).</summary>
    public static Tensor Rand(params long[] shape) => Rand(shape, null);

    /// <summary>Uniform random values in [0, 1).</summary>
    public static Tensor Rand(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Finish(s_rand.Call(shape, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None), requiresGrad);

    /// <summary>Standard normal random values.</summary>
    public static Tensor RandN(params long[] shape) => RandN(shape, null);

    /// <summary>Standard normal random values.</summary>
    public static Tensor RandN(long[] shape, DType? dtype = null, Device? device = null, bool requiresGrad = false) =>
        Finish(s_randn.Call(shape, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None), requiresGrad);

    /// <summary>Random integers in [low, high) (int64 unless told otherwise).</summary>
    public static Tensor RandInt(long low, long high, long[] shape, DType? dtype = null, Device? device = null) =>
        s_randint.Call(low, high, shape, OpArg.Of(dtype ?? DType.Int64), OpArg.None, Dev(device), OpArg.None);

    /// <summary>A random permutation of 0..n-1.</summary>
    public static Tensor RandPerm(long n, Device? device = null) =>
        s_randperm.Call(n, OpArg.Of(DType.Int64), OpArg.None, Dev(device), OpArg.None);

    /// <summary>The identity matrix (n×m, m defaults to n).</summary>
    public static Tensor Eye(long n, long? m = null, DType? dtype = null, Device? device = null) =>
        s_eye.Call(n, m ?? n, OpArg.Of(dtype), OpArg.None, Dev(device), OpArg.None);

    /// <summary>Zeros with this tensor's shape, dtype and device.</summary>
    public Tensor ZerosLike() => s_zerosLike.CallTensor(this);

    /// <summary>Ones with this tensor's shape, dtype and device.</summary>
    public Tensor OnesLike() => s_onesLike.CallTensor(this);

    /// <summary>A constant with this tensor's shape, dtype and device.</summary>
    public Tensor FullLike(Scalar value) => s_fullLike.CallTensor(this, value);

    /// <summary>Uniform random values with this tensor's shape, dtype and device.</summary>
    public Tensor RandLike() => s_randLike.CallTensor(this);

    /// <summary>Normal random values with this tensor's shape, dtype and device.</summary>
    public Tensor RandNLike() => s_randnLike.CallTensor(this);

    private static OpArg Dev(Device? device) => device is { } d ? (OpArg)Checked(d) : OpArg.None;

    /// <summary>Rejects CUDA devices up front when the loaded libtorch cannot use them.</summary>
    internal static Device Checked(Device device)
    {
        if (device.Type == DeviceType.CUDA)
        {
            int n = Torch.CudaDeviceCount;
            if (n == 0)
                throw new TorchArgumentException($"device {device} was requested, but the loaded libtorch has no CUDA support or sees no GPU (Torch.CudaIsAvailable is false)");
            if (device.Index >= n)
                throw new TorchArgumentException($"device {device} was requested, but only {n} CUDA device(s) are visible");
        }
        return device;
    }
}
