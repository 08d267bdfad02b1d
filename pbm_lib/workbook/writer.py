"""Write a year workbook in the layout the reader expects: blank template or filled (sample, synthetic).

Every sheet gets its Chinese headers (required ones marked in red), drop-down lists for coded
columns (from a 代码表 sheet), frozen headers, and the workbook opens with 填表说明 (instructions)
describing each sheet and column. Files are written to a temporary name and renamed, so a
reader never sees a half-written workbook.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..iorw import atomic_path
from . import schema
from .problems import column_letter

KIND_LABEL = {
    "id": "编码",
    "text": "文字",
    "code": "下拉选择",
    "money": "金额（万元）",
    "number": "数字",
    "int": "整数",
    "value": "指标值（可含 ≥ ≤ % 等）",
}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
OPTIONAL_FONT = Font(bold=True)
VALIDATION_ROWS = 2000  # drop-downs cover this many rows below the header in a blank template

INSTRUCTIONS = [
    "填表说明",
    "",
    "1. 本工作簿为一个预算年度的预算绩效管理数据，由财政局汇总各部门（单位）、乡镇、街道填报。",
    "2. 工作表名称和表头请勿修改；红色表头为必填列，黑色为选填列。可在表头上方保留标题行。",
    "3. 金额单位默认为万元（见「基本信息」的金额单位）；单元格中写明“元”或“万元”的按所写单位换算。",
    "4. 百分比可写 95 或 95%；全角数字、千分位逗号、首尾空格均可识别。",
    "5. 下拉列的可选值见「代码表」；“/”“—”表示不适用，不等于 0。",
    "6. 填写完成后运行：pbm validate 本文件.xlsx，按提示（文件 · 工作表 · 行 · 列）逐项修改。",
    "",
]


def _cell(ws, value, font=None, fill=None):
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    cell.alignment = Alignment(vertical="center", wrap_text=font is not None)
    return cell


def _text_cell(ws, text: str) -> WriteOnlyCell:
    """A cell holding text that openpyxl would otherwise store as a formula ("=100%" is a target, not a formula)."""
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    return cell


def _plain(value):
    """Cell value for openpyxl: None for missing, Python scalars otherwise."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _meta_table(meta: dict | None) -> pd.DataFrame:
    """The 基本信息 sheet as rows of (字段, 内容)."""
    meta = {"money_unit": "万元", **(meta or {})}
    return pd.DataFrame(
        {"field": list(schema.META_FIELDS), "value": [meta.get(name) for name in schema.META_FIELDS.values()]}
    )


def _code_columns() -> list[tuple[str, tuple[str, ...]]]:
    seen: dict[tuple[str, ...], str] = {}
    for sheet in schema.SHEETS:
        for column in sheet.columns:
            if column.kind == "code" and column.codes not in seen:
                seen[column.codes] = column.header
    return [(header, codes) for codes, header in seen.items()]


def write_workbook(
    path: str | Path, tables: dict[str, pd.DataFrame] | None = None, meta: dict | None = None
) -> Path:
    """Write a year workbook atomically.

    Parameters
    ----------
    path : str or Path
        Target ``.xlsx`` file; written via a temporary file in the same folder, then renamed.
    tables : dict of DataFrame, optional
        Rows per table, keyed by English table name with English column names (as
        :mod:`pbm_lib.workbook.schema` declares). Omitted tables are written with headers only.
    meta : dict, optional
        ``year``, ``jurisdiction``, ``money_unit``, ``reporter`` for the 基本信息 sheet.
    """
    path = Path(path)
    tables = {**(tables or {}), "meta": _meta_table(meta)}
    blank_template = all(len(t) == 0 for name, t in tables.items() if name != "meta")

    wb = Workbook(write_only=True)
    instructions = wb.create_sheet(schema.INSTRUCTIONS_TITLE)
    instructions.column_dimensions["A"].width = 18
    instructions.column_dimensions["B"].width = 22
    instructions.column_dimensions["C"].width = 16
    instructions.column_dimensions["D"].width = 8
    instructions.column_dimensions["E"].width = 80
    for line in INSTRUCTIONS:
        instructions.append([_cell(instructions, line, font=Font(bold=True)) if line == "填表说明" else line])
    instructions.append(
        [_cell(instructions, h, OPTIONAL_FONT, HEADER_FILL) for h in ("工作表", "列", "类型", "必填", "说明")]
    )
    for sheet in schema.SHEETS:
        instructions.append([sheet.title, "", "必备" if sheet.required else "选填", "", sheet.doc])
        for column in sheet.columns:
            note = column.doc
            if column.kind == "code":
                note = (note + "；" if note else "") + "可选：" + "、".join(column.codes)
            instructions.append(
                ["", column.header, KIND_LABEL[column.kind], "是" if column.required else "", note]
            )

    code_lists = _code_columns()
    code_range: dict[tuple[str, ...], str] = {}
    codes_ws = wb.create_sheet(schema.CODES_TITLE)
    longest = max(len(codes) for _, codes in code_lists)
    codes_ws.append([_cell(codes_ws, header, OPTIONAL_FONT, HEADER_FILL) for header, _ in code_lists])
    for i in range(longest):
        codes_ws.append([codes[i] if i < len(codes) else None for _, codes in code_lists])
    for j, (_, codes) in enumerate(code_lists):
        letter = column_letter(j)
        code_range[codes] = f"'{schema.CODES_TITLE}'!${letter}$2:${letter}${len(codes) + 1}"
        codes_ws.column_dimensions[letter].width = 16

    for sheet in schema.SHEETS:
        ws = wb.create_sheet(sheet.title)
        frame = tables.get(sheet.name)
        n_rows = 0 if frame is None else len(frame)
        last_row = max(n_rows, VALIDATION_ROWS if blank_template else 0) + 1
        for j, column in enumerate(sheet.columns):
            letter = column_letter(j)
            ws.column_dimensions[letter].width = max(10, min(40, 2.2 * len(column.header) + 4))
            if column.kind == "code" and last_row > 1:
                dv = DataValidation(type="list", formula1=f"={code_range[column.codes]}", allow_blank=True)
                dv.error = "请从下拉列表中选择：" + "、".join(column.codes)[:200]
                dv.errorTitle = column.header
                dv.showErrorMessage = True
                dv.add(f"{letter}2:{letter}{last_row}")
                ws.data_validations.append(dv)
        ws.freeze_panes = "A2"
        ws.append(
            [
                _cell(ws, c.header, REQUIRED_FONT if c.required else OPTIONAL_FONT, HEADER_FILL)
                for c in sheet.columns
            ]
        )
        if frame is not None and n_rows:
            columns = [
                frame[c.name] if c.name in frame.columns else pd.Series([None] * n_rows)
                for c in sheet.columns
            ]
            for values in zip(*(col.tolist() for col in columns), strict=True):
                ws.append(
                    [_text_cell(ws, v) if isinstance(v, str) and v[:1] == "=" else _plain(v) for v in values]
                )

    with atomic_path(path) as temp:
        wb.save(temp)
    return path


def write_csv_folder(path: str | Path, tables: dict[str, pd.DataFrame], meta: dict | None = None) -> Path:
    """Write the same content as :func:`write_workbook` as one ``<工作表名>.csv`` per sheet (UTF-8 with BOM)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    all_tables = {**tables, "meta": _meta_table(meta)}
    for sheet in schema.SHEETS:
        frame = all_tables.get(sheet.name, pd.DataFrame(columns=[c.name for c in sheet.columns]))
        out = pd.DataFrame(
            {c.header: frame[c.name] if c.name in frame.columns else None for c in sheet.columns}
        )
        with atomic_path(path / f"{sheet.title}.csv") as temp:
            out.to_csv(temp, index=False, encoding="utf-8-sig")
    return path
