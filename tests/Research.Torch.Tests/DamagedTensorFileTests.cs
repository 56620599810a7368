using System.IO.Compression;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

/// <summary>
/// PyTorch-format files damaged the ways that once crashed the process or read outside a buffer: a tensor record cut
/// to nothing or to part of its length, sizes and offsets in data.pkl that reach past the record. Each is an
/// <see cref="InvalidDataException"/> naming the file; the process and its other tensors are unharmed.
/// </summary>
public class DamagedTensorFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("research-pt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Saves Tensor.Arange(64) and returns the archive's entries (name → bytes), in order.</summary>
    private List<(string Name, byte[] Bytes)> SavedEntries()
    {
        var path = Path.Combine(_dir, "good.pt");
        using (var scope = NewScope()) Save(new Dictionary<string, Tensor> { ["x"] = Tensor.Arange(64, DType.Float32) }, path);
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Select(e =>
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return (e.FullName, m.ToArray());
        }).ToList();
    }

    private string Rewrite(string name, Func<string, byte[], byte[]> change)
    {
        var path = Path.Combine(_dir, name + ".pt");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, bytes) in SavedEntries())
        {
            using var s = zip.CreateEntry(entry, CompressionLevel.NoCompression).Open();
            s.Write(change(entry, bytes));
        }
        return path;
    }

    private static byte[] Replace(byte[] bytes, byte[] from, byte[] to)
    {
        int at = bytes.AsSpan().IndexOf(from);
        Assert.True(at >= 0, "the pickle no longer has the expected bytes; update the test's patterns");
        return [.. bytes[..at], .. to, .. bytes[(at + from.Length)..]];
    }

    // In data.pkl a tensor is rebuilt from (storage, offset, size, stride): offset 0 is BININT1 "K 0x00", the size
    // tuple (64,) is MARK "(", "K 0x40", TUPLE "t". Replacing a BININT1 by a BININT "J" + 4 bytes gives 2^30.
    private static readonly byte[] OffsetAndSize = [(byte)'K', 0x00, (byte)'(', (byte)'K', 0x40, (byte)'t'];

    public static TheoryData<string> Damages => ["empty record", "short record", "huge size", "huge offset"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void DamagedFileIsInvalidDataAndNothingElseIsHurt(string damage)
    {
        var path = Rewrite(damage.Replace(' ', '-'), (entry, bytes) => damage switch
        {
            "empty record" when entry.EndsWith("/data/0") => [],
            "short record" when entry.EndsWith("/data/0") => bytes[..100],
            "huge size" when entry.EndsWith("data.pkl") =>
                Replace(bytes, OffsetAndSize, [(byte)'K', 0x00, (byte)'(', (byte)'J', 0x00, 0x00, 0x00, 0x40, (byte)'t']),
            "huge offset" when entry.EndsWith("data.pkl") =>
                Replace(bytes, OffsetAndSize, [(byte)'J', 0x00, 0x00, 0x00, 0x40, (byte)'(', (byte)'K', 0x40, (byte)'t']),
            _ => bytes,
        });
        using var scope = NewScope();
        var survivor = Tensor.Arange(5, DType.Float32);
        var e = Assert.Throws<InvalidDataException>(() => Load(path));
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Contains("record holds", e.Message);
        Assert.Equal(10f, survivor.Sum().Item<float>());
    }

    [Fact]
    public void TheUndamagedFileStillLoads()
    {
        var path = Rewrite("intact", (_, bytes) => bytes);
        using var scope = NewScope();
        var x = Load(path)["x"];
        Assert.Equal(2016f, x.Sum().Item<float>());
    }
}
