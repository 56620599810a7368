using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Research.Kernel;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 1 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine("usage: dotnet Research.Kernel.dll <connection_file>");
            return 2;
        }
        var started = Stopwatch.StartNew();
        // Roslyn warm-up (references, imports, a trivial compile) starts before anything else.
        var engine = new ScriptEngine(Environment.CurrentDirectory);
        // Formatters (.NET Interactive's registry, our views) load once the base state is built, alongside the
        // first cell's compile: loading them at once stalls the socket set-up by ~0.7 s on two cores.
        _ = engine.WarmUp.ContinueWith(_ => MimeBundle.WarmUp(), TaskScheduler.Default);

        var info = ConnectionInfo.Load(args[0]);
        var kernel = new JupyterKernel(info, engine);
        kernel.Start();
        Log.Debug($"listening after {started.ElapsedMilliseconds} ms");

        // jupyter_client sends SIGINT to interrupt (or when shutting down): treat it as an interrupt.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; kernel.Interrupt(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; kernel.Shutdown(0); });
        WatchParent(kernel);

        kernel.WaitForExit();
        return kernel.ExitCode;
    }

    /// <summary>Exits when the process named by JPY_PARENT_PID (the notebook server / client) dies: no orphan kernels.</summary>
    private static void WatchParent(JupyterKernel kernel)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out var pid) || pid <= 1) return;
        int originalPpid = getppid();
        var t = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(500);
                bool reparented = originalPpid == pid && getppid() != pid;
                if (reparented || !IsAlive(pid))
                {
                    Log.Write($"parent process {pid} is gone; exiting");
                    kernel.Shutdown(0);
                    return;
                }
            }
        }) { IsBackground = true, Name = "parent-watch" };
        t.Start();
    }

    internal static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; }
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int getppid();
}
