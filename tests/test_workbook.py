"""The year workbook reader: valid input, messy-but-valid input, and deliberately broken workbooks.

Each broken workbook changes one thing in the tiny valid year and checks the exact location
(file · sheet · row · column) of the message the reader gives.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import TINY_META, tiny_tables

from pbm_lib.workbook import InputFileError, read_year, validate_year
from pbm_lib.workbook.writer import write_csv_folder, write_workbook


def edit(
    path: Path,
    sheet: str,
    cell: str | None = None,
    value: object = None,
    *,
    delete_sheet: bool = False,
    delete_column: int | None = None,
    append: list | None = None,
) -> Path:
    """Change one thing in a saved workbook, as a user would in Excel."""
    wb = openpyxl.load_workbook(path)
    if delete_sheet:
        del wb[sheet]
    elif delete_column is not None:
        wb[sheet].delete_cols(delete_column)
    elif append is not None:
        wb[sheet].append(append)
    else:
        wb[sheet][cell] = value
    wb.save(path)
    return path


def messages(path: Path, severity: str | None = None) -> list[str]:
    _data, problems = validate_year(path)
    return [str(p) for p in problems if severity is None or p.severity == severity]


def test_valid_tiny_year_reads_into_english_tables(tiny_workbook: Path) -> None:
    data = read_year(tiny_workbook)
    assert data.year == 2025
    assert data.jurisdiction == "测试县"
    assert list(data.projects["project_id"]) == ["P001", "P002", "P003"]
    assert data.projects.loc[2, "sector"] == "农林水"  # filled from the unit
    assert data.budget["annual"].sum() == pytest.approx(1640.0)
    assert data.indicators["weight"].tolist() == [50.0, 40.0, 90.0, 90.0]
    assert data.indicators["target"].tolist() == ["12000", "90%", "85%", "5000"]
    assert str(data.monthly["month"].dtype) == "Int64"
    totals = data.project_budget().set_index("project_id")
    assert totals.loc["P003", "annual"] == pytest.approx(1000.0)
    assert totals.loc["P002", "execution_rate"] == pytest.approx(0.75)
    assert len(data.sha256) == 64
    # The optional sheets exist as empty tables with their columns.
    assert list(data.ex_ante.columns) == ["project_id", "expert", "dimension", "score", "comment"]
    assert data.ex_ante.empty


def test_messy_but_valid_cells_are_understood(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "预算执行", "D2", "５２０")  # full-width digits
    edit(tiny_workbook, "预算执行", "E2", " 5,000,000元 ")  # 元 with separators and spaces → 500 万元
    edit(tiny_workbook, "预算执行", "C3", "120万元")
    edit(tiny_workbook, "绩效指标", "J2", "50 ")
    edit(tiny_workbook, "项目", "E2", "一般公共")  # alias of 一般公共预算
    edit(tiny_workbook, "项目", "F3", "")  # blank special category means 无
    edit(tiny_workbook, "项目", "H2", " 否")
    edit(tiny_workbook, "绩效指标", "F2", "≧")  # variant operator
    data = read_year(tiny_workbook)
    assert data.budget.loc[0, "annual"] == 520.0
    assert data.budget.loc[0, "executed"] == pytest.approx(500.0)
    assert data.budget.loc[1, "initial"] == 120.0
    assert data.projects.loc[0, "budget_type"] == "一般公共预算"
    assert data.projects.loc[1, "special_category"] == "无"
    assert data.projects.loc[0, "major"] == "否"
    assert data.indicators.loc[0, "direction"] == "≥"


def test_money_unit_yuan_converts_to_wanyuan(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["budget"] = tables["budget"].assign(annual=tables["budget"]["annual"] * 10000)
    path = write_workbook(tmp_path / "元.xlsx", tables, {**TINY_META, "money_unit": "元"})
    data = read_year(path)
    assert data.budget["annual"].tolist() == [520.0, 120.0, 800.0, 200.0]


def test_header_row_may_sit_below_a_title_line(tiny_workbook: Path) -> None:
    wb = openpyxl.load_workbook(tiny_workbook)
    wb["预算执行"].insert_rows(1)
    wb["预算执行"]["A1"] = "2025年度项目预算执行情况表"
    wb["预算执行"]["D3"] = "abc"  # data row 1 is now Excel row 3
    wb.save(tiny_workbook)
    assert (
        "测试县2025.xlsx · 预算执行 · 第3行 · 全年预算数（D列）: 「abc」不是数字；应为金额（万元），如 120.5"
        in messages(tiny_workbook)
    )


def test_csv_folder_reads_the_same_as_the_workbook(tmp_path: Path, tiny_workbook: Path) -> None:
    folder = write_csv_folder(tmp_path / "csv", tiny_tables(), TINY_META)
    from_csv = read_year(folder)
    from_xlsx = read_year(tiny_workbook)
    assert from_csv.year == from_xlsx.year
    for name, table in from_xlsx.tables.items():
        pd.testing.assert_frame_equal(from_csv.tables[name], table, check_dtype=False, obj=name)


def test_gbk_encoded_csv_is_understood(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path / "csv", tiny_tables(), TINY_META)
    units = folder / "单位.csv"
    units.write_bytes(units.read_text(encoding="utf-8-sig").encode("gbk"))
    assert read_year(folder).units.loc[1, "unit_name"] == "东湖镇人民政府"


# --- broken workbooks: (sheet, cell, value, exact message) -------------------------------------------------

F = "测试县2025.xlsx"
BROKEN_CELLS = [
    pytest.param(
        "预算执行",
        "D3",
        "一百二十",
        f"{F} · 预算执行 · 第3行 · 全年预算数（D列）: 「一百二十」不是数字；应为金额（万元），如 120.5",
        id="text-in-money",
    ),
    pytest.param(
        "预算执行",
        "D2",
        -520,
        f"{F} · 预算执行 · 第2行 · 全年预算数（D列）: 负数 -520；应不小于 0",
        id="negative-budget",
    ),
    pytest.param(
        "项目",
        "C3",
        "999",
        f"{F} · 项目 · 第3行 · 单位编码（C列）: 未知的单位编码「999」；应为「单位」工作表中已有的单位编码",
        id="unknown-unit",
    ),
    pytest.param(
        "项目",
        "A3",
        "P001",
        f"{F} · 项目 · 第3行 · 项目编码（A列）: 重复的项目编码「P001」，已在第2行出现；应唯一",
        id="duplicate-project",
    ),
    pytest.param(
        "绩效指标",
        "J3",
        "四十",
        f"{F} · 绩效指标 · 第3行 · 分值（J列）: 「四十」不是数字；应为数字，如 95 或 95%",
        id="weight-not-number",
    ),
    pytest.param(
        "月度执行",
        "B3",
        13,
        f"{F} · 月度执行 · 第3行 · 月份（B列）: 13 超出范围；应在 1–12 之间",
        id="month-13",
    ),
    pytest.param(
        "月度执行", "B2", 0, f"{F} · 月度执行 · 第2行 · 月份（B列）: 过小 0；应不小于 1", id="month-0"
    ),
    pytest.param(
        "月度执行",
        "B4",
        3.5,
        f"{F} · 月度执行 · 第4行 · 月份（B列）: 3.5 不是整数；应为1–12 的整数",
        id="month-fraction",
    ),
    pytest.param(
        "项目",
        "E4",
        "专项资金预算",
        f"{F} · 项目 · 第4行 · 预算类型（E列）: 「专项资金预算」不在代码表中；"
        "应为以下之一：一般公共预算、政府性基金预算、国有资本经营预算、社会保险基金预算",
        id="unknown-budget-type",
    ),
    pytest.param(
        "单位", "B3", None, f"{F} · 单位 · 第3行 · 单位名称（B列）: 必填项为空；应填文字", id="blank-required"
    ),
    pytest.param(
        "预算执行",
        "A5",
        "P404",
        f"{F} · 预算执行 · 第5行 · 项目编码（A列）: 未知的项目编码「P404」；应为「项目」工作表中已有的项目编码",
        id="budget-unknown-project",
    ),
    pytest.param(
        "预算执行",
        "B5",
        "当年财政拨款",
        f"{F} · 预算执行 · 第5行 · 资金来源（B列）: 重复的项目编码、资金来源「P003 / 当年财政拨款」，"
        "已在第4行出现；应唯一",
        id="duplicate-fund-source",
    ),
    pytest.param(
        "绩效指标",
        "G3",
        "较好",
        f"{F} · 绩效指标 · 第3行 · 目标值（G列）: 指标方向为「≥」但目标值「较好」没有数值；"
        "应填数值，如 95，或把方向改为 定性",
        id="quantitative-target-without-number",
    ),
    pytest.param(
        "绩效指标",
        "F2",
        "大于",
        f"{F} · 绩效指标 · 第2行 · 指标方向（F列）: 「大于」不在代码表中；应为以下之一：≥、>、≤、<、=、定性",
        id="unknown-direction",
    ),
    pytest.param(
        "绩效指标",
        "J4",
        120,
        f"{F} · 绩效指标 · 第4行 · 分值（J列）: 120 超出范围；应在 0–100 之间",
        id="weight-over-100",
    ),
    pytest.param(
        "基本信息",
        "B2",
        "二〇二五",
        f"{F} · 基本信息 · 第2行 · 内容（B列）: 年度「二〇二五」无效；应为四位年份，如 2025",
        id="bad-year",
    ),
    pytest.param(
        "指标月度进展",
        "B2",
        7,
        f"{F} · 指标月度进展 · 第2行 · 指标序号（B列）: 项目「P001」没有序号为 7 的绩效指标；"
        "应为「绩效指标」工作表中的指标序号",
        id="progress-unknown-indicator",
    ),
    pytest.param(
        "单位",
        "C2",
        "局",
        f"{F} · 单位 · 第2行 · 单位类型（C列）: 「局」不在代码表中；应为以下之一：部门、单位、乡镇、街道",
        id="unknown-unit-kind",
    ),
]


@pytest.mark.parametrize(("sheet", "cell", "value", "expected"), BROKEN_CELLS)
def test_broken_workbook_names_the_exact_cell(tiny_workbook: Path, sheet, cell, value, expected) -> None:
    edit(tiny_workbook, sheet, cell, value)
    data, problems = validate_year(tiny_workbook)
    assert data is None
    errors = [str(p) for p in problems if p.is_error]
    assert expected in errors, "\n".join(errors)
    with pytest.raises(InputFileError) as raised:
        read_year(tiny_workbook)
    assert expected in str(raised.value)


def test_missing_required_sheet(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "政府收支", delete_sheet=True)
    assert f"{F} · 政府收支: 缺少工作表「政府收支」；请按模板（pbm template）补齐" in messages(tiny_workbook)


def test_missing_required_column(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "项目", delete_column=2)  # 项目名称
    assert f"{F} · 项目 · 第1行 · 项目名称: 缺少必填列「项目名称」；应在表头行" in messages(tiny_workbook)


def test_not_an_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "坏文件.xlsx"
    path.write_text("这不是工作簿")
    (problem,) = validate_year(path)[1]
    assert problem.file == str(path) and problem.sheet is None
    assert "无法作为 Excel 工作簿打开" in problem.message


def test_missing_file(tmp_path: Path) -> None:
    (problem,) = validate_year(tmp_path / "没有.xlsx")[1]
    assert "文件不存在" in str(problem)


def test_every_problem_is_reported_at_once(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "预算执行", "D3", "abc")
    edit(tiny_workbook, "项目", "C3", "999")
    edit(tiny_workbook, "月度执行", "B3", 13)
    errors = messages(tiny_workbook, "错误")
    assert sorted(e.split(":")[0] for e in errors) == sorted(
        [
            f"{F} · 项目 · 第3行 · 单位编码（C列）",
            f"{F} · 预算执行 · 第3行 · 全年预算数（D列）",
            f"{F} · 月度执行 · 第3行 · 月份（B列）",
        ]
    )


# --- warnings: legal but suspicious data --------------------------------------------------------------------


def test_execution_above_150_percent_is_a_warning(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "预算执行", "E3", 200)  # 200 of 120
    data, problems = validate_year(tiny_workbook)
    assert data is not None  # a warning does not stop the year
    assert (
        f"{F} · 预算执行 · 第3行 · 全年执行数（E列）: 执行数为全年预算数的 167%，超过 150%；请核实是否漏记预算调整"
        in [str(p) for p in problems if p.severity == "警告"]
    )


def test_falling_cumulative_execution_is_a_warning(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "月度执行", "C3", 50)  # June cumulative below March's 100
    warnings = messages(tiny_workbook, "警告")
    assert f"{F} · 月度执行 · 第3行 · 累计执行数（C列）: 累计执行数比上月减少；累计数应逐月不减" in warnings


def test_project_without_targets_is_a_warning(tiny_workbook: Path) -> None:
    wb = openpyxl.load_workbook(tiny_workbook)
    wb["绩效指标"].delete_rows(4)  # P002's only indicator
    wb.save(tiny_workbook)
    assert (
        f"{F} · 项目 · 第3行 · 项目编码（A列）: 项目「P002」没有绩效目标（无绩效目标不安排预算）"
        in messages(tiny_workbook, "警告")
    )


def test_unknown_column_is_a_warning_not_an_error(tiny_workbook: Path) -> None:
    edit(tiny_workbook, "单位", "J1", "备注")
    data, problems = validate_year(tiny_workbook)
    assert data is not None
    assert f"{F} · 单位 · 第1行 · 备注: 不认识的列，已忽略" in [str(p) for p in problems]


def test_text_starting_with_equals_sign_is_kept_as_text(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["indicators"].loc[0, ["direction", "target"]] = ["=", "=100%"]
    path = write_workbook(tmp_path / "等于.xlsx", tables, TINY_META)
    data = read_year(path)
    assert data.indicators.loc[0, "target"] == "=100%"
    assert data.indicators.loc[0, "direction"] == "="
