"""Publishing pieces without kernels: the index page, defused tables, progress text, manifest round trip."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import nbformat
from batch_support import CODE_NAME, IMG_NAME, SCRIPT_NAME

from pbm_lib.batch.execute import strip_results
from pbm_lib.batch.manifest import Manifest
from pbm_lib.batch.progress import Progress
from pbm_lib.batch.record import RESULT_MIME, result_bundle
from pbm_lib.batch.site import Row, describe_error, link_for, render_index
from pbm_lib.batch.tables import csv_cell, write_csv


def _row(**changes) -> Row:
    values = dict(
        report_id="project_eval",
        report_title="项目支出绩效评价报告",
        object_kind="project",
        object_id="P001",
        object_name=SCRIPT_NAME,
        unit_id="101",
        unit_name=IMG_NAME,
        status="ok",
        score=87.5,
        grade="良",
        link="project_eval/P001.html",
        error=None,
        results={"score": 87.5},
    )
    values.update(changes)
    return Row(**values)


def test_index_escapes_everything_and_allows_only_its_script() -> None:
    rows = [
        _row(),
        _row(object_id="P002", object_name=CODE_NAME, status="failed", link=None, score=None, grade=None,
             error={"kind": "cell", "ename": "ValueError", "evalue": "<b>bad</b>", "cell_index": 3, "execution_count": 4}),
        _row(object_kind="city", object_id="city", object_name="测试县", unit_id=None, unit_name=None,
             results={"summary": "<i>全市</i>", "score": 90}),
    ]  # fmt: skip
    html = render_index(title="测试县2025年度", year=2025, meta_lines=["<meta>"], rows=rows, skipped=[])
    assert (
        SCRIPT_NAME not in html
        and IMG_NAME not in html
        and "<b>bad</b>" not in html
        and "<i>全市</i>" not in html
    )
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "第 3 个单元格（从 0 起），In [4]" in html
    assert html.lower().count("<script") == 1 and "http" not in html.replace(
        'http-equiv="Content-Security-Policy"', ""
    )
    # the CSP names the hash of exactly the inline script
    import base64
    import hashlib

    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html
    # city summary first, then the table, then the failures
    assert html.index('id="city-summary"') < html.index('id="reports"') < html.index('id="failures"')
    assert 'data-value="87.5"' in html and 'data-status="failed"' in html


def test_links_are_percent_encoded() -> None:
    assert link_for("site/项目评价/P 1.html") == "%E9%A1%B9%E7%9B%AE%E8%AF%84%E4%BB%B7/P%201.html"
    assert describe_error({"kind": "timeout", "ename": "TimeoutError", "evalue": "x"}) == "TimeoutError: x"


def test_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    assert [csv_cell(v) for v in ("=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "正常", -2, None, float("nan"))] == [
        "'=1+1", "'+cmd|' /C calc'!A0", "'-2", "'@SUM(A1)", "正常", "-2", "", "",
    ]  # fmt: skip
    path = write_csv(tmp_path / "t.csv", ["名称"], [["=1+1"]])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and "'=1+1" in path.read_text(encoding="utf-8-sig")


def test_progress_lines_and_tty_redraw() -> None:
    stream = io.StringIO()
    bar = Progress(3, stream=stream, interval=0)
    bar.update("ok")
    bar.update("failed")
    bar.update("ok")
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("[########################] 3/3 完成 2 失败 1") and "剩余 00:00" in lines[-1]

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress(2, stream=tty)
    bar.update("ok")
    bar.close()
    assert tty.getvalue().startswith("\r[############............] 1/2") and tty.getvalue().endswith("\n")
    silent = io.StringIO()
    Progress(2, stream=silent, enabled=False).update("ok")
    assert silent.getvalue() == ""


def test_results_are_stripped_before_export() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("record()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=result_bundle({"score": 1})),
        nbformat.v4.new_output("stream", name="stdout", text="kept"),
    ]
    nb.cells.append(cell)
    clean = strip_results(nb)
    assert [o.output_type for o in clean.cells[0].outputs] == ["stream"]
    assert RESULT_MIME in nb.cells[0].outputs[0].data  # the executed notebook keeps them


def test_manifest_round_trip_is_valid_json(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "manifest.json", meta={"year": 2025})
    manifest.record("a/1", {"key": "k", "status": "ok", "results": {"name": CODE_NAME}})
    manifest.record("b/2", {"key": "k2", "status": "failed"})
    manifest.record("a/1", {"key": "k3", "status": "ok"})
    content = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert content["format"] == 1 and content["year"] == 2025
    assert content["jobs"] == {"a/1": {"key": "k3", "status": "ok"}, "b/2": {"key": "k2", "status": "failed"}}
    again = Manifest.load(tmp_path)
    assert again.entries == content["jobs"] and again.meta["year"] == 2025
    assert [e["key"] for e in again.drop({"b/2", "zzz"})] == ["k2"]
    (tmp_path / "manifest.json").write_text("{broken", encoding="utf-8")
    assert Manifest.load(tmp_path).entries == {}


def test_kernel_cache_copies_and_refuses_pbm_objects(tiny_workbook: Path) -> None:
    import pytest

    from pbm_lib.batch import read_year_cached
    from pbm_lib.batch.cache import kernel_cache
    from pbm_lib.workbook import YearData

    calls = []
    first = kernel_cache(("test", 1), lambda: calls.append(1) or {"rows": [1, 2]})
    first["rows"].append(3)
    assert kernel_cache(("test", 1), lambda: calls.append(1) or {}) == {"rows": [1, 2]} and calls == [1]
    data = read_year_cached(tiny_workbook)
    data.projects.loc[:, "project_name"] = "changed"
    again = read_year_cached(tiny_workbook)
    assert isinstance(again, YearData) and again.projects["project_name"].iloc[0] == "义务教育营养改善计划"
    with pytest.raises(TypeError, match="pbm 自身的类"):
        kernel_cache(("test", 2), lambda: again)
