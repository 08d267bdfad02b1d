"""Reading a small CSV of alternatives or units for the model commands, and printing tables.

Errors use the workbook's :class:`~pbm_lib.workbook.problems.Problem` so that a bad CSV is reported
like a bad workbook: ``文件 · 第N行 · 列名（X列）: what is wrong；what was expected``, every problem
collected and raised once as :class:`~pbm_lib.workbook.problems.InputFileError`. Row numbers are
the ones a spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..workbook.problems import ERROR, InputFileError, Problem
from ..workbook.reader import decode_csv
from ..workbook.values import is_blank, parse_numbers, text_series


def normalise_header(text: object) -> str:
    """NFKC, no spaces, lower-case: ``" Cost "`` → ``"cost"``, ``"成 本"`` → ``"成本"``."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def split_columns(text: str) -> list[str]:
    """``"a, b，c"`` → ``["a", "b", "c"]`` (full-width commas accepted)."""
    return [c.strip() for c in unicodedata.normalize("NFKC", text).split(",") if c.strip()]


@dataclass
class CsvTable:
    """A parsed CSV: names (first or named column), numeric columns, and the file row of each record."""

    path: str
    names: list[str]
    values: pd.DataFrame  # canonical column name → float
    rows: list[int]
    headers: dict[str, str]  # canonical column name → header as written
    letters: dict[str, int]  # canonical column name → 0-based column index

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        header = self.headers.get(column, column) if column else None
        return Problem(
            ERROR, self.path, None, row, header, message, self.letters.get(column) if column else None
        )


def read_csv_table(
    path: str | Path,
    *,
    numeric: Sequence[str],
    name: str | None = None,
    aliases: dict[str, str] | None = None,
    minimum: dict[str, float] | None = None,
    expected_example: str = "",
) -> CsvTable:
    """Read a CSV whose records are named alternatives or units with numeric columns.

    Parameters
    ----------
    path : str or Path
    numeric : sequence of str
        Canonical names of the required numeric columns (matched after :func:`normalise_header`
        and ``aliases``).
    name : str, optional
        Canonical name of the name column; ``None`` means the first column.
    aliases : dict, optional
        Normalised header → canonical name (e.g. ``"成本": "cost"``).
    minimum : dict, optional
        Canonical column → smallest allowed value (e.g. ``{"cost": 0}``).
    expected_example : str
        Shown when the header is wrong, e.g. ``"name,cost,effect"``.

    Raises
    ------
    InputFileError
        Missing or empty file, missing columns, no data rows, blank or duplicate names, blank or
        non-numeric cells, values below the minimum — every problem with its location.
    """
    path = Path(path)
    shown = str(path)
    aliases = aliases or {}
    minimum = minimum or {}
    if not path.is_file():
        what = "是文件夹，不是 CSV 文件" if path.is_dir() else "文件不存在"
        raise InputFileError([Problem(ERROR, shown, None, None, None, f"{what}；应为 CSV 文件的路径")], shown)
    records = list(csv.reader(decode_csv(path.read_bytes()).splitlines()))
    numbered = [(i + 1, r) for i, r in enumerate(records) if any((c or "").strip() for c in r)]
    if not numbered:
        raise InputFileError(
            [Problem(ERROR, shown, None, 1, None, f"文件为空；应有表头行（{expected_example}）和数据行")],
            shown,
        )
    header_row, header = numbered[0]
    canonical = [aliases.get(normalise_header(h), normalise_header(h)) for h in header]
    positions: dict[str, int] = {}
    for j, c in enumerate(canonical):
        positions.setdefault(c, j)
    name_key = name if name is not None else canonical[0]
    if name is None:
        positions[name_key] = 0
    headers = {c: header[j].strip() for c, j in positions.items()}
    problems: list[Problem] = []
    for j, c in enumerate(canonical):
        if c and positions[c] != j and c in [name_key, *numeric]:
            problems.append(
                Problem(
                    ERROR, shown, None, header_row, header[j].strip(), f"列名「{c}」重复；每列的名称应唯一", j
                )
            )
    missing = [c for c in [name_key, *numeric] if c not in positions]
    for c in missing:
        problems.append(
            Problem(
                ERROR,
                shown,
                None,
                header_row,
                c,
                f"缺少列「{c}」；表头应包含 {expected_example or ', '.join([name_key, *numeric])}"
                f"（文件中的列：{', '.join(h.strip() for h in header)}）",
            )
        )
    if problems:
        raise InputFileError(problems, shown)
    body = numbered[1:]
    if not body:
        raise InputFileError(
            [Problem(ERROR, shown, None, header_row + 1, None, "没有数据行；表头之后应至少有一行数据")], shown
        )
    rows = [r for r, _ in body]
    width = max(len(header), *(len(cells) for _, cells in body))
    grid = [list(cells) + [None] * (width - len(cells)) for _, cells in body]

    def column(key: str) -> pd.Series:
        j = positions[key]
        return pd.Series([cells[j] if cells[j] != "" else None for cells in grid], dtype=object)

    table = CsvTable(shown, [], pd.DataFrame(index=range(len(body))), rows, headers, dict(positions))
    names = text_series(column(name_key))
    seen: dict[str, int] = {}
    for k, value in enumerate(names.tolist()):
        if value is None:
            problems.append(table.problem(rows[k], name_key, "名称为空；每行应有唯一的名称"))
        elif value in seen:
            problems.append(
                table.problem(rows[k], name_key, f"重复的名称「{value}」，已在第{seen[value]}行出现；应唯一")
            )
        else:
            seen[value] = rows[k]
    for key in numeric:
        raw = column(key)
        values, bad = parse_numbers(raw)
        blank = is_blank(text_series(raw)).to_numpy() & ~bad.to_numpy()
        for k in np.flatnonzero(blank):
            problems.append(table.problem(rows[k], key, "必填项为空；应为数字，如 1234.5"))
        for k in np.flatnonzero(bad.to_numpy()):
            problems.append(
                table.problem(rows[k], key, f"「{str(raw.iloc[k]).strip()}」不是数字；应为数字，如 1234.5")
            )
        if key in minimum:
            low = minimum[key]
            for k in np.flatnonzero((values < low).to_numpy()):
                problems.append(
                    table.problem(rows[k], key, f"{values.iloc[k]:g} 小于 {low:g}；应不小于 {low:g}")
                )
        table.values[key] = values.to_numpy()
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column_index or 0))
        raise InputFileError(problems, shown)
    table.names = names.tolist()
    return table


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()) -> str:
    """A plain-text table aligned for Chinese and Latin text (wide characters count double)."""
    right = list(right) + [False] * (len(headers) - len(right))
    widths = [
        max(_width(str(h)), *(_width(str(r[j])) for r in rows)) if rows else _width(str(h))
        for j, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        out = []
        for j, cell in enumerate(cells):
            pad = " " * (widths[j] - _width(str(cell)))
            out.append(pad + str(cell) if right[j] else str(cell) + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def fmt(value: object, digits: int = 4) -> str:
    """A number for a table: thousands separators, up to ``digits`` decimals, ``—`` when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "—"
    number = float(value)
    text = f"{number:,.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def json_value(value: object):
    """A pandas/numpy scalar as a JSON-ready Python value; missing → None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value
