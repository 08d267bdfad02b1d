"""Project scores side by side with the final score, and the whole-department evaluation.

``stage_tables()`` is a small year (three projects, two units) whose every number is known by hand; the
government, results and audit tests use it too.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pandas as pd
import pytest
from conftest import TINY_META, tiny_tables

from pbm_lib.process import department, evaluation
from pbm_lib.schemes import load_scheme
from pbm_lib.workbook import read_year
from pbm_lib.workbook.writer import write_csv_folder

SCHEME = load_scheme()


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


def stage_tables() -> dict[str, pd.DataFrame]:
    """conftest's tiny year plus balances, a carry-over, evaluations, history and a department target.

    Rule totals (budget score 10·E/B plus the indicator rule scores):

    - P001 (教育局, 政府采购, 延续): indicators 50 + 40 = 90, budget 500/520 → 99.615 (优);
    - P002 (东湖镇, 延续): 90·80/85 = 84.706, budget (90 + 10)/(120 + 40) → 6.25, total 90.956;
      财政评价 75 (中); self total 85 + 6.25 = 91.25;
    - P003 (东湖镇, 政府债务, 新增重大, no ex-ante): 90 + 750/1000·10 = 97.5; 第三方评价 85 (良).
    """
    t = tiny_tables()
    t["projects"] = t["projects"].assign(
        balance_prev=[10.0, 20.0, None],
        balance=[60.0, 15.0, 0.0],
        start_year=[2024, 2024, 2025],
        end_year=[2026, 2026, 2027],
    )
    t["budget"] = pd.concat(
        [
            t["budget"],
            pd.DataFrame(
                {
                    "project_id": ["P002"],
                    "fund_source": ["上年结转"],
                    "initial": [40.0],
                    "annual": [40.0],
                    "executed": [10.0],
                }
            ),
        ],
        ignore_index=True,
    )
    t["monthly"] = t["monthly"].assign(executed_cum=[100.0, 250.0, 500.0, 40.0, 100.0])
    t["evaluations"] = pd.DataFrame(
        {"project_id": ["P002", "P003"], "evaluation_kind": ["财政评价", "第三方评价"], "total": [75.0, 85.0]}
    )
    t["department_targets"] = t["department_targets"].assign(actual=["97%"], self_score=[100.0])
    return t


def make_year(tmp_path: Path, tables: dict[str, pd.DataFrame] | None = None):
    folder = write_csv_folder(tmp_path / "year", tables if tables is not None else stage_tables(), TINY_META)
    return read_year(folder)


def test_final_score_follows_the_priority_of_sources(tmp_path):
    scores = evaluation.project_scores(make_year(tmp_path), SCHEME).set_index("project_id")
    assert scores.loc["P001", "rule_total"] == pytest.approx(90 + 10 * 500 / 520)
    assert scores.loc["P002", "rule_total"] == pytest.approx(90 * 80 / 85 + 10 * 100 / 160)
    assert scores.loc["P002", "self_total"] == pytest.approx(85 + 6.25)
    assert scores["final_source"].to_dict() == {"P001": "规则复算", "P002": "财政评价", "P003": "第三方评价"}
    assert scores["final_total"].tolist() == [pytest.approx(99.615, abs=1e-3), 75.0, 85.0]
    assert scores["final_grade"].to_dict() == {"P001": "优", "P002": "中", "P003": "良"}
    assert scores.loc["P002", "finance_grade"] == "中" and scores.loc["P003", "third_party_grade"] == "良"


def test_a_user_scheme_can_trust_the_self_evaluation_first(tmp_path):
    trusting = user_scheme(tmp_path, "results:\n  score_priority: [self, rule]\n")
    scores = evaluation.project_scores(make_year(tmp_path), trusting).set_index("project_id")
    assert scores["final_source"].tolist() == ["单位自评"] * 3
    assert scores.loc["P002", "final_grade"] == "优"


def test_a_project_without_indicators_is_not_evaluated(tmp_path):
    tables = stage_tables()
    tables["indicators"] = tables["indicators"][tables["indicators"]["project_id"] != "P001"]
    tables["progress"] = tables["progress"].iloc[0:0]
    scores = evaluation.project_scores(make_year(tmp_path, tables), SCHEME).set_index("project_id")
    assert scores.loc["P001", "final_source"] == "未评价" and pd.isna(scores.loc["P001", "final_grade"])


def test_rule_interval_graded_within_one_band_uses_its_midpoint(tmp_path):
    tables = stage_tables()
    tables["evaluations"] = tables["evaluations"].iloc[0:0]
    tables["indicators"] = tables["indicators"].assign(
        actual=["12500", None, "80%", "5200"]
    )  # P001 row 2 blank
    scores = evaluation.project_scores(make_year(tmp_path, tables), SCHEME).set_index("project_id")
    p1 = scores.loc["P001"]
    assert (p1["rule_lo"], p1["rule_hi"]) == (
        pytest.approx(59.615, abs=1e-3),
        pytest.approx(99.615, abs=1e-3),
    )
    assert p1["rule_grade"] == "证据不足"
    assert p1["final_source"] == "单位自评"  # the rule score is not a grade here; self is next in line


def test_whole_department_framework_and_project_roll_up(tmp_path):
    year = make_year(tmp_path)
    scores = evaluation.project_scores(year, SCHEME)
    out = department.evaluate_departments(year.units, year.department_targets, scores, SCHEME).set_index(
        "unit_id"
    )
    edu = out.loc["101"]
    assert edu["weights_ok"] and edu["n_targets"] == 1
    assert edu["framework_total"] == pytest.approx(100 * 97 / 98)
    assert edu["duty_performance"] == pytest.approx(100 * 97 / 98)
    assert edu["framework_grade"] == "优"
    assert edu["projects_total"] == pytest.approx(90 + 10 * 500 / 520)
    assert edu["department_total"] == pytest.approx((100 * 97 / 98 + 90 + 10 * 500 / 520) / 2)
    town = out.loc["201"]
    assert pd.isna(town["framework_total"]) and town["n_targets"] == 0
    assert town["projects_total"] == pytest.approx((160 * 75 + 1000 * 85) / 1160)
    assert town["department_total"] == pytest.approx(town["projects_total"])  # only one view available
    assert town["department_grade"] == "良"


def test_department_blend_and_roll_up_weight_are_scheme_data(tmp_path):
    year = make_year(tmp_path)
    scores = evaluation.project_scores(year, SCHEME)
    only_framework = user_scheme(tmp_path, "department:\n  blend: {framework: 1.0, projects: 0.0}\n")
    out = department.evaluate_departments(year.units, year.department_targets, scores, only_framework)
    assert out.set_index("unit_id").loc["101", "department_total"] == pytest.approx(100 * 97 / 98)
    by_spending = user_scheme(tmp_path, "department:\n  rollup_weight: executed\n")
    rollup = department.project_rollup(scores, by_spending).set_index("unit_id")
    assert rollup.loc["201", "projects_total"] == pytest.approx((100 * 75 + 750 * 85) / 850)


def test_department_weights_that_miss_the_total_are_rescaled_and_flagged():
    targets = pd.DataFrame(
        {
            "unit_id": ["101", "101"],
            "seq": [1, 2],
            "dimension": ["履职效能", "服务对象满意度"],
            "indicator": ["巩固率", "满意度"],
            "direction": ["≥", "≥"],
            "target": ["≥98%", "≥90%"],
            "weight": [40.0, 40.0],
            "actual": ["98%", "81%"],
        }
    )
    row = department.framework_scores(targets, SCHEME).iloc[0]
    assert not row["weights_ok"] and row["weight_total"] == 80
    assert row["framework_total"] == pytest.approx(100 * (40 + 36) / 80)
    assert row["satisfaction"] == pytest.approx(36.0)


def test_department_target_without_evidence_is_an_interval():
    targets = pd.DataFrame(
        {
            "unit_id": ["101", "101"],
            "seq": [1, 2],
            "dimension": ["履职效能", "管理效率"],
            "indicator": ["巩固率", "制度健全性"],
            "direction": ["≥", "定性"],
            "target": ["≥98%", "健全"],
            "weight": [50.0, 50.0],
            "actual": ["98%", None],
        }
    )
    row = department.framework_scores(targets, SCHEME).iloc[0]
    assert (row["framework_lo"], row["framework_hi"]) == (50.0, 100.0)
    assert row["framework_grade"] == "证据不足" and row["evidence_share"] == 0.5
