using Research.TestSupport;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

public class SignalAndFloat32MatchPyTorch
{
    [Fact]
    public void StftIstftAndFloat32KernelsMatchPyTorch()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var signal = Tensor.RandN([2, 4000], DType.Float64);
        var window = Fft.HannWindow(256, dtype: DType.Float64);
        var x32 = Tensor.RandN(64, 64);
        var y32 = Tensor.RandN(64, 64);
        var ours = new Dictionary<string, Tensor>
        {
            ["stft"] = Fft.Stft(signal, 256, 64, window: window).ViewAsReal(),
            ["stft_1d_nocenter"] = Fft.Stft(signal[0], 128, 32, center: false).ViewAsReal(),
            ["stft_constant_pad"] = Fft.Stft(signal[1], 200, 50, 150, padMode: "constant").ViewAsReal(),
            ["istft"] = Fft.Istft(Fft.Stft(signal, 256, 64, window: window), 256, 64, window: window, length: 4000),
            ["f32_exp"] = x32.Exp(),
            ["f32_tanh_sigmoid"] = x32.Tanh() * y32.Sigmoid(),
            ["f32_matmul"] = x32.Matmul(y32),
            ["f32_softmax"] = x32.Softmax(1),
            ["f32_conv1d"] = new Op("aten::conv1d").Call(x32.Unsqueeze(0), y32.Reshape(8, 64, 8), OpArg.None, 1L, 0L, 2L, 1L),
        };
        var theirs = PyTorchReference.Run("""
            s, w, x, y = inputs['signal'], inputs['window'], inputs['x32'], inputs['y32']
            outputs['stft'] = torch.view_as_real(torch.stft(s, 256, 64, window=w, center=True, return_complex=True))
            outputs['stft_1d_nocenter'] = torch.view_as_real(torch.stft(s[0], 128, 32, center=False, return_complex=True))
            outputs['stft_constant_pad'] = torch.view_as_real(torch.stft(s[1], 200, 50, 150, pad_mode='constant', return_complex=True))
            outputs['istft'] = torch.istft(torch.stft(s, 256, 64, window=w, return_complex=True), 256, 64, window=w, length=4000)
            outputs['f32_exp'] = x.exp()
            outputs['f32_tanh_sigmoid'] = x.tanh() * y.sigmoid()
            outputs['f32_matmul'] = x @ y
            outputs['f32_softmax'] = x.softmax(1)
            outputs['f32_conv1d'] = torch.conv1d(x.unsqueeze(0), y.reshape(8, 64, 8), None, 1, 0, 2)
            """, new Dictionary<string, Tensor> { ["signal"] = signal, ["window"] = window, ["x32"] = x32, ["y32"] = y32 });
        foreach (var (name, mine) in ours)
        {
            var reference = theirs[name];
            Assert.Equal(reference.Shape, mine.Shape);
            if (name.StartsWith("f32_exp") || name.StartsWith("f32_tanh"))
                Assert.True(mine.Equal(reference), $"{name}: elementwise float32 kernels should agree bit for bit");
            else
            {
                // Reductions may block differently with the thread count: within 1e-6 relative (float32) / 1e-10 (float64).
                double rtol = mine.DType == DType.Float32 ? 1e-6 : 1e-10;
                double scale = reference.Abs().Max().Item<double>();
                double c = PyTorchReference.Closeness(mine, reference, rtol, rtol * scale);
                Assert.True(c <= 1, $"{name}: closeness {c:G3}");
            }
        }
        Assert.True(ours["istft"].AllClose(signal, 1e-9, 1e-9), "istft(stft(x)) should reconstruct x");
        foreach (var t in theirs.Values) t.Dispose();
    }

    [Fact]
    public void TensorFilesRoundTripWithPython()
    {
        using var scope = NewScope();
        var dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var path = Path.Combine(dir, "mine.pt");
            Save(new Dictionary<string, Tensor>
            {
                ["a"] = Tensor.Arange(6).Reshape(2, 3),
                ["b.weight"] = Tensor.Linspace(0, 1, 4, DType.Float64),
                ["c"] = Tensor.From(new[] { true, false }),
            }, path);
            var back = PyTorchReference.Run($$"""
                d = torch.load('{{path}}')
                assert sorted(d.keys()) == ['a', 'b.weight', 'c'], d.keys()
                assert d['a'].tolist() == [[0, 1, 2], [3, 4, 5]] and d['a'].dtype == torch.int64
                assert d['b.weight'].dtype == torch.float64 and d['c'].dtype == torch.bool
                outputs['from_python'] = torch.tensor([[1.5, 2.5]], dtype=torch.float32)
                torch.save(torch.tensor([7, 8]), '{{dir}}/bare.pt')
                torch.save({'w': torch.ones(2), 'b': torch.zeros(1)}, '{{dir}}/state.pt')
                """, new Dictionary<string, Tensor>());
            Assert.Equal(new[,] { { 1.5f, 2.5f } }, back["from_python"].ToArray2D<float>());
            Assert.Equal([7L, 8], LoadTensor(Path.Combine(dir, "bare.pt")).ToArray<long>());
            Assert.Equal(["b", "w"], Load(Path.Combine(dir, "state.pt")).Keys.Order());
        }
        finally { Directory.Delete(dir, true); }
    }
}
