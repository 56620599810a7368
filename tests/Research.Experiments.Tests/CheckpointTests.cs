using System.Diagnostics;
using Research.Torch;

namespace Research.Experiments.Tests;

public class CheckpointTests
{
    private static Dictionary<string, Tensor> State(float value) => new() { ["w"] = Tensor.From(Enumerable.Repeat(value, 1000).ToArray()) };

    [Fact]
    public void AnInterruptedWriteLeavesTheLastGoodCheckpointLoadable()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.Path);
        store.Save(new TrainingProgress(10, 1), State(1f));
        // What a process killed mid-save leaves: a half-written temp directory and a half-written pointer file.
        var partial = Path.Combine(dir.Path, ".tmp-step-00000020-0123");
        Directory.CreateDirectory(partial);
        File.WriteAllBytes(Path.Combine(partial, "state.pt"), new byte[] { 0x50, 0x4b, 3 });
        File.WriteAllText(Path.Combine(dir.Path, "last.txt.abc.tmp"), "step-000");

        var reopened = new CheckpointStore(dir.Path);
        Assert.False(Directory.Exists(partial));
        Assert.Equal(10, reopened.Last!.Step);
        using var loaded = reopened.Load("last");
        Assert.Equal(1f, loaded.Tensors["w"].ToArray<float>()[999]);
    }

    [Fact]
    public void AProcessKilledWhileCheckpointingLeavesTheLastGoodCheckpointLoadable()
    {
        using var dir = new TempDirectory();
        // The CLI trains digits-logreg at cpu scale (a checkpoint every 333 steps); it is killed with SIGKILL
        // right after its first checkpoint, while it trains and writes the next ones.
        using var child = Cli.Start(dir.Path, "run", "digits-logreg", "--scale", "cpu");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? checkpoints = null;
        while (DateTime.UtcNow < deadline)
        {
            var experimentDir = Path.Combine(dir.Path, "digits-logreg");
            checkpoints = Directory.Exists(experimentDir) ? Directory.GetDirectories(experimentDir).Select(d => Path.Combine(d, "checkpoints")).FirstOrDefault() : null;
            if (checkpoints is not null && File.Exists(Path.Combine(checkpoints, "last.txt"))) break;
            Thread.Sleep(5);
        }
        child.Kill();
        child.WaitForExit();
        Assert.NotNull(checkpoints);
        var store = new CheckpointStore(checkpoints);
        var last = store.Last;
        Assert.NotNull(last);
        using var loaded = store.Load(last);
        Assert.Equal([64L, 10L], loaded.Tensors["w"].Shape);
        Assert.True(loaded.Tensors["w"].IsFinite().All().Item<bool>());
    }

    [Fact]
    public void PruningKeepsTheNewestPeriodicCheckpointsAndTheBest()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.Path, keepPeriodic: 2);
        for (int s = 1; s <= 5; s++)
        {
            using var scope = Research.Torch.Torch.NewScope();
            store.Save(new TrainingProgress(s * 10, 0), State(s), isBest: s == 2);
        }
        Assert.Equal(["best", "step-00000040", "step-00000050"], store.List().Select(c => c.Name).ToArray());
        Assert.Equal(20, store.Best!.Step);
        Assert.Equal(50, store.Last!.Step);
    }
}
