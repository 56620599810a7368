using System.Text.Json.Nodes;

namespace Research.Kernel.Tests;

/// <summary>One real kernel driven by jupyter_client through many cells (drivers/basic.py).</summary>
public sealed class BasicSession
{
    public JsonObject R { get; } = Harness.Driver("basic.py", Harness.KernelDll);
    public Cell this[string name] => Cell.From(R[name]);
}

public class KernelTests : IClassFixture<BasicSession>
{
    private readonly BasicSession _s;
    public KernelTests(BasicSession s) => _s = s;

    [Fact]
    public void First_cell_result_and_cold_start()
    {
        var first = _s["first"];
        Assert.Equal("ok", first.Status);
        Assert.Equal("2", first.Result);
        var data = first.Outputs.Single(o => o.Type == "execute_result").Content["data"]!.AsObject();
        Assert.True(data.ContainsKey("text/html"));
        // Hang detectors only: test assemblies run in parallel on a loaded 2-core machine. The cold-start number
        // (goal ≤ 1 s) is measured by tools/kernel_cold_start.py on a quiet machine (docs/kernel.md).
        Assert.InRange((double)_s.R["start_to_first_result_s"]!, 0, 30.0);
        Assert.InRange((double)_s.R["second_cell_s"]!, 0, 10.0);
    }

    [Fact]
    public void Load_script_files_and_reference_assemblies()
    {
        Assert.Equal("42", _s["load_csx"].Result);
        Assert.Equal("3", _s["r_dll"].Result);
    }

    [Fact]
    public void State_is_carried_across_cells()
    {
        Assert.Equal("ok", _s["state_define"].Status);
        Assert.Empty(_s["state_define"].Outputs);
        Assert.Equal("82", _s["state_use"].Result);
        Assert.Empty(_s["no_result"].Outputs);
        Assert.Equal("41", _s["after_error"].Result);
    }

    [Fact]
    public void Void_trailing_expression_has_no_result()
    {
        var c = _s["void_trailing"];
        Assert.Equal(new[] { "stream" }, c.Types);
        Assert.Equal("v\n", (string)c.Outputs[0].Content["text"]!);
    }

    [Fact]
    public void Output_order_is_preserved()
    {
        var c = _s["order"];
        Assert.Equal(new[] { "stream", "stream", "display_data", "stream", "execute_result" }, c.Types);
        Assert.Equal("before\n", (string)c.Outputs[0].Content["text"]!);
        Assert.Equal("stderr", (string)c.Outputs[1].Content["name"]!);
        Assert.Equal("after\n", (string)c.Outputs[3].Content["text"]!);
        Assert.Equal("result", c.Result);
    }

    [Fact]
    public void Stdout_streams_live()
    {
        // Three prints 300 ms apart arrive as three stream messages (the ~100 ms flush timer), not one at the end.
        var c = _s["streaming"];
        Assert.Equal(3, c.Outputs.Count(o => o.Type == "stream"));
        Assert.Equal("tick 0\n", (string)c.Outputs[0].Content["text"]!);
    }

    [Fact]
    public void Display_then_update_in_place()
    {
        var c = _s["display_update"];
        Assert.Equal(new[] { "display_data", "update_display_data", "display_data", "update_display_data", "execute_result" }, c.Types);
        string Id(int i) => (string)c.Outputs[i].Content["transient"]!["display_id"]!;
        Assert.Equal(Id(0), Id(1));
        Assert.Equal(Id(2), Id(3));
        Assert.NotEqual(Id(0), Id(2));
        Assert.Equal("2", (string)c.Outputs[1].Content["data"]!["text/plain"]!);
        Assert.Equal("lib2", (string)c.Outputs[3].Content["data"]!["text/plain"]!);
        Assert.Equal("False", c.Result); // the handle has an id: the kernel's IDisplayTarget is installed
    }

    [Fact]
    public void Runtime_error_has_ename_evalue_and_user_only_traceback()
    {
        var c = _s["runtime_error"];
        Assert.Equal("error", c.Status);
        Assert.Equal("DivideByZeroException", (string)c.Reply["ename"]!);
        Assert.Equal("Attempted to divide by zero.", (string)c.Reply["evalue"]!);
        var tb = c.Reply["traceback"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Contains(tb, l => l.Contains("Fail(Int32 a)") && l.Contains("cell10:line 1"));
        Assert.Contains(tb, l => l.Contains("cell10:line 3"));
        Assert.DoesNotContain(tb, l => l.Contains("Microsoft.CodeAnalysis") || l.Contains("Research.Kernel") || l.Contains("Submission#"));
        var err = c.Outputs.Single(o => o.Type == "error").Content;
        Assert.Equal("DivideByZeroException", (string)err["ename"]!);
    }

    [Fact]
    public void Compilation_error_reports_cell_line_and_column()
    {
        var c = _s["compile_error"];
        Assert.Equal("error", c.Status);
        Assert.Equal("CompilationError", (string)c.Reply["ename"]!);
        Assert.Contains("cell12(2,9): error CS0103", (string)c.Reply["evalue"]!);
    }

    [Fact]
    public void Tracebacks_are_ansi_free()
    {
        var c = _s["throw_custom"];
        Assert.Equal("InvalidOperationException", (string)c.Reply["ename"]!);
        Assert.Equal("boom red", (string)c.Reply["evalue"]!);
        Assert.DoesNotContain(c.Reply["traceback"]!.AsArray(), t => ((string)t!).Contains('\u001b'));
    }

    [Fact]
    public void Rich_results_async_cells_and_preloaded_libraries()
    {
        var html = _s["html"].Outputs.Single().Content["data"]!.AsObject();
        Assert.Contains("1", (string)html["text/plain"]!);
        Assert.Contains("<", (string)html["text/html"]!);
        Assert.Equal("awaited", _s["await"].Result);
        Assert.Equal("Research.Interactive", _s["torch_ns"].Result);
    }

    [Fact]
    public void Cells_are_compiled_with_optimisations()
    {
        Assert.Equal("ok", _s["optimized"].Status);
        Assert.Equal("True", _s["optimized"].Result);
    }

    [Fact]
    public void Completion_inspection_and_is_complete()
    {
        var member = _s.R["complete_member"]!;
        Assert.Contains("Length", member["matches"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(23, (int)member["cursor_start"]!);
        Assert.Equal(26, (int)member["cursor_end"]!);
        Assert.Contains("Console", _s.R["complete_global"]!["matches"]!.AsArray().Select(m => (string)m!));
        Assert.Contains("Twice", _s.R["complete_state"]!["matches"]!.AsArray().Select(m => (string)m!));
        var inspect = _s.R["inspect"]!;
        Assert.True((bool)inspect["found"]!);
        Assert.Contains("Console.WriteLine", (string)inspect["data"]!["text/plain"]!);
        Assert.Contains("Show(object? value)", (string)_s.R["inspect_ours"]!["data"]!["text/plain"]!);
        Assert.Contains("Shows a value", (string)_s.R["inspect_ours"]!["data"]!["text/plain"]!);
        Assert.Equal("complete", (string)_s.R["is_complete_complete"]!["status"]!);
        Assert.Equal("incomplete", (string)_s.R["is_complete_incomplete"]!["status"]!);
        Assert.Equal("complete", (string)_s.R["is_complete_complete_expr"]!["status"]!);
    }

    [Fact]
    public void Kernel_info_publishes_busy_idle_and_every_iopub_message_has_a_parent()
    {
        Assert.Equal("5.3", (string)_s.R["kernel_info"]!["protocol_version"]!);
        Assert.Equal("csharp", (string)_s.R["kernel_info"]!["language_info"]!["name"]!);
        Assert.Equal(new[] { "busy", "idle" }, _s.R["kernel_info_states"]!.AsArray().Select(x => (string)x!));
        Assert.Empty(_s.R["unparented"]!.AsArray());
    }

    [Fact]
    public void Stdin_without_allow_stdin_is_a_clear_error()
    {
        var c = _s["stdin"];
        Assert.Equal("error", c.Status);
        Assert.Contains("allow_stdin", (string)c.Reply["evalue"]!);
    }

    [Fact]
    public void Clean_shutdown_at_the_end()
    {
        Assert.Equal(0, (int?)_s.R["exit_code"] ?? 0);
    }
}

public class LifecycleTests
{
    private static JsonObject Scenario(string name) => Harness.Driver("lifecycle.py", Harness.KernelDll, name);

    [Fact]
    public void Iopub_messages_wait_for_the_first_subscriber()
    {
        var r = Scenario("late_iopub");
        Assert.Equal("ok", (string)r["reply_status"]!);
        Assert.Equal(new[] { "busy", "idle" }, r["states"]!.AsArray().Select(x => (string)x!));
    }

    [Fact]
    public void Interrupt_stops_cooperative_cells_and_orphans_runaway_ones()
    {
        var r = Scenario("interrupt");
        foreach (var name in new[] { "cooperative", "await", "sigint", "tensor", "orphan" })
        {
            Assert.Equal("error", (string)r[name]!["status"]!);
            Assert.Equal("OperationCanceledException", (string)r[name]!["ename"]!);
        }
        // "Promptly", with slack for a machine loaded 10–40 deep (two suites at once): well under the 30 s the driver waits.
        Assert.InRange((double)r["cooperative_s"]!, 0, 15.0);
        Assert.InRange((double)r["await_s"]!, 0, 15.0);
        Assert.InRange((double)r["sigint_s"]!, 0, 15.0);
        Assert.InRange((double)r["tensor_s"]!, 0, 15.0);           // tensor ops observe Research.Torch.Interrupt
        Assert.Equal("3", Cell.From(r["after_tensor"]).Result);     // and the flag is reset for the next cell
        Assert.InRange((double)r["orphan_s"]!, 1.5, 20.0); // the grace period (2 s), then a reply anyway (slack for loaded machines)
        Assert.Contains("orphaned", (string)r["orphan"]!["evalue"]!);
        Assert.Equal("3", Cell.From(r["after_cooperative"]).Result);
        Assert.Equal("True", Cell.From(r["after_orphan"]).Result); // state of the interrupted cell is kept; new thread works
        Assert.True((bool)r["alive"]!);
    }

    [Fact]
    public void Restart_gives_a_fresh_kernel()
    {
        var r = Scenario("restart");
        Assert.Equal("5", Cell.From(r["define"]).Result);
        Assert.True((bool)r["new_pid_differs"]!);
        Assert.False((bool)r["old_alive"]!);
        Assert.Equal("CompilationError", (string)Cell.From(r["after_restart_state"]).Reply["ename"]!);
        Assert.Equal("2", Cell.From(r["after_restart"]).Result);
    }

    [Fact]
    public void Shutdown_request_exits_cleanly()
    {
        var r = Scenario("shutdown");
        Assert.Equal(0, (int)r["returncode"]!);
        Assert.InRange((double)r["shutdown_s"]!, 0, 3.0); // not the 5 s kill fallback of jupyter_client
    }

    [Fact]
    public void Kernel_exits_when_its_parent_dies()
    {
        var r = Scenario("parent_death");
        Assert.True((bool)r["kernel_alive_before"]!);
        Assert.False((bool)r["kernel_alive_after"]!);
        Assert.InRange((double)r["exit_s"]!, 0, 5.0);
    }
}
