"""Writing published tables (CSV and XLSX) atomically, with workbook text kept as text.

A name such as ``=HYPERLINK(...)`` or ``+cmd|...`` in the workbook must not become a formula in a
published spreadsheet: XLSX cells holding text are written as text, and CSV cells starting with
``= + - @`` (or a tab/carriage return) get a leading apostrophe, the usual spreadsheet convention.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..iorw import atomic_path, write_text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    if value != value:  # pandas NA
        return None
    return value


def csv_cell(value: Any) -> str:
    """A value as CSV text, defused when it would start a formula."""
    value = _plain(value)
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(path: str | Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """UTF-8 CSV with a BOM (so Excel reads the Chinese), written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return write_text(path, "\ufeff" + buffer.getvalue())


def write_xlsx(path: str | Path, sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> Path:
    """An XLSX file with one sheet per entry (bold frozen header, text kept as text), written atomically."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)  # streaming writer: several times faster for published tables
    bold = Font(bold=True)
    for title, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        plain_rows = [[_plain(v) for v in row] for row in rows]
        widths = [len(str(h)) for h in headers]
        for row in plain_rows:
            for c, value in enumerate(row[: len(widths)]):
                if isinstance(value, str):
                    widths[c] = max(widths[c], min(len(value), 60))
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = max(8, width * 1.6 + 2)
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=str(header))
            cell.data_type = "s"
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in plain_rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(cell)
            sheet.append(cells)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return Path(path)
