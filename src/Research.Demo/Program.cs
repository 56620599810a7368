using Research.Torch;
using static Research.Torch.Torch;

// The main job's demo: a two-layer tanh network learns y = sin(x1) + sin(x2) with plain SGD on
// raw Research.Torch tensors, a dispose scope per step, and prints its loss falling.
int steps = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 2000;
ManualSeed(0);
Console.WriteLine($"Research.Torch on libtorch {Research.Torch.Torch.LibtorchVersion} ({NumThreads} threads, {(CudaIsAvailable ? "CUDA" : "CPU")})");

var w1 = (Tensor.RandN(2, 64) * 0.5).RequiresGrad_();
var b1 = Tensor.Zeros([64], requiresGrad: true);
var w2 = (Tensor.RandN(64, 1) * 0.1).RequiresGrad_();
Tensor[] parameters = [w1, b1, w2];

double first = double.NaN, last = double.NaN;
for (int step = 0; step <= steps; step++)
{
    using var scope = NewScope();                       // every tensor made in this step is freed at its end
    var x = Tensor.RandN(256, 2);
    var target = x.Sin().Sum(1, keepDim: true);
    var loss = ((x.Matmul(w1) + b1).Tanh().Matmul(w2) - target).Square().Mean();
    foreach (var p in parameters) p.Grad = null;
    loss.Backward();
    using (NoGrad())
        foreach (var p in parameters) p.Sub_(p.Grad!, 0.1);
    last = loss.Item<float>();
    if (step == 0) first = last;
    if (step % (steps / 10) == 0) Console.WriteLine($"step {step,5}: loss {last:F5}   live tensors {Tensor.LiveCount}");
}
Console.WriteLine(last < first / 10 ? $"loss fell {first / last:F0}x: {first:F4} -> {last:F4}" : $"loss did not fall enough: {first:F4} -> {last:F4}");
return last < first / 10 ? 0 : 1;
