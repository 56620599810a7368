using Research.Bench;

// research bench, stand-alone: dotnet run --project tools/Research.Bench -c Release [-- <output root> [rounds]]
// Data-parallel step time, 1 vs 2 processes, ours and PyTorch's:
//   dotnet run --project tools/Research.Bench -c Release -- --data-parallel [steps] [rounds]
// (and, as their own child processes: ddp-rank ..., see DataParallelBenchmark; --matmul-step-child STEPS, see
// BlasThreadingComparison)
// One case alone, for a profiler (see profile.sh): dotnet tools/Research.Bench/bin/Release/net10.0/Research.Bench.dll --case KEY STEPS DIR
if (args.Length > 0 && args[0] == "--data-parallel")
    DataParallelBenchmark.Run(Console.Out, args.Length > 1 ? int.Parse(args[1]) : 20, args.Length > 2 ? int.Parse(args[2]) : 2);
else if (args.Length > 0 && args[0] == "ddp-rank") DataParallelBenchmark.Rank(args[1..]);
else if (args.Length == 4 && args[0] == CaseProfile.Flag) CaseProfile.Run(args[1], int.Parse(args[2]), args[3], Console.Out);
else if (args.Length == 2 && args[0] == BlasThreadingComparison.ChildFlag) BlasThreadingComparison.ChildMain(int.Parse(args[1]), Console.Out);
else TorchBenchmark.Run(args.Length > 0 ? args[0] : Directory.GetCurrentDirectory(), Console.Out, args.Length > 1 ? int.Parse(args[1]) : TorchBenchmark.Rounds);
