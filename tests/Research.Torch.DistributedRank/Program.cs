// One rank of a distributed test (tests/Research.Torch.Tests/DistributedTests.cs starts two of them, or one next to a
// PyTorch rank). Rank 0 hosts the TCP store on a port the OS picks and prints "port N" for the test to pass on.
//   collectives <rank> <port|file path> <world>   all-reduce, broadcast, all-gather, barrier; prints the results
//   train <rank> <port> <world> <out>             20 SGD steps of a float64 MLP under DistributedDataParallel; saves out.<rank>.pt
//   hang <rank> <port> <world>                    one all-reduce, then rank 1 waits to be killed and rank 0 tries another
using System.Globalization;
using Research.Torch;
using Research.Torch.Distributed;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

var (scenario, rank, address, world) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
var timeout = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("RANK_TIMEOUT_S") ?? "60", CultureInfo.InvariantCulture));
using var group = Join();

switch (scenario)
{
    case "collectives":
    {
        using var t = Tensor.From([rank + 1.0, 10.0 * (rank + 1)]);
        group.AllReduce(t);
        Console.WriteLine($"allreduce {string.Join(' ', t.ToArray<double>().Select(Fmt))}");
        using var m = Tensor.From([(double)rank]);
        group.AllReduce(m, ReduceOp.Max);
        Console.WriteLine($"max {Fmt(m.ToArray<double>()[0])}");
        using var b = Tensor.From([rank == 0 ? 42.0 : -1.0]);
        group.Broadcast(b, root: 0);
        Console.WriteLine($"broadcast {Fmt(b.ToArray<double>()[0])}");
        var gathered = group.AllGather(Tensor.From([rank * 2.0]));
        Console.WriteLine($"allgather {string.Join(' ', gathered.Select(g => Fmt(g.ToArray<double>()[0])))}");
        group.Barrier();
        Console.WriteLine("barrier");
        break;
    }
    case "train":
    {
        // Every rank builds the same data; rank r trains on rows r, r + world, ... of each global batch (its DistributedSampler share).
        ManualSeed(7);
        using var x = Tensor.RandN([20, 16, 4], DType.Float64);
        using var y = Tensor.RandN([20, 16, 1], DType.Float64);
        ManualSeed((ulong)(100 + rank));   // different initial weights on each rank: the wrap must copy rank 0's
        using var model = new Sequential(new Linear(4, 8, dtype: DType.Float64), new Tanh(), new Linear(8, 1, dtype: DType.Float64));
        using var ddp = new DistributedDataParallel(group, model, bucketCapMB: 0.0001);   // tiny buckets: several all-reduces per step
        using var opt = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        var shard = new DistributedSampler(group).Shard(Enumerable.Range(0, 16).ToArray()).Select(i => (long)i).ToArray();
        using var index = Tensor.From(shard);
        for (int step = 0; step < 20; step++)
        {
            using var scope = NewScope();
            var loss = F.MseLoss(model.Forward(x[step].IndexSelect(0, index)), y[step].IndexSelect(0, index));
            opt.ZeroGrad();
            ddp.Backward(loss);
            opt.Step();
        }
        Save(model.StateDict(), $"{args[4]}.{rank}.pt");
        Console.WriteLine("trained");
        break;
    }
    case "hang":
    {
        using var t = Tensor.Ones([4]);
        group.AllReduce(t);
        Console.WriteLine("joined");
        if (rank != 0) Thread.Sleep(Timeout.Infinite);   // alive but silent until the test kills it
        try
        {
            group.AllReduce(t);
            Console.WriteLine("second all-reduce returned");
        }
        catch (TorchException e)
        {
            Console.WriteLine($"peer lost: {e.Message.Split('\n')[0]}");
            return 3;
        }
        break;
    }
    default:
        throw new ArgumentException($"unknown scenario {scenario}");
}
return 0;

ProcessGroup Join()
{
    if (!int.TryParse(address, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        return ProcessGroup.Init(Backend.Gloo, "file://" + address, rank, world, timeout);
    // torch.distributed's tcp:// rendezvous wraps its store in PrefixStore("default_pg"); do the same so PyTorch ranks can join.
    // The rendezvous waits at least a minute (the other rank's process may start slowly on a loaded machine); the
    // group's own timeout, which a silent peer runs into, is RANK_TIMEOUT_S.
    var rendezvous = timeout > TimeSpan.FromMinutes(1) ? timeout : TimeSpan.FromMinutes(1);
    using var root = Store.Tcp("127.0.0.1", port, isServer: rank == 0, world, rendezvous);
    if (rank == 0) Console.WriteLine($"port {root.Port}");
    using var store = root.WithPrefix("default_pg");
    return ProcessGroup.Init(Backend.Gloo, store, rank, world, timeout);
}

static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
