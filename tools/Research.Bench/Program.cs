using Research.Bench;

// research bench, stand-alone: dotnet run --project tools/Research.Bench -c Release [-- <output root>]
TorchBenchmark.Run(args.Length > 0 ? args[0] : Directory.GetCurrentDirectory(), Console.Out);
