using Research.Bench;

// research bench, stand-alone: dotnet run --project tools/Research.Bench -c Release [-- <output root> [rounds]]
// (and, as its own child process, --matmul-step-child STEPS: see BlasThreadingComparison)
if (args.Length == 2 && args[0] == BlasThreadingComparison.ChildFlag)
{
    BlasThreadingComparison.ChildMain(int.Parse(args[1]), Console.Out);
    return;
}
TorchBenchmark.Run(args.Length > 0 ? args[0] : Directory.GetCurrentDirectory(), Console.Out, args.Length > 1 ? int.Parse(args[1]) : TorchBenchmark.Rounds);
