using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class ReproductionTests
{
    [Fact]
    public void RegistryListsTheReproductionsWithTheirFamilies()
    {
        Assert.Equal("sequence models", ExperimentRegistry.Find("mingru")?.Family);
        Assert.Equal("sequence models", ExperimentRegistry.Find("neg-eig-lrnn")?.Family);
        Assert.Equal("implicit neural representations", ExperimentRegistry.Find("siren")?.Family);
        Assert.Equal("backprop-free & local learning", ExperimentRegistry.Find("dfa")?.Family);
    }
}
