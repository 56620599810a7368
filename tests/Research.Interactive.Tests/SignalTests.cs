using System.Text.Json.Nodes;

namespace Research.Interactive.Tests;

public class SignalTests
{
    internal static float[] Sine(double hz, int sampleRate, double seconds, double amplitude = 0.5) =>
        Enumerable.Range(0, (int)(sampleRate * seconds)).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / sampleRate))).ToArray();

    [Fact]
    public void SpectrogramOfA440HzSinePeaksInThe440HzBin()
    {
        const int sr = 16000;
        var figure = SpectrogramView.Linear(Sine(440, sr, 1.0), sr, nFft: 1024, hop: 256);
        var trace = figure.ToJsonObject()["data"]![0]!;
        Assert.Equal("heatmap", (string)trace["type"]!);
        var y = trace["y"]!.AsArray().Select(v => (double)v!).ToArray();
        var z = trace["z"]!.AsArray().Select(r => r!.AsArray().Select(v => (double)v!).ToArray()).ToArray();
        int frame = z[0].Length / 2;
        int peak = Enumerable.Range(0, y.Length).MaxBy(k => z[k][frame]);
        double binWidth = (double)sr / 1024;
        Assert.InRange(y[peak], 440 - binWidth, 440 + binWidth);
        Assert.Equal(0, z[peak][frame], 1);            // the peak is the 0 dB reference
        Assert.True(z[peak + 10][frame] < -40, $"10 bins away should be far below the peak, got {z[peak + 10][frame]} dB");
        var layout = figure.ToJsonObject()["layout"]!;
        Assert.Equal("time (s)", (string)layout["xaxis"]!["title"]!["text"]!);
        Assert.Equal("frequency (Hz)", (string)layout["yaxis"]!["title"]!["text"]!);
        Assert.Equal("dB", (string)trace["colorbar"]!["title"]!["text"]!);
        var x = trace["x"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(512.0 / sr, x[0], 9);            // frame centres in seconds
        Assert.InRange(x[^1], 0.9, 1.0);
    }

    [Fact]
    public void MelSpectrogramPeaksInTheBandAround440Hz()
    {
        const int sr = 16000;
        var (db, _, centers) = SpectrogramView.MelDecibels(Sine(440, sr, 0.5), sr, nMels: 64, nFft: 1024, hop: 256);
        int frame = db.Length / 2;
        int peak = Enumerable.Range(0, centers.Length).MaxBy(m => db[frame][m]);
        var edges = Research.Torch.Audio.MelFilterbank.BandEdges(64, sr);
        Assert.True(edges[peak] < 440 && 440 < edges[peak + 2],
            $"peak band {peak} spans {edges[peak]:F0}–{edges[peak + 2]:F0} Hz");
        int nearest = Enumerable.Range(0, centers.Length).MinBy(m => Math.Abs(centers[m] - 440));
        Assert.InRange(peak, nearest - 1, nearest + 1);

        var figure = SpectrogramView.Mel(Sine(440, sr, 0.5), sr, nMels: 64);
        var trace = figure.ToJsonObject()["data"]![0]!;
        Assert.Equal(64, trace["y"]!.AsArray().Count);
    }

    [Fact]
    public void MelScaleRoundTripsAndFiltersPeakAtTheirCentres()
    {
        Assert.Equal(1000, Research.Torch.Audio.Mel.FromHz(1000), 0);   // the HTK scale is anchored at 1000 Hz ≈ 1000 mel
        Assert.Equal(3000, Research.Torch.Audio.Mel.ToHz(Research.Torch.Audio.Mel.FromHz(3000)), 9);
        var bank = Research.Torch.Audio.MelFilterbank.Create(512 / 2 + 1, 10, 8000);   // [bin, band]
        var peaks = Enumerable.Range(0, 10).Select(m => Enumerable.Range(0, bank.GetLength(0)).Max(k => bank[k, m])).ToArray();
        Assert.All(peaks, p => Assert.InRange(p, 0.5, 1.0));
        var centers = Spectrogram.MelCenters(8000, 10);
        Assert.True(centers.Zip(centers.Skip(1)).All(p => p.Second > p.First));
    }

    [Fact]
    public void WavEncodingHasAPcm16HeaderAndClippedSamples()
    {
        var wav = Wav.EncodePcm16([0f, 0.5f, -1f, 2f], 22050);
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
        Assert.Equal("WAVE", System.Text.Encoding.ASCII.GetString(wav, 8, 4));
        Assert.Equal(44 + 8, wav.Length);
        Assert.Equal(22050, BitConverter.ToInt32(wav, 24));
        Assert.Equal(16, BitConverter.ToInt16(wav, 34));
        Assert.Equal(8, BitConverter.ToInt32(wav, 40));
        Assert.Equal(new short[] { 0, 16384, -32767, 32767 }, Enumerable.Range(0, 4).Select(i => BitConverter.ToInt16(wav, 44 + 2 * i)).ToArray());
    }

    [Fact]
    public void AudioPlayerIsABase64WavDataUri()
    {
        var player = new AudioPlayer(Sine(440, 8000, 0.25), 8000, "a4");
        var html = player.ToMimeBundle().GetText(MimeBundle.Html)!;
        Assert.Contains("<audio controls", html);
        var b64 = html.Split("data:audio/wav;base64,")[1].Split('"')[0];
        Assert.Equal(player.ToWav(), Convert.FromBase64String(b64));
        Assert.Equal(0.25, player.Duration, 9);
    }

    [Fact]
    public void ComparisonSharesOneColourScaleAcrossTwoSubplots()
    {
        const int sr = 8000;
        var fig = SpectrogramView.Compare(Sine(440, sr, 0.5), Sine(880, sr, 0.5, 0.05), sr, mel: false, nFft: 512);
        var json = fig.ToJsonObject();
        var data = json["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        Assert.Equal("x2", (string)data[1]!["xaxis"]!);
        Assert.Equal("y", (string)json["layout"]!["yaxis2"]!["matches"]!);
        double MaxZ(JsonNode t) => t["z"]!.AsArray().SelectMany(r => r!.AsArray()).Max(v => (double)v!);
        Assert.Equal(0, MaxZ(data[0]!), 6);            // the louder target holds the reference
        Assert.InRange(MaxZ(data[1]!), -27, -19);      // 0.05 vs 0.5 amplitude is −20 dB
    }
}
