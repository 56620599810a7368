"""One kernel, many checks: state, stream order, results, display/update, errors, completion."""
import sys, time
from kerneltest import start, run, emit, reply_to, UNPARENTED

dll = sys.argv[1]
km, kc, t0 = start(dll)
ready = time.monotonic() - t0
res = {"ready_s": ready}
try:
    t1 = time.monotonic()
    res["first"] = run(kc, "1+1")
    res["first_cell_s"] = time.monotonic() - t1
    res["start_to_first_result_s"] = time.monotonic() - t0
    t2 = time.monotonic()
    res["second"] = run(kc, "2+3")
    res["second_cell_s"] = time.monotonic() - t2
    res["state_define"] = run(kc, "var x = 40;\nint Twice(int v) => 2 * v;")
    res["state_use"] = run(kc, "Twice(x) + 2")
    res["no_result"] = run(kc, "var y = x;")
    res["void_trailing"] = run(kc, "Console.WriteLine(\"v\")")
    res["order"] = run(kc, "Console.WriteLine(\"before\");\nConsole.Error.WriteLine(\"err\");\ndisplay(\"shown\");\nConsole.WriteLine(\"after\");\n\"result\"")
    res["streaming"] = run(kc, "for (int i = 0; i < 3; i++) { Console.WriteLine($\"tick {i}\"); Thread.Sleep(300); }")
    res["display_update"] = run(kc, "var h = display(1);\nh.Update(2);\nvar h2 = Display.Show(\"lib\");\nh2.Update(\"lib2\");\nh.DisplayId == null")
    res["runtime_error"] = run(kc, "int Fail(int a) => 10 / a;\nvar zero = 0;\nFail(zero)")
    res["after_error"] = run(kc, "x + 1")
    res["compile_error"] = run(kc, "var ok = 1;\nint z = undefinedName;")
    res["throw_custom"] = run(kc, "throw new InvalidOperationException(\"boom \\u001b[31mred\\u001b[0m\");")
    res["html"] = run(kc, "new List<int> { 1, 2, 3 }")
    res["await"] = run(kc, "await Task.Delay(10);\n\"awaited\"")
    # Cells are compiled optimised (Roslyn scripting's default is Debug: no JIT optimisation, C# loops ~2.5x slower)
    res["optimized"] = run(kc, "var da = (System.Diagnostics.DebuggableAttribute?)Attribute.GetCustomAttribute(System.Reflection.Assembly.GetExecutingAssembly(), typeof(System.Diagnostics.DebuggableAttribute));\nda is null || !da.IsJITOptimizerDisabled")
    res["torch_ns"] = run(kc, "typeof(Research.Interactive.Display).Assembly.GetName().Name")
    # #load of a script file, #r of an assembly by path (#r "nuget:" is packages.py's)
    import os, tempfile
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(dll)))))))
    csx = os.path.join(tempfile.mkdtemp(), "helpers.csx")
    with open(csx, "w") as f:
        f.write("int Loaded(int v) => v + 1;\n")
    res["load_csx"] = run(kc, f"#load \"{csx}\"\nLoaded(41)")
    bench = os.path.join(repo, "tools", "Research.Bench", "bin", "Release", "net10.0", "Research.Bench.dll")
    res["r_dll"] = run(kc, f"#r \"{bench}\"\nResearch.Bench.TorchBenchmark.Rounds")
    # completion / inspection / is_complete
    code = "var text = \"abc\";\ntext.Len"
    res["complete_member"] = reply_to(kc, kc.complete(code, len(code)))
    code = "Conso"
    res["complete_global"] = reply_to(kc, kc.complete(code, len(code)))
    code = "Twi"
    res["complete_state"] = reply_to(kc, kc.complete(code, len(code)))
    code = "Console.WriteLine"
    res["inspect"] = reply_to(kc, kc.inspect(code, len(code)))
    code = "Display.Show"
    res["inspect_ours"] = reply_to(kc, kc.inspect(code, len(code)))
    for name, code in [("complete", "var a = 1;"), ("incomplete", "if (true) {"), ("complete_expr", "1+1")]:
        res["is_complete_" + name] = reply_to(kc, kc.is_complete(code))
    # kernel_info: busy/idle on iopub with the request as parent (what jupyter_client waits for)
    kid = kc.kernel_info()
    res["kernel_info"] = reply_to(kc, kid)
    states, deadline = [], time.monotonic() + 10
    while len(states) < 2 and time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=10)
        if m["parent_header"].get("msg_id") == kid and m["msg_type"] == "status":
            states.append(m["content"]["execution_state"])
    res["kernel_info_states"] = states
    res["stdin"] = run(kc, "var line = Console.ReadLine();\nline", allow_stdin=False)
    res["unparented"] = UNPARENTED
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    res["exit_code"] = km.provisioner.process.returncode if km.provisioner and km.provisioner.process else None
emit(res)
