namespace Research.Torch;

// Reductions, sorting and scans.
public partial class Tensor
{
    private static readonly Op s_sum = new("sum"), s_sumDim = new("sum", "dim_IntList"), s_mean = new("mean"),
        s_meanDim = new("mean", "dim"), s_prod = new("prod"), s_prodDim = new("prod", "dim_int"),
        s_var = new("var", "correction"), s_std = new("std", "correction"), s_max = new("max"), s_min = new("min"),
        s_maxDim = new("max", "dim"), s_minDim = new("min", "dim"), s_amax = new("amax"), s_amin = new("amin"),
        s_argmax = new("argmax"), s_argmin = new("argmin"), s_logsumexp = new("logsumexp"), s_all = new("all"),
        s_allDim = new("all", "dim"), s_any = new("any"), s_anyDim = new("any", "dim"), s_norm = new("norm", "ScalarOpt_dim"),
        s_normAll = new("norm", "Scalar"), s_sort = new("sort"), s_argsort = new("argsort"), s_topk = new("topk"),
        s_cumsum = new("cumsum"), s_cumprod = new("cumprod"), s_logcumsumexp = new("logcumsumexp"),
        s_cummax = new("cummax"), s_median = new("median"), s_countNonzero = new("count_nonzero", "dim_IntList"),
        s_nonzero = new("nonzero"), s_unique = new("_unique2"), s_bincount = new("bincount"), s_histc = new("histc"),
        s_kthvalue = new("kthvalue"), s_quantile = new("quantile", "scalar");

    private static OpArg Dims(long[]? dims) => dims is null || dims.Length == 0 ? OpArg.None : dims;

    // The all-element reductions take no dtype: an optional enum parameter would capture x.Sum(0)
    // (the literal 0 converts to any enum) and silently sum everything. Convert first: x.Double().Sum().

    /// <summary>Sum of all elements.</summary>
    public Tensor Sum() => s_sum.Call(this, OpArg.None);

    /// <summary>Sum over <paramref name="dim"/>.</summary>
    public Tensor Sum(long dim, bool keepDim = false, DType? dtype = null) => s_sumDim.Call(this, new[] { dim }, keepDim, OpArg.Of(dtype));

    /// <summary>Sum over several dimensions.</summary>
    public Tensor Sum(long[] dims, bool keepDim = false, DType? dtype = null) => s_sumDim.Call(this, dims, keepDim, OpArg.Of(dtype));

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => s_mean.Call(this, OpArg.None);

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => s_meanDim.Call(this, new[] { dim }, keepDim, OpArg.None);

    /// <summary>Mean over several dimensions.</summary>
    public Tensor Mean(long[] dims, bool keepDim = false) => s_meanDim.Call(this, dims, keepDim, OpArg.None);

    /// <summary>Product of all elements.</summary>
    public Tensor Prod() => s_prod.CallTensor(this);

    /// <summary>Product over <paramref name="dim"/>.</summary>
    public Tensor Prod(long dim, bool keepDim = false) => s_prodDim.Call(this, dim, keepDim);

    /// <summary>Variance over dimensions (all when null); <paramref name="correction"/> 1 is Bessel's (unbiased).</summary>
    public Tensor Var(long[]? dims = null, long correction = 1, bool keepDim = false) => s_var.Call(this, Dims(dims), correction, keepDim);

    /// <summary>Variance over one dimension.</summary>
    public Tensor Var(long dim, long correction = 1, bool keepDim = false) => Var(new[] { dim }, correction, keepDim);

    /// <summary>Standard deviation over dimensions (all when null).</summary>
    public Tensor Std(long[]? dims = null, long correction = 1, bool keepDim = false) => s_std.Call(this, Dims(dims), correction, keepDim);

    /// <summary>Standard deviation over one dimension.</summary>
    public Tensor Std(long dim, long correction = 1, bool keepDim = false) => Std(new[] { dim }, correction, keepDim);

    /// <summary>Largest element.</summary>
    public Tensor Max() => s_max.CallTensor(this);

    /// <summary>Smallest element.</summary>
    public Tensor Min() => s_min.CallTensor(this);

    /// <summary>Largest values and their indices along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false) => Pair(s_maxDim.Invoke(this, dim, keepDim));

    /// <summary>Smallest values and their indices along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false) => Pair(s_minDim.Invoke(this, dim, keepDim));

    /// <summary>Maximum over dimensions (differentiable, no indices).</summary>
    public Tensor Amax(long[] dims, bool keepDim = false) => s_amax.Call(this, dims, keepDim);

    /// <summary>Minimum over dimensions.</summary>
    public Tensor Amin(long[] dims, bool keepDim = false) => s_amin.Call(this, dims, keepDim);

    /// <summary>Index of the largest value (over all elements when <paramref name="dim"/> is null).</summary>
    public Tensor ArgMax(long? dim = null, bool keepDim = false) => s_argmax.Call(this, OpArg.Of(dim), keepDim);

    /// <summary>Index of the smallest value.</summary>
    public Tensor ArgMin(long? dim = null, bool keepDim = false) => s_argmin.Call(this, OpArg.Of(dim), keepDim);

    /// <summary>log(sum(exp(x))) over dimensions, computed stably.</summary>
    public Tensor LogSumExp(long[] dims, bool keepDim = false) => s_logsumexp.Call(this, dims, keepDim);

    /// <summary>log(sum(exp(x))) over one dimension.</summary>
    public Tensor LogSumExp(long dim, bool keepDim = false) => s_logsumexp.Call(this, new[] { dim }, keepDim);

    /// <summary>True when every element is non-zero.</summary>
    public Tensor All() => s_all.CallTensor(this);

    /// <summary>Logical AND over <paramref name="dim"/>.</summary>
    public Tensor All(long dim, bool keepDim = false) => s_allDim.Call(this, dim, keepDim);

    /// <summary>True when any element is non-zero.</summary>
    public Tensor Any() => s_any.CallTensor(this);

    /// <summary>Logical OR over <paramref name="dim"/>.</summary>
    public Tensor Any(long dim, bool keepDim = false) => s_anyDim.Call(this, dim, keepDim);

    /// <summary>p-norm over all elements.</summary>
    public Tensor Norm(double p = 2) => s_normAll.Call(this, p);

    /// <summary>p-norm over dimensions.</summary>
    public Tensor Norm(double p, long[] dims, bool keepDim = false) => s_norm.Call(this, p, dims, keepDim);

    /// <summary>Sorted values and the permutation, along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false) => Pair(s_sort.Invoke(this, dim, descending));

    /// <summary>The permutation that sorts along <paramref name="dim"/>.</summary>
    public Tensor ArgSort(long dim = -1, bool descending = false) => s_argsort.Call(this, dim, descending);

    /// <summary>The k largest (or smallest) values and their indices.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true) =>
        Pair(s_topk.Invoke(this, k, dim, largest, sorted));

    /// <summary>The k-th smallest value and its index along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) KthValue(long k, long dim = -1, bool keepDim = false) =>
        Pair(s_kthvalue.Invoke(this, k, dim, keepDim));

    /// <summary>Median of all elements.</summary>
    public Tensor Median() => s_median.CallTensor(this);

    /// <summary>The q-quantile (linear interpolation) over all elements or a dimension.</summary>
    public Tensor Quantile(double q, long? dim = null, bool keepDim = false) => s_quantile.Call(this, q, OpArg.Of(dim), keepDim);

    /// <summary>Running sum along <paramref name="dim"/>.</summary>
    public Tensor CumSum(long dim, DType? dtype = null) => s_cumsum.Call(this, dim, OpArg.Of(dtype));

    /// <summary>Running product along <paramref name="dim"/>.</summary>
    public Tensor CumProd(long dim, DType? dtype = null) => s_cumprod.Call(this, dim, OpArg.Of(dtype));

    /// <summary>Running log-sum-exp along <paramref name="dim"/>.</summary>
    public Tensor LogCumSumExp(long dim) => s_logcumsumexp.Call(this, dim);

    /// <summary>Running maximum and its indices along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) CumMax(long dim) => Pair(s_cummax.Invoke(this, dim));

    /// <summary>Number of non-zero elements over dimensions.</summary>
    public Tensor CountNonzero(params long[] dims) => s_countNonzero.Call(this, dims);

    /// <summary>Indices of non-zero elements, one row per element.</summary>
    public Tensor Nonzero() => s_nonzero.CallTensor(this);

    /// <summary>Sorted unique values.</summary>
    public Tensor Unique()
    {
        var r = s_unique.Invoke(this, true, false, false);
        for (int k = 1; k < r.Length; k++) (r[k] as Tensor)?.Dispose();
        return (Tensor)r[0]!;
    }

    /// <summary>Counts of each non-negative integer value.</summary>
    public Tensor BinCount(long minLength = 0) => s_bincount.Call(this, OpArg.None, minLength);

    /// <summary>Histogram with equal-width bins between min and max (both 0: the data's range).</summary>
    public Tensor Histc(long bins = 100, double min = 0, double max = 0) => s_histc.Call(this, bins, min, max);

    private static (Tensor, Tensor) Pair(object?[] r) => ((Tensor)r[0]!, (Tensor)r[1]!);
}
