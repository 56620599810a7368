"""Executes notebooks with the research-csharp kernel, several at once, and writes executed copies and HTML reports.

Called by environment/notebooks.sh (which sets the scale, the runs folder and this checkout's kernelspec). One worker
process per job imports nbclient and nbconvert once and runs notebooks one after another, so a notebook costs its
kernel start and its cells, not two Jupyter start-ups. Prints one line per notebook as it finishes:
    notebooks: ok <path> -> <out>.ipynb, .html (<seconds> s)
    notebooks: FAILED <path>, cell <i> (code cell <n>): <source> ---- <error>
and writes <out>/times.json ({notebook: {"seconds": s, "ok": bool}}).
"""
import argparse
import concurrent.futures
import json
import os
import sys
import time


def run_one(path, out_root, timeout, kernel, startup_timeout):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    family = os.path.basename(os.path.dirname(os.path.abspath(path)))
    name = os.path.splitext(os.path.basename(path))[0]
    dest = os.path.join(out_root, family)
    os.makedirs(dest, exist_ok=True)
    started = time.monotonic()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, startup_timeout=startup_timeout,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = describe_failure(nb, e)
    except Exception as e:  # a kernel that died or never started, a timeout: still write what ran
        error = f"{type(e).__name__}: {e}"
    nbformat.write(nb, os.path.join(dest, name + ".ipynb"))
    html_note = ""
    try:
        html, _ = HTMLExporter(embed_images=True).from_notebook_node(nb)
        with open(os.path.join(dest, name + ".html"), "w", encoding="utf-8") as f:
            f.write(html)
    except Exception as e:
        html_note = f" (HTML report failed: {e})"
    return path, dest, name, error, time.monotonic() - started, html_note


def describe_failure(nb, e):
    """Names the failing cell (its index and its number among code cells), its source and the error."""
    failed = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                   and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if failed is None:
        return str(e)
    cell = nb.cells[failed]
    code_no = sum(1 for c in nb.cells[:failed + 1] if c.cell_type == "code")
    out = next(o for o in cell.outputs if o.get("output_type") == "error")
    message = f"{out.get('ename', '')}: {out.get('evalue', '')}".strip(": ")
    return f"cell {failed} (code cell {code_no}):\n{cell.source}\n----\n{message}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--startup-timeout", type=int, default=60, help="seconds for the kernel to start")
    parser.add_argument("--kernel", default="research-csharp")
    args = parser.parse_args()
    scale, device = os.environ.get("RESEARCH_SCALE", "smoke"), os.environ.get("RESEARCH_DEVICE", "cpu")
    times, failed = {}, []
    jobs = max(1, min(args.jobs, len(args.notebooks)))
    print(f"notebooks: {len(args.notebooks)} at scale={scale} device={device}, {jobs} at a time", flush=True)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, nb, args.out, args.timeout, args.kernel, args.startup_timeout) for nb in args.notebooks]
        for future in concurrent.futures.as_completed(futures):
            path, dest, name, error, seconds, html_note = future.result()
            times[path] = {"seconds": round(seconds, 2), "ok": error is None}
            if error is None:
                print(f"notebooks: ok {path} -> {dest}/{name}.ipynb, .html ({seconds:.1f} s){html_note}", flush=True)
            else:
                failed.append(path)
                print(f"notebooks: FAILED {path}, {error}", file=sys.stderr, flush=True)
    with open(os.path.join(args.out, "times.json"), "w") as f:
        json.dump(times, f, indent=1, sort_keys=True)
    if failed:
        print(f"notebooks: {len(failed)} of {len(args.notebooks)} failed: {' '.join(sorted(failed))}", file=sys.stderr)
        return 1
    print(f"notebooks: all {len(args.notebooks)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
