using System.Runtime.InteropServices;

namespace Research.Kernel;

/// <summary>A minimal P/Invoke binding to libzmq 5 (Debian's libzmq5): just what a Jupyter kernel needs.</summary>
internal static unsafe partial class Zmq
{
    private const string Lib = "libzmq.so.5";

    public const int PUB = 1, REP = 4, ROUTER = 6, PULL = 7, PUSH = 8, XPUB = 9;
    public const int SNDMORE = 2, DONTWAIT = 1;
    public const int LINGER = 17, RCVMORE = 13, SNDHWM = 23, RCVHWM = 24, LAST_ENDPOINT = 32;
    public const short POLLIN = 1;
    public const int EINTR = 4, EAGAIN = 11, ETERM = 156384765 + 53;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollItem
    {
        public nint Socket;
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct Msg { private fixed byte _d[64]; }

    [LibraryImport(Lib, EntryPoint = "zmq_ctx_new")] public static partial nint CtxNew();
    [LibraryImport(Lib, EntryPoint = "zmq_ctx_term")] public static partial int CtxTerm(nint ctx);
    [LibraryImport(Lib, EntryPoint = "zmq_socket")] public static partial nint Socket(nint ctx, int type);
    [LibraryImport(Lib, EntryPoint = "zmq_close")] public static partial int Close(nint socket);
    [LibraryImport(Lib, EntryPoint = "zmq_bind", StringMarshalling = StringMarshalling.Utf8)] public static partial int Bind(nint socket, string endpoint);
    [LibraryImport(Lib, EntryPoint = "zmq_connect", StringMarshalling = StringMarshalling.Utf8)] public static partial int Connect(nint socket, string endpoint);
    [LibraryImport(Lib, EntryPoint = "zmq_setsockopt")] public static partial int SetSockOpt(nint socket, int option, void* value, nuint len);
    [LibraryImport(Lib, EntryPoint = "zmq_getsockopt")] public static partial int GetSockOpt(nint socket, int option, void* value, nuint* len);
    [LibraryImport(Lib, EntryPoint = "zmq_send")] public static partial int Send(nint socket, byte* buf, nuint len, int flags);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_init")] public static partial int MsgInit(Msg* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_recv")] public static partial int MsgRecv(Msg* msg, nint socket, int flags);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_data")] public static partial byte* MsgData(Msg* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_size")] public static partial nuint MsgSize(Msg* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_more")] public static partial int MsgMore(Msg* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_close")] public static partial int MsgClose(Msg* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_poll")] public static partial int Poll(PollItem* items, int count, long timeout);
    [LibraryImport(Lib, EntryPoint = "zmq_errno")] public static partial int Errno();
    [LibraryImport(Lib, EntryPoint = "zmq_strerror")] public static partial nint StrError(int errnum);

    public static string LastError() { int e = Errno(); return $"{Marshal.PtrToStringUTF8(StrError(e))} (errno {e})"; }

    public static void Check(int rc, string what)
    {
        if (rc < 0) throw new InvalidOperationException($"zmq {what} failed: {LastError()}");
    }

    public static void SetInt(nint socket, int option, int value) => Check(SetSockOpt(socket, option, &value, sizeof(int)), $"setsockopt {option}");

    public static string LastEndpoint(nint socket)
    {
        byte* buf = stackalloc byte[256];
        nuint len = 256;
        Check(GetSockOpt(socket, LAST_ENDPOINT, buf, &len), "getsockopt LAST_ENDPOINT");
        return Marshal.PtrToStringUTF8((nint)buf) ?? "";
    }

    /// <summary>Receives one multipart message; null when interrupted (EINTR), the context ends or nothing is ready (DONTWAIT).</summary>
    public static List<byte[]>? RecvMultipart(nint socket, int flags = 0)
    {
        var frames = new List<byte[]>();
        Msg msg;
        while (true)
        {
            MsgInit(&msg);
            int rc = MsgRecv(&msg, socket, flags);
            if (rc < 0)
            {
                MsgClose(&msg);
                if (frames.Count == 0) return null;
                continue; // a multipart message arrives atomically; retry the rest on EINTR
            }
            var size = (int)MsgSize(&msg);
            var bytes = new byte[size];
            new ReadOnlySpan<byte>(MsgData(&msg), size).CopyTo(bytes);
            bool more = MsgMore(&msg) != 0;
            MsgClose(&msg);
            frames.Add(bytes);
            if (!more) return frames;
            flags &= ~DONTWAIT;
        }
    }

    public static void SendMultipart(nint socket, IReadOnlyList<byte[]> frames)
    {
        for (int i = 0; i < frames.Count; i++)
        {
            int flags = i < frames.Count - 1 ? SNDMORE : 0;
            fixed (byte* p = frames[i])
            {
                int rc;
                do rc = Send(socket, p, (nuint)frames[i].Length, flags);
                while (rc < 0 && Errno() == EINTR);
                if (rc < 0) throw new InvalidOperationException($"zmq send failed: {LastError()}");
            }
        }
    }
}
