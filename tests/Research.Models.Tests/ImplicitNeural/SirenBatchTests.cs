using Research.Models.ImplicitNeural;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.ImplicitNeural;

public class SirenBatchTests
{
    [Fact]
    public void EveryNetworkComputesWhatItsSirenComputes()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var sirens = Enumerable.Range(0, 3).Select(_ => new Siren(2, 12, hiddenLayers: 2, 1, firstOmega0: 30, hiddenOmega0: 20)).ToArray();
        using var batch = SirenBatch.Stack(sirens);
        var x = Tensor.Rand(50, 2) * 2 - 1;

        using var noGrad = NoGrad();
        var together = batch.Forward(x);                                              // [3, 50, 1]
        Assert.Equal([3L, 50, 1], together.Shape);
        for (int b = 0; b < 3; b++)
        {
            Assert.Equal(0, (together.Select(0, b) - sirens[b].Forward(x)).Abs().Max().Item<float>(), 5e-6);
            using var copy = batch.Network(b);
            Assert.Equal(0, (copy.Forward(x) - sirens[b].Forward(x)).Abs().Max().Item<float>(), 0);
        }
        var perNetworkInputs = Tensor.Rand(3, 50, 2);
        var separate = batch.Forward(perNetworkInputs);
        Assert.Equal(0, (separate.Select(0, 1) - sirens[1].Forward(perNetworkInputs.Select(0, 1))).Abs().Max().Item<float>(), 5e-6);
        foreach (var s in sirens) s.Dispose();
    }

    [Fact]
    public void InitialisationDrawsSirensBoundsPerLayer()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var batch = SirenBatch.Initialise(64, 2, 32, hiddenLayers: 1, 1);
        Assert.Equal(64, batch.Count);
        Assert.Equal(3 * 32 + 33 * 32 + 33, batch.ParametersPerNetwork);
        Assert.Equal(0.5, batch.Weights[0].Abs().Max().Item<float>(), 0.01);         // U(±1/n), n = 2
        double c = Math.Sqrt(6.0 / 32) / 30;
        Assert.Equal(c, batch.Weights[1].Abs().Max().Item<float>(), c * 0.01);
        Assert.Equal(c, batch.Weights[2].Abs().Max().Item<float>(), c * 0.05);
        Assert.Equal(1 / Math.Sqrt(32), batch.Biases[1].Abs().Max().Item<float>(), 0.01);
        Assert.All(batch.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
    }

    [Fact]
    public void AdamOnTheBatchTrainsEachNetworkAsIfAlone()
    {
        // Σ_b L_b gives network b the gradient of its own loss, and Adam is element-wise, so three steps on the stacked
        // weights equal three steps of a separate Adam on each network.
        using var scope = NewScope();
        ManualSeed(5);
        var sirens = Enumerable.Range(0, 2).Select(_ => new Siren(2, 8, hiddenLayers: 1, 1)).ToArray();
        var x = Tensor.Rand(40, 2) * 2 - 1;
        var targets = Tensor.RandN(2, 40, 1);
        using var batch = SirenBatch.Stack(sirens);
        using (var optimiser = new Adam(batch.Parameters(), lr: 1e-2))
            for (int step = 0; step < 3; step++)
            {
                var loss = (batch.Forward(x) - targets).Square().Mean([1, 2]).Sum();
                optimiser.ZeroGrad();
                loss.Backward();
                optimiser.Step();
            }
        using var noGrad = NoGrad();
        for (int b = 0; b < 2; b++)
        {
            using (var optimiser = new Adam(sirens[b].Parameters(), lr: 1e-2))
                for (int step = 0; step < 3; step++)
                {
                    using var enabled = EnableGrad();
                    var loss = (sirens[b].Forward(x) - targets.Select(0, b)).Square().Mean();
                    optimiser.ZeroGrad();
                    loss.Backward();
                    optimiser.Step();
                }
            Assert.Equal(0, (batch.Forward(x).Select(0, b) - sirens[b].Forward(x)).Abs().Max().Item<float>(), 1e-5);
            sirens[b].Dispose();
        }
    }

    [Fact]
    public void RepeatMakesIndependentCopies()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var siren = new Siren(2, 8, hiddenLayers: 1, 1);
        using var batch = SirenBatch.Repeat(siren, 4);
        using (NoGrad()) batch.Weights[0].Select(0, 2).Add_(1);
        var before = siren.Layers[0].Linear.Weight;
        Assert.Equal(0, (batch.Weights[0].Select(0, 1) - before).Abs().Max().Item<float>(), 0);
        Assert.Equal(1, (batch.Weights[0].Select(0, 2) - before).Abs().Max().Item<float>(), 1e-6);
    }
}
