using System.Text;
using System.Text.Json.Nodes;

namespace Research.Kernel.Tests;

/// <summary>Signing and framing, checked against jupyter_client's Session (Debian's python3-jupyter-client).</summary>
public class ProtocolTests
{
    private static readonly string[][] Vectors =
    {
        new[] { "secret-key", "{\"msg_id\":\"a\",\"msg_type\":\"execute_request\"}", "{}", "{}", "{\"code\":\"1+1\"}" },
        new[] { "b0c4ad2e-5e5a-4b6f-9c0a-2f3b6d7e8f90", "{\"x\":1}", "{\"y\":\"ü — ✓\"}", "{\"m\":[1,2,3]}", "{\"text\":\"héllo\\n\"}" },
        new[] { "k", "", "", "", "" },
    };

    [Fact]
    public void Signatures_match_jupyter_client()
    {
        var py = """
import json, sys
from jupyter_client.session import Session
out = []
for key, h, p, m, c in json.load(sys.stdin):
    s = Session(key=key.encode(), signature_scheme="hmac-sha256")
    out.append(s.sign([h.encode(), p.encode(), m.encode(), c.encode()]).decode())
print(json.dumps(out))
""";
        var expected = RunPython(py, new JsonArray(Vectors.Select(v => (JsonNode)new JsonArray(v.Select(x => (JsonNode)x!).ToArray())).ToArray()).ToJsonString());
        var arr = JsonNode.Parse(expected)!.AsArray();
        for (int i = 0; i < Vectors.Length; i++)
        {
            var v = Vectors[i];
            var ours = new Signer(v[0]).Sign(B(v[1]), B(v[2]), B(v[3]), B(v[4]));
            Assert.Equal((string)arr[i]!, ours);
        }
    }

    [Fact]
    public void Decodes_a_message_serialized_by_jupyter_client()
    {
        var py = """
import base64, json
from jupyter_client.session import Session
s = Session(key=b"the-key", signature_scheme="hmac-sha256")
msg = s.msg("execute_request", content={"code": "Console.WriteLine(\"ü\");", "silent": False})
frames = s.serialize(msg, ident=[b"client-identity"])
print(json.dumps({"frames": [base64.b64encode(f).decode() for f in frames], "msg_id": msg["header"]["msg_id"]}))
""";
        var j = JsonNode.Parse(RunPython(py, ""))!.AsObject();
        var frames = j["frames"]!.AsArray().Select(f => Convert.FromBase64String((string)f!)).ToList();
        var msg = Message.Decode(frames, new Signer("the-key"));
        Assert.Equal("execute_request", msg.Type);
        Assert.Equal((string)j["msg_id"]!, (string)msg.Header["msg_id"]!);
        Assert.Equal("Console.WriteLine(\"ü\");", (string)msg.Content["code"]!);
        Assert.Equal("client-identity", Encoding.UTF8.GetString(Assert.Single(msg.Identities)));
        // Wrong key: rejected.
        Assert.Throws<InvalidDataException>(() => Message.Decode(frames, new Signer("other-key")));
    }

    [Fact]
    public void Our_messages_verify_in_jupyter_client()
    {
        var request = new Message { Header = Message.NewHeader("execute_request", "s1"), Identities = { B("id-1"), B("id-2") } };
        var reply = Message.Reply(request, "execute_reply", new JsonObject { ["status"] = "ok", ["text"] = "ü ✓" }, "kernel-session");
        var frames = reply.Encode(new Signer("shared"));
        var py = """
import base64, json, sys
from jupyter_client.session import Session
frames = [base64.b64decode(f) for f in json.load(sys.stdin)]
s = Session(key=b"shared", signature_scheme="hmac-sha256")
idents, rest = s.feed_identities(frames)
msg = s.deserialize(rest)  # raises on a bad signature
print(json.dumps({"idents": [i.decode() for i in idents], "type": msg["msg_type"], "parent": msg["parent_header"]["msg_id"], "content": msg["content"]}))
""";
        var j = JsonNode.Parse(RunPython(py, new JsonArray(frames.Select(f => (JsonNode)Convert.ToBase64String(f)!).ToArray()).ToJsonString()))!.AsObject();
        Assert.Equal("execute_reply", (string)j["type"]!);
        Assert.Equal((string)request.Header["msg_id"]!, (string)j["parent"]!);
        Assert.Equal(new[] { "id-1", "id-2" }, j["idents"]!.AsArray().Select(x => (string)x!));
        Assert.Equal("ü ✓", (string)j["content"]!["text"]!);
    }

    [Fact]
    public void Framing_round_trip_keeps_identities_parts_and_buffers()
    {
        var signer = new Signer("k");
        var m = new Message
        {
            Identities = { B("a"), new byte[] { 0, 1, 2 } },
            Header = Message.NewHeader("comm_msg", "sess"),
            ParentHeader = new JsonObject { ["msg_id"] = "p" },
            Metadata = new JsonObject { ["meta"] = true },
            Content = new JsonObject { ["data"] = new JsonArray(1, 2) },
            Buffers = { new byte[] { 9, 8, 7 } },
        };
        var frames = m.Encode(signer);
        Assert.Equal("<IDS|MSG>", Encoding.ASCII.GetString(frames[2]));
        var back = Message.Decode(frames, signer);
        Assert.Equal(m.Identities, back.Identities);
        Assert.Equal(m.Header.ToJsonString(), back.Header.ToJsonString());
        Assert.Equal("p", (string)back.ParentHeader["msg_id"]!);
        Assert.True((bool)back.Metadata["meta"]!);
        Assert.Equal("[1,2]", back.Content["data"]!.ToJsonString());
        Assert.Equal(new byte[] { 9, 8, 7 }, Assert.Single(back.Buffers));

        // Tampering with content (exact bytes) breaks the signature.
        frames[6] = B("{\"data\":[1,3]}");
        Assert.Throws<InvalidDataException>(() => Message.Decode(frames, signer));
        // No delimiter: rejected.
        Assert.Throws<InvalidDataException>(() => Message.Decode(new List<byte[]> { B("x"), B("y") }, signer));
    }

    [Fact]
    public void Empty_key_means_empty_signature_and_no_check()
    {
        var signer = new Signer("");
        Assert.False(signer.Enabled);
        Assert.Equal("", signer.Sign(B("{}"), B("{}"), B("{}"), B("{}")));
        var frames = new Message { Header = Message.NewHeader("kernel_info_request", "s") }.Encode(signer);
        Assert.Empty(frames[1]);
        Assert.Equal("kernel_info_request", Message.Decode(frames, signer).Type);
        frames[1] = B("anything");
        Assert.Equal("kernel_info_request", Message.Decode(frames, signer).Type);
    }

    [Fact]
    public void Signature_compare_is_exact_and_length_safe()
    {
        var s = new Signer("key");
        byte[] h = B("{\"a\":1}"), e = B("{}");
        var good = B(s.Sign(h, e, e, e));
        Assert.True(s.Verify(good, h, e, e, e));
        var flipped = (byte[])good.Clone(); flipped[^1] ^= 1;
        Assert.False(s.Verify(flipped, h, e, e, e));
        Assert.False(s.Verify(good[..^1], h, e, e, e));
        Assert.False(s.Verify(Array.Empty<byte>(), h, e, e, e));
        Assert.False(s.Verify(B(s.Sign(h, e, e, e).ToUpperInvariant()), h, e, e, e));
        Assert.True(Signer.ConstantTimeEquals(B("abc"), B("abc")));
        Assert.False(Signer.ConstantTimeEquals(B("abc"), B("abd")));
    }

    [Fact]
    public void Cursor_positions_are_code_points()
    {
        var s = "a😀b";
        Assert.Equal(3, JupyterKernel.CursorToIndex(s, 2));
        Assert.Equal(2, JupyterKernel.IndexToCursor(s, 3));
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string RunPython(string code, string stdin)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Harness.Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(code);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Write(stdin); p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEnd(); var e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, e);
        return o;
    }
}
