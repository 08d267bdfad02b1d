"""Report tables: escaped HTML with units, right-aligned numbers, colour chips, a number and a source.

Every header and cell is passed through :func:`html.escape`, so text from a workbook (a project
named ``<script>alert(1)</script>``) appears as text and never becomes markup.

Formats name how a column is shown (see :data:`FORMATS`), or are a callable that takes the column
as a Series and returns a Series of ``str``. Without a format, numeric columns are shown with
thousands separators (integers without decimals, other numbers with 2) and text as it is.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import PbmError
from . import style
from .fragment import HtmlFragment
from .numbering import next_number

Formatter = Callable[[pd.Series], pd.Series]

#: Format names accepted in ``formats``.
FORMATS: dict[str, Formatter] = {
    "wan": style.format_wan,
    "percent": style.format_percent,
    "percent_points": lambda s: style.format_percent(s, ratio=False),
    "score": style.format_score,
    "number": style.format_number,
    "integer": style.format_integer,
    "text": style.format_text,
    "grade": style.format_text,
    "light": style.format_text,
}
#: Formats whose cells are right-aligned.
NUMERIC_FORMATS = frozenset({"wan", "percent", "percent_points", "score", "number", "integer"})
#: Formats whose cells are colour chips.
CHIP_FORMATS = {
    "grade": (style.grade_label, style.grade_colour),
    "light": (style.light_label, style.light_colour),
}

_RIGHT = ' class="num" style="text-align:right"'


def _cell_attributes(right: bool, nowrap: bool) -> str:
    """Attributes of a body cell: numbers right-aligned (as :data:`_RIGHT`), labels kept on one line."""
    styles = ["text-align:right"] * right + ["white-space:nowrap"] * nowrap
    return (' class="num"' if right else "") + (f' style="{";".join(styles)}"' if styles else "")


def _default_format(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "text"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_numeric_dtype(column):
        return "number"
    return "text"


def _chip(text: str, colour: str) -> str:
    fg = style.text_colour_on(colour)
    return (
        f'<span class="pbm-chip" style="background:{colour};color:{fg};padding:0 0.5em;'
        f'border-radius:0.6em;white-space:nowrap">{html.escape(text)}</span>'
    )


def html_table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str | Formatter] | None = None,
    caption: str | None = None,
    source: str | None = None,
    *,
    number: int | None = None,
    index: bool = False,
    note: str | None = None,
    empty_text: str = "（无数据）",
    nowrap: Sequence[str] = (),
) -> str:
    """Render a DataFrame as an escaped HTML report table.

    Parameters
    ----------
    df : DataFrame
        The data; it is not changed.
    columns : dict, optional
        Column name → header text. When given, only these columns are shown, in this order;
        put units in the header ("预算数（万元）").
    formats : dict, optional
        Column name (as in ``df``) → a name from :data:`FORMATS` ("wan", "percent", "score",
        "number", "integer", "text", "grade", "light", "percent_points") or a callable
        ``Series -> Series of str``. "grade" and "light" draw colour chips with the label.
    caption : str, optional
        Table title; numbered "表N" automatically (see :mod:`pbm_lib.report.numbering`).
    source : str, optional
        Where the data come from; shown below the table as "数据来源：…".
    number : int, optional
        Use this table number instead of the next one.
    index : bool
        Show the index as the first column.
    note : str, optional
        A note shown below the table ("注：…").
    empty_text : str
        Shown in one row when ``df`` has no rows.
    nowrap : sequence of str
        Columns (names as in ``df``) whose cells are kept on one line: short labels such as
        "▲ 偏低" that a narrow column would break in two.

    Returns
    -------
    str
        ``<div class="pbm-table">`` with a ``<table>`` (caption inside) and the source/note lines.

    Raises
    ------
    PbmError
        If ``columns`` or ``formats`` name a column that ``df`` does not have, or a format is unknown.
    """
    if not isinstance(df, pd.DataFrame):
        raise PbmError(f"html_table 需要 pandas DataFrame，得到的是 {type(df).__name__}")
    data = df.reset_index() if index else df
    headers = {str(c): str(c) for c in data.columns} if columns is None else dict(columns)
    names = {str(c): c for c in data.columns}
    missing = [c for c in headers if c not in names]
    if missing:
        raise PbmError(f"表格中没有这些列：{'、'.join(missing)}；现有列：{'、'.join(names)}")
    formats = dict(formats or {})
    unknown = [c for c in formats if c not in names]
    if unknown:
        raise PbmError(f"formats 指定了表格中没有的列：{'、'.join(map(str, unknown))}")
    unknown = [c for c in nowrap if c not in headers]
    if unknown:
        raise PbmError(f"nowrap 指定了表格中没有显示的列：{'、'.join(map(str, unknown))}")

    body_columns: list[list[str]] = []
    right: list[bool] = []
    for key in headers:
        column = data[names[key]]
        fmt = formats.get(key, _default_format(column))
        if isinstance(fmt, str):
            if fmt not in FORMATS:
                raise PbmError(f"列“{key}”的格式“{fmt}”未知；可用：{'、'.join(FORMATS)}")
            texts = [html.escape(t) for t in FORMATS[fmt](column)]
            if fmt in CHIP_FORMATS:
                label, colour = CHIP_FORMATS[fmt]
                texts = [
                    _chip(label(raw) or raw, colour(raw)) if raw != style.MISSING else html.escape(raw)
                    for raw in style.format_text(column)
                ]
            right.append(fmt in NUMERIC_FORMATS)
        else:
            shown = fmt(column)
            texts = [html.escape(str(t)) for t in shown]
            right.append(pd.api.types.is_numeric_dtype(column))
        body_columns.append(texts)

    parts = ['<div class="pbm-table">', '<table class="pbm">']
    if caption is not None:
        n = next_number("table") if number is None else number
        parts.append(f'<caption><span class="pbm-no">表{n}</span> {html.escape(caption)}</caption>')
    head = "".join(
        f"<th{_RIGHT if r else ''}>{html.escape(text)}</th>"
        for text, r in zip(headers.values(), right, strict=True)
    )
    parts.append(f"<thead><tr>{head}</tr></thead>")
    parts.append("<tbody>")
    if len(data) == 0:
        parts.append(
            f'<tr><td class="pbm-empty" colspan="{max(len(headers), 1)}">{html.escape(empty_text)}</td></tr>'
        )
    attributes = [_cell_attributes(r, key in nowrap) for key, r in zip(headers, right, strict=True)]
    for row in zip(*body_columns, strict=True):
        cells = "".join(f"<td{a}>{cell}</td>" for cell, a in zip(row, attributes, strict=True))
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    if note:
        parts.append(f'<p class="pbm-note">注：{html.escape(note)}</p>')
    if source:
        parts.append(f'<p class="pbm-source">数据来源：{html.escape(source)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str | Formatter] | None = None,
    caption: str | None = None,
    source: str | None = None,
    **options: Any,
) -> HtmlFragment:
    """Like :func:`html_table`, but returns an object that Jupyter displays as the table.

    Use it as the last expression of a cell, or with ``IPython.display.display``.

    Returns
    -------
    HtmlFragment
    """
    markup = html_table(df, columns, formats, caption, source, **options)
    label = f"[表格：{caption}]" if caption else "[表格]"
    return HtmlFragment(markup, label)
