"""``--engine papermill`` (a fresh kernel per notebook) isolates failures and enforces the time limit too."""

from __future__ import annotations

from pathlib import Path

import nbformat
from batch_support import EXPORTER, PROJECT_REPORT, hostile_workbook, project, write_parameters

from pbm_lib.batch import run_year


def test_plain_papermill_engine_isolates_a_failure_and_a_timeout(tmp_path: Path) -> None:
    params = project(tmp_path, [PROJECT_REPORT])
    write_parameters(
        params,
        {
            "year": 2025,
            "overrides": [
                {"object": "P004", "report": "project_eval", "parameters": {"fail": True}},
                {"object": "P005", "report": "project_eval", "parameters": {"sleep": 120}},
            ],
        },
        name="2025.yaml",
    )
    workbook = hostile_workbook(tmp_path / "测试县2025")
    summary = run_year(workbook, tmp_path / "outputs", jobs=2, engine="papermill", timeout=8, exporter=EXPORTER,
                       parameters_dir=params, progress=False)
    out = tmp_path / "outputs" / "2025"

    assert (summary.planned, summary.executed, summary.succeeded) == (5, 5, 3)
    assert summary.exit_code == 1
    failed = {f.object_id: f for f in summary.failed}
    assert set(failed) == {"P004", "P005"}
    assert (failed["P004"].kind, failed["P004"].ename) == ("cell", "ValueError")
    assert (failed["P005"].kind, failed["P005"].ename) == ("timeout", "TimeoutError")
    assert summary.duration < 100, "the 120 s sleep was cut at the 8 s limit"
    timeout_nb = nbformat.read(out / "failed/project_eval/P005.ipynb", as_version=4)
    assert timeout_nb.metadata.papermill["exception"] is True
    for ok in ("P001", "P002", "P003"):
        assert (out / f"notebooks/project_eval/{ok}.ipynb").is_file()
        assert (out / f"site/project_eval/{ok}.html").is_file()
