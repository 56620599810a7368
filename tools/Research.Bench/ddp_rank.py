# One rank of the data-parallel benchmark on PyTorch (the reference side of DataParallelBenchmark.cs):
#   ddp_rank.py <rank> <world> <port> <threads> <bucket_mb> <steps>    (rank 0 with port 0 prints "port N")
import sys, time, statistics, datetime
import same_blas  # noqa: F401  (before torch: the BLAS Research.Torch runs on)
import torch, torch.distributed as dist
rank, world, port, threads, bucket_mb, steps = sys.argv[1:7]
rank, world, port, threads, steps, bucket_mb = int(rank), int(world), int(port), int(threads), int(steps), float(bucket_mb)
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(256, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10))
if world > 1:
    store = dist.TCPStore("127.0.0.1", port, world, rank == 0, datetime.timedelta(seconds=120), wait_for_workers=False)
    if rank == 0: print("port", store.port, flush=True)
    dist.init_process_group("gloo", store=store, rank=rank, world_size=world, timeout=datetime.timedelta(seconds=120))
    model = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_mb)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
batch = 512 // world
x, y = torch.randn(batch, 256), torch.randint(0, 10, (batch,))
times = []
for step in range(steps + 5):
    t0 = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    if step >= 5: times.append((time.perf_counter() - t0) * 1e3)
print("ms", statistics.median(times), flush=True)
