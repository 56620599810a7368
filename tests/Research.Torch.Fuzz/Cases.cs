using Research.Torch.NN;
using Research.Torch.Optim;

namespace Research.Torch.Fuzz;

/// <summary>
/// Seeded random bad calls across the op families. Case i of seed s is always the same call, so a crash is reproduced
/// by running that one case again (<c>--seed s --from i --cases 1</c>).
/// </summary>
public static class Cases
{
    public static readonly string[] Families =
    [
        "elementwise", "reductions", "matmul", "shapes", "indexing", "gather-scatter", "nn", "linalg", "fft",
        "creation", "autograd", "raw-op", "files", "optimisers",
    ];

    private static readonly DType[] DTypes =
        [DType.Float32, DType.Float64, DType.Int64, DType.Int32, DType.Int8, DType.UInt8, DType.Bool, DType.Complex64, DType.Float16];

    public static FuzzCase Make(int seed, int index)
    {
        var r = new Random(unchecked(seed * 1_000_003 + index));      // not HashCode: it is seeded per process
        var family = Families[index % Families.Length];
        var g = new Gen(r);
        return family switch
        {
            "elementwise" => g.Binary(index, family),
            "reductions" => g.Reduction(index, family),
            "matmul" => g.Matmul(index, family),
            "shapes" => g.Shape(index, family),
            "indexing" => g.Indexing(index, family),
            "gather-scatter" => g.Gather(index, family),
            "nn" => g.Nn(index, family),
            "linalg" => g.Linalg(index, family),
            "fft" => g.Fft(index, family),
            "creation" => g.Creation(index, family),
            "autograd" => g.Autograd(index, family),
            "raw-op" => g.RawOp(index, family),
            "files" => g.File(index, family),
            _ => g.Optimiser(index, family),
        };
    }

    /// <summary>Random operands with their descriptions; tensors are made inside the call, in a scope.</summary>
    private sealed class Gen(Random r)
    {
        private T Pick<T>(IReadOnlyList<T> xs) => xs[r.Next(xs.Count)];

        private long[] ShapeOf(int maxDim = 4) =>
            Enumerable.Range(0, r.Next(maxDim + 1)).Select(_ => (long)Pick(new[] { 0, 1, 1, 2, 3, 5, 7 })).ToArray();

        private long Dim() => Pick(new long[] { -3, -2, -1, 0, 1, 2, 3, 7, long.MinValue, long.MaxValue });

        private double Value() => Pick(new[] { 0, 1, -1, 0.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e300, -1e-300,
            int.MinValue, int.MaxValue, long.MinValue, 255, -128 });

        private (string Text, Func<Tensor> Make) Tensor_()
        {
            var shape = ShapeOf();
            var dtype = Pick(DTypes);
            var fill = Value();
            int kind = r.Next(6);
            string s = $"[{string.Join(", ", shape)}]";
            return kind switch
            {
                0 => ($"Tensor.Full({s}, {fill}, DType.{dtype})", () => Tensor.Full(shape, fill, dtype)),
                1 => ($"Tensor.Zeros({s}, DType.{dtype})", () => Tensor.Zeros(shape, dtype)),
                2 => ($"a disposed Tensor.Ones({s})", () => { var t = Tensor.Ones(shape); t.Dispose(); return t; }),
                3 => ($"Tensor.RandN({s}).T-like view", () => Tensor.RandN(shape).Transpose(0, -1)),
                _ => ($"Tensor.Arange({(long)Math.Max(0, shape.Aggregate(1L, (a, b) => a * b))}).To(DType.{dtype})",
                    () => Tensor.Arange(Math.Max(0, shape.Aggregate(1L, (a, b) => a * b))).To(dtype)),
            };
        }

        private FuzzCase Case(int i, string family, string repro, Action call) => new(i, family, repro, () =>
        {
            using var scope = Torch.NewScope();
            call();
        });

        public FuzzCase Binary(int i, string f)
        {
            var (a, ma) = Tensor_();
            var (b, mb) = Tensor_();
            var v = Value();
            var op = Pick(new[] { "+", "-", "*", "/", "%", "pow", "fmod", "floor_divide", "max", "atan2", "scalar%", "bitwise_and", "div_floor" });
            return Case(i, f, $"{a} {op} {b} (scalar {v})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "+" => x + mb(), "-" => x - mb(), "*" => x * mb(), "/" => x / mb(), "%" => x % mb(),
                    "pow" => x.Pow(mb()), "fmod" => x.Fmod(v), "floor_divide" => x.FloorDivide(mb()), "max" => x.Maximum(mb()),
                    "atan2" => new Op("aten::atan2").Call(x, mb()), "scalar%" => x % v,
                    "bitwise_and" => new Op("aten::bitwise_and", "Tensor").Call(x, mb()),
                    _ => new Op("aten::div", "Tensor_mode").Call(x, mb(), "floor"),
                };
            });
        }

        public FuzzCase Reduction(int i, string f)
        {
            var (a, ma) = Tensor_();
            var d = Dim();
            var op = Pick(new[] { "sum", "mean", "max", "argmax", "std", "logsumexp", "cumsum", "prod", "norm", "softmax" });
            return Case(i, f, $"{a}.{op}(dim {d})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "sum" => x.Sum(d), "mean" => x.Mean(d), "max" => x.Max(d).Values, "argmax" => x.ArgMax(d),
                    "std" => new Op("aten::std", "dim").Call(x, new[] { d }, true, false),
                    "logsumexp" => new Op("aten::logsumexp").Call(x, new[] { d }, false),
                    "cumsum" => x.CumSum(d), "prod" => new Op("aten::prod", "dim_int").Call(x, d, false),
                    "norm" => new Op("aten::linalg_vector_norm").Call(x, 2.0, new[] { d }, false),
                    _ => F.Softmax(x, d),
                };
            });
        }

        public FuzzCase Matmul(int i, string f)
        {
            var (a, ma) = Tensor_();
            var (b, mb) = Tensor_();
            var op = Pick(new[] { "matmul", "mm", "bmm", "outer", "einsum" });
            return Case(i, f, $"{op}({a}, {b})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "matmul" => x.Matmul(mb()), "mm" => x.Mm(mb()), "bmm" => new Op("aten::bmm").Call(x, mb()),
                    "outer" => new Op("aten::outer").Call(x, mb()), _ => new Op("aten::einsum").Call("ij,jk->ik", new[] { x, mb() }),
                };
            });
        }

        public FuzzCase Shape(int i, string f)
        {
            var (a, ma) = Tensor_();
            var s = ShapeOf(5).Select(v => r.Next(4) == 0 ? -1 : v).ToArray();
            var d0 = Dim();
            var d1 = Dim();
            var op = Pick(new[] { "view", "reshape", "permute", "transpose", "expand", "squeeze", "unsqueeze", "narrow", "flatten", "repeat", "cat" });
            return Case(i, f, $"{a}.{op}([{string.Join(", ", s)}], {d0}, {d1})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "view" => x.View(s), "reshape" => x.Reshape(s), "permute" => x.Permute(s), "transpose" => x.Transpose(d0, d1),
                    "expand" => x.Expand(s), "squeeze" => x.Squeeze(d0), "unsqueeze" => x.Unsqueeze(d0), "narrow" => x.Narrow(d0, d1, 2),
                    "flatten" => x.Flatten(d0, d1), "repeat" => x.Repeat(s), _ => Tensor.Cat([x, x], d0),
                };
            });
        }

        public FuzzCase Indexing(int i, string f)
        {
            var (a, ma) = Tensor_();
            var (b, mb) = Tensor_();
            var k = Dim();
            var op = Pick(new[] { "int", "range", "mask", "tensor", "select", "index_select", "masked_fill", "index_put" });
            return Case(i, f, $"{a}[{op} {k} / {b}]", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "int" => x[k], "range" => x[(int)Math.Clamp(k, -5, 5)..], "mask" => x[mb()], "tensor" => x[mb()],
                    "select" => x.Select(k, k), "index_select" => x.IndexSelect(k, mb()),
                    "masked_fill" => x.MaskedFill(mb(), 1.0),
                    _ => new Op("aten::index_put").Call(x, new[] { mb() }, Tensor.Ones([1]), false),
                };
            });
        }

        public FuzzCase Gather(int i, string f)
        {
            var (a, ma) = Tensor_();
            var (b, mb) = Tensor_();
            var (c, mc) = Tensor_();
            var d = Dim();
            var op = Pick(new[] { "gather", "scatter", "scatter_add", "index_add", "take", "embedding" });
            return Case(i, f, $"{op}({a}, dim {d}, {b}, {c})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "gather" => x.Gather(d, mb()), "scatter" => new Op("aten::scatter", "src").Call(x, d, mb(), mc()),
                    "scatter_add" => new Op("aten::scatter_add").Call(x, d, mb(), mc()),
                    "index_add" => new Op("aten::index_add").Call(x, d, mb(), mc()),
                    "take" => new Op("aten::take").Call(x, mb()), _ => F.Embedding(mb(), x),
                };
            });
        }

        public FuzzCase Nn(int i, string f)
        {
            var (a, ma) = Tensor_();
            var n = Pick(new long[] { 0, 1, 3, -1, 4 });
            var k = Pick(new long[] { 0, 1, 3, -2 });
            var op = Pick(new[] { "linear", "conv1d", "conv2d", "layernorm", "groupnorm", "batchnorm", "maxpool", "lstm", "attention", "cross_entropy", "dropout" });
            return Case(i, f, $"{op}(in {n}, k {k}) on {a}", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "linear" => new Linear(n, 2).Forward(x),
                    "conv1d" => new Conv1d(n, 2, k).Forward(x),
                    "conv2d" => new Conv2d(n, 2, k).Forward(x),
                    "layernorm" => new LayerNorm(n).Forward(x),
                    "groupnorm" => new GroupNorm(k, n).Forward(x),
                    "batchnorm" => F.BatchNorm(x, null, null, training: true),
                    "maxpool" => F.MaxPool1d(x, k),
                    "lstm" => new LSTM(n, 3).Forward(x).Output,
                    "attention" => new MultiheadAttention(n, k).Forward(x, x, x).Output,
                    "cross_entropy" => F.CrossEntropy(x, x.Long()),
                    _ => F.Dropout(x, k, training: true),
                };
            });
        }

        public FuzzCase Linalg(int i, string f)
        {
            var (a, ma) = Tensor_();
            var op = Pick(new[] { "svd", "inv", "cholesky", "solve", "det", "eigh", "qr", "pinv" });
            return Case(i, f, $"Linalg.{op}({a})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "svd" => Research.Torch.Linalg.Svd(x).U, "inv" => new Op("aten::linalg_inv").Call(x), "cholesky" => new Op("aten::linalg_cholesky").Call(x, false),
                    "solve" => new Op("aten::linalg_solve").Call(x, x, true), "det" => new Op("aten::linalg_det").Call(x),
                    "eigh" => new Op("aten::linalg_eigh").Invoke(x, "L")[0], "qr" => new Op("aten::linalg_qr").Invoke(x, "reduced")[0],
                    _ => new Op("aten::linalg_pinv").Call(x, 1e-15, false),
                };
            });
        }

        public FuzzCase Fft(int i, string f)
        {
            var (a, ma) = Tensor_();
            var n = Pick(new long[] { -1, 0, 1, 8, 1_000_000 });
            var d = Dim();
            var op = Pick(new[] { "rfft", "irfft", "fft", "stft" });
            return Case(i, f, $"Fft.{op}({a}, n {n}, dim {d})", () =>
            {
                var x = ma();
                _ = op switch
                {
                    "rfft" => new Op("aten::fft_rfft").Call(x, n, d, OpArg.None), "irfft" => new Op("aten::fft_irfft").Call(x, n, d, OpArg.None),
                    "fft" => new Op("aten::fft_fft").Call(x, n, d, OpArg.None),
                    _ => Research.Torch.Fft.Stft(x, nFft: n, hopLength: Math.Max(1, (int)Math.Min(n, 4)), window: null),
                };
            });
        }

        public FuzzCase Creation(int i, string f)
        {
            var s = ShapeOf(3).Select(v => r.Next(5) == 0 ? Pick(new long[] { -1, long.MaxValue, 1L << 40 }) : v).ToArray();
            var dtype = r.Next(5) == 0 ? (DType)Pick(new[] { -1, 8, 13, 1000 }) : Pick(DTypes);
            var v = Value();
            var op = Pick(new[] { "zeros", "full", "arange", "linspace", "eye", "randn", "randint", "from" });
            return Case(i, f, $"{op}([{string.Join(", ", s)}], {v}, (DType){(int)dtype})", () =>
            {
                _ = op switch
                {
                    "zeros" => Tensor.Zeros(s, dtype), "full" => Tensor.Full(s, v, dtype),
                    "arange" => Tensor.Arange(Math.Abs(v) > 1e6 && double.IsFinite(v) ? Math.Sign(v) * 1e6 : v, dtype),   // bad, not big
                    "linspace" => new Op("aten::linspace").Call(0.0, v, s.FirstOrDefault()),
                    "eye" => new Op("aten::eye").Call(s.FirstOrDefault()), "randn" => Tensor.RandN(s, dtype),
                    "randint" => new Op("aten::randint").Call(s.FirstOrDefault(), s),
                    _ => Tensor.From(new float[Math.Max(0, (int)Math.Min(8, s.FirstOrDefault()))], s),
                };
            });
        }

        public FuzzCase Autograd(int i, string f)
        {
            var (a, ma) = Tensor_();
            int outputs = r.Next(4), grads = r.Next(4);
            bool nullEntry = r.Next(4) == 0;
            var op = Pick(new[] { "backward", "grad", "twice", "custom", "set_grad", "requires_grad_int" });
            return Case(i, f, $"autograd {op}: {outputs} outputs, {grads} grads, null entry {nullEntry}, on {a}", () =>
            {
                var x = ma();
                if (x.DType.IsFloatingPoint() && !x.RequiresGrad) x = x.Detach().RequiresGrad_();
                var ys = Enumerable.Range(0, outputs).Select(k => (Tensor)(x * (k + 1)).Sum()).ToArray();
                var gs = Enumerable.Range(0, grads).Select(_ => nullEntry ? null : Tensor.Ones([])).ToArray();
                switch (op)
                {
                    case "backward": Research.Torch.Autograd.Backward(ys, gs); break;
                    case "grad": Research.Torch.Autograd.Grad(ys, [x], gs); break;
                    case "twice": { var y = x.Sum(); y.Backward(); y.Backward(); break; }
                    case "custom": CustomFunction.Apply("f", [x], xs => nullEntry ? [null!] : [xs[0] * 2], g => g)[0].Sum().Backward(); break;
                    case "set_grad": x.Grad = nullEntry ? x : Tensor.Ones([grads]); break;
                    default: x.Long().RequiresGrad_(); break;
                }
            });
        }

        public FuzzCase RawOp(int i, string f)
        {
            var names = new[] { ("aten::add", "Tensor"), ("aten::zeros", ""), ("aten::conv1d", ""), ("aten::narrow", ""), ("aten::no_such", ""),
                ("aten::sum", "dim_IntList"), ("aten::cat", ""), ("aten::view", ""), ("aten::clamp", "") };
            var (name, overload) = Pick(names);
            var (a, ma) = Tensor_();
            int args = r.Next(6);
            var kinds = Enumerable.Range(0, args).Select(_ => r.Next(6)).ToArray();
            return Case(i, f, $"new Op(\"{name}\", \"{overload}\").Call({string.Join(", ", kinds.Select(k => k switch { 0 => a, 1 => "1L", 2 => "2.5", 3 => "\"text\"", 4 => "null", _ => "new long[]{-1}" }))})", () =>
            {
                var values = kinds.Select(k => k switch
                {
                    0 => (OpArg)ma(), 1 => (OpArg)1L, 2 => (OpArg)2.5, 3 => (OpArg)"text", 4 => OpArg.None, _ => (OpArg)new long[] { -1 },
                }).ToArray();
                new Op(name, overload).Call(values);
            });
        }

        public FuzzCase File(int i, string f)
        {
            int kind = r.Next(5);
            int cut = r.Next(1, 400);
            return Case(i, f, $"Torch.Load of a saved file damaged by {kind} at {cut}", () =>
            {
                var path = Path.Combine(Path.GetTempPath(), $"research-fuzz-{Environment.ProcessId}-{i}.pt");
                try
                {
                    Torch.Save(new Dictionary<string, Tensor> { ["x"] = Tensor.Arange(64).Float() }, path);
                    var bytes = System.IO.File.ReadAllBytes(path);
                    cut = Math.Min(cut, bytes.Length - 1);
                    switch (kind)
                    {
                        case 0: bytes = bytes[..cut]; break;
                        case 1: bytes[cut] ^= 0xFF; break;
                        case 2: for (int k = cut; k < Math.Min(bytes.Length, cut + 16); k++) bytes[k] = 0xFF; break;
                        case 3: bytes = [.. bytes, .. bytes]; break;
                        default: Array.Clear(bytes, cut, Math.Min(8, bytes.Length - cut)); break;
                    }
                    System.IO.File.WriteAllBytes(path, bytes);
                    foreach (var t in Torch.Load(path).Values) t.Sum();
                }
                finally { System.IO.File.Delete(path); }
            });
        }

        public FuzzCase Optimiser(int i, string f)
        {
            var lr = Pick(new[] { 0.1, -1, double.NaN, double.PositiveInfinity, 0 });
            var op = Pick(new[] { "sgd", "adam", "rmsprop", "adagrad", "partial_state", "no_grad", "int_param" });
            return Case(i, f, $"{op} with lr {lr}", () =>
            {
                var w = op == "int_param" ? Tensor.Ones([3], DType.Int64) : Tensor.Ones(3).RequiresGrad_();
                Optimizer opt = op switch
                {
                    "adam" or "partial_state" => new Adam([w], lr: lr), "rmsprop" => new RMSprop([w], lr: lr),
                    "adagrad" => new Adagrad([w], lr: lr), _ => new SGD([w], lr: lr, momentum: 0.9),
                };
                using var _ = opt;
                if (op != "no_grad" && w.RequiresGrad) (w * w).Sum().Backward();
                opt.Step();
                if (op == "partial_state")
                {
                    var state = opt.StateDict();
                    state.Tensors.Remove(state.Tensors.Keys.First());
                    opt.LoadStateDict(state);
                }
                opt.Step();
            });
        }
    }
}
