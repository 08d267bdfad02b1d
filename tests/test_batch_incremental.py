"""Incremental runs: unchanged jobs are skipped, changed ones rerun, ``force`` reruns all, dropped jobs go."""

from __future__ import annotations

import json
from pathlib import Path

from batch_support import EXPORTER, LIGHT_REPORT, UNIT_REPORT, project, write_parameters

from pbm_lib.batch import run_year


def _finished(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {job: entry["finished"] + str(entry["duration"]) for job, entry in manifest["jobs"].items()}


def test_skip_unchanged_rerun_changed_force_all(tmp_path: Path, tiny_workbook: Path) -> None:
    params = project(tmp_path, [UNIT_REPORT, {**LIGHT_REPORT, "where": {"project_id": "P001"}}])
    out_root = tmp_path / "outputs"
    out = out_root / "2025"
    common = {"exporter": EXPORTER, "parameters_dir": params, "progress": False, "jobs": 1}

    first = run_year(tiny_workbook, out_root, **common)
    assert (first.executed, first.up_to_date, first.exit_code) == (3, 0, 0)
    before = _finished(out)
    stamp = (out / "notebooks/unit_eval/101.ipynb").stat().st_mtime_ns

    # nothing changed; a skip drops unit 201 from the plan and its published files
    write_parameters(params, {"skip": [{"object": "201", "reason": "合并"}]}, name="2025.yaml")
    second = run_year(tiny_workbook, out_root, **common)
    assert (second.executed, second.up_to_date, second.skipped_by_config) == (0, 2, 1)
    assert (out / "notebooks/unit_eval/101.ipynb").stat().st_mtime_ns == stamp
    assert (
        not (out / "notebooks/unit_eval/201.ipynb").exists()
        and not (out / "site/unit_eval/201.html").exists()
    )
    assert "unit_eval/201" not in _finished(out)
    assert "合并" in (out / "site/index.html").read_text(encoding="utf-8")

    # a changed parameter reruns that job only; a deleted published file reruns its job
    write_parameters(
        params,
        {"overrides": [{"object": "P001", "report": "light", "parameters": {"evaluation_kind": "财政评价"}}]},
        name="2025.yaml",
    )
    (out / "site/unit_eval/101.html").unlink()
    third = run_year(tiny_workbook, out_root, **common)
    assert (third.executed, third.up_to_date) == (3, 0)  # P001 changed, 101 lost its HTML, 201 is back
    after = _finished(out)
    assert after["unit_eval/101"] != before["unit_eval/101"] and after["light/P001"] != before["light/P001"]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))["reports"]
    assert {r["object_id"]: r["results"].get("kind") for r in results}["P001"] == "财政评价"

    fourth = run_year(tiny_workbook, out_root, **common)
    assert (fourth.executed, fourth.up_to_date) == (0, 3)
    forced = run_year(tiny_workbook, out_root, force=True, max_runs=2, **common)
    assert (forced.executed, forced.up_to_date) == (3, 0)
    kernels = [
        e["kernel"] for e in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["jobs"].values()
    ]
    assert len(set(kernels)) == 2  # one worker: its kernel served two notebooks, then was replaced
