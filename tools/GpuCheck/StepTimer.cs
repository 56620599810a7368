using System.Diagnostics;
using System.Globalization;
using Research.Experiments;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.GpuCheck;

/// <summary>
/// Times <c>--steps</c> training steps (after <c>--warmup</c> untimed ones) of each workload on one device and prints one
/// tab-separated line per workload: name, device, scale, ms/step, items/s, loss first and last, parameters, batch shape, kind, and on CUDA the
/// allocator's peak memory. Each step runs in its own dispose scope, as the trainer does.
/// </summary>
internal static class StepTimer
{
    public static int Run(Options options, TextWriter output)
    {
        var device = Device.Parse(options.Get("--device", "cpu"));
        var scale = Scales.Parse(options.Get("--scale", "smoke"));
        int steps = Math.Max(1, options.GetInt("--steps", 5));
        int warmup = options.GetInt("--warmup", 1);
        var names = options.Get("--only", string.Join(",", Workload.Names)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        bool cuda = device.Type == DeviceType.CUDA;
        output.WriteLine("workload\tdevice\tscale\tsteps\tms_per_step\titems_per_s\tunit\tfirst_loss\tlast_loss\tparameters\tshape\tkind\tpeak_allocated_mib\tpeak_reserved_mib");
        foreach (var name in names)
        {
            ManualSeed(0);
            using var workload = Workload.Create(name, scale, device);
            float first = float.NaN, last = float.NaN;
            for (int i = 0; i < warmup; i++) first = OneStep(workload);
            if (cuda)
            {
                Cuda.Synchronize(device);
                Cuda.ResetPeakMemory(device);
            }
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                last = OneStep(workload);
                if (float.IsNaN(first)) first = last;
            }
            if (cuda) Cuda.Synchronize(device);
            double seconds = clock.Elapsed.TotalSeconds;
            if (!float.IsFinite(last)) throw new InvalidOperationException($"{name} on {device}: the loss is {last}");
            var memory = cuda ? Cuda.Memory(device) : default;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}\t{device}\t{scale.ToString().ToLowerInvariant()}\t{steps}\t{1000 * seconds / steps:F2}\t{workload.ItemsPerStep * steps / seconds:F0}\t{workload.Unit}\t{first:F4}\t{last:F4}\t{workload.Parameters}\t{workload.Shape}\t{workload.Kind}\t{(cuda ? (memory.PeakAllocated / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "")}\t{(cuda ? (memory.PeakReserved / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "")}"));
            output.Flush();
        }
        return 0;
    }

    private static float OneStep(Workload workload)
    {
        using var scope = NewScope();
        return workload.Step();
    }
}
