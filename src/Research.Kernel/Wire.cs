using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Research.Kernel;

/// <summary>The connection file Jupyter hands a kernel.</summary>
public sealed record ConnectionInfo(string Transport, string Ip, int ShellPort, int ControlPort, int IopubPort,
    int StdinPort, int HbPort, string Key, string SignatureScheme)
{
    public static ConnectionInfo Load(string path)
    {
        var j = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        return new ConnectionInfo(
            (string?)j["transport"] ?? "tcp", (string?)j["ip"] ?? "127.0.0.1",
            (int)j["shell_port"]!, (int)j["control_port"]!, (int)j["iopub_port"]!, (int)j["stdin_port"]!, (int)j["hb_port"]!,
            (string?)j["key"] ?? "", (string?)j["signature_scheme"] ?? "hmac-sha256");
    }

    public string Endpoint(int port) => Transport == "ipc" ? $"ipc://{Ip}-{port}" : $"{Transport}://{Ip}:{port}";
}

/// <summary>HMAC-SHA256 message signing: lower-case hex over header, parent_header, metadata and content.</summary>
public sealed class Signer
{
    private readonly byte[] _key;

    public Signer(string key, string scheme = "hmac-sha256")
    {
        if (key.Length > 0 && scheme != "hmac-sha256") throw new NotSupportedException($"signature scheme {scheme}");
        _key = Encoding.UTF8.GetBytes(key);
    }

    public bool Enabled => _key.Length > 0;

    /// <summary>The hex signature of the four frames; empty when the key is empty.</summary>
    public string Sign(byte[] header, byte[] parent, byte[] metadata, byte[] content)
    {
        if (!Enabled) return "";
        using var h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        h.AppendData(header); h.AppendData(parent); h.AppendData(metadata); h.AppendData(content);
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>Checks a received signature in constant time (with respect to its content).</summary>
    public bool Verify(byte[] signature, byte[] header, byte[] parent, byte[] metadata, byte[] content)
    {
        if (!Enabled) return true;
        var expected = Encoding.ASCII.GetBytes(Sign(header, parent, metadata, content));
        return ConstantTimeEquals(expected, signature);
    }

    public static bool ConstantTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);
}

/// <summary>One Jupyter message, with its routing identities.</summary>
public sealed class Message
{
    public static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();
    public const string ProtocolVersion = "5.3";

    public List<byte[]> Identities { get; init; } = new();
    public JsonObject Header { get; init; } = new();
    public JsonObject ParentHeader { get; init; } = new();
    public JsonObject Metadata { get; init; } = new();
    public JsonObject Content { get; init; } = new();
    public List<byte[]> Buffers { get; init; } = new();

    public string Type => (string?)Header["msg_type"] ?? "";
    public string Session => (string?)Header["session"] ?? "";

    public static JsonObject NewHeader(string msgType, string session) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString("N"),
        ["session"] = session,
        ["username"] = "kernel",
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"),
        ["msg_type"] = msgType,
        ["version"] = ProtocolVersion,
    };

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(JsonOptions));
    internal static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Frames on the wire: identities, delimiter, signature, header, parent, metadata, content, buffers.</summary>
    public List<byte[]> Encode(Signer signer)
    {
        byte[] h = Bytes(Header), p = Bytes(ParentHeader), m = Bytes(Metadata), c = Bytes(Content);
        var frames = new List<byte[]>(Identities.Count + 6 + Buffers.Count);
        frames.AddRange(Identities);
        frames.Add(Delimiter);
        frames.Add(Encoding.ASCII.GetBytes(signer.Sign(h, p, m, c)));
        frames.Add(h); frames.Add(p); frames.Add(m); frames.Add(c);
        frames.AddRange(Buffers);
        return frames;
    }

    /// <summary>Parses received frames, verifying the signature; throws <see cref="InvalidDataException"/> on bad input.</summary>
    public static Message Decode(IReadOnlyList<byte[]> frames, Signer signer)
    {
        int d = -1;
        for (int i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { d = i; break; }
        if (d < 0 || frames.Count < d + 6) throw new InvalidDataException("malformed message: no <IDS|MSG> delimiter or too few frames");
        byte[] sig = frames[d + 1], h = frames[d + 2], p = frames[d + 3], m = frames[d + 4], c = frames[d + 5];
        if (!signer.Verify(sig, h, p, m, c)) throw new InvalidDataException("invalid message signature");
        static JsonObject Obj(byte[] b) => b.Length == 0 ? new JsonObject() : JsonNode.Parse(b) as JsonObject ?? new JsonObject();
        return new Message
        {
            Identities = frames.Take(d).ToList(),
            Header = Obj(h), ParentHeader = Obj(p), Metadata = Obj(m), Content = Obj(c),
            Buffers = frames.Skip(d + 6).ToList(),
        };
    }

    /// <summary>A reply or iopub message whose parent is <paramref name="parent"/>.</summary>
    public static Message Reply(Message? parent, string msgType, JsonObject content, string session, List<byte[]>? identities = null) => new()
    {
        Identities = identities ?? parent?.Identities ?? new(),
        Header = NewHeader(msgType, session),
        ParentHeader = parent is null ? new JsonObject() : (JsonObject)parent.Header.DeepClone(),
        Content = content,
    };
}
