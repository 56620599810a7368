using Research.Torch.Native;

namespace Research.Torch;

// Arithmetic with broadcasting, operators, comparisons and elementwise functions.
public partial class Tensor
{
    private static readonly Op s_add = new("add", "Tensor"), s_addS = new("add", "Scalar"), s_sub = new("sub", "Tensor"),
        s_subS = new("sub", "Scalar"), s_rsubS = new("rsub", "Scalar"), s_mul = new("mul", "Tensor"), s_mulS = new("mul", "Scalar"),
        s_div = new("div", "Tensor"), s_divS = new("div", "Scalar"), s_divMode = new("div", "Tensor_mode"),
        s_neg = new("neg"), s_rem = new("remainder", "Tensor"), s_remS = new("remainder", "Scalar"),
        s_pow = new("pow", "Tensor_Tensor"), s_powS = new("pow", "Tensor_Scalar"), s_rpow = new("pow", "Scalar"),
        s_add_ = new("add_", "Tensor"), s_addS_ = new("add_", "Scalar"), s_sub_ = new("sub_", "Tensor"), s_subS_ = new("sub_", "Scalar"),
        s_mulS_ = new("mul_", "Scalar"), s_divS_ = new("div_", "Scalar"), s_addcmul_ = new("addcmul_"), s_addcdiv_ = new("addcdiv_"),
        s_lerp_ = new("lerp_", "Scalar"), s_lerp = new("lerp", "Scalar"), s_lerpT = new("lerp", "Tensor"),
        s_zero_ = new("zero_"), s_fill_ = new("fill_", "Scalar"), s_copy_ = new("copy_"), s_clampMin_ = new("clamp_min_"),
        s_sqrt_ = new("sqrt_"), s_normal_ = new("normal_"), s_uniform_ = new("uniform_"),
        s_eq = new("eq", "Tensor"), s_eqS = new("eq", "Scalar"), s_ne = new("ne", "Tensor"), s_neS = new("ne", "Scalar"),
        s_lt = new("lt", "Tensor"), s_ltS = new("lt", "Scalar"), s_le = new("le", "Tensor"), s_leS = new("le", "Scalar"),
        s_gt = new("gt", "Tensor"), s_gtS = new("gt", "Scalar"), s_ge = new("ge", "Tensor"), s_geS = new("ge", "Scalar"),
        s_and = new("logical_and"), s_or = new("logical_or"), s_xor = new("logical_xor"), s_not = new("logical_not"),
        s_bitAnd = new("bitwise_and", "Tensor"), s_bitOr = new("bitwise_or", "Tensor"), s_bitXor = new("bitwise_xor", "Tensor"),
        s_bitNot = new("bitwise_not"), s_allclose = new("allclose"), s_equal = new("equal"), s_isclose = new("isclose"),
        s_maximum = new("maximum"), s_minimum = new("minimum"), s_clamp = new("clamp"), s_clampT = new("clamp", "Tensor"),
        s_atan2 = new("atan2"), s_where = new("where", "self"), s_whereS = new("where", "ScalarOther"),
        s_maskedFill = new("masked_fill", "Scalar"), s_maskedFillT = new("masked_fill", "Tensor"),
        s_logaddexp = new("logaddexp"), s_hypot = new("hypot"), s_fmod = new("fmod", "Scalar"),
        s_floorDivide = new("floor_divide"), s_nanToNum = new("nan_to_num"), s_xlogy = new("xlogy", "Tensor"),
        s_softmax = new("softmax", "int"), s_logSoftmax = new("log_softmax", "int"), s_leakyRelu = new("leaky_relu"),
        s_elu = new("elu"), s_hardtanh = new("hardtanh"), s_gelu = new("gelu"), s_softplus = new("softplus"),
        s_polar = new("polar"), s_complex = new("complex"), s_viewAsReal = new("view_as_real"),
        s_viewAsComplex = new("view_as_complex"), s_real = new("real"), s_imag = new("imag"), s_conj = new("conj_physical"),
        s_angle = new("angle"), s_round = new("round", "decimals"), s_pdist = new("cdist"), s_prelu = new("prelu"),
        s_mish = new("mish"), s_selu = new("selu"), s_celu = new("celu"), s_hardswish = new("hardswish"),
        s_hardsigmoid = new("hardsigmoid"), s_glu = new("glu"), s_threshold = new("threshold");

    // ---- operators ----
    public static Tensor operator +(Tensor a, Tensor b) => FastOps.Call(FastOps.Binary.Add, a, b);
    public static Tensor operator +(Tensor a, Scalar b) => FastOps.Call(FastOps.Binary.Add, a, b) ?? s_addS.CallTensor(a, b);
    public static Tensor operator +(Scalar a, Tensor b) => b + a;
    public static Tensor operator -(Tensor a, Tensor b) => FastOps.Call(FastOps.Binary.Sub, a, b);
    public static Tensor operator -(Tensor a, Scalar b) => FastOps.Call(FastOps.Binary.Sub, a, b) ?? s_subS.CallTensor(a, b);
    public static Tensor operator -(Scalar a, Tensor b) => s_rsubS.CallTensor(b, a);
    public static Tensor operator *(Tensor a, Tensor b) => FastOps.Call(FastOps.Binary.Mul, a, b);
    public static Tensor operator *(Tensor a, Scalar b) => FastOps.Call(FastOps.Binary.Mul, a, b) ?? s_mulS.CallTensor(a, b);
    public static Tensor operator *(Scalar a, Tensor b) => b * a;
    public static Tensor operator /(Tensor a, Tensor b) => FastOps.Call(FastOps.Binary.Div, a, b);
    public static Tensor operator /(Tensor a, Scalar b) => FastOps.Call(FastOps.Binary.Div, a, b) ?? s_divS.CallTensor(a, b);
    public static Tensor operator /(Scalar a, Tensor b) { using var r = b.Reciprocal(); return r * a; }
    public static Tensor operator %(Tensor a, Tensor b) => s_rem.CallTensor(a, b);
    public static Tensor operator %(Tensor a, Scalar b) => s_remS.CallTensor(a, b);
    public static Tensor operator -(Tensor a) => s_neg.CallTensor(a);
    public static Tensor operator <(Tensor a, Tensor b) => s_lt.CallTensor(a, b);
    public static Tensor operator <(Tensor a, Scalar b) => s_ltS.CallTensor(a, b);
    public static Tensor operator <=(Tensor a, Tensor b) => s_le.CallTensor(a, b);
    public static Tensor operator <=(Tensor a, Scalar b) => s_leS.CallTensor(a, b);
    public static Tensor operator >(Tensor a, Tensor b) => s_gt.CallTensor(a, b);
    public static Tensor operator >(Tensor a, Scalar b) => s_gtS.CallTensor(a, b);
    public static Tensor operator >=(Tensor a, Tensor b) => s_ge.CallTensor(a, b);
    public static Tensor operator >=(Tensor a, Scalar b) => s_geS.CallTensor(a, b);
    public static Tensor operator <(Scalar a, Tensor b) => s_gtS.CallTensor(b, a);
    public static Tensor operator >(Scalar a, Tensor b) => s_ltS.CallTensor(b, a);
    public static Tensor operator <=(Scalar a, Tensor b) => s_geS.CallTensor(b, a);
    public static Tensor operator >=(Scalar a, Tensor b) => s_leS.CallTensor(b, a);
    public static Tensor operator &(Tensor a, Tensor b) => a.DType == DType.Bool ? s_and.CallTensor(a, b) : s_bitAnd.CallTensor(a, b);
    public static Tensor operator |(Tensor a, Tensor b) => a.DType == DType.Bool ? s_or.CallTensor(a, b) : s_bitOr.CallTensor(a, b);
    public static Tensor operator ^(Tensor a, Tensor b) => a.DType == DType.Bool ? s_xor.CallTensor(a, b) : s_bitXor.CallTensor(a, b);
    public static Tensor operator ~(Tensor a) => a.DType == DType.Bool ? s_not.CallTensor(a) : s_bitNot.CallTensor(a);

    // ---- named arithmetic ----

    /// <summary>self + alpha * other.</summary>
    public Tensor Add(Tensor other, Scalar? alpha = null) => alpha is { } a ? s_add.Call(this, other, a) : s_add.CallTensor(this, other);

    /// <summary>self - alpha * other.</summary>
    public Tensor Sub(Tensor other, Scalar? alpha = null) => alpha is { } a ? s_sub.Call(this, other, a) : s_sub.CallTensor(this, other);

    /// <summary>Elementwise product.</summary>
    public Tensor Mul(Tensor other) => this * other;

    /// <summary>Elementwise quotient; <paramref name="roundingMode"/> is null, "trunc" or "floor".</summary>
    public Tensor Div(Tensor other, string? roundingMode = null) =>
        roundingMode is null ? s_div.CallTensor(this, other) : s_divMode.Call(this, other, roundingMode);

    /// <summary>Elementwise power.</summary>
    public Tensor Pow(Tensor exponent) => s_pow.CallTensor(this, exponent);

    /// <summary>Elementwise power.</summary>
    public Tensor Pow(Scalar exponent) => s_powS.CallTensor(this, exponent);

    /// <summary>base ** self.</summary>
    public static Tensor Pow(Scalar @base, Tensor exponent) => s_rpow.Call(@base, exponent);

    /// <summary>Elementwise maximum of two tensors.</summary>
    public Tensor Maximum(Tensor other) => s_maximum.CallTensor(this, other);

    /// <summary>Elementwise minimum of two tensors.</summary>
    public Tensor Minimum(Tensor other) => s_minimum.CallTensor(this, other);

    /// <summary>Clamps into [min, max]; either bound may be absent.</summary>
    public Tensor Clamp(Scalar? min = null, Scalar? max = null) =>
        s_clamp.Call(this, min is { } a ? a : OpArg.None, max is { } b ? b : OpArg.None);

    /// <summary>Clamps into [min, max] with tensor bounds.</summary>
    public Tensor Clamp(Tensor? min, Tensor? max) => s_clampT.Call(this, min, max);

    /// <summary>Elementwise atan2(self, other).</summary>
    public Tensor Atan2(Tensor other) => s_atan2.CallTensor(this, other);

    /// <summary>log(exp(self) + exp(other)), computed stably.</summary>
    public Tensor LogAddExp(Tensor other) => s_logaddexp.CallTensor(this, other);

    /// <summary>sqrt(self² + other²).</summary>
    public Tensor Hypot(Tensor other) => s_hypot.CallTensor(this, other);

    /// <summary>self * log(other), 0 where self is 0.</summary>
    public Tensor XLogY(Tensor other) => s_xlogy.CallTensor(this, other);

    /// <summary>C-style remainder.</summary>
    public Tensor Fmod(Scalar other) => s_fmod.CallTensor(this, other);

    /// <summary>Floor division.</summary>
    public Tensor FloorDivide(Tensor other) => s_floorDivide.CallTensor(this, other);

    /// <summary>self + weight * (end - self).</summary>
    public Tensor Lerp(Tensor end, Scalar weight) => s_lerp.Call(this, end, weight);

    /// <summary>self + weight * (end - self), elementwise weights.</summary>
    public Tensor Lerp(Tensor end, Tensor weight) => s_lerpT.Call(this, end, weight);

    /// <summary>Replaces NaN and infinities with finite numbers.</summary>
    public Tensor NanToNum(double nan = 0, double? posInf = null, double? negInf = null) =>
        s_nanToNum.Call(this, nan, OpArg.Of(posInf), OpArg.Of(negInf));

    /// <summary>Rounds to <paramref name="decimals"/> places (half to even).</summary>
    public Tensor Round(long decimals = 0) => s_round.Call(this, decimals);

    // ---- comparisons ----

    /// <summary>Elementwise equality (bool tensor).</summary>
    public Tensor Eq(Tensor other) => s_eq.CallTensor(this, other);

    /// <summary>Elementwise equality with a number.</summary>
    public Tensor Eq(Scalar other) => s_eqS.CallTensor(this, other);

    /// <summary>Elementwise inequality.</summary>
    public Tensor Ne(Tensor other) => s_ne.CallTensor(this, other);

    /// <summary>Elementwise inequality with a number.</summary>
    public Tensor Ne(Scalar other) => s_neS.CallTensor(this, other);

    /// <summary>True when both have the same shape and values.</summary>
    public bool Equal(Tensor other) => (bool)s_equal.Invoke(this, other)[0]!;

    /// <summary>True when all values are close: |a - b| ≤ atol + rtol·|b|.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        (bool)s_allclose.Invoke(this, other, rtol, atol, equalNan)[0]!;

    /// <summary>Elementwise closeness (bool tensor).</summary>
    public Tensor IsClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        s_isclose.Call(this, other, rtol, atol, equalNan);

    // ---- selection ----

    /// <summary>Picks <paramref name="x"/> where <paramref name="condition"/> holds, else <paramref name="y"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) => s_where.Call(condition, x, y);

    /// <summary>Picks <paramref name="x"/> where <paramref name="condition"/> holds, else the number <paramref name="y"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Scalar y) => s_whereS.Call(condition, x, y);

    /// <summary>Replaces values where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, Scalar value) => s_maskedFill.Call(this, mask, value);

    /// <summary>Replaces values where <paramref name="mask"/> is true with a 0-D tensor's value.</summary>
    public Tensor MaskedFill(Tensor mask, Tensor value) => s_maskedFillT.Call(this, mask, value);

    // ---- in place (return this) ----

    private Tensor InPlace(Tensor result)
    {
        result.Dispose();
        return this;
    }

    /// <summary>self += alpha * other, in place.</summary>
    public Tensor Add_(Tensor other, Scalar? alpha = null) =>
        FastOps.InPlace(FastOps.Binary.Add, this, other, alpha) ?? InPlace(s_add_.Call(this, other, alpha!.Value));

    /// <summary>self += value, in place.</summary>
    public Tensor Add_(Scalar value) => FastOps.InPlace(FastOps.Binary.Add, this, value) ?? InPlace(s_addS_.CallTensor(this, value));

    /// <summary>self -= alpha * other, in place.</summary>
    public Tensor Sub_(Tensor other, Scalar? alpha = null) =>
        FastOps.InPlace(FastOps.Binary.Sub, this, other, alpha) ?? InPlace(s_sub_.Call(this, other, alpha!.Value));

    /// <summary>self -= value, in place.</summary>
    public Tensor Sub_(Scalar value) => FastOps.InPlace(FastOps.Binary.Sub, this, value) ?? InPlace(s_subS_.CallTensor(this, value));

    /// <summary>self *= other, in place.</summary>
    public Tensor Mul_(Tensor other) => FastOps.InPlace(FastOps.Binary.Mul, this, other)!;

    /// <summary>self *= value, in place.</summary>
    public Tensor Mul_(Scalar value) => FastOps.InPlace(FastOps.Binary.Mul, this, value) ?? InPlace(s_mulS_.CallTensor(this, value));

    /// <summary>self /= other, in place.</summary>
    public Tensor Div_(Tensor other) => FastOps.InPlace(FastOps.Binary.Div, this, other)!;

    /// <summary>self /= value, in place.</summary>
    public Tensor Div_(Scalar value) => FastOps.InPlace(FastOps.Binary.Div, this, value) ?? InPlace(s_divS_.CallTensor(this, value));

    /// <summary>self += value * t1 * t2, in place.</summary>
    public Tensor AddCMul_(Tensor t1, Tensor t2, Scalar value) => InPlace(s_addcmul_.Call(this, t1, t2, value));

    /// <summary>self += value * t1 / t2, in place.</summary>
    public Tensor AddCDiv_(Tensor t1, Tensor t2, Scalar value) => InPlace(s_addcdiv_.Call(this, t1, t2, value));

    /// <summary>self += weight * (end - self), in place.</summary>
    public Tensor Lerp_(Tensor end, Scalar weight) => InPlace(s_lerp_.Call(this, end, weight));

    /// <summary>Fills with zeros, in place.</summary>
    public Tensor Zero_() => InPlace(s_zero_.CallTensor(this));

    /// <summary>Fills with a value, in place.</summary>
    public Tensor Fill_(Scalar value) => InPlace(s_fill_.CallTensor(this, value));

    /// <summary>Copies values from <paramref name="source"/> (broadcast, converted), in place.</summary>
    public Tensor Copy_(Tensor source) => InPlace(s_copy_.CallTensor(this, source));

    /// <summary>Clamps from below, in place.</summary>
    public Tensor ClampMin_(Scalar min) => InPlace(s_clampMin_.CallTensor(this, min));

    /// <summary>Square root, in place.</summary>
    public Tensor Sqrt_() => InPlace(s_sqrt_.CallTensor(this));

    /// <summary>Fills with normal random values, in place.</summary>
    public Tensor Normal_(double mean = 0, double std = 1) => InPlace(s_normal_.Call(this, mean, std));

    /// <summary>Fills with uniform random values in [from, to), in place.</summary>
    public Tensor Uniform_(double from = 0, double to = 1) => InPlace(s_uniform_.Call(this, from, to));

    // ---- activations and normalised exponentials ----

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public Tensor Softmax(long dim, DType? dtype = null) => s_softmax.Call(this, dim, OpArg.Of(dtype));

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(long dim, DType? dtype = null) => s_logSoftmax.Call(this, dim, OpArg.Of(dtype));

    /// <summary>max(x, slope·x).</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) => s_leakyRelu.Call(this, negativeSlope);

    /// <summary>Exponential linear unit.</summary>
    public Tensor Elu(double alpha = 1) => s_elu.Call(this, alpha);

    /// <summary>Clamp to [min, max] (hard tanh).</summary>
    public Tensor HardTanh(double min = -1, double max = 1) => s_hardtanh.Call(this, min, max);

    /// <summary>GELU; <paramref name="approximate"/> is "none" or "tanh".</summary>
    public Tensor Gelu(string approximate = "none") => s_gelu.Call(this, approximate);

    /// <summary>log(1 + exp(beta·x)) / beta, linear above the threshold.</summary>
    public Tensor Softplus(double beta = 1, double threshold = 20) => s_softplus.Call(this, beta, threshold);

    /// <summary>Mish: x·tanh(softplus(x)).</summary>
    public Tensor Mish() => s_mish.CallTensor(this);

    /// <summary>SELU.</summary>
    public Tensor Selu() => s_selu.CallTensor(this);

    /// <summary>CELU.</summary>
    public Tensor Celu(double alpha = 1) => s_celu.Call(this, alpha);

    /// <summary>Hard swish.</summary>
    public Tensor HardSwish() => s_hardswish.CallTensor(this);

    /// <summary>Hard sigmoid.</summary>
    public Tensor HardSigmoid() => s_hardsigmoid.CallTensor(this);

    /// <summary>Gated linear unit: first half × sigmoid(second half) along <paramref name="dim"/>.</summary>
    public Tensor Glu(long dim = -1) => s_glu.Call(this, dim);

    /// <summary>PReLU with a learnable slope tensor.</summary>
    public Tensor PRelu(Tensor weight) => s_prelu.CallTensor(this, weight);

    /// <summary>x if x > threshold else value.</summary>
    public Tensor Threshold(Scalar threshold, Scalar value) => s_threshold.Call(this, threshold, value);

    // ---- complex numbers ----

    /// <summary>A complex tensor from magnitude and angle.</summary>
    public static Tensor Polar(Tensor abs, Tensor angle) => s_polar.Call(abs, angle);

    /// <summary>A complex tensor from real and imaginary parts.</summary>
    public static Tensor Complex(Tensor real, Tensor imag) => s_complex.Call(real, imag);

    /// <summary>A real view with a trailing dimension of 2 (real, imaginary).</summary>
    public Tensor ViewAsReal() => s_viewAsReal.CallTensor(this);

    /// <summary>A complex view of a tensor whose last dimension is 2.</summary>
    public Tensor ViewAsComplex() => s_viewAsComplex.CallTensor(this);

    /// <summary>The real part.</summary>
    public Tensor Real() => s_real.CallTensor(this);

    /// <summary>The imaginary part.</summary>
    public Tensor Imag() => s_imag.CallTensor(this);

    /// <summary>The complex conjugate.</summary>
    public Tensor Conj() => s_conj.CallTensor(this);

    /// <summary>The argument (phase) of complex values.</summary>
    public Tensor Angle() => s_angle.CallTensor(this);

    /// <summary>Pairwise p-norm distances between the rows of two batches of vectors.</summary>
    public static Tensor CDist(Tensor x1, Tensor x2, double p = 2) => s_pdist.Call(x1, x2, p);
}
