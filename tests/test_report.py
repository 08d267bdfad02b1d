"""The shared report layer: fonts, formats, tables, figures, footer, and the published HTML.

The end-to-end tests build a small notebook with nbformat, execute it with papermill in a real
kernel, export it with :func:`pbm_lib.report.notebook_to_html` and open the result in headless
Chromium (Debian package ``chromium``; the test fails, it does not skip, when it is missing).
"""

from __future__ import annotations

import base64
import configparser
import os
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from browser_support import FLAGS, chromium_path, fontconfig_file

import pbm_lib
from pbm_lib.errors import PbmError
from pbm_lib.report import (
    GRADE_COLOURS,
    LIGHT_COLOURS,
    MISSING,
    figure,
    figure_png,
    font_path,
    footer_html,
    format_integer,
    format_number,
    format_percent,
    format_score,
    format_wan,
    html_table,
    make_offline,
    nbval_sanitize_config,
    nbval_sanitize_path,
    notebook_to_html,
    provenance_footer,
    report_problems,
    reset_numbering,
    run_time_iso,
    setup_matplotlib,
    table,
)
from pbm_lib.report import fonts as report_fonts
from pbm_lib.report.export import ReportExportError, reader_notebook
from pbm_lib.report.style import text_colour_on

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=\"document.title='PWNED'\">"
CODE_MARKER = "PBM-CODE-MARKER-7f3a"


@pytest.fixture(autouse=True)
def _fresh_numbers_and_rcparams():
    """Each test starts numbering at 1 and leaves matplotlib's settings as it found them."""
    import matplotlib as mpl

    reset_numbering()
    with mpl.rc_context():
        yield
    reset_numbering()


# ---------------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------------


def test_font_is_the_packaged_noto_collection() -> None:
    path = font_path()
    assert path.name == "NotoSansCJK-Regular.ttc" and path.is_file()


def test_setup_is_idempotent_and_sets_the_style() -> None:
    import matplotlib as mpl
    from matplotlib import font_manager

    setup_matplotlib()
    count = len(font_manager.fontManager.ttflist)
    assert setup_matplotlib() == font_path()
    assert len(font_manager.fontManager.ttflist) == count
    assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
    assert mpl.rcParams["font.sans-serif"].count("Noto Sans CJK SC") == 1
    assert mpl.rcParams["axes.unicode_minus"] is False
    assert mpl.rcParams["svg.hashsalt"] == "pbm-report"


def test_chinese_chart_renders_with_the_cjk_font_and_no_missing_glyphs() -> None:
    from matplotlib.font_manager import FontProperties, findfont

    setup_matplotlib()
    assert Path(findfont(FontProperties(family="Noto Sans CJK SC"))) == font_path()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with figure("各项目预算执行率", source="2025年度部门决算", show=False) as (fig, ax):
            ax.bar(["义务教育营养改善计划", "农村公路养护"], [0.93, -0.25])
            ax.set_ylabel("执行率（万元）")
            ax.set_title("东湖镇人民政府")
        png = figure_png(fig)
    assert png.startswith(b"\x89PNG")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    texts = [ax.title, ax.yaxis.label, *ax.get_xticklabels(), *fig.texts]
    assert any(t.get_text().startswith("图1 ") for t in fig.texts)
    for text in texts:
        assert Path(findfont(text.get_fontproperties())) == font_path(), text.get_text()


def test_without_setup_the_same_chart_would_miss_glyphs(tmp_path: Path) -> None:
    """The glyph check above can fail: a fresh process with matplotlib's defaults warns."""
    script = (
        "import warnings, matplotlib\nmatplotlib.use('Agg')\nfrom matplotlib.figure import Figure\n"
        "with warnings.catch_warnings(record=True) as w:\n    warnings.simplefilter('always')\n"
        "    f = Figure(); f.subplots().set_title('预算执行率'); f.savefig(r'%s')\n"
        "print(any('missing from font' in str(x.message) for x in w))\n" % (tmp_path / "x.png")
    )
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "True"


def test_missing_font_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
    with pytest.raises(PbmError, match="noto-cjk-sans-otc"):
        report_fonts.font_path()


def test_figure_png_is_byte_stable() -> None:
    setup_matplotlib()

    def draw() -> bytes:
        with figure("得分分布", source="评价组", show=False, number=1) as (fig, ax):
            ax.plot([1, 2, 3], [80, 85.5, 92])
        return figure_png(fig)

    first, second = draw(), draw()
    assert first == second
    assert b"Software" not in first and b"matplotlib" not in first.lower()


def test_figure_block_that_raises_shows_nothing_and_keeps_numbers() -> None:
    with pytest.raises(ValueError):
        with figure("失败", show=False) as (_fig, _ax):
            raise ValueError("boom")
    with figure("成功", show=False) as (fig, _ax):
        pass
    assert [t.get_text() for t in fig.texts] == ["图1 成功"]


# ---------------------------------------------------------------------------------------------
# Colours and formats
# ---------------------------------------------------------------------------------------------


def test_grade_and_light_colours_are_complete_and_distinct() -> None:
    assert list(GRADE_COLOURS) == ["优", "良", "中", "差", "证据不足"]
    assert list(LIGHT_COLOURS) == ["红灯", "黄灯", "绿灯", "蓝灯"]
    assert len(set(GRADE_COLOURS.values())) == 5 and len(set(LIGHT_COLOURS.values())) == 4
    for colour in [*GRADE_COLOURS.values(), *LIGHT_COLOURS.values()]:
        assert re.fullmatch(r"#[0-9A-F]{6}", colour)
    assert text_colour_on("#F0E442") == "#000000" and text_colour_on("#0072B2") == "#FFFFFF"


def test_formats_are_vectorised_and_never_show_nan() -> None:
    s = pd.Series([1234567.891, -0.001, np.nan, None, "90%", float("inf")], index=list("abcdef"), name="x")
    out = format_wan(s)
    assert isinstance(out, pd.Series) and list(out.index) == list("abcdef") and out.name == "x"
    assert list(out) == ["1,234,567.89", "0.00", MISSING, MISSING, "90%", "∞"]
    assert format_wan(1234.5, unit=True) == "1,234.50万元"
    assert format_percent([0.93456, 1, pd.NA]) == ["93.46%", "100.00%", MISSING]
    assert format_percent(93.4, 1, ratio=False) == "93.4%"
    assert format_score(pd.Series([85.5, 100, np.nan])).tolist() == ["85.50", "100.00", MISSING]
    assert format_integer(pd.Series([12500, None], dtype="Int64")).tolist() == ["12,500", MISSING]
    assert format_number("") == MISSING and format_number(pd.NaT) == MISSING
    assert "nan" not in " ".join(format_number(pd.Series([np.nan] * 3)))


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _table_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [HOSTILE, "农村公路养护", 'A&B "quoted"'],
            "budget": [520.0, 120.0, np.nan],
            "rate": [0.9615, 0.75, None],
            "score": [92.5, 71.0, np.nan],
            "grade": ["优", "中", "证据不足"],
            "light": ["绿灯", "红灯", None],
        }
    )


def test_html_table_escapes_formats_aligns_and_traces() -> None:
    markup = html_table(
        _table_frame(),
        {
            "name": "项目名称",
            "budget": "预算数（万元）",
            "rate": "执行率",
            "score": "得分",
            "grade": "等级",
            "light": "预警",
        },
        {"budget": "wan", "rate": "percent", "score": "score", "grade": "grade", "light": "light"},
        caption="项目评价结果<汇总>",
        source="2025年度 <部门决算>",
    )
    assert "<script" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "A&amp;B &quot;quoted&quot;" in markup
    assert '<span class="pbm-no">表1</span> 项目评价结果&lt;汇总&gt;' in markup
    assert "数据来源：2025年度 &lt;部门决算&gt;" in markup
    assert '<td class="num" style="text-align:right">520.00</td>' in markup
    assert '<td class="num" style="text-align:right">96.15%</td>' in markup
    assert f"background:{GRADE_COLOURS['优']}" in markup and f"background:{LIGHT_COLOURS['红灯']}" in markup
    assert "nan" not in markup.lower().replace("nanyang", "")
    assert markup.count("<tr>") == 4


def test_table_numbers_run_on_and_reset() -> None:
    df = pd.DataFrame({"a": [1]})
    assert "表1" in html_table(df, caption="一") and "表2" in html_table(df, caption="二")
    assert "表" not in html_table(df)  # no caption, no number used
    assert "表3" in html_table(df, caption="三")
    reset_numbering()
    assert "表1" in html_table(df, caption="一")


def test_table_errors_name_the_column() -> None:
    with pytest.raises(PbmError, match="budget"):
        html_table(pd.DataFrame({"a": [1]}), {"budget": "预算"})
    with pytest.raises(PbmError, match="money"):
        html_table(pd.DataFrame({"a": [1]}), formats={"a": "money"})


def test_nowrap_columns_keep_their_labels_on_one_line() -> None:
    df = pd.DataFrame({"name": ["城投公司资本金注入"], "status": ["▲ 偏低"], "value": [96.7]})
    markup = html_table(df, {"name": "项目", "status": "对照结果", "value": "建议目标值"}, nowrap=["status", "value"])
    cells = re.findall(r"<td([^>]*)>", markup)
    assert cells == ["", ' style="white-space:nowrap"', ' class="num" style="text-align:right;white-space:nowrap"']
    with pytest.raises(PbmError, match="scope"):
        html_table(df, {"name": "项目"}, nowrap=["scope"])


def test_table_wrapper_displays_as_html_and_empty_table_says_so() -> None:
    shown = table(pd.DataFrame({"a": []}), {"a": "甲"}, caption="空表")
    assert shown._repr_html_().startswith('<div class="pbm-table">')
    assert "（无数据）" in shown._repr_html_() and repr(shown) == "[表格：空表]"


# ---------------------------------------------------------------------------------------------
# Provenance and sanitising
# ---------------------------------------------------------------------------------------------


def test_footer_has_every_field_escaped(tmp_path: Path) -> None:
    data = tmp_path / "测试县<2025>.csv"
    data.write_bytes(b"a,b\n1,2\n")
    markup = footer_html(
        data, "scheme<x>", "v1.2", "2025-11-25T10:00:00Z", extra={"评价方式": "第三方<评价>"}
    )
    assert markup.startswith('<footer class="pbm-provenance">')
    assert "测试县&lt;2025&gt;.csv" in markup and str(tmp_path) not in markup
    import hashlib

    assert hashlib.sha256(b"a,b\n1,2\n").hexdigest() in markup
    assert "scheme&lt;x&gt;（版本 v1.2）" in markup
    assert pbm_lib.__version__ in markup
    assert "2025-11-25T18:00:00+08:00" in markup
    assert "第三方&lt;评价&gt;" in markup


def test_run_time_is_shanghai_iso() -> None:
    from datetime import datetime

    assert run_time_iso(datetime(2025, 1, 2, 3, 4, 5, 678)) == "2025-01-02T03:04:05+08:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", run_time_iso())
    with pytest.raises(PbmError):
        run_time_iso("yesterday")


def _nbval_sanitize(text: str, config: str) -> str:
    """Apply a sanitize file exactly as nbval does."""
    from nbval.plugin import get_sanitize_patterns

    for regex, replace in get_sanitize_patterns(config):
        text = re.sub(regex, replace, text)
    return text


def test_nbval_sanitize_file_makes_two_runs_compare_equal() -> None:
    config = nbval_sanitize_path().read_text(encoding="utf-8")
    assert config == nbval_sanitize_config()
    configparser.ConfigParser(interpolation=None).read_string(config)
    one = footer_html("a.xlsx", "s", "1", "2025-01-01T00:00:00", data_sha256="a" * 64)
    two = footer_html("a.xlsx", "s", "1", "2026-06-30T23:59:59", data_sha256="b" * 64)
    assert one != two
    assert _nbval_sanitize(one, config) == _nbval_sanitize(two, config)
    assert "a.xlsx" in _nbval_sanitize(one, config)
    assert repr(provenance_footer("a.xlsx", "s", "1", data_sha256="a" * 64)) == "[报告出处信息]"


# ---------------------------------------------------------------------------------------------
# Offline rewriting
# ---------------------------------------------------------------------------------------------


def test_make_offline_removes_scripts_handlers_and_network_references() -> None:
    dirty = (
        '<p onclick="x()">a &lt;b&gt;</p><script>alert(1)</script><SCRIPT SRC="http://e.com/x.js"></SCRIPT>'
        '<img src="https://e.com/a.png" alt="t"><img src="data:image/png;base64,AAAA">'
        '<link rel="stylesheet" href="https://cdn.example/x.css"><a href="javascript:alert(1)">j</a>'
        '<a href="https://www.mof.gov.cn/">财政部</a><iframe src="data:text/html;base64,PHNjcmlwdD4="></iframe>'
        "<style>@import url(https://x/y.css); td{background:url('http://x/b.png')} th{color:red}</style>"
        '<div style="background:url(//x/y.png)">d</div><svg><script>alert(2)</script></svg><!-- c -->'
        '<meta http-equiv="refresh" content="0;url=https://e.com">'
    )
    clean = make_offline(dirty)
    assert "<script" not in clean.lower() and "onclick" not in clean and "javascript:" not in clean
    assert "<iframe" not in clean and "<link" not in clean and "@import" not in clean and "<meta" not in clean
    assert "<p>a &lt;b&gt;</p>" in clean
    assert 'src="data:image/png;base64,AAAA"' in clean
    assert "th{color:red}" in clean and "<!--" not in clean
    srcs = re.findall(r'(?:src|href)="([^"]*)"', clean)
    assert [s for s in srcs if s.startswith("http")] == [
        "https://www.mof.gov.cn/"
    ]  # a plain link fetches nothing
    assert "url(" not in clean.replace("url(data:", "")


# ---------------------------------------------------------------------------------------------
# End to end: papermill → export → Chromium
# ---------------------------------------------------------------------------------------------

TITLE = "2025年度东湖镇农村公路养护项目支出绩效评价报告"


def _report_notebook() -> nbformat.NotebookNode:
    code = nbformat.v4.new_code_cell
    md = nbformat.v4.new_markdown_cell
    parameters = code(
        'data_path = "data.csv"\nproject_name = "农村公路养护"\nscheme_id = "scheme"\nscheme_version = "1"'
    )
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        parameters,
        code(
            f"# {CODE_MARKER}: setup, never shown to readers\n"
            "import sys, warnings\n"
            "import pandas as pd\n"
            "import ipywidgets\n"
            "from IPython.display import Markdown, display\n"
            "from pbm_lib.report import setup_matplotlib, table, figure, provenance_footer\n"
            "setup_matplotlib()\n"
            "warnings.warn('PBM-WARNING-TEXT should not be published')\n"
            "print('PBM-STDERR-TEXT', file=sys.stderr)\n"
            "data = pd.read_csv(data_path)"
        ),
        md("## 一、项目基本情况\n\n本项目由东湖镇人民政府实施，评价结论如下。"),
        code(
            "display(Markdown(f'**评价得分：{data.score.mean():.2f} 分**，等级为“良”。'))\n"
            "display(Markdown('- 预算执行率 *81.25%*\\n- 产出数量指标全部完成'))"
        ),
        md("## 二、绩效分析"),
        code(
            'with figure("各项目预算执行率（%）", source="2025年度部门决算") as (fig, ax):\n'
            "    ax.bar(data.name, data.rate * 100, color='#0072B2')\n"
            "    ax.set_ylabel('执行率（%）')"
        ),
        code("ax.set_title('只是一个对象')  # its repr, Text(…), is not for readers"),
        code(
            "table(data, {'name': '项目名称', 'budget': '预算数（万元）', 'rate': '执行率', 'score': '得分',"
            " 'grade': '等级', 'light': '预警'},\n"
            "      {'budget': 'wan', 'rate': 'percent', 'score': 'score', 'grade': 'grade', 'light': 'light'},\n"
            "      caption='项目评价结果', source='2025年度项目支出绩效自评表')"
        ),
        code("data  # a raw DataFrame: its text/plain repr must not be published"),
        code("ipywidgets.IntSlider(value=3, description='权重')"),
        code("print('PBM-STDOUT-TEXT')\n1 + 1"),
        md("## 三、出处"),
        code("provenance_footer(data_path, scheme_id, scheme_version)"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Execute the report notebook once with papermill and export it."""
    import papermill

    work = tmp_path_factory.mktemp("report")
    data = work / "东湖镇2025.csv"
    pd.DataFrame(
        {
            "name": [HOSTILE, "农村公路养护", HOSTILE_IMG],
            "budget": [520.0, 1234567.5, np.nan],
            "rate": [0.9615, 0.75, None],
            "score": [92.5, 71.0, np.nan],
            "grade": ["优", "中", "证据不足"],
            "light": ["绿灯", "红灯", "蓝灯"],
        }
    ).to_csv(data, index=False)
    source = work / "report.ipynb"
    nbformat.write(_report_notebook(), source)
    executed = work / "report.out.ipynb"
    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters={"data_path": str(data), "scheme_id": "项目支出评价方案<2025>", "scheme_version": "1.0"},
        kernel_name="python3",
        cwd=str(work),
        progress_bar=False,
        log_output=False,
    )
    html_path = notebook_to_html(executed, work / "report.html", title=TITLE, issuer="东湖镇财政所")
    return {"dir": work, "data": data, "executed": executed, "html": html_path}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    return collector


def test_exported_report_is_clean_offline_and_light(report: dict) -> None:
    document = report["html"].read_text(encoding="utf-8")
    parsed = _parse(document)
    text = "".join(parsed.text)
    assert "<script" not in document.lower()
    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, name, value)
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
    assert "http://" not in document and "https://" not in document
    assert CODE_MARKER not in document and "setup_matplotlib" not in document and "In&nbsp;[" not in document
    assert "PBM-WARNING-TEXT" not in document and "PBM-STDERR-TEXT" not in document
    assert "PBM-STDOUT-TEXT" in document  # print() output is for readers
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert HOSTILE in text and HOSTILE_IMG in text  # shown as text
    assert f"<title>{TITLE}</title>" in document and f"<h1>{TITLE}</h1>" in document
    assert "一、项目基本情况" in document
    assert "<strong>评价得分：81.75 分</strong>" in document and "<em>81.25%</em>" in document
    images = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    alts = [attrs.get("alt") for tag, attrs in parsed.tags if tag == "img"]
    assert alts == ["图1 各项目预算执行率（%）"]
    png = base64.b64decode(images[0].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    assert "表1" in document and "数据来源：2025年度项目支出绩效自评表" in document
    assert "IntSlider" not in document and "widget" not in document.lower()
    assert "Text(0.5" not in document and "只是一个对象" not in document
    assert "Out[" not in document and ">2</pre>" not in document  # the `1 + 1` repr
    assert 'class="pbm-provenance"' in document and "项目支出评价方案&lt;2025&gt;" in document
    assert report["data"].name in document and str(report["dir"]) not in document
    assert "Noto Sans CJK SC" in document and "@media print" in document
    assert report["html"].stat().st_size < 150_000
    assert not [p for p in report["dir"].iterdir() if p.name.startswith(".~")]  # no temp file left


def test_raw_dataframe_output_keeps_only_its_html(report: dict) -> None:
    nb = nbformat.read(report["executed"], as_version=4)
    raw = next(c for c in nb.cells if c.source.startswith("data  #"))
    assert "text/plain" in raw.outputs[0].data  # the executed notebook has the repr …
    shown = reader_notebook(nb)
    for cell in shown.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert "text/plain" not in data  # … the report does not
            assert not any("widget" in mime for mime in data)
        if cell.cell_type == "code":
            assert cell.source == ""


def test_executed_notebook_is_reproducible_under_nbval_sanitising(report: dict) -> None:
    nb = nbformat.read(report["executed"], as_version=4)
    footer = (
        next(c for c in nb.cells if c.source.startswith("provenance_footer(")).outputs[0].data["text/html"]
    )
    config = nbval_sanitize_path().read_text(encoding="utf-8")
    again = footer_html(report["data"], "项目支出评价方案<2025>", "1.0", "2030-01-01T00:00:00")
    assert _nbval_sanitize(footer, config) == _nbval_sanitize(again, config)


def test_report_problems_lists_what_readers_would_miss(report: dict) -> None:
    problems = report_problems(report["executed"])
    text = "\n".join(problems)
    assert "标准错误输出" in text and "PBM-WARNING-TEXT" in text
    assert "直接显示了 DataFrame" in text and "交互控件" in text and "只有文本形式" in text
    assert all(p.startswith("第 ") for p in problems)
    executed = nbformat.read(report["executed"], as_version=4)
    table_cell = 1 + next(i for i, c in enumerate(executed.cells) if c.source.startswith("table("))
    assert not any(p.startswith(f"第 {table_cell} 个") for p in problems)


def test_nbval_replays_the_executed_notebook_with_the_sanitize_file(report: dict) -> None:
    """Real nbval, in a subprocess: a second run differs only where the sanitize file says."""
    replay = report["dir"] / "nbval"
    replay.mkdir(exist_ok=True)
    copy = replay / "report.ipynb"
    shutil.copy(report["executed"], copy)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-sanitize-with",
            str(nbval_sanitize_path()),
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(replay),
            str(copy),
        ],
        cwd=replay,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert re.search(r"\b\d+ passed\b", run.stdout)


def test_export_refuses_a_notebook_that_failed(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1/0")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")
    ]
    with pytest.raises(ReportExportError, match="第 1 个单元格"):
        notebook_to_html(nb, tmp_path / "x.html", title="失败")
    assert not (tmp_path / "x.html").exists()


def test_export_of_a_hand_made_notebook_drops_everything_a_reader_should_not_get(tmp_path: Path) -> None:
    """No kernel needed: outputs of every awkward kind, written as Jupyter would store them."""
    v4 = nbformat.v4
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    code = v4.new_code_cell(f"# {CODE_MARKER}")
    code.outputs = [
        v4.new_output("stream", name="stderr", text="UserWarning: PBM-WARNING-TEXT\n"),
        v4.new_output("stream", name="stdout", text="给读者的文字\n"),
        v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
                "text/plain": "IntSlider(value=3)",
            },
        ),
        v4.new_output(
            "display_data",
            data={
                "application/javascript": "document.title='PWNED'",
                "text/html": '<p>图表<script src="https://cdn.example/plotly.js"></script></p>',
                "text/plain": "<Plot>",
            },
        ),
        v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure size 700x380>"}),
        v4.new_output("execute_result", data={"text/plain": "Text(0.5, 1.0, 'x')"}, execution_count=3),
        v4.new_output("display_data", data={"text/markdown": "**加粗** 与 <b onclick=x()>粗</b>"}),
        v4.new_output(
            "display_data",
            data={"text/html": "<p>隔离</p>"},
            metadata={"text/html": {"isolated": True}},
        ),
    ]
    hidden = v4.new_code_cell("secret = 1")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [v4.new_output("stream", name="stdout", text="PBM-HIDDEN-TEXT")]
    cells = [
        v4.new_markdown_cell(
            "# 正文\n\n![远程图片](https://example.com/a.png) 与 [财政部](https://www.mof.gov.cn/)"
        ),
        code,
        hidden,
        v4.new_raw_cell("<script>alert('raw')</script>"),
    ]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    out = tmp_path / "deep" / "r.html"
    out.parent.mkdir()
    out.write_text("old report", encoding="utf-8")
    assert notebook_to_html(nb, out, title="测试<报告>", subtitle="2025年度", issuer="某市财政局") == out
    document = out.read_text(encoding="utf-8")
    assert "<script" not in document.lower() and "PWNED" not in document and "onclick" not in document
    assert "<iframe" not in document and "example.com" not in document and "cdn.example" not in document
    assert (
        CODE_MARKER not in document
        and "PBM-WARNING-TEXT" not in document
        and "PBM-HIDDEN-TEXT" not in document
    )
    assert "IntSlider" not in document and "<Plot>" not in document and "&lt;Figure" not in document
    assert "Text(0.5" not in document and "raw" not in document
    assert "<p>隔离</p>" in document  # an "isolated" output is shown inline, not in an iframe
    assert "给读者的文字" in document and "<p>图表</p>" in document and "<strong>加粗</strong>" in document
    assert f'src="data:image/png;base64,{png}"' in document
    assert (
        "<title>测试&lt;报告&gt;</title>" in document and "某市财政局" in document and "2025年度" in document
    )
    assert (
        '<a href="https://www.mof.gov.cn/" rel="noopener noreferrer">财政部</a>' in document
    )  # a link fetches nothing
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]
    assert out.stat().st_mode & 0o777 == 0o644  # a web server can read it


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    chromium = chromium_path()  # fails, never skips, without it
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(tmp)), "HOME": str(tmp)}
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_report_opens_in_headless_chromium_runs_nothing_and_renders(report: dict, tmp_path: Path) -> None:
    url = report["html"].resolve().as_uri()
    dom = _chromium(["--dump-dom", "--virtual-time-budget=3000", url], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f"<title>{TITLE}</title>" in dom.stdout  # no script changed the title ('PWNED')
    assert "PWNED</title>" not in dom.stdout and "<script" not in dom.stdout.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout

    shot = report["dir"] / "report.png"
    run = _chromium([f"--screenshot={shot}", "--window-size=1200,1600", url], tmp_path)
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1200, 1600)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, table and chart drawn, not a blank page
    keep = os.environ.get("PBM_REPORT_SCREENSHOT")
    if keep:  # for a person to look at: PBM_REPORT_SCREENSHOT=/tmp/report.png pytest tests/test_report.py
        shutil.copy(shot, keep)
        shutil.copy(report["html"], Path(keep).with_suffix(".html"))


def test_cjk_font_is_available_to_the_browser(tmp_path: Path) -> None:
    if shutil.which("fc-match") is None:
        pytest.fail("fc-match (Debian package fontconfig, installed with chromium) is required")
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(tmp_path))}
    out = subprocess.run(
        ["fc-match", "-f", "%{family}|%{file}", "Noto Sans CJK SC:lang=zh-cn"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert "Noto Sans CJK SC" in out.stdout and "NotoSansCJK" in out.stdout, out.stdout
