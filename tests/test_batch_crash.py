"""Crash safety: a run killed (SIGKILL) mid-way leaves no half-written file and no stray process, and
running again completes the year."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import psutil
from batch_support import EXPORTER, LIGHT_REPORT, UNIT_REPORT, project

from pbm_lib.batch import run_year

SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from pbm_lib.batch import run_year
run_year({workbook!r}, {out!r}, jobs=2, exporter={exporter!r}, parameters_dir={params!r}, progress=False)
"""


def _marked(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PBM_TEST_MARKER") == marker:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def _entries(out: Path) -> dict:
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["jobs"]
    except (FileNotFoundError, ValueError, KeyError):
        return {}


def test_killed_run_leaves_consistent_outputs_and_rerun_completes(
    tmp_path: Path, tiny_workbook: Path
) -> None:
    report = {**LIGHT_REPORT, "vary": {"sleep": [0.6, 0.61]}}
    params = project(tmp_path, [report, UNIT_REPORT])  # 6 slow project jobs + 2 unit jobs
    out_root = tmp_path / "outputs"
    out = out_root / "2025"
    marker = uuid.uuid4().hex
    script = SCRIPT.format(
        tests=str(Path(__file__).parent),
        workbook=str(tiny_workbook),
        out=str(out_root),
        exporter=EXPORTER,
        params=str(params),
    )
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PBM_TEST_MARKER": marker})
    try:
        deadline = time.monotonic() + 120
        while len(_entries(out)) < 2 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert child.poll() is None, "the run finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        done = _entries(out)
        assert 2 <= len(done) < 8

        # workers and kernels notice their parent is gone and exit
        deadline = time.monotonic() + 20
        while _marked(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _marked(marker) == []
    finally:
        for process in _marked(marker):
            process.kill()

    # everything published is whole: recorded notebooks parse, reports end properly
    for job, entry in done.items():
        nbformat.read(out / entry["notebook"], as_version=4)
        assert (out / entry["html"]).read_text(encoding="utf-8").endswith("</html>"), job

    summary = run_year(
        tiny_workbook, out_root, jobs=2, exporter=EXPORTER, parameters_dir=params, progress=False
    )
    assert summary.exit_code == 0
    assert (summary.up_to_date, summary.executed) == (len(done), 8 - len(done))
    assert len(_entries(out)) == 8
    assert not [p for p in out.rglob(".~*")]  # temporaries of the killed run are cleaned up
    assert all(nbformat.read(p, as_version=4).cells for p in (out / "notebooks").rglob("*.ipynb"))
