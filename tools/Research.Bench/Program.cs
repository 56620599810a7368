using Research.Bench;

// research bench, stand-alone: dotnet run --project tools/Research.Bench -c Release [-- <output root> [rounds]]
// Data-parallel step time, 1 vs 2 processes, ours and PyTorch's:
//   dotnet run --project tools/Research.Bench -c Release -- --data-parallel [steps] [rounds]
// (and, as their own child processes: ddp-rank ..., see DataParallelBenchmark; --matmul-step-child STEPS, see
// BlasThreadingComparison)
if (args.Length > 0 && args[0] == "--data-parallel")
    DataParallelBenchmark.Run(Console.Out, args.Length > 1 ? int.Parse(args[1]) : 20, args.Length > 2 ? int.Parse(args[2]) : 2);
else if (args.Length > 0 && args[0] == "ddp-rank") DataParallelBenchmark.Rank(args[1..]);
else if (args.Length == 2 && args[0] == BlasThreadingComparison.ChildFlag) BlasThreadingComparison.ChildMain(int.Parse(args[1]), Console.Out);
else TorchBenchmark.Run(args.Length > 0 ? args[0] : Directory.GetCurrentDirectory(), Console.Out, args.Length > 1 ? int.Parse(args[1]) : TorchBenchmark.Rounds);
