"""Batch benchmark: the same plan of report notebooks run three ways, in one command.

    .venv/bin/python benchmarks/bench_batch.py [--reports 100] [--large 400] [--cli-sample 10]

1. **CLI loop** — per report, the two command lines an office would script:
   ``papermill report.ipynb out.ipynb -p object_id …`` then ``jupyter nbconvert --to html --template basic --no-input``.
2. **Sequential API** — one process calling ``papermill.execute_notebook`` then nbconvert's
   ``HTMLExporter`` for each report (a fresh kernel per report, as papermill does).
3. **Pool** — :func:`pbm_lib.batch.run_year` (what ``pbm run`` calls): worker processes (one per core)
   on warm kernels, same notebook, same parameters, same nbconvert HTML.

The notebook weighs like a report: it imports pandas and matplotlib, draws one chart, shows one
table and records a score. The plan is one report per project of a synthetic year
(:func:`pbm_lib.workbook.synth.synthetic_year`). Rates are reports per minute of wall-clock time, each
way's own start-up included. The CLI loop is slow (two Python start-ups per report), so by default
it runs on a sample of the plan (``--cli-sample``; its rate is per report either way; use
``--cli-sample 0`` for the whole plan). Peak memory is that of the pool run's process tree
(parent, workers, kernels) as summed PSS and summed RSS, sampled every 0.2 s, for ``--reports`` and
``--large`` reports; the large plan repeats each project's report (same data, more reports), so any
growth would come from the number of reports alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

PARAMETERS = """\
object_id: str = None  # 必填：项目编码 / required: project id
year: int = 2025  # 年度 / fiscal year
copy: int = 1  # 基准测试：同一项目的第几份报告 / benchmark: copy number of the same project's report
"""

BODY = """\
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from pbm_lib.batch import record

seed = sum(map(ord, object_id))
rng = np.random.default_rng(seed)
months = np.arange(1, 13)
budget = rng.uniform(50, 500)
spent = np.minimum(np.cumsum(rng.uniform(0, budget / 10, 12)), budget)
table = pd.DataFrame({"月份": months, "累计执行数（万元）": spent.round(2), "执行率": (spent / budget).round(4)})
score = round(60 + 40 * float(spent[-1] / budget), 2)
grade = "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"
display(Markdown(f"## {year}年度 项目 {object_id}：得分 {score}，等级 {grade}"))
"""

CHART = """\
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(months, spent, marker="o", label="cumulative")
ax.axhline(budget, color="grey", linestyle="--", label="budget")
ax.set_xlabel("month")
ax.set_ylabel("10k yuan")
ax.legend()
plt.show()
"""

TABLE = """\
display(table.style.format({"执行率": "{:.1%}"}).hide(axis="index"))
record(score=score, grade=grade)
"""


def write_report_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    cell = nbformat.v4.new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 项目执行简报（基准测试）"), cell]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in (BODY, CHART, TABLE)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


_EXPORTER = None


def nbconvert_html(nb_or_path, out_path, title: str = "") -> Path:
    """The HTML all three ways produce: nbconvert's HTML exporter, ``basic`` template, without code.

    The ``basic`` template carries no script (the default ``lab`` one loads MathJax and RequireJS,
    which the batch refuses to publish), so all three ways do the same work.
    """
    global _EXPORTER
    from nbconvert import HTMLExporter

    if _EXPORTER is None:
        _EXPORTER = HTMLExporter(exclude_input=True, template_name="basic")
    nb = nb_or_path if not isinstance(nb_or_path, (str, Path)) else nbformat.read(nb_or_path, as_version=4)
    body, _ = _EXPORTER.from_notebook_node(nb, resources={"metadata": {"name": title}})
    Path(out_path).write_text(body, encoding="utf-8")
    return Path(out_path)


def build(root: Path, n: int, copies: int = 1) -> tuple[Path, Path, list[str]]:
    """A synthetic year of ``n`` projects, the report notebook, and a parameters folder registering it
    (``copies`` reports per project, so the number of reports grows while the data stays the same)."""
    import yaml

    from pbm_lib.workbook import read_year
    from pbm_lib.workbook.synth import synthetic_year
    from pbm_lib.workbook.writer import write_workbook

    tables, meta = synthetic_year(n, seed=0)
    workbook = write_workbook(root / f"synthetic_{n}.xlsx", tables, meta)
    write_report_notebook(root / "notebooks" / "report.ipynb")
    params = root / "parameters"
    params.mkdir(exist_ok=True)
    report: dict = {
        "id": "brief",
        "title": "项目执行简报",
        "notebook": "notebooks/report.ipynb",
        "object": "project",
    }
    if copies > 1:
        report["vary"] = {"copy": list(range(1, copies + 1))}
    registry = {"reports": [report]}
    (params / "defaults.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    ids = [str(i) for i in read_year(workbook).projects["project_id"]]
    return Path(workbook), params, ids


def run_cli(notebook: Path, ids: list[str], out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for object_id in ids:
        executed = out / f"{object_id}.ipynb"
        subprocess.run(
            [str(BIN / "papermill"), str(notebook), str(executed), "-p", "object_id", object_id, "-p", "year", "2025",
             "--cwd", str(notebook.parent), "--no-progress-bar", "--log-level", "ERROR"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--template", "basic", "--no-input", str(executed), "--output-dir", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
    return time.perf_counter() - started


def run_api(notebook: Path, ids: list[str], out: Path) -> float:
    import papermill

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for object_id in ids:
        executed = out / f"{object_id}.ipynb"
        nb = papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters={"object_id": object_id, "year": 2025},
            cwd=str(notebook.parent),
            progress_bar=False,
        )
        nbconvert_html(nb, out / f"{object_id}.html")
    return time.perf_counter() - started


POOL_SCRIPT = """
import sys, time
sys.path.insert(0, {here!r})
from pbm_lib.batch import run_year
started = time.perf_counter()
summary = run_year({workbook!r}, {out!r}, parameters_dir={params!r}, exporter="bench_batch:nbconvert_html",
                   progress=False, force=True, jobs={jobs!r})
assert summary.exit_code == 0, summary.describe()
print(time.perf_counter() - started, summary.executed, summary.workers)
"""


def run_pool(
    workbook: Path, params: Path, out: Path, jobs: int | None
) -> tuple[float, int, int, float, float]:
    """Run ``run_year`` in a child process: (seconds, reports, workers, peak RSS, peak PSS in MiB).

    RSS summed over processes counts the pages forked workers share with the parent several times;
    PSS (proportional set size) splits shared pages between their users, so its sum is the real total.
    """
    import psutil

    script = POOL_SCRIPT.format(
        here=str(HERE), workbook=str(workbook), out=str(out), params=str(params), jobs=jobs
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        root = psutil.Process(child.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                rss = pss = 0
                for process in tree:
                    try:
                        info = process.memory_full_info()
                        rss += info.rss
                        pss += info.pss
                    except psutil.Error:
                        pass
                peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            except psutil.Error:
                return
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    output, _ = child.communicate()
    done.set()
    thread.join()
    if child.returncode:
        raise SystemExit(f"pool run failed ({child.returncode})")
    seconds, executed, workers = output.split()[-3:]
    return float(seconds), int(executed), int(workers), peak / 2**20, peak_pss / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100, help="reports in the plan (default 100)")
    parser.add_argument(
        "--large", type=int, default=400, help="reports for the second memory measurement (0: skip)"
    )
    parser.add_argument("--cli-sample", type=int, default=10, help="reports run by the CLI loop (0: all)")
    parser.add_argument(
        "--api-sample", type=int, default=0, help="reports run by the sequential API (0: all)"
    )
    parser.add_argument("--jobs", type=int, default=None, help="pool workers (default: one per core)")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pbm-bench-batch-") as tmp:
        root = Path(tmp)
        print(f"preparing a synthetic year of {args.reports} projects …", flush=True)
        workbook, params, ids = build(root, args.reports)
        notebook = root / "notebooks" / "report.ipynb"
        n = len(ids)
        cli_ids = ids[: args.cli_sample] if args.cli_sample else ids
        api_ids = ids[: args.api_sample] if args.api_sample else ids

        print(f"pool: {n} reports …", flush=True)
        pool_s, pool_n, workers, pool_rss, pool_pss = run_pool(workbook, params, root / "pool", args.jobs)
        print(f"sequential API: {len(api_ids)} reports …", flush=True)
        api_s = run_api(notebook, api_ids, root / "api")
        print(f"CLI loop: {len(cli_ids)} reports …", flush=True)
        cli_s = run_cli(notebook, cli_ids, root / "cli")
        large = None
        if args.large:
            print(f"pool: {args.large} reports (memory) …", flush=True)
            large_root = root / "large"
            large_root.mkdir()
            large_workbook, large_params, _ = build(
                large_root, args.reports, copies=-(-args.large // args.reports)
            )
            large = run_pool(large_workbook, large_params, large_root / "pool", args.jobs)

    rate = lambda count, seconds: count / seconds * 60  # noqa: E731
    figures = {
        "reports": n,
        "workers": workers,
        "cpus": os.cpu_count(),
        "cli": {"reports": len(cli_ids), "seconds": cli_s, "per_minute": rate(len(cli_ids), cli_s)},
        "api": {"reports": len(api_ids), "seconds": api_s, "per_minute": rate(len(api_ids), api_s)},
        "pool": {
            "reports": pool_n,
            "seconds": pool_s,
            "per_minute": rate(pool_n, pool_s),
            "peak_rss_mib": pool_rss,
        },
    }
    if large:
        figures["pool_large"] = {
            "reports": large[1],
            "seconds": large[0],
            "per_minute": rate(large[1], large[0]),
            "peak_rss_mib": large[3],
            "peak_pss_mib": large[4],
        }
    pool_rate = figures["pool"]["per_minute"]
    print()
    print(f"{'way':<16}{'reports':>8}{'seconds':>10}{'reports/min':>13}")
    for name, key in (("CLI loop", "cli"), ("sequential API", "api"), (f"pool ({workers} workers)", "pool")):
        f = figures[key]
        print(f"{name:<16}{f['reports']:>8}{f['seconds']:>10.1f}{f['per_minute']:>13.1f}")
    print()
    print(f"pool ÷ CLI loop:       {pool_rate / figures['cli']['per_minute']:6.1f}×   (target ≥ 10×)")
    print(f"pool ÷ sequential API: {pool_rate / figures['api']['per_minute']:6.1f}×   (target ≥ 4×)")
    print(
        f"peak memory of the pool run, {n:>4} reports: PSS {pool_pss:5.0f} MiB, summed RSS {pool_rss:5.0f} MiB"
    )
    if large:
        print(
            f"peak memory of the pool run, {large[1]:>4} reports: PSS {large[4]:5.0f} MiB, "
            f"summed RSS {large[3]:5.0f} MiB  ({rate(large[1], large[0]):.1f} reports/min)"
        )
    if args.cli_sample and args.cli_sample < n:
        print(f"(the CLI loop ran {len(cli_ids)} of the {n} reports; its rate is per report)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
