using Research.Models.ImplicitNeural;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.ImplicitNeural;

public class ReptileTests
{
    [Fact]
    public void OuterGradientIsInitialMinusMeanOfAdaptedCopies()
    {
        using var scope = NewScope();
        var initial = Tensor.From([1f, 2f], 2);
        var adapted = Tensor.From([0f, 2f, 1f, 4f, 2f, 0f], 3, 2);               // mean (1, 2)
        Assert.Equal([0f, 0f], Reptile.OuterGradient(initial, adapted).ToArray<float>());
        var moved = Tensor.From([3f, 2f, 3f, 2f, 3f, 5f], 3, 2);                 // mean (3, 3)
        Assert.Equal([-2f, -1f], Reptile.OuterGradient(initial, moved).ToArray<float>());
        Assert.Throws<ArgumentException>(() => Reptile.OuterGradient(initial, Tensor.Zeros(3, 3)));
    }

    [Fact]
    public void WithOneSgdStepReptileIsTheAverageTaskGradient()
    {
        // Nichol et al. (2018), Sec. 5: after one inner SGD step of rate α, φ − mean_b θ_b = α · mean_b ∇L_b(φ).
        using var scope = NewScope();
        ManualSeed(7);
        using var initial = new Siren(2, 8, hiddenLayers: 1, 1);
        var x = Tensor.Rand(30, 2) * 2 - 1;
        var targets = Tensor.RandN(4, 30, 1);
        const double alpha = 0.05;

        using var adapted = SirenBatch.Repeat(initial, 4);
        using (var sgd = new SGD(adapted.Parameters(), lr: alpha))
        {
            var loss = (adapted.Forward(x) - targets).Square().Mean([1, 2]).Sum();
            sgd.ZeroGrad();
            loss.Backward();
            sgd.Step();
        }
        Reptile.SetOuterGradient(initial, adapted);
        var reptile = initial.Parameters().Select(p => p.Grad!.Clone()).ToArray();

        foreach (var p in initial.Parameters()) p.Grad = null;
        var joint = (initial.Forward(x).Unsqueeze(0) - targets).Square().Mean([1, 2]).Mean();
        joint.Backward();
        var expected = initial.Parameters().Select(p => p.Grad! * alpha).ToArray();
        for (int i = 0; i < reptile.Length; i++)
            Assert.Equal(0, (reptile[i] - expected[i]).Abs().Max().Item<float>(), 1e-6);
    }
}
