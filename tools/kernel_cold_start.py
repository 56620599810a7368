#!/usr/bin/python3
"""Kernel cold start as a user sees it: jupyter_client's start_new_kernel, then execute("1 + 1") until its
execute_result, a fresh kernel process each time. Prints each start and the median.

    /usr/bin/python3 tools/kernel_cold_start.py [starts=6] [kernel name=research-csharp]

Uses the installed kernelspec (environment/kernel-install.sh). Run it on a quiet machine: it measures wall time.
"""
import statistics, sys, time
from jupyter_client.manager import start_new_kernel

starts = int(sys.argv[1]) if len(sys.argv) > 1 else 6
name = sys.argv[2] if len(sys.argv) > 2 else "research-csharp"
times = []
for _ in range(starts):
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=60)
    ready = time.perf_counter() - t0
    msg_id = kc.execute("1 + 1")
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
            times.append(time.perf_counter() - t0)
            break
    print(f"ready {ready:.3f} s, first result {times[-1]:.3f} s", flush=True)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    del kc, km                      # before interpreter shutdown, where jupyter_client's __del__ would log an error
    time.sleep(0.5)
print(f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s over {starts} starts")
