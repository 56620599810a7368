using Research.Torch;
using static Research.Torch.Torch;

// Trains a small MLP for N steps, written the obvious way with a scope per step, in a process of its
// own so that nothing else moves its memory; prints "step N live N rss N" lines (after a full GC)
// for the memory test.
// With the argument "lazy" it instead prints whether libtorch is mapped into the process after Research.Torch
// is loaded and non-native API is used ("before"), and after the first tensor ("after").
if (args is ["lazy"])
{
    Interrupt.Reset();
    Console.WriteLine($"before {Interrupt.IsRequested} {LibtorchMapped()}");
    using var one = Tensor.Ones(1);
    Console.WriteLine($"after {one.Item<float>()} {LibtorchMapped()}");
    return;
}
int steps = args.Length > 0 ? int.Parse(args[0]) : 10_000;
ManualSeed(1);
Tensor w1, b1, w2;
using (var init = NewScope())
{
    // Keep moves the parameters out of the scope; the temporaries (RandN before scaling) are freed.
    w1 = init.Keep((Tensor.RandN(2, 64) * 0.5).RequiresGrad_());
    b1 = init.Keep(Tensor.Zeros([64], requiresGrad: true));
    w2 = init.Keep((Tensor.RandN(64, 1) * 0.1).RequiresGrad_());
}
Tensor[] parameters = [w1, b1, w2];
float first = 0, last = 0;
for (int step = 1; step <= steps; step++)
{
    using var scope = NewScope();
    var x = Tensor.RandN(32, 2);
    var target = x.Sin().Sum(1, keepDim: true);
    var loss = ((x.Matmul(w1) + b1).Tanh().Matmul(w2) - target).Square().Mean();
    foreach (var p in parameters) p.Grad = null;
    loss.Backward();
    using (NoGrad())
        foreach (var p in parameters) p.Sub_(p.Grad!, 0.05);
    last = loss.Item<float>();
    if (step == 1) first = last;
    if (step % 1000 == 0)
    {
        // Settle the managed heap first: what must stay flat is native memory, which the GC cannot see.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Console.WriteLine($"step {step} live {Tensor.LiveCount} rss {Rss()}");
    }
}
Console.WriteLine($"loss {first} {last}");

static long Rss()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    return 0;
}

static bool LibtorchMapped() => File.ReadLines("/proc/self/maps").Any(l => l.Contains("libtorch_cpu"));
