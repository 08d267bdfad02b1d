"""The published site in a real headless Chromium, without network: sort, filter, links, hostile names.

A small hostile year (the tiny workbook with ``<script>alert(1)</script>`` and a papermill-injection
name) is run with real kernels and the real HTML exporter; the page is then driven over the Chrome
DevTools Protocol (``browser_support``): headers are clicked with the mouse, the filter is typed into,
the selects are changed, and the rows a reader sees (rendered, in order) are asserted. No dialog may
open, nothing may be logged as an error, and no request may leave ``file:``/``data:``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from batch_support import (
    CODE_NAME,
    IMG_NAME,
    SCRIPT_NAME,
    UNIT_REPORT,
    hostile_workbook,
    project,
    write_notebook,
    write_parameters,
)
from browser_support import Browser, Page

from pbm_lib.batch import run_year

PWNED = Path("/tmp/pwned")

SCORED_PARAMETERS = """\
data_path: str = None  # 必填：年度数据工作簿 / required: year workbook
object_id: str = None  # 必填：项目编码 / required: project id
score: float = 60.0  # 测试用：得分 / test only: the score to record
fail: bool = False  # 测试用：是否抛出异常 / test only: raise on purpose
"""

SCORED_BODY = """\
import matplotlib.pyplot as plt
from pbm_lib.batch import record
from pbm_lib.workbook import read_year

name = read_year(data_path).projects.set_index("project_id").loc[object_id, "project_name"]
if fail:
    raise ValueError(f"故意失败 {object_id}")
print(name)
fig, ax = plt.subplots(figsize=(2, 1.2))
ax.bar(["预算", "执行"], [score, 100 - score])
plt.show()
record(score=score, grade="优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差")
"""

CITY_BODY = """\
from pbm_lib.batch import record

record(summary="总体良好 <script>alert(1)</script>", n_units=2, n_projects=5, money=1840.0, targets_share=0.95)
"""

# Scores chosen so that text order (“100” < “72.25” < “9.5”) and numeric order differ.
SCORES = {"P001": 100.0, "P002": 9.5, "P003": 72.25, "P005": 88.0}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the small hostile year once; the published ``site/`` folder."""
    root = tmp_path_factory.mktemp("site_year")
    write_notebook(
        root / "notebooks" / "scored.ipynb",
        [("md", "# 项目评价（测试）"), ("code", SCORED_PARAMETERS, ["parameters"]), ("code", SCORED_BODY)],
    )
    write_notebook(root / "notebooks" / "city.ipynb", [("code", CITY_BODY)])
    reports = [
        {
            "id": "project_eval",
            "title": "项目支出绩效评价报告",
            "notebook": "notebooks/scored.ipynb",
            "object": "project",
        },
        UNIT_REPORT,
        {
            "id": "city_summary",
            "title": "本级政府绩效管理总结",
            "notebook": "notebooks/city.ipynb",
            "object": "city",
        },
    ]
    params = project(root, reports)
    overrides = [
        {"object": pid, "report": "project_eval", "parameters": {"score": score}}
        for pid, score in SCORES.items()
    ]
    overrides.append({"object": "P004", "report": "project_eval", "parameters": {"fail": True}})
    write_parameters(params, {"year": 2025, "overrides": overrides}, name="2025.yaml")
    workbook = hostile_workbook(root / "测试县2025")
    existed = PWNED.exists()
    summary = run_year(workbook, root / "outputs", jobs=2, timeout=60, parameters_dir=params, progress=False)
    assert (summary.planned, summary.succeeded) == (8, 7), summary.describe()
    assert not PWNED.exists() or existed
    return root / "outputs" / "2025" / "site"


ROWS_JS = """(() => Array.from(document.querySelectorAll('#reports tbody tr'))
  .filter(r => r.getClientRects().length > 0)
  .map(r => Array.from(r.cells).map(c => c.innerText.trim())))()"""


def visible_rows(page: Page) -> list[list[str]]:
    """The table's rows a reader sees, top to bottom, as cell texts."""
    return page.evaluate(ROWS_JS)


def column(rows: list[list[str]], index: int) -> list[str]:
    return [r[index] for r in rows]


def collated(page: Page, texts: list[str]) -> list[str]:
    """The texts in the browser's own Chinese order (ICU collation, numbers compared as numbers)."""
    return page.evaluate(f"{json.dumps(texts)}.sort(new Intl.Collator('zh-CN', {{numeric: true}}).compare)")


def problems(page: Page) -> list[dict[str, Any]]:
    """Dialogs, console errors, exceptions, and any request to something other than file:/data:."""
    bad = []
    for event in page.events:
        method, params = event["method"], event.get("params", {})
        if method in ("Page.javascriptDialogOpening", "Runtime.exceptionThrown"):
            bad.append(event)
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            bad.append(event)
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            bad.append(event)
        elif method == "Network.requestWillBeSent":
            if urlsplit(params["request"]["url"]).scheme not in ("file", "data"):
                bad.append(event)
    return bad


def test_index_sorts_filters_and_runs_nothing_hostile(site: Path, tmp_path: Path) -> None:
    index = site / "index.html"
    with Browser(tmp_path) as page:
        page.goto(index.as_uri())
        # our script ran under the page's Content-Security-Policy
        assert page.evaluate("document.documentElement.classList.contains('js-ready')")
        keep = os.environ.get("PBM_SITE_SCREENSHOT")
        # for a person to look at: PBM_SITE_SCREENSHOT=/tmp/site.png pytest tests/test_site_browser.py
        if keep:
            page.screenshot(Path(keep))
        everything = visible_rows(page)
        assert len(everything) == 8
        shown = page.evaluate("document.body.innerText")
        assert SCRIPT_NAME in shown and CODE_NAME in shown and IMG_NAME in shown  # literally, as text
        assert "总体良好 <script>alert(1)</script>" in shown
        assert page.evaluate("document.scripts.length") == 1
        assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
        assert page.evaluate("document.body.getAttribute('data-pwned')") is None
        assert page.evaluate("document.getElementById('shown-count').textContent") == "8"

        # -- sorting: click the score header (numbers numerically, blanks last), then again --------
        page.click("#reports thead th:nth-child(4)")
        scores = column(visible_rows(page), 3)
        numbers = [float(s) for s in scores if s != "—"]
        assert numbers == sorted(numbers) and numbers[0] == 9.5 and numbers[-1] == 100.0
        assert scores[len(numbers) :] == ["—"] * (8 - len(numbers))  # failed/no score: last
        sorted_by = "document.querySelector('#reports thead th:nth-child(4)').getAttribute('aria-sort')"
        assert page.evaluate(sorted_by) == "ascending"
        page.click("#reports thead th:nth-child(4)")
        scores = column(visible_rows(page), 3)
        numbers = [float(s) for s in scores if s != "—"]
        assert numbers == sorted(numbers, reverse=True) and scores[-1] == "—"

        # -- text columns: Chinese (pinyin) order, and the same as the browser's own collator --------
        page.click("#reports thead th:nth-child(2)")
        objects = column(visible_rows(page), 1)
        assert objects == collated(page, objects)
        chinese = [o for o in objects if o.startswith(("超时", "高标准", "失败"))]
        assert [o[:2] for o in chinese] == ["超时", "高标", "失败"]  # chao < gao < shi (not code-point order)
        page.click("#reports thead th:nth-child(2)")
        assert column(visible_rows(page), 1) == list(reversed(objects))
        page.evaluate("document.querySelector('#reports thead th:nth-child(1)').focus()")
        page.key("Enter", 13)  # headers sort from the keyboard too
        units = column(visible_rows(page), 0)
        assert units[-1] == "—" and units[:-1] == collated(page, units[:-1])  # the city has no unit: last

        # -- filters: text box, report kind, status, and all three together ------------------------
        page.type_text("#filter-text", "alert(1)")
        rows = visible_rows(page)
        assert column(rows, 1) == [f"{SCRIPT_NAME}（P001）"]
        assert page.evaluate("document.getElementById('shown-count').textContent") == "1"
        page.type_text("#filter-text", "")
        assert len(visible_rows(page)) == 8

        select(page, "#filter-kind", "unit_eval")
        rows = visible_rows(page)
        assert len(rows) == 2 and set(column(rows, 2)) == {"部门整体绩效评价报告"}
        select(page, "#filter-kind", "project_eval")
        assert len(visible_rows(page)) == 5
        select(page, "#filter-status", "failed")
        rows = visible_rows(page)
        assert column(rows, 1) == ["失败项目（P004）"] and column(rows, 5) == ["失败"]
        select(page, "#filter-status", "ok")
        page.type_text("#filter-text", "touch /tmp")
        assert column(visible_rows(page), 1) == [f"{CODE_NAME}（P002）"]
        select(page, "#filter-kind", "unit_eval")
        assert visible_rows(page) == []
        assert page.evaluate("document.getElementById('shown-count').textContent") == "0"
        page.type_text("#filter-text", "")
        select(page, "#filter-kind", "")
        select(page, "#filter-status", "")
        assert sorted(map(tuple, visible_rows(page))) == sorted(map(tuple, everything))

        # -- times are shown in China Standard Time ----------------------------------------------
        assert "中国标准时间" in shown and "+00:00" not in shown

        assert problems(page) == []


def select(page: Page, selector: str, value: str) -> None:
    """Choose an option as a user does: the value changes and ``input``/``change`` fire."""
    page.evaluate(
        f"(() => {{const s = document.querySelector({json.dumps(selector)}); s.focus();"
        f"s.value = {json.dumps(value)}; if (s.value !== {json.dumps(value)}) throw new Error('no option');"
        "s.dispatchEvent(new Event('input', {bubbles: true}));"
        "s.dispatchEvent(new Event('change', {bubbles: true}));})()"
    )


# [tag, attribute as written, URL it resolves to] for every href, xlink:href and src of the page.
LINKS_JS = """(() => Array.from(document.querySelectorAll('[href], [src], [*|href]')).flatMap(e =>
  ['href', 'src', 'xlink:href'].filter(a => e.hasAttribute(a)).map(a =>
    [e.tagName.toUpperCase(), e.getAttribute(a), new URL(e.getAttribute(a), document.baseURI).href])))()"""


def test_every_link_of_the_site_resolves_to_a_local_file(site: Path, tmp_path: Path) -> None:
    """Crawl from index.html: every href/src is a local file (or an anchor, or inline data)."""
    to_visit, seen, checked = [site / "index.html"], set(), 0
    with Browser(tmp_path) as page:
        while to_visit:
            current = to_visit.pop()
            if current in seen:
                continue
            seen.add(current)
            page.goto(current.as_uri())
            scripts = page.evaluate("document.scripts.length")
            assert scripts == (1 if current == site / "index.html" else 0), current  # reports: none
            for tag, raw, resolved in page.evaluate(LINKS_JS):
                checked += 1
                where = f"{current.relative_to(site)}: <{tag.lower()}> {raw!r}"
                parts = urlsplit(resolved)
                if parts.scheme == "data":
                    assert tag == "IMG", where  # inline images only
                    continue
                assert parts.scheme == "file" and not parts.netloc, where  # no network address
                target = Path(unquote(parts.path))
                assert target.is_file(), where
                assert site in target.parents, where  # stays in the site
                if parts.fragment:  # an anchor: the id exists in the target page
                    assert f'id="{unquote(parts.fragment)}"' in target.read_text(encoding="utf-8"), where
                if target.suffix == ".html" and target not in seen:
                    to_visit.append(target)
            assert problems(page) == [], current
    reports = {p for p in site.rglob("*.html")} - {site / "index.html"}
    assert len(reports) == 7 and reports <= seen  # every published report is reachable from the index
    assert checked > 7


def test_the_harness_sees_dialogs_errors_and_network_requests(tmp_path: Path) -> None:
    """The checks above are not vacuous: a page that alerts, logs an error and fetches is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><img src='https://example.com/x.png'>"
        "<script>console.error('boom'); alert(1); document.title = 'after';</script>",
        encoding="utf-8",
    )
    with Browser(tmp_path) as page:
        page.goto(bad.as_uri())
        assert page.evaluate("document.title") == "after"  # the dialog was dismissed, the page went on
        kinds = {e["method"] for e in problems(page)}
    assert {"Page.javascriptDialogOpening", "Runtime.consoleAPICalled", "Network.requestWillBeSent"} <= kinds
