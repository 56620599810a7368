"""Kernel lifecycle scenarios through jupyter_client: interrupt, restart, shutdown, parent death.
usage: lifecycle.py <Research.Kernel.dll> <scenario>; prints one JSON object."""
import json, os, signal, subprocess, sys, time
from kerneltest import start, run, emit, install_spec, reply_to

dll, scenario = sys.argv[1], sys.argv[2]

def wait_reply(kc, msg_id, timeout):
    deadline = time.monotonic() + timeout
    while True:
        m = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if m["parent_header"].get("msg_id") == msg_id:
            return m["content"]

def wait_started(kc, msg_id, timeout=30):
    """Waits for the cell's first stdout (so the interrupt hits running code, not the compiler)."""
    deadline = time.monotonic() + timeout
    while True:
        m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
            return

def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False

res = {}
if scenario == "interrupt":
    km, kc, _ = start(dll)
    try:
        # A loop that checks the token: stops promptly.
        msg_id = kc.execute("var n = 0;\nConsole.WriteLine(\"started\");\nwhile (true) { CancellationToken.ThrowIfCancellationRequested(); n++; Thread.Sleep(5); }")
        wait_started(kc, msg_id); time.sleep(0.2)
        t = time.monotonic(); km.interrupt_kernel()
        res["cooperative"] = wait_reply(kc, msg_id, 30); res["cooperative_s"] = time.monotonic() - t
        res["after_cooperative"] = run(kc, "1 + 2")
        # await with the token
        msg_id = kc.execute("Console.WriteLine(\"started\");\nawait Task.Delay(60_000, CancellationToken);")
        wait_started(kc, msg_id); time.sleep(0.2)
        t = time.monotonic(); km.interrupt_kernel()
        res["await"] = wait_reply(kc, msg_id, 30); res["await_s"] = time.monotonic() - t
        # SIGINT (what jupyter_client sends in signal mode) is treated as an interrupt too
        msg_id = kc.execute("Console.WriteLine(\"started\");\nwhile (!CancellationToken.IsCancellationRequested) Thread.Sleep(5);\nthrow new OperationCanceledException();")
        wait_started(kc, msg_id); time.sleep(0.2)
        t = time.monotonic(); os.kill(km.provisioner.process.pid, signal.SIGINT)
        res["sigint"] = wait_reply(kc, msg_id, 30); res["sigint_s"] = time.monotonic() - t
        # A tensor loop that never looks at the token: Research.Torch stops it at its next operation.
        msg_id = kc.execute("var w = Tensor.RandN(64, 64);\nConsole.WriteLine(\"started\");\nwhile (true) { using var scope = Research.Torch.Torch.NewScope(); w.Matmul(w).Tanh().Sum(); }")
        wait_started(kc, msg_id); time.sleep(0.2)
        t = time.monotonic(); km.interrupt_kernel()
        res["tensor"] = wait_reply(kc, msg_id, 30); res["tensor_s"] = time.monotonic() - t
        res["after_tensor"] = run(kc, "Tensor.Ones(3).Sum().Item<float>()")
        # A loop that ignores the token cannot be aborted: replied after the grace period, orphaned.
        msg_id = kc.execute("var spin = 0L;\nConsole.WriteLine(\"started\");\nwhile (true) { spin++; }")
        wait_started(kc, msg_id); time.sleep(0.2)
        t = time.monotonic(); km.interrupt_kernel()
        res["orphan"] = wait_reply(kc, msg_id, 30); res["orphan_s"] = time.monotonic() - t
        res["after_orphan"] = run(kc, "n > 0")
        res["alive"] = km.is_alive()
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)
elif scenario == "restart":
    km, kc, _ = start(dll)
    try:
        res["define"] = run(kc, "var a = 5;\na")
        old_pid = km.provisioner.process.pid
        t = time.monotonic()
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
        res["restart_s"] = time.monotonic() - t
        res["new_pid_differs"] = km.provisioner.process.pid != old_pid
        res["old_alive"] = alive(old_pid)
        res["after_restart_state"] = run(kc, "a")
        res["after_restart"] = run(kc, "1 + 1")
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)
elif scenario == "shutdown":
    km, kc, _ = start(dll)
    proc = km.provisioner.process
    res["cell"] = run(kc, "Console.WriteLine(\"bye\");")
    kc.stop_channels()
    t = time.monotonic()
    km.shutdown_kernel(now=False)  # shutdown_request on control, then waits for the process
    res["shutdown_s"] = time.monotonic() - t
    res["returncode"] = proc.wait(timeout=10)
elif scenario == "parent_death":
    # A real jupyter_client parent that starts the kernel and is then killed (SIGKILL: no cleanup).
    install_spec(dll)
    parent = subprocess.Popen([sys.executable, "-c", """
import sys, time
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="research-csharp"); km.start_kernel()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
print(km.provisioner.process.pid, flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    pid = int(parent.stdout.readline())
    res["kernel_alive_before"] = alive(pid)
    t = time.monotonic()
    parent.kill(); parent.wait()
    while alive(pid) and time.monotonic() - t < 15:
        time.sleep(0.1)
    res["kernel_alive_after"] = alive(pid)
    res["exit_s"] = time.monotonic() - t
elif scenario == "late_iopub":
    # A client that subscribes to IOPub only after its first request was answered still gets that request's
    # status messages (the kernel holds IOPub until the first subscriber): jupyter_client needs them to call the
    # kernel ready without a retry round.
    install_spec(dll)
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name="research-csharp"); km.start_kernel()
    kc = km.client()
    try:
        kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        msg_id = kc.kernel_info()
        res["reply_status"] = reply_to(kc, msg_id, 60)["status"]
        time.sleep(0.5)                        # well after the reply; within the kernel's 2 s grace
        kc.iopub_channel.start()
        states, deadline = [], time.monotonic() + 10
        while "idle" not in states and time.monotonic() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=0.5)
            except Exception:
                continue
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status":
                states.append(m["content"]["execution_state"])
        res["states"] = states
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)
else:
    raise SystemExit(f"unknown scenario {scenario}")
emit(res)
