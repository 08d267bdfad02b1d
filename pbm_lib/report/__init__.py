"""The report layer shared by every notebook: fonts, colours, number formats, tables, figures, footer, export.

A notebook uses it like this::

    from pbm_lib.report import setup_matplotlib, table, figure, provenance_footer

    setup_matplotlib()                       # once, first cell
    table(df, {"name": "项目名称", "budget": "预算数（万元）"}, {"budget": "wan"},
          caption="项目预算执行情况", source="2025年度部门决算")
    with figure("各项目得分", source="评价组评分") as (fig, ax):
        ax.bar(df["name"], df["score"])
    provenance_footer(data_path, scheme_id, scheme_version)   # last cell

and the batch publishes it with :func:`notebook_to_html`.
"""

from .figures import caption_figure, figure, figure_png, show_figure
from .fonts import CJK_FAMILY, font_path, setup_matplotlib
from .fragment import HtmlFragment
from .numbering import reset_numbering
from .offline import make_offline
from .provenance import (
    file_sha256,
    footer_html,
    nbval_sanitize_config,
    nbval_sanitize_path,
    provenance_footer,
    run_time_iso,
    write_nbval_sanitize,
)
from .style import (
    GRADE_COLOURS,
    GRADES,
    LIGHT_COLOURS,
    LIGHTS,
    MISSING,
    PALETTE,
    format_integer,
    format_number,
    format_percent,
    format_score,
    format_text,
    format_wan,
    grade_colour,
    light_colour,
)
from .tables import html_table, table

__all__ = [
    "CJK_FAMILY",
    "GRADES",
    "GRADE_COLOURS",
    "LIGHTS",
    "LIGHT_COLOURS",
    "MISSING",
    "PALETTE",
    "HtmlFragment",
    "ReportExportError",
    "caption_figure",
    "figure",
    "figure_png",
    "file_sha256",
    "font_path",
    "footer_html",
    "format_integer",
    "format_number",
    "format_percent",
    "format_score",
    "format_text",
    "format_wan",
    "grade_colour",
    "html_table",
    "light_colour",
    "make_offline",
    "nbval_sanitize_config",
    "nbval_sanitize_path",
    "notebook_to_html",
    "provenance_footer",
    "render_report",
    "report_problems",
    "reset_numbering",
    "run_time_iso",
    "setup_matplotlib",
    "show_figure",
    "table",
    "write_nbval_sanitize",
]

# The exporter pulls in nbconvert/nbformat (seconds of start-up in every fresh kernel); report
# notebooks never call it, so it is loaded on first use only.
_EXPORT_NAMES = {"ReportExportError", "notebook_to_html", "render_report", "report_problems"}


def __getattr__(name: str):
    if name in _EXPORT_NAMES:
        from . import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
