using Research.Experiments.Data;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class LicenseTextTests
{
    [Fact]
    public void HeldOutDocumentsAreNotInTheTrainingText()
    {
        Assert.Empty(LicenseText.TrainFiles.Intersect(LicenseText.TestFiles));
        Assert.Empty(LicenseText.TrainFiles.Intersect(LicenseText.ValidationFiles));
        Assert.Empty(LicenseText.ValidationFiles.Intersect(LicenseText.TestFiles));
        var text = LicenseText.Load();
        var train = new string(text.Train.Select(c => (char)c).ToArray());
        var apache = File.ReadAllText(Path.Combine(LicenseText.Directory, "Apache-2.0"));
        Assert.DoesNotContain(apache.Substring(2000, 200), train);                 // a passage of a test document
        Assert.InRange(text.Train.Length, 150_000, 300_000);
        Assert.All(text.Train.Concat(text.Validation).Concat(text.Test), c => Assert.InRange(c, 0, LicenseText.Vocabulary - 1));
    }

    [Fact]
    public void TargetsAreTheNextCharacters()
    {
        var text = LicenseText.Load();
        using var scope = NewScope();
        using var batch = text.TrainBatch(4, 32, seed: 12345UL << 33);
        var x = batch.Inputs.ToArray2D<long>();
        var y = batch.Targets.ToArray2D<long>();
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 31; t++) Assert.Equal(x[b, t + 1], y[b, t]);
    }

    [Fact]
    public void EvaluationWindowsTileTheTextInOrder()
    {
        long[] text = LicenseText.Encode("abcdefghij");
        using var scope = NewScope();
        using var windows = LicenseText.EvaluationWindows(text, 3);
        Assert.Equal(new long[,] { { 'a', 'b', 'c' }, { 'd', 'e', 'f' }, { 'g', 'h', 'i' } }, windows.Inputs.ToArray2D<long>());
        Assert.Equal(new long[,] { { 'b', 'c', 'd' }, { 'e', 'f', 'g' }, { 'h', 'i', 'j' } }, windows.Targets.ToArray2D<long>());
    }
}
