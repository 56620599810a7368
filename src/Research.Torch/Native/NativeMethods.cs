using System.Runtime.InteropServices;

namespace Research.Torch.Native;

/// <summary>Tagged value crossing the native boundary (mirrors RtValue in native/src/shim.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtValue
{
    public RtKind Kind;
    public int Count;
    public long I;
    public double D;
    public double D2;
    public IntPtr P;
}

internal enum RtKind : int
{
    None = 0, Tensor = 1, Int = 2, Double = 3, Bool = 4, IntList = 5, DoubleList = 6, TensorList = 7,
    String = 8, Complex = 9, Default = 10, OptionalTensorList = 11, BoolList = 12,
}

[StructLayout(LayoutKind.Sequential)]
internal struct RtTensorInfo
{
    public int NDim;
    public int DType;
    public int DeviceType;
    public int DeviceIndex;
    public int RequiresGrad;
    public int IsLeaf;
    public long Numel;
}

/// <summary>P/Invoke declarations for libresearch_torch (the C++ shim in native/).</summary>
internal static unsafe partial class NativeMethods
{
    internal const string Lib = "research_torch";

    [LibraryImport(Lib)] internal static partial IntPtr rt_last_error();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void rt_set_last_error(string message);
    [LibraryImport(Lib)] internal static partial void rt_init(int tuneMalloc);
    [LibraryImport(Lib)] internal static partial int rt_install_cpu_allocator();
    [LibraryImport(Lib)] internal static partial void rt_set_warning_callback(delegate* unmanaged<IntPtr, void> fn);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_op_find(string name, string overload, out IntPtr op);
    [LibraryImport(Lib)] internal static partial int rt_op_schema(IntPtr op, byte* buffer, int capacity, out int length);
    [LibraryImport(Lib)] internal static partial int rt_op_call(IntPtr op, RtValue* args, int nargs, out RtValue* results, out int nresults);
    [LibraryImport(Lib)] internal static partial int rt_all_schemas(byte* buffer, long capacity, out long length);

    [LibraryImport(Lib)] internal static partial int rt_binary(int op, IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int rt_binary_scalar(int op, IntPtr a, int isInt, long i, double d, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int rt_binary_inplace(int op, IntPtr a, IntPtr b, int alphaIsInt, long alphaI, double alphaD);
    [LibraryImport(Lib)] internal static partial int rt_binary_scalar_inplace(int op, IntPtr a, int isInt, long i, double d);
    [LibraryImport(Lib)]
    internal static partial int rt_adam_update(IntPtr param, IntPtr grad, IntPtr expAvg, IntPtr expAvgSq, IntPtr maxExpAvgSq, double lr,
        double beta1, double beta2, double eps, double weightDecay, double step, int amsgrad, int maximize, int decoupled, out int fused);

    [LibraryImport(Lib)] internal static partial void rt_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr rt_tensor_alias(IntPtr t);
    [LibraryImport(Lib)] internal static partial int rt_tensor_from_data(void* data, long* sizes, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int rt_tensor_info(IntPtr t, out RtTensorInfo info);
    [LibraryImport(Lib)] internal static partial int rt_tensor_shape(IntPtr t, long* sizes, long* strides, int capacity);
    [LibraryImport(Lib)] internal static partial int rt_tensor_copy_to(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int rt_tensor_data_ptr(IntPtr t, out IntPtr data);
    [LibraryImport(Lib)] internal static partial int rt_tensor_set_requires_grad(IntPtr t, int value);
    [LibraryImport(Lib)] internal static partial int rt_tensor_grad(IntPtr t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int rt_tensor_set_grad(IntPtr t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int rt_tensor_retain_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int rt_tensor_same(IntPtr a, IntPtr b);

    [LibraryImport(Lib)] internal static partial void rt_set_custom_function_callbacks(
        delegate* unmanaged<long, IntPtr*, int, IntPtr*, int, int> backward, delegate* unmanaged<long, void> release);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_custom_function_apply(long id, string name, IntPtr* inputs, int nin, IntPtr* outputs, int nout);
    [LibraryImport(Lib)] internal static partial int rt_backward(IntPtr* outputs, IntPtr* grads, int n, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int rt_autograd_grad(IntPtr* outputs, IntPtr* gradOutputs, int nout, IntPtr* inputs, int nin,
        int retainGraph, int createGraph, int allowUnused, IntPtr* results);
    [LibraryImport(Lib)] internal static partial int rt_grad_enabled();
    [LibraryImport(Lib)] internal static partial void rt_set_grad_enabled(int enabled);

    [LibraryImport(Lib)] internal static partial int rt_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int rt_set_num_threads(int n, int blasThreads);
    [LibraryImport(Lib)] internal static partial int rt_get_blas_threads();
    [LibraryImport(Lib)] internal static partial int rt_get_num_threads();
    [LibraryImport(Lib)] internal static partial IntPtr rt_blas_info();
    [LibraryImport(Lib)] internal static partial int rt_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int rt_cuda_memory(int device, long* stats);
    [LibraryImport(Lib)] internal static partial int rt_cuda_reset_peak_memory(int device);
    [LibraryImport(Lib)] internal static partial int rt_cuda_empty_cache();
    [LibraryImport(Lib)] internal static partial int rt_cuda_synchronize(int device);
    [LibraryImport(Lib)] internal static partial IntPtr rt_torch_version();
    [LibraryImport(Lib)] internal static partial IntPtr rt_build_config();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_save(IntPtr* tensors, IntPtr* names, int n, string path);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_load(string path, out int count);
    [LibraryImport(Lib)] internal static partial IntPtr rt_load_name(int i);
    [LibraryImport(Lib)] internal static partial IntPtr rt_load_tensor(int i);
}
