"""Export of the indicator library to a workbook units fill their targets from (Chinese headers).

One sheet per table: 说明 (what the file is, its sources and versions), 共性框架 (the level-1/level-2
structure), 指标库 (every indicator with its definition, formula, unit, direction and 取值依据), and,
when given, 历史标准 and 成本标准. Written with openpyxl to a temporary file and renamed into place
(:func:`pbm_lib.iorw.atomic_path`), so a reader never sees a half-written workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..iorw import atomic_path
from .loader import COMMON, framework, library_files, systems

#: 指标库 sheet: library column → Chinese header.
INDICATOR_HEADERS = {
    "id": "指标编码",
    "sector": "行业体系",
    "field": "领域",
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "aliases": "常见名称（别名）",
    "unit": "计量单位",
    "direction": "指标方向",
    "kind": "指标类型",
    "core": "核心指标",
    "definition": "指标解释",
    "formula": "计算公式",
    "basis": "取值依据",
    "guidance": "取值说明",
    "source": "来源文件",
}
#: Chinese names of the indicator kinds.
KIND_NAMES = {
    "rate": "比率",
    "level": "水平值",
    "count": "数量",
    "amount": "金额",
    "unit_cost": "单位成本",
    "standard": "补助标准",
    "duration": "时限",
    "qualitative": "定性",
}
#: 历史标准 / 成本标准 sheets: column → Chinese header.
STANDARD_HEADERS = {
    "library_id": "指标编码",
    "name": "指标名称",
    "unit": "计量单位",
    "cost_unit": "成本单位",
    "direction": "指标方向",
    "group": "比较组",
    "sector": "行业领域",
    "size": "项目规模",
    "n_projects": "项目数",
    "n_values": "数值个数",
    "years": "数据年度",
    "min": "最小值",
    "p25": "下四分位数",
    "median": "中位数",
    "p75": "上四分位数",
    "max": "最大值",
    "mean": "平均值",
    "suggested": "建议目标值（中位数）",
    "stretch": "较高目标值",
    "enough": "样本充足",
}
INTRODUCTION = (
    "绩效指标库：共性绩效指标框架和分行业指标体系（pbm）。",
    "各单位设置项目绩效目标时，按一级、二级指标结构选取三级指标，按“取值依据”“取值说明”确定年度指标值；"
    "标注为核心指标的，同一领域的项目应当设置。",
    "取值依据分计划标准、行业标准、历史标准、其他标准（财预〔2021〕101号）；历史标准为同类项目实际完成值的分布，"
    "建议目标值取中位数，较高目标值取上四分位数（反向指标取下四分位数）。",
)


def _text(value: object) -> object:
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def indicator_table(library: pd.DataFrame) -> pd.DataFrame:
    """The library as the 指标库 sheet: Chinese headers, lists joined with 、, 是/否, kinds in Chinese."""
    table = library[list(INDICATOR_HEADERS)].copy()
    table["kind"] = table["kind"].map(KIND_NAMES)
    table["sector"] = table["sector"].where(table["sector"] != COMMON, "共性指标")
    for column in table.columns:
        table[column] = [_text(v) for v in table[column]]
    return table.rename(columns=INDICATOR_HEADERS)


def _standard_table(standards: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in STANDARD_HEADERS if c in standards.columns]
    table = standards[columns].copy()
    for column in table.columns:
        table[column] = [_text(v) for v in table[column]]
    return table.rename(columns=STANDARD_HEADERS)


def _write_sheet(workbook, title: str, table: pd.DataFrame, widths: Sequence[int] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet = workbook.create_sheet(title)
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False, name=None):
        sheet.append([_text(v) for v in row])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"
    if len(table.columns):
        sheet.auto_filter.ref = sheet.dimensions
    for i, column in enumerate(table.columns):
        letter = sheet.cell(row=1, column=i + 1).column_letter
        if widths is not None and i < len(widths):
            width = widths[i]
        else:
            longest = max(
                [len(str(column))] + [len(str(v)) for v in table[column].head(200) if v is not None]
            )
            width = min(50, max(8, 1.6 * longest))
        sheet.column_dimensions[letter].width = width


def write_library_xlsx(
    path: str | Path,
    library: pd.DataFrame,
    *,
    standards: pd.DataFrame | None = None,
    cost: pd.DataFrame | None = None,
) -> Path:
    """Write the library (and optionally its historical and unit-cost standards) to an .xlsx workbook.

    Parameters
    ----------
    path : str or Path
        The workbook to write; replaced atomically.
    library : DataFrame
        :func:`pbm_lib.library.load_library`, or a selection of its rows.
    standards, cost : DataFrame, optional
        :func:`pbm_lib.library.standards.history_standards` and :func:`~pbm_lib.library.standards.cost_standards`.

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook

    path = Path(path)
    workbook = Workbook()
    workbook.remove(workbook.active)
    intro = pd.DataFrame({"说明": list(INTRODUCTION)})
    files = pd.DataFrame({"说明": [f"来源文件：{'、'.join(library_files(library))}"]})
    info = systems(library)
    info = info[info["sector"].isin(set(library["sector"]))]
    listing = pd.DataFrame(
        {
            "说明": [
                f"{row.title}（{row.file}，第{row.version}版）：{row.n_indicators} 项指标，其中核心指标 {row.n_core} 项"
                for row in info.itertuples()
            ]
        }
    )
    _write_sheet(workbook, "说明", pd.concat([intro, files, listing], ignore_index=True), widths=[120])
    structure = framework(library).rename(columns={"level1": "一级指标", "level2": "二级指标"})
    _write_sheet(workbook, "共性框架", structure, widths=[16, 22])
    _write_sheet(workbook, "指标库", indicator_table(library))
    if standards is not None:
        _write_sheet(workbook, "历史标准", _standard_table(standards))
    if cost is not None:
        _write_sheet(workbook, "成本标准", _standard_table(cost))
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path
