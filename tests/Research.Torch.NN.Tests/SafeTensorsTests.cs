using System.Buffers.Binary;
using System.Text;
using Research.TestSupport;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using Research.Torch.Serialization;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static Dictionary<string, Tensor> AllDTypes()
    {
        ManualSeed(5);
        return new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.RandN(3, 4),
            ["f64"] = Tensor.RandN([2, 2, 2], DType.Float64),
            ["f16"] = Tensor.RandN(5).Half(),
            ["bf16"] = Tensor.RandN(2, 3).BFloat16(),
            ["i64"] = Tensor.From(new long[] { long.MinValue, -1, 0, long.MaxValue }),
            ["i32"] = Tensor.From(new[] { int.MinValue, 7, int.MaxValue }),
            ["i16"] = Tensor.From(new short[] { -300, 2, 300 }),
            ["i8"] = Tensor.From(new sbyte[] { -128, 0, 127 }),
            ["u8"] = Tensor.From(new byte[] { 0, 128, 255 }, 3, 1),
            ["bool"] = Tensor.From(new[] { true, false, true }),
            ["scalar"] = Tensor.ScalarTensor(3.5),
            ["empty"] = Tensor.Zeros(0, 3),
            ["strided"] = Tensor.RandN(4, 3).T,
        };
    }

    private const string PyReader = """
import json, struct
_dt = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64, 'I32': torch.int32,
       'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}
_names = {v: k for k, v in _dt.items()}
def read_safetensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        raw = bytearray(body[b:e])
        t = torch.frombuffer(raw, dtype=_dt[info['dtype']]) if e > b else torch.empty(0, dtype=_dt[info['dtype']])
        out[name] = t.reshape(info['shape'])
    return out, meta
def write_safetensors(path, tensors, meta):
    header, offset, blobs = {'__metadata__': meta}, 0, []
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b''
        header[name] = {'dtype': _names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
""";

    [Fact]
    public void RoundTripsWithPythonBothWaysForEveryDType()
    {
        using var scope = NewScope();
        var tensors = AllDTypes();
        var ours = PathOf("from-csharp.safetensors");
        var theirs = PathOf("from-python.safetensors");
        SafeTensors.Save(tensors, ours, new Dictionary<string, string> { ["step"] = "42", ["note"] = "ünïcode ✓" });
        var code = PyReader + "\n" + $$"""
got, meta = read_safetensors({{Py(ours)}})
assert meta == {'step': '42', 'note': 'ünïcode ✓'}, meta
for k, v in got.items():
    outputs['cs.' + k] = v.clone()
assert set(got) == set(k[3:] for k in inputs if k.startswith('in.')), sorted(got)
for k in got:
    assert torch.equal(got[k], inputs['in.' + k]), k
made = {'w': torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7, 'ids': torch.tensor([[1, -2], [3, 4]]), 'half': torch.linspace(-1, 1, 5).half(),
        'bf': torch.linspace(-2, 2, 3).bfloat16(), 'mask': torch.tensor([True, False]), 'z': torch.zeros(2, 0)}
write_safetensors({{Py(theirs)}}, made, {'source': 'python'})
for k, v in made.items():
    outputs['py.' + k] = v
""";
        var inputs = tensors.ToDictionary(kv => "in." + kv.Key, kv => kv.Value.Contiguous());
        var reference = PyTorchReference.Run(code, inputs);
        foreach (var (k, v) in tensors)
        {
            Assert.Equal(v.DType, reference["cs." + k].DType);
            Assert.True(v.Equal(reference["cs." + k]), $"{k} differs after Python read it");
        }
        var loaded = SafeTensors.Load(theirs, out var meta);
        Assert.Equal("python", meta["source"]);
        Assert.Equal(6, loaded.Count);
        foreach (var (k, v) in loaded)
        {
            var expected = reference["py." + k];
            Assert.Equal(expected.DType, v.DType);
            Assert.Equal(expected.Shape, v.Shape);
            Assert.True(v.Equal(expected), $"{k} read from Python's file differs");
        }
        var back = SafeTensors.Load(ours);
        foreach (var (k, v) in tensors) Assert.True(v.Equal(back[k]), k);
    }

    private static string Py(string path) => "'" + path.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private string Write(string name, byte[] bytes)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Crafted(string header, int dataBytes, ulong? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    public static TheoryData<string, string> CorruptFiles() => new()
    {
        { "empty", "" },
        { "tiny", "abc" },
        { "header longer than file", "claim:1000" },
        { "absurd header length", "claim:18446744073709551615" },
        { "not json", "{\"a\": {\"dtype\": " },
        { "json array", "[1, 2, 3]" },
        { "unknown dtype", """{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}""" },
        { "negative dim", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""" },
        { "offsets past end", """{"a":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}""" },
        { "shape times dtype mismatch", """{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}""" },
        { "overlapping", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""" },
        { "gap", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""" },
        { "absurd shape", """{"a":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}}""" },
        { "reversed offsets", """{"a":{"dtype":"U8","shape":[0],"data_offsets":[16,0]}}""" },
        { "metadata not strings", """{"__metadata__":{"step":3},"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""" },
        { "duplicate names", """{"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}""" },
        { "missing offsets", """{"a":{"dtype":"U8","shape":[16]}}""" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptOrHostileFilesGiveInvalidDataException(string what, string spec)
    {
        byte[] bytes = spec switch
        {
            "" => [],
            "abc" => "abc"u8.ToArray(),
            _ when spec.StartsWith("claim:") => Crafted("{}      ", 16, ulong.Parse(spec[6..])),
            _ => Crafted(spec, 16),
        };
        var path = Write(what.Replace(' ', '_') + ".safetensors", bytes);
        using (var live = Tensor.TrackLive())
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Equal(0, live.Count);                            // nothing half-loaded is left behind
        }
        Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path));
    }

    [Fact]
    public void TruncatedFileIsRejectedAndAValidOneStillLoadsAfterwards()
    {
        using var scope = NewScope();
        var path = PathOf("good.safetensors");
        SafeTensors.Save(AllDTypes(), path);
        var bytes = System.IO.File.ReadAllBytes(path);
        foreach (var cut in new[] { 4, 8, 20, bytes.Length / 2, bytes.Length - 1 })
        {
            var truncated = Write($"cut{cut}.safetensors", bytes[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(truncated));
            Assert.Contains("not a valid safetensors file", e.Message);
        }
        var flipped = (byte[])bytes.Clone();
        flipped[8] = (byte)'x';
        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(Write("flipped.safetensors", flipped)));
        Assert.Equal(13, SafeTensors.Load(path).Count);
    }

    [Fact]
    public void CheckpointSurvivesAKillMidSave()
    {
        using var scope = NewScope();
        var path = PathOf("model.safetensors");
        ManualSeed(3);
        var model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 1));
        var opt = new Adam(model.Parameters(), lr: 0.01);
        TrainSteps(model, opt, 3);
        Checkpoint.Save(path, model, opt, new Dictionary<string, string> { ["step"] = "3" });
        var saved = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

        // A process killed while writing leaves a partial temporary file next to the checkpoint; the checkpoint is untouched.
        var partial = AtomicFile.TempPathFor(Path.GetFullPath(path));
        System.IO.File.WriteAllBytes(partial, System.IO.File.ReadAllBytes(path)[..100]);
        // A save that fails part-way (here: an exception from the writer) also leaves the old file and removes its temporary.
        Assert.Throws<IOException>(() => AtomicFile.Write(path, fs =>
        {
            fs.Write(new byte[64]);
            throw new IOException("disk full (simulated)");
        }));
        Assert.Single(Directory.GetFiles(_dir, ".*.tmp"));

        TrainSteps(model, opt, 2);
        var fresh = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 1));
        var freshOpt = new Adam(fresh.Parameters(), lr: 0.01);
        var meta = Checkpoint.Load(path, fresh, freshOpt);
        Assert.Equal("3", meta["step"]);
        foreach (var (k, v) in fresh.StateDict()) Assert.True(v.Equal(saved[k]), k);
        Assert.Equal(3, freshOpt.StateOf(fresh.Parameters().First())["step"].Item<float>());
    }

    [Fact]
    public void ResumingFromACheckpointContinuesTheExactTrajectory()
    {
        using var scope = NewScope();
        ManualSeed(11);
        var a = new Sequential(new Linear(3, 5), new Tanh(), new Linear(5, 2));
        var b = new Sequential(new Linear(3, 5), new Tanh(), new Linear(5, 2));
        b.LoadStateDict(a.StateDict());
        var optA = new AdamW(a.Parameters(), lr: 0.02);
        TrainSteps(a, optA, 10);
        var path = PathOf("resume.safetensors");
        Checkpoint.Save(path, a, optA);
        TrainSteps(a, optA, 10);

        var optB = new AdamW(b.Parameters(), lr: 0.5, weightDecay: 0.3);
        Checkpoint.Load(path, b, optB);
        Assert.Equal(0.02, optB.ParamGroups[0].LearningRate);
        TrainSteps(b, optB, 10);
        foreach (var ((ka, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.True(pa.Equal(pb), $"{ka} differs after resuming");
    }

    [Fact]
    public void LoadingACheckpointIntoADifferentModelListsTheKeys()
    {
        using var scope = NewScope();
        var path = PathOf("other.safetensors");
        Checkpoint.Save(path, new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2)));
        var e = Assert.Throws<StateDictMismatchException>(() => Checkpoint.Load(path, new Sequential(new Linear(3, 5), new ReLU(), new Linear(5, 2), new Linear(2, 2))));
        Assert.Contains("3.weight", e.MissingKeys);
        Assert.Contains("0.weight: checkpoint [4, 3], model [5, 3]", e.MisShapedKeys);
        Assert.Contains("3.bias", e.Message);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new Linear(3, 4), new SGD(new Linear(3, 4).Parameters()), strict: false));
    }

    private static void TrainSteps(Module<Tensor, Tensor> model, Optimizer opt, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewScope();
            var x = Tensor.Linspace(-1, 1, 24).Reshape(8, 3);
            var loss = model.Forward(x).Square().Mean();
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }
    }
}
