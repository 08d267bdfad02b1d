"""A whole year on warm kernels: failures and timeouts isolated, outputs published, hostile names inert.

Real kernels, real papermill; the only stand-in is the HTML exporter (``batch_support.notebook_to_html``)
because ``pbm_lib.report.export`` is written elsewhere.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from batch_support import (
    CODE_NAME,
    EXPORTER,
    FORMULA_NAME,
    IMG_NAME,
    PROJECT_REPORT,
    SCRIPT_NAME,
    UNIT_REPORT,
    hostile_workbook,
    project,
    write_parameters,
)
from browser_support import chromium_path

from pbm_lib.batch import run_year
from pbm_lib.batch.errors import ExecutionSetupError

PWNED = Path("/tmp/pwned")


@pytest.fixture
def hostile_year(tmp_path: Path) -> tuple[Path, Path]:
    """(workbook, parameters folder): 5 projects, 2 units; P004 fails, P005 sleeps past the limit."""
    params = project(tmp_path, [PROJECT_REPORT, UNIT_REPORT])
    write_parameters(
        params,
        {
            "year": 2025,
            "overrides": [
                {"object": "P002", "report": "project_eval", "parameters": {"evaluation_kind": CODE_NAME}},
                {"object": "P004", "report": "project_eval", "parameters": {"fail": True}},
                {"object": "P005", "report": "project_eval", "parameters": {"sleep": 120}},
            ],
        },
        name="2025.yaml",
    )
    return hostile_workbook(tmp_path / "测试县2025"), params


def test_year_run_isolates_failures_publishes_and_keeps_text_inert(
    tmp_path: Path, hostile_year: tuple[Path, Path]
) -> None:
    workbook, params = hostile_year
    existed = PWNED.exists()
    summary = run_year(
        workbook,
        tmp_path / "outputs",
        jobs=2,
        timeout=8,
        exporter=EXPORTER,
        parameters_dir=params,
        progress=False,
    )
    out = tmp_path / "outputs" / "2025"

    # -- failures are isolated, located and summarised; the run exits non-zero -------------------
    assert (summary.planned, summary.executed, summary.succeeded) == (7, 7, 5)
    assert summary.exit_code == 1
    failed = {f.object_id: f for f in summary.failed}
    assert set(failed) == {"P004", "P005"}
    assert (failed["P004"].kind, failed["P004"].ename, failed["P004"].cell_index) == ("cell", "ValueError", 2)
    assert failed["P004"].execution_count == 3 and "故意失败 P004" in failed["P004"].evalue
    assert (failed["P005"].kind, failed["P005"].ename, failed["P005"].cell_index) == (
        "timeout",
        "TimeoutError",
        2,
    )
    text = summary.describe()
    assert "失败 2" in text and "第 2 个单元格" in text and "TimeoutError" in text
    error_nb = nbformat.read(out / "failed/project_eval/P004.ipynb", as_version=4)
    tags = [t for c in error_nb.cells for t in c.metadata.get("tags", [])]
    assert tags.count("papermill-error-cell-tag") == 2 and "injected-parameters" in tags
    timeout_nb = nbformat.read(out / "failed/project_eval/P005.ipynb", as_version=4)
    assert timeout_nb.metadata.papermill["exception"] is True
    assert not (out / "notebooks/project_eval/P004.ipynb").exists()
    assert not (out / "site/project_eval/P005.html").exists()
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "失败 / failed  project_eval/P004" in log and "完成 / ok      unit_eval/101" in log

    # -- executed notebooks carry papermill's metadata and the injected parameters, literally -----
    nb = nbformat.read(out / "notebooks/project_eval/P002.ipynb", as_version=4)
    assert nb.metadata.papermill["parameters"]["evaluation_kind"] == CODE_NAME
    assert nb.metadata.papermill["output_path"] == str((out / "notebooks/project_eval/P002.ipynb").resolve())
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.tags]
    assert len(injected) == 1 and nb.cells.index(injected[0]) == 2
    assert not PWNED.exists() or existed

    # -- results: JSON and workbook, read from the recorded outputs -------------------------------
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    by_object = {(r["report_id"], r["object_id"]): r for r in results["reports"]}
    assert by_object[("project_eval", "P002")]["results"]["kind"] == CODE_NAME
    assert by_object[("project_eval", "P001")]["object_name"] == SCRIPT_NAME
    assert (
        by_object[("unit_eval", "101")]["score"] == 88.0 and by_object[("unit_eval", "101")]["grade"] == "良"
    )
    assert by_object[("project_eval", "P004")]["status"] == "failed"
    from openpyxl import load_workbook

    book = load_workbook(out / "评价结果汇总表.xlsx")
    rows = list(book["评价结果"].iter_rows(values_only=True))
    assert rows[0][:4] == ("报告类型", "报告编号", "对象类型", "对象编码") and len(rows) == 8
    unit_cells = [c for row in book["评价结果"].iter_rows() for c in row if c.value == FORMULA_NAME]
    assert unit_cells and all(c.data_type == "s" for c in unit_cells)  # a name, never a formula

    # -- disclosure folders: per unit, CSV and XLSX, formulas defused -----------------------------
    folders = sorted(p.name for p in (out / "预决算公开").iterdir())
    assert len(folders) == 2 and folders[0].startswith("101_")
    unit101 = out / "预决算公开" / folders[0]
    assert {"项目绩效目标.csv", "部门整体绩效目标.csv", "绩效评价结果.csv"} <= {
        p.name for p in unit101.iterdir()
    }
    assert "义务教育巩固率" in (unit101 / "部门整体绩效目标.csv").read_text(encoding="utf-8-sig")
    assert list(unit101.glob("*.xlsx"))

    # -- the index: every text escaped, one script of ours, no network ----------------------------
    index = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert SCRIPT_NAME not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert IMG_NAME not in index and "&lt;img src=x onerror=" in index
    assert index.lower().count("<script") == 1
    assert "http://" not in index and "https://" not in index
    assert "Content-Security-Policy" in index
    assert 'href="project_eval/P001.html"' in index and "故意失败 P004" in index
    for report in (out / "site").rglob("*.html"):
        if report.name != "index.html":
            assert "<script" not in report.read_text(encoding="utf-8").lower()
    links = [line.split('href="')[1].split('"')[0] for line in index.split("<a ")[1:]]
    assert links and all((out / "site" / link).is_file() for link in links)

    # -- a real browser shows the names as text and runs nothing but the index's own script -------
    chromium = chromium_path()  # fails, never skips, without it
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (out / "site" / "index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert 'class="js-ready"' in dom  # our script ran under the page's CSP
    assert "data-pwned" not in dom.split("<body")[1].split(">")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_missing_exporter_fails_before_any_kernel(tmp_path: Path, hostile_year: tuple[Path, Path]) -> None:
    workbook, params = hostile_year
    with pytest.raises(ExecutionSetupError, match="无法导入 HTML 导出函数"):
        run_year(workbook, tmp_path / "out", exporter="pbm_lib.no_such_module:f", parameters_dir=params)
    assert not (tmp_path / "out" / "2025" / "notebooks").exists()


def test_dask_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from pbm_lib.batch.execute import WorkerConfig
    from pbm_lib.batch.executors import DaskExecutor

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(ExecutionSetupError, match=r"pip install 'pbm\[distributed\]'"):
        DaskExecutor(1, WorkerConfig()).run([{"job": {"id": "x"}}], lambda p, o: None)
