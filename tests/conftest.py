"""Shared fixtures: a tiny, hand-made valid year that tests can write and then break on purpose."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pbm_lib.workbook.writer import write_workbook

TINY_META = {"year": 2025, "jurisdiction": "测试县", "money_unit": "万元", "reporter": "测试县财政局"}


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Two units, three projects: small enough that every row number in a test is known by hand.

    Excel rows: data starts on row 2 of every sheet (row 1 is the header).
    """
    units = pd.DataFrame(
        {
            "unit_id": ["101", "201"],
            "unit_name": ["教育局", "东湖镇人民政府"],
            "unit_kind": ["部门", "乡镇"],
            "sector": ["教育", "农林水"],
            "staff": [40, 25],
        }
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P001", "P002", "P003"],
            "project_name": ["义务教育营养改善计划", "农村公路养护", "高标准农田建设"],
            "unit_id": ["101", "201", "201"],
            "project_kind": ["政策", "项目", "项目"],
            "budget_type": ["一般公共预算", "一般公共预算", "政府性基金预算"],
            "special_category": ["政府采购", "无", "政府债务"],
            "new_or_continuing": ["延续", "延续", "新增"],
            "major": ["否", "否", "是"],
        }
    )
    budget = pd.DataFrame(
        {
            "project_id": ["P001", "P002", "P003", "P003"],
            "fund_source": ["当年财政拨款", "当年财政拨款", "当年财政拨款", "其他资金"],
            "initial": [500.0, 120.0, 800.0, 200.0],
            "annual": [520.0, 120.0, 800.0, 200.0],
            "executed": [500.0, 90.0, 600.0, 150.0],
        }
    )
    monthly = pd.DataFrame(
        {
            "project_id": ["P001"] * 3 + ["P002"] * 2,
            "month": [3, 6, 12, 6, 12],
            "executed_cum": [100.0, 250.0, 500.0, 40.0, 90.0],
        }
    )
    indicators = pd.DataFrame(
        {
            "project_id": ["P001", "P001", "P002", "P003"],
            "seq": [1, 2, 1, 1],
            "level1": ["产出指标", "满意度指标", "产出指标", "产出指标"],
            "level2": ["数量指标", "服务对象满意度指标", "质量指标", "数量指标"],
            "level3": ["受益学生人数", "家长满意度", "道路优良率", "新建高标准农田面积"],
            "direction": ["≥", "≥", "≥", "≥"],
            "target": ["12000", "90%", "85%", "5000"],
            "measure_unit": ["人", "%", "%", "亩"],
            "basis": ["计划标准", "历史标准", "行业标准", "计划标准"],
            "weight": [50.0, 40.0, 90.0, 90.0],
            "actual": ["12500", "93%", "80%", "5200"],
            "self_score": [50.0, 40.0, 85.0, 90.0],
        }
    )
    progress = pd.DataFrame({"project_id": ["P001"], "seq": [1], "month": [6], "value": ["6100"]})
    government = pd.DataFrame(
        {
            "budget_type": ["一般公共预算", "一般公共预算"],
            "flow": ["收入", "支出"],
            "budgeted": [150000.0, 320000.0],
            "final": [152000.0, 310000.0],
        }
    )
    department_targets = pd.DataFrame(
        {
            "unit_id": ["101"],
            "seq": [1],
            "dimension": ["履职效能"],
            "indicator": ["义务教育巩固率"],
            "direction": ["≥"],
            "target": ["98%"],
            "weight": [100.0],
        }
    )
    return {
        "units": units,
        "projects": projects,
        "budget": budget,
        "monthly": monthly,
        "indicators": indicators,
        "progress": progress,
        "department_targets": department_targets,
        "government": government,
    }


@pytest.fixture
def tiny_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "测试县2025.xlsx"
    write_workbook(path, tiny_tables(), TINY_META)
    return path
