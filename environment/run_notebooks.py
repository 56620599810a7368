"""Executes notebooks with the research-csharp kernel, several at once, and writes executed copies and HTML reports.

Called by environment/notebooks.sh (which sets the scale, the runs folder and this checkout's kernelspec). One worker
process per job imports nbclient and nbconvert once and runs notebooks one after another, so a notebook costs its
kernel start and its cells, not two Jupyter start-ups. Prints one line per notebook as it finishes:
    notebooks: ok <path> -> <out>.ipynb, .html (<seconds> s)
    notebooks: FAILED <path>, cell <i> (code cell <n>): <source> ---- <error>
and writes <out>/times.json ({notebook: {"seconds": s, "ok": bool, "scale": scale}}), merged with the entries of earlier
runs into the same folder. --cpu-list FILE runs the notebooks listed there (one path per line, '#' comments) at cpu scale
and every other one at RESEARCH_SCALE: environment/run.sh's flagships.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import time


def run_one(path, out_root, timeout, kernel, startup_timeout, scale):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    family = os.path.basename(os.path.dirname(os.path.abspath(path)))
    name = os.path.splitext(os.path.basename(path))[0]
    dest = os.path.join(out_root, family)
    os.makedirs(dest, exist_ok=True)
    started = time.monotonic()
    os.environ["RESEARCH_SCALE"] = scale      # this worker runs one notebook at a time; its kernel inherits the scale
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
    return path, dest, name, error, time.monotonic() - started, html_note, scale


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
    parser.add_argument("--cpu-list", help="a file of notebooks to run at cpu scale whatever RESEARCH_SCALE says")
    args = parser.parse_args()
    scale, device = os.environ.get("RESEARCH_SCALE", "smoke"), os.environ.get("RESEARCH_DEVICE", "cpu")
    at_cpu = set()
    if args.cpu_list:
        with open(args.cpu_list) as f:
            at_cpu = {os.path.normpath(line.strip()) for line in f if line.strip() and not line.startswith("#")}
    scales = {nb: "cpu" if os.path.normpath(nb) in at_cpu else scale for nb in args.notebooks}
    times_path = os.path.join(args.out, "times.json")
    times, failed = {}, []
    if os.path.exists(times_path):
        try:
            with open(times_path) as f:
                times = json.load(f)
        except ValueError:
            times = {}
    jobs = max(1, min(args.jobs, len(args.notebooks)))
    counts = ", ".join(f"{sum(1 for v in scales.values() if v == s)} at scale={s}" for s in sorted(set(scales.values())))
    print(f"notebooks: {len(args.notebooks)} ({counts}) device={device}, {jobs} at a time", flush=True)
    # Slowest first (cpu-scale ones), so the parallel workers finish together.
    order = sorted(args.notebooks, key=lambda nb: scales[nb] != "cpu")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, nb, args.out, args.timeout, args.kernel, args.startup_timeout, scales[nb]) for nb in order]
        for future in concurrent.futures.as_completed(futures):
            path, dest, name, error, seconds, html_note, used = future.result()
            times[path] = {"seconds": round(seconds, 2), "ok": error is None, "scale": used}
            if error is None:
                print(f"notebooks: ok {path} -> {dest}/{name}.ipynb, .html ({seconds:.1f} s){html_note}", flush=True)
            else:
                failed.append(path)
                print(f"notebooks: FAILED {path}, {error}", file=sys.stderr, flush=True)
    with open(times_path + ".tmp", "w") as f:
        json.dump(times, f, indent=1, sort_keys=True)
    os.replace(times_path + ".tmp", times_path)
    if failed:
        print(f"notebooks: {len(failed)} of {len(args.notebooks)} failed: {' '.join(sorted(failed))}", file=sys.stderr)
        return 1
    print(f"notebooks: all {len(args.notebooks)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
