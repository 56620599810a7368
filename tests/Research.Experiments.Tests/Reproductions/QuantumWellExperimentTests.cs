using Research.Experiments.Reproductions;
using Research.Models.Physics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class QuantumWellExperimentTests
{
    [Fact]
    public void RegistryFindsTheExperiment() => Assert.Equal("neural operators & PDEs", ExperimentRegistry.Find("pinn-qwell")?.Family);

    [Fact]
    public void CollocationPutsOnePointInEveryCellOfTheBoxWithItsPotential()
    {
        using var scope = NewScope();
        var well = WellPotential.Finite(1, 50, 1.5);
        var (x, v) = QuantumWellExperiment.Collocation(well, 30, seed: 4);
        var xs = x.ToArray<float>();
        var vs = v.ToArray<float>();
        for (int i = 0; i < 30; i++)
        {
            Assert.InRange(xs[i], -1.5 + i * 0.1 - 1e-6, -1.5 + (i + 1) * 0.1 + 1e-6);
            Assert.Equal(well.At(xs[i]), vs[i], 5);
        }
    }

    [Fact]
    public void NormalisationTermIsTheSquaredErrorOfTheStratifiedNorm()
    {
        using var scope = NewScope();
        ManualSeed(2);
        var well = WellPotential.Infinite(1);
        using var net = new QuantumWellPinn(well, initialEnergy: 1, width: 8);
        var (x, v) = QuantumWellExperiment.Collocation(well, 64, seed: 1);
        x.RequiresGrad_();
        double with = QuantumWellExperiment.Loss(net, x, v, normalise: true).Item<float>();
        double without = QuantumWellExperiment.Loss(net, x, v, normalise: false).Item<float>();
        double norm = net.Forward(x).Square().Mean().Item<float>() * well.Length;
        double expected = QuantumWellSettings.NormWeight * (norm - 1) * (norm - 1);
        Assert.Equal(expected, with - without, 1e-5 * Math.Max(1, expected));   // float32 losses
    }
}
