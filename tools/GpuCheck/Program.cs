using Research.GpuCheck;
using Research.Torch;

// gpucheck info | tests | steps [--device D --scale S --steps N --warmup N --only a,b] | run <experiment> [--device D --scale S --runs DIR]
const string Usage = "usage: gpucheck info | tests | steps --device cpu|cuda --scale smoke|cpu|gpu --steps N [--warmup N] [--only wavenet,gla,fno]" +
    " | run <experiment> --device cpu|cuda --scale smoke|cpu|gpu [--runs DIR]";
try
{
    switch (args.FirstOrDefault())
    {
        case "info":
            Console.WriteLine($"libtorch {Torch.LibtorchVersion}, {Torch.NumThreads} threads, CUDA devices: {Torch.CudaDeviceCount}");
            Console.WriteLine(Torch.BuildConfig.Trim());
            return 0;
        case "tests":
            return CudaTestRunner.RunAll(Console.Out);
        case "steps":
            return StepTimer.Run(Options.Parse(args.Skip(1)), Console.Out);
        case "run" when args.Length > 1:
            return ExperimentRun.Run(args[1], Options.Parse(args.Skip(2)), Console.Out);
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"gpucheck: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
