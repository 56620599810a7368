namespace Research.Interactive.Tests;

public class PitchContourTests
{
    [Fact]
    public void VoicedRunsSplitAtUnvoicedFrames()
    {
        double[] times = [0, 1, 2, 3, 4, 5, 6];
        double[] f0 = [0, 100, 110, 0, 0, 120, 0];
        var runs = PitchContour.VoicedRuns(times, f0, harmonic: 2);
        Assert.Equal(2, runs.Count);
        Assert.Equal(new double[] { 1, 2 }, runs[0].Times);
        Assert.Equal(new double[] { 200, 220 }, runs[0].Hz);
        Assert.Equal(new double[] { 5 }, runs[1].Times);
        var figure = PitchContour.Overlay(new Figure(), times, f0, "F0");
        Assert.Equal(2, figure.Data.Count);
        Assert.Equal([true, false], figure.Data.Select(d => d.ShowLegend == true).ToArray());
    }
}
