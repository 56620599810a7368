using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class MultiresConvExperimentTests
{
    [Fact]
    public void RegistryListsMultiresConvAndVssmAsSequenceModels()
    {
        Assert.IsType<MultiresConvExperiment>(ExperimentRegistry.Find("multires-conv"));
        Assert.IsType<VssmExperiment>(ExperimentRegistry.Find("vssm"));
        Assert.Equal("sequence models", ExperimentRegistry.Find("vssm")!.Family);
    }

    [Fact]
    public void BaselinesMatchTheirParameterTargetsAndEveryTreeCoversTheSequence()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = MultiresConvSettings.For(scale);
            using var multires = MultiresConvExperiment.CreateMultires(s);
            using var undilated = MultiresConvExperiment.CreateMultires(s, dilated: false);
            long p = multires.ParameterCount();
            Assert.Equal(p, undilated.ParameterCount());
            using var tcn = MultiresConvExperiment.CreateTcn(s, MultiresConvExperiment.TcnChannelsFor(s, p));
            using var big = MultiresConvExperiment.CreateTcn(s, MultiresConvExperiment.TcnChannelsFor(s, (long)(s.BigFactor * p)));
            Assert.InRange(tcn.ParameterCount() / (double)p, 0.9, 1.1);
            Assert.InRange(big.ParameterCount() / (s.BigFactor * p), 0.9, 1.1);
            Assert.True(multires.Layers[0].Conv.ReceptiveField >= s.Length);
            Assert.True(tcn.Tcn.ReceptiveField >= s.Length);
            Assert.True(scale == Scale.Smoke || s.Seeds >= 3, $"{scale}: {s.Seeds} seeds");
        }
    }

    [Fact]
    public void PermutedDigitsAreOnePermutationOfTheRasterSequences()
    {
        using var scope = NewScope();
        using var raster = SequentialDigits.Create(8);
        using var permuted = SequentialDigits.Create(8, permuted: true, permutationSeed: 3);
        Assert.Equal([raster.TrainX.Size(0), 1L, 64], permuted.TrainX.Shape);
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (long)i), permuted.Order!.Order());
        var reordered = raster.TestX.IndexSelect(2, Tensor.From(permuted.Order!));
        Assert.Equal(0.0, (reordered - permuted.TestX).Abs().Max().Item<float>());
        Assert.Equal(raster.TestY.ToArray<long>(), permuted.TestY.ToArray<long>());
    }

    [Fact]
    public void VssmGruAndControlHaveAboutTheSameParameters()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = VssmSettings.For(scale);
            using var vssm = VssmExperiment.CreateVssm(s);
            using var gru = VssmExperiment.CreateGru(s);
            using var control = VssmExperiment.CreateControl(s);
            Assert.InRange(gru.ParameterCount() / (double)vssm.ParameterCount(), 0.95, 1.05);
            Assert.InRange(control.ParameterCount() / (double)vssm.ParameterCount(), 0.95, 1.05);
            Assert.Null(control.Encoder);
            Assert.True(scale == Scale.Smoke || s.Seeds >= 5, $"{scale}: {s.Seeds} seeds");
        }
    }

    [Fact]
    public void TileLaysSixteenDigitsOutFourByFour()
    {
        using var scope = NewScope();
        var digits = Tensor.Zeros(16, 64);
        digits[5, 8 * 2 + 3].Fill_(1.0);                                                             // digit 5 (row 1, column 1), pixel (2, 3)
        var tile = VssmExperiment.Tile(digits);
        Assert.Equal(35, tile.Length);
        Assert.Equal(1.0, tile[9 + 2][9 + 3]);
        Assert.Equal(1, tile.Sum(r => r.Count(v => v == 1.0)));
        Assert.Equal(0.5, tile[8][0]);                                                               // a gap
    }
}
