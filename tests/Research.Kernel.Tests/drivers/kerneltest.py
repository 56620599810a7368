"""Shared helpers for the kernel test drivers: a throwaway kernelspec for the built kernel, start/stop
through jupyter_client, and run-a-cell-and-collect-its-iopub-messages."""
import json, os, sys, tempfile, time

def install_spec(dll):
    """Writes kernels/research-csharp/kernel.json under a temp dir and puts it first on JUPYTER_PATH."""
    root = tempfile.mkdtemp(prefix="rk-spec-")
    d = os.path.join(root, "kernels", "research-csharp")
    os.makedirs(d)
    with open(os.path.join(d, "kernel.json"), "w") as f:
        json.dump({"argv": ["dotnet", dll, "{connection_file}"], "display_name": "C# (Research)",
                   "language": "csharp", "interrupt_mode": "message"}, f)
    os.environ["JUPYTER_PATH"] = root + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    return root

def start(dll, **kw):
    install_spec(dll)
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name="research-csharp")
    t0 = time.monotonic()
    km.start_kernel(**kw)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc, t0

UNPARENTED = []  # iopub messages without a parent header (there should be none)

def run(kc, code, timeout=60, **kw):
    """Executes code; returns (reply content, [(msg_type, content)...] of iopub messages for it)."""
    msg_id = kc.execute(code, **kw)
    outputs = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            if not msg["parent_header"]:
                UNPARENTED.append(msg["msg_type"])
            continue
        t = msg["msg_type"]
        if t == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        if t == "execute_input":
            continue
        outputs.append([t, msg["content"]])
    while True:  # skip stale replies (e.g. extra kernel_info replies from wait_for_ready)
        reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], outputs

def reply_to(kc, msg_id, timeout=60):
    """The shell reply to msg_id (skipping stale replies)."""
    deadline = time.monotonic() + timeout
    while True:
        m = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if m["parent_header"].get("msg_id") == msg_id:
            return m["content"]

def emit(result):
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")
