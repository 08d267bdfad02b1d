"""What makes the batch fast must not change what it computes.

- :func:`pbm_lib.batch.year_cache`: a value computed from the year once per kernel, only while the
  year is exactly the workbook's, a private copy for each caller;
- the warm kernel's compile memo: a re-imported module is the module a new process gets, and an
  edited file is compiled again;
- the deferred IRI grammar: importing nbformat no longer builds it, and the format check it serves
  gives the same answers;
- the HTML export leaves the executed notebook untouched and gives the same page every time.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pbm_lib.batch import cache, read_year_cached, year_cache
from pbm_lib.batch.execute import strip_results
from pbm_lib.batch.record import result_bundle
from pbm_lib.data import SAMPLE_WORKBOOK


@pytest.fixture
def local_store(monkeypatch: pytest.MonkeyPatch) -> dict:
    store: dict = {}
    monkeypatch.setattr(cache, "_LOCAL", store)
    return store


def test_year_cache_builds_once_per_year_and_hands_out_copies(local_store: dict) -> None:
    calls = []

    def build() -> pd.DataFrame:
        calls.append(1)
        return data.projects[["project_id"]].copy()

    data = read_year_cached(SAMPLE_WORKBOOK)
    first = year_cache(data, "ids", build)
    first.loc[:, "project_id"] = "changed"  # the caller's own copy
    again = year_cache(read_year_cached(SAMPLE_WORKBOOK), "ids", build)
    assert len(calls) == 1
    assert again["project_id"].tolist() == data.projects["project_id"].tolist()
    year_cache(data, "other key", build)
    assert len(calls) == 2


def test_year_cache_computes_a_changed_year_afresh(local_store: dict) -> None:
    calls = []
    data = read_year_cached(SAMPLE_WORKBOOK)
    year_cache(data, "k", lambda: calls.append(1) or 1)
    changed = read_year_cached(SAMPLE_WORKBOOK)
    changed.tables["budget"].loc[changed.budget.index[0], "executed"] += 1
    year_cache(changed, "k", lambda: calls.append(1) or 1)
    year_cache(changed, "k", lambda: calls.append(1) or 1)
    fewer = read_year_cached(SAMPLE_WORKBOOK)
    del fewer.tables["history"]
    year_cache(fewer, "k", lambda: calls.append(1) or 1)
    assert len(calls) == 4  # only the unchanged year was served from the cache


def test_year_cache_without_a_cached_read_builds(local_store: dict) -> None:
    from pbm_lib.workbook import read_year

    calls = []
    data = read_year(SAMPLE_WORKBOOK)  # not read through read_year_cached: nothing to compare with
    year_cache(data, "k", lambda: calls.append(1) or 1)
    year_cache(data, "k", lambda: calls.append(1) or 1)
    assert len(calls) == 2


def test_compile_memo_reimports_like_a_new_process(tmp_path: Path) -> None:
    module = tmp_path / "memo_probe.py"
    module.write_text("COUNT = []\nVALUE = 1\n", encoding="utf-8")
    side = Path(__file__).resolve().parents[1] / "pbm_lib" / "batch" / "kernel_side.py"
    script = textwrap.dedent(
        f"""
        import importlib, importlib.machinery, sys, types
        sys.path.insert(0, {str(tmp_path)!r})
        side = types.ModuleType("side")
        exec(compile(open({str(side)!r}, encoding="utf-8").read(), "side", "exec"), side.__dict__)
        side._memoise_compile()
        memo = importlib.machinery.SourceFileLoader.source_to_code._pbm_memo
        import memo_probe
        memo_probe.COUNT.append(1)
        first = memo_probe
        del sys.modules["memo_probe"]
        import memo_probe
        assert memo_probe is not first and memo_probe.COUNT == [] and memo_probe.VALUE == 1
        assert len(memo) == 1
        open({str(module)!r}, "w", encoding="utf-8").write("COUNT = []\\nVALUE = 2\\n")
        del sys.modules["memo_probe"]
        importlib.invalidate_caches()
        import memo_probe
        assert memo_probe.VALUE == 2, "an edited file is compiled again"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


def test_nbformat_without_the_iri_grammar_checks_iris_the_same() -> None:
    probe = textwrap.dedent(
        """
        import sys
        {defer}
        import nbformat
        built = "rfc3987_syntax.syntax_helpers" in sys.modules
        from jsonschema import FormatChecker
        checker = FormatChecker()
        values = ["http://例子.测试/路径?q=1", "ht tp://bad", "//host/path", "mailto:a@b.c", ""]
        print(built, [checker.conforms(v, f) for v in values for f in ("iri", "iri-reference")])
        """
    )
    runs = []
    for defer in ("", "from pbm_lib.batch.imports import defer_iri_grammar; defer_iri_grammar()"):
        result = subprocess.run(
            [sys.executable, "-c", probe.format(defer=defer)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        runs.append(result.stdout.split(" ", 1))
    (plain_built, plain_answers), (deferred_built, deferred_answers) = runs
    assert deferred_built == "False"  # (plain_built: whether rfc3987_syntax is installed at all)
    assert deferred_answers == plain_answers


def test_export_leaves_the_notebook_unchanged_and_repeats_itself(tmp_path: Path) -> None:
    from pbm_lib.report.export import notebook_to_html

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# 标题\n\n正文"))
    cell = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["demo"]})
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<p>表格</p>", "text/plain": "t"}),
        nbformat.v4.new_output("display_data", data=result_bundle({"score": 1})),
        nbformat.v4.new_output("stream", name="stderr", text="warning"),
    ]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"state": {}}
    before = nbformat.writes(nb)
    pages = []
    for n in range(2):
        out = notebook_to_html(strip_results(nb), tmp_path / f"{n}.html", title="报告")
        pages.append(out.read_text(encoding="utf-8"))
    assert nbformat.writes(nb) == before
    assert pages[0] == pages[1] and "<p>表格</p>" in pages[0] and "warning" not in pages[0]
