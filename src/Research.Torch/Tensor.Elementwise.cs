namespace Research.Torch;

// Elementwise functions with no arguments, one dispatcher op each (generated list, kept as code).
public partial class Tensor
{
    private static readonly Op s_absOp = new("abs");
    /// <summary>Absolute value (magnitude for complex).</summary>
    public Tensor Abs() => s_absOp.CallTensor(this);

    private static readonly Op s_expOp = new("exp");
    /// <summary>Elementwise exp.</summary>
    public Tensor Exp() => s_expOp.CallTensor(this);

    private static readonly Op s_exp2Op = new("exp2");
    /// <summary>Elementwise exp2.</summary>
    public Tensor Exp2() => s_exp2Op.CallTensor(this);

    private static readonly Op s_logOp = new("log");
    /// <summary>Elementwise log.</summary>
    public Tensor Log() => s_logOp.CallTensor(this);

    private static readonly Op s_log2Op = new("log2");
    /// <summary>Elementwise log2.</summary>
    public Tensor Log2() => s_log2Op.CallTensor(this);

    private static readonly Op s_log10Op = new("log10");
    /// <summary>Elementwise log10.</summary>
    public Tensor Log10() => s_log10Op.CallTensor(this);

    private static readonly Op s_log1pOp = new("log1p");
    /// <summary>Elementwise log1p.</summary>
    public Tensor Log1p() => s_log1pOp.CallTensor(this);

    private static readonly Op s_expm1Op = new("expm1");
    /// <summary>Elementwise expm1.</summary>
    public Tensor Expm1() => s_expm1Op.CallTensor(this);

    private static readonly Op s_sqrtOp = new("sqrt");
    /// <summary>Elementwise sqrt.</summary>
    public Tensor Sqrt() => s_sqrtOp.CallTensor(this);

    private static readonly Op s_rsqrtOp = new("rsqrt");
    /// <summary>1/√x.</summary>
    public Tensor Rsqrt() => s_rsqrtOp.CallTensor(this);

    private static readonly Op s_sinOp = new("sin");
    /// <summary>Elementwise sin.</summary>
    public Tensor Sin() => s_sinOp.CallTensor(this);

    private static readonly Op s_cosOp = new("cos");
    /// <summary>Elementwise cos.</summary>
    public Tensor Cos() => s_cosOp.CallTensor(this);

    private static readonly Op s_tanOp = new("tan");
    /// <summary>Elementwise tan.</summary>
    public Tensor Tan() => s_tanOp.CallTensor(this);

    private static readonly Op s_tanhOp = new("tanh");
    /// <summary>Elementwise tanh.</summary>
    public Tensor Tanh() => s_tanhOp.CallTensor(this);

    private static readonly Op s_sigmoidOp = new("sigmoid");
    /// <summary>Elementwise sigmoid.</summary>
    public Tensor Sigmoid() => s_sigmoidOp.CallTensor(this);

    private static readonly Op s_reluOp = new("relu");
    /// <summary>Elementwise relu.</summary>
    public Tensor Relu() => s_reluOp.CallTensor(this);

    private static readonly Op s_siluOp = new("silu");
    /// <summary>x·sigmoid(x) (SiLU / swish).</summary>
    public Tensor Silu() => s_siluOp.CallTensor(this);

    private static readonly Op s_signOp = new("sign");
    /// <summary>Sign: -1, 0 or 1.</summary>
    public Tensor Sign() => s_signOp.CallTensor(this);

    private static readonly Op s_sgnOp = new("sgn");
    /// <summary>Sign, extended to complex (z/|z|).</summary>
    public Tensor Sgn() => s_sgnOp.CallTensor(this);

    private static readonly Op s_floorOp = new("floor");
    /// <summary>Elementwise floor.</summary>
    public Tensor Floor() => s_floorOp.CallTensor(this);

    private static readonly Op s_ceilOp = new("ceil");
    /// <summary>Elementwise ceil.</summary>
    public Tensor Ceil() => s_ceilOp.CallTensor(this);

    private static readonly Op s_truncOp = new("trunc");
    /// <summary>Elementwise trunc.</summary>
    public Tensor Trunc() => s_truncOp.CallTensor(this);

    private static readonly Op s_fracOp = new("frac");
    /// <summary>Fractional part.</summary>
    public Tensor Frac() => s_fracOp.CallTensor(this);

    private static readonly Op s_reciprocalOp = new("reciprocal");
    /// <summary>1/x.</summary>
    public Tensor Reciprocal() => s_reciprocalOp.CallTensor(this);

    private static readonly Op s_squareOp = new("square");
    /// <summary>x².</summary>
    public Tensor Square() => s_squareOp.CallTensor(this);

    private static readonly Op s_erfOp = new("erf");
    /// <summary>Elementwise erf.</summary>
    public Tensor Erf() => s_erfOp.CallTensor(this);

    private static readonly Op s_erfcOp = new("erfc");
    /// <summary>Elementwise erfc.</summary>
    public Tensor Erfc() => s_erfcOp.CallTensor(this);

    private static readonly Op s_erfinvOp = new("erfinv");
    /// <summary>Elementwise erfinv.</summary>
    public Tensor ErfInv() => s_erfinvOp.CallTensor(this);

    private static readonly Op s_asinOp = new("asin");
    /// <summary>Elementwise asin.</summary>
    public Tensor Asin() => s_asinOp.CallTensor(this);

    private static readonly Op s_acosOp = new("acos");
    /// <summary>Elementwise acos.</summary>
    public Tensor Acos() => s_acosOp.CallTensor(this);

    private static readonly Op s_atanOp = new("atan");
    /// <summary>Elementwise atan.</summary>
    public Tensor Atan() => s_atanOp.CallTensor(this);

    private static readonly Op s_sinhOp = new("sinh");
    /// <summary>Elementwise sinh.</summary>
    public Tensor Sinh() => s_sinhOp.CallTensor(this);

    private static readonly Op s_coshOp = new("cosh");
    /// <summary>Elementwise cosh.</summary>
    public Tensor Cosh() => s_coshOp.CallTensor(this);

    private static readonly Op s_asinhOp = new("asinh");
    /// <summary>Elementwise asinh.</summary>
    public Tensor Asinh() => s_asinhOp.CallTensor(this);

    private static readonly Op s_acoshOp = new("acosh");
    /// <summary>Elementwise acosh.</summary>
    public Tensor Acosh() => s_acoshOp.CallTensor(this);

    private static readonly Op s_atanhOp = new("atanh");
    /// <summary>Elementwise atanh.</summary>
    public Tensor Atanh() => s_atanhOp.CallTensor(this);

    private static readonly Op s_log_sigmoidOp = new("log_sigmoid");
    /// <summary>log(sigmoid(x)), computed stably.</summary>
    public Tensor LogSigmoid() => s_log_sigmoidOp.CallTensor(this);

    private static readonly Op s_isnanOp = new("isnan");
    /// <summary>Elementwise isnan.</summary>
    public Tensor IsNan() => s_isnanOp.CallTensor(this);

    private static readonly Op s_isinfOp = new("isinf");
    /// <summary>Elementwise isinf.</summary>
    public Tensor IsInf() => s_isinfOp.CallTensor(this);

    private static readonly Op s_isfiniteOp = new("isfinite");
    /// <summary>Elementwise isfinite.</summary>
    public Tensor IsFinite() => s_isfiniteOp.CallTensor(this);

    private static readonly Op s_signbitOp = new("signbit");
    /// <summary>Elementwise signbit.</summary>
    public Tensor SignBit() => s_signbitOp.CallTensor(this);

    private static readonly Op s_relu6Op = new("relu6");
    /// <summary>Elementwise relu6.</summary>
    public Tensor Relu6() => s_relu6Op.CallTensor(this);

    private static readonly Op s_lgammaOp = new("lgamma");
    /// <summary>Elementwise lgamma.</summary>
    public Tensor LGamma() => s_lgammaOp.CallTensor(this);

    private static readonly Op s_digammaOp = new("digamma");
    /// <summary>Elementwise digamma.</summary>
    public Tensor Digamma() => s_digammaOp.CallTensor(this);

    private static readonly Op s_sincOp = new("sinc");
    /// <summary>sin(πx)/(πx).</summary>
    public Tensor Sinc() => s_sincOp.CallTensor(this);

    private static readonly Op s_logitOp = new("logit");
    /// <summary>log(p/(1-p)).</summary>
    public Tensor Logit() => s_logitOp.CallTensor(this);

    private static readonly Op s_deg2radOp = new("deg2rad");
    /// <summary>Elementwise deg2rad.</summary>
    public Tensor Deg2Rad() => s_deg2radOp.CallTensor(this);

    private static readonly Op s_rad2degOp = new("rad2deg");
    /// <summary>Elementwise rad2deg.</summary>
    public Tensor Rad2Deg() => s_rad2degOp.CallTensor(this);
}
