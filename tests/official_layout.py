"""A self-evaluation table written the way the official template prints it (财预〔2020〕10号 附件).

Test support, not product code: it stands for the sheets units actually publish, which differ from
:func:`pbm_lib.review.write_table_xlsx` in the ways that matter to a reader: merged label cells
(项目资金（万元）, 年度总体目标, 绩效指标), level-1 and level-2 names printed once across merged rows,
header notes such as 年度指标值（A）, no 资金类别 or 上级指标 column (指标性质 and 度量单位 only where
the province prints them), the money unit only
in the block label, the project name under 项目名称 and the title row reading 项目支出绩效自评表.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pbm_lib.review import SelfEvaluationTable

BUDGET = ("initial", "annual", "executed", "weight", "rate_reported", "score_reported")
BUDGET_HEADERS = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
INDICATORS = {"level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "direction": "指标性质",
              "unit": "度量单位", "target": "年度指标值（A）", "actual": "实际完成值（B）", "weight": "分值",
              "score_reported": "得分", "deviation_note": "偏差原因分析及改进措施"}
#: Columns some provinces add to the template (Sichuan prints 指标性质 and 度量单位); written only when used.
OPTIONAL = ("direction", "unit")


def _merge_runs(ws, column: int, first_row: int, values: list) -> None:
    """Write ``values`` down ``column``, printing each run of equal values once in a merged cell."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start] or values[start] is None:
            ws.cell(first_row + start, column, values[start])
            if i - start > 1:
                ws.merge_cells(start_row=first_row + start, end_row=first_row + i - 1,
                               start_column=column, end_column=column)
            start = i


def write_official_layout(table: SelfEvaluationTable, path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    meta = table.meta
    ws["A1"] = "项目支出绩效自评表"
    ws.merge_cells("A1:I1")
    ws["A2"] = f"（{meta.get('year')}年度）" if meta.get("year") else "（  年度）"
    ws.merge_cells("A2:I2")
    ws["A3"], ws["B3"] = "项目名称", meta.get("title")
    ws.merge_cells("B3:I3")
    ws["A4"], ws["B4"], ws["E4"], ws["F4"] = "主管部门", meta.get("department"), "实施单位", meta.get("unit")
    ws.merge_cells("B4:D4")
    ws.merge_cells("F4:I4")
    n = len(table.indicators)
    columns = [name for name in INDICATORS
               if name not in OPTIONAL or any(table.cell("indicators", i, name) is not None for i in range(n))]
    row = 5
    ws.cell(row, 1, f"项目资金（{meta.get('money_unit') or '万元'}）")
    for j, name in enumerate(BUDGET_HEADERS):
        ws.cell(row, 3 + j, name)
    for i in range(len(table.budget)):
        ws.cell(row + 1 + i, 2, table.cell("budget", i, "row"))
        for j, name in enumerate(BUDGET):
            ws.cell(row + 1 + i, 3 + j, table.cell("budget", i, name))
    ws.merge_cells(start_row=row, end_row=row + len(table.budget), start_column=1, end_column=1)
    row += len(table.budget) + 1
    ws.cell(row, 1, "年度总体目标")
    ws.cell(row, 2, "预期目标")
    ws.cell(row, 6, "实际完成情况")
    ws.cell(row + 1, 2, table.goals.get("expected"))
    ws.cell(row + 1, 6, table.goals.get("achieved"))
    for r in (row, row + 1):
        ws.merge_cells(start_row=r, end_row=r, start_column=2, end_column=5)
        ws.merge_cells(start_row=r, end_row=r, start_column=6, end_column=9)
    ws.merge_cells(start_row=row, end_row=row + 1, start_column=1, end_column=1)
    row += 2
    ws.cell(row, 1, "绩效指标")
    for j, name in enumerate(columns):
        ws.cell(row, 2 + j, INDICATORS[name])
    for j, name in enumerate(columns):
        values = [table.cell("indicators", i, name) for i in range(n)]
        if name in ("level1", "level2"):
            _merge_runs(ws, 2 + j, row + 1, values)
        else:
            for i, value in enumerate(values):
                cell = ws.cell(row + 1 + i, 2 + j, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    ws.merge_cells(start_row=row, end_row=row + n, start_column=1, end_column=1)
    row += n + 1
    ws.cell(row, 1, "总分")
    ws.cell(row, 2 + columns.index("weight"), 100)
    ws.cell(row, 2 + columns.index("score_reported"), table.unreadable.get(("table", 0, "total_reported"), table.total_reported))
    ws.cell(row + 1, 1, "自评等级")
    ws.cell(row + 1, 2, table.grade_reported)
    wb.save(path)
    return path
