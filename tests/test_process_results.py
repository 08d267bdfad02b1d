"""Results application: next year's budget per project and unit, savings, and the appraisal score."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pandas as pd
import pytest
from test_process_evaluation import make_year, stage_tables

from pbm_lib.process import results
from pbm_lib.schemes import load_scheme

SCHEME = load_scheme()


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


def test_proposals_per_grade_balance_and_carry_over(tmp_path):
    out = results.run(make_year(tmp_path), SCHEME)
    p = out["proposals"].set_index("project_id")
    # P001 优: protected; its balance grew 10 → 60, so 30 % of the increase is cut.
    assert (p.loc["P001", "direction"], p.loc["P001", "base"]) == ("优先保障", 520)
    assert p.loc["P001", "balance_increase"] == 50 and p.loc["P001", "balance_cut"] == pytest.approx(15)
    assert p.loc["P001", "proposed"] == pytest.approx(505)
    assert p.loc["P001", "consequences"] == "优先保障；结余增长核减"
    # P002 中 (财政评价 75): cut by 20 %; its unused carry-over (40 − 10) is recovered.
    assert p.loc["P002", "direction"] == "按比例核减" and p.loc["P002", "grade_cut"] == pytest.approx(32)
    assert p.loc["P002", "balance_cut"] == 0  # balance fell 20 → 15
    assert p.loc["P002", "carryover_recovered"] == 30
    assert p.loc["P002", "proposed"] == pytest.approx(128) and p.loc["P002", "savings"] == pytest.approx(62)
    assert p.loc["P002", "change_rate"] == pytest.approx(-0.2)
    assert p.loc["P002", "consequences"] == "按比例核减；收回结转资金"
    # P003 良, new: previous balance 0, none now.
    assert p.loc["P003", "direction"] == "据实保障" and p.loc["P003", "total_cut"] == 0
    units = out["units"].set_index("unit_id")
    assert units.loc["101", "savings"] == pytest.approx(15)
    assert units.loc["201", "base"] == 1160 and units.loc["201", "savings"] == pytest.approx(62)
    assert units.loc["201", "savings_rate"] == pytest.approx(62 / 1160)


def poor_year(tmp_path: Path, history: bool):
    tables = stage_tables()
    tables["evaluations"] = tables["evaluations"].assign(total=[75.0, 50.0])  # P003 第三方评价 50: 差
    if history:
        tables["history"] = pd.DataFrame(
            {
                "project_id": ["P003", "P003"],
                "year": [2023, 2024],
                "total": [82.0, 55.0],
                "grade": ["良", "良"],
            }
        )
    return make_year(tmp_path, tables)


def test_poor_grade_first_time_is_suspended_and_twice_in_a_row_is_cancelled(tmp_path):
    once = (
        results.run(poor_year(tmp_path / "a", False), SCHEME)["proposals"].set_index("project_id").loc["P003"]
    )
    assert (once["grade"], once["direction"], once["proposed"]) == ("差", "暂停安排", 0)
    assert pd.isna(once["previous_grade"])
    twice = (
        results.run(poor_year(tmp_path / "b", True), SCHEME)["proposals"].set_index("project_id").loc["P003"]
    )
    assert twice["previous_grade"] == "差"  # 55 regraded by the scheme's bands, not the printed 良
    assert (twice["direction"], twice["total_cut"], twice["savings"]) == ("取消", 1000, 1000)


def test_cut_rate_is_scheme_data(tmp_path):
    halving = user_scheme(tmp_path, "results:\n  grades:\n    中: {direction: 按比例核减, cut_rate: 0.5}\n")
    p = results.run(make_year(tmp_path), halving)["proposals"].set_index("project_id")
    assert p.loc["P002", "grade_cut"] == pytest.approx(80) and p.loc["P002", "proposed"] == pytest.approx(80)


def test_slow_execution_rule_and_initial_budget_base(tmp_path):
    slow = user_scheme(
        tmp_path,
        """
        results:
          base: initial
          slow_execution: {below: 0.8, share: 1.0}
    """,
    )
    p = results.run(make_year(tmp_path), slow)["proposals"].set_index("project_id")
    assert p.loc["P001", "base"] == 500  # 年初预算数
    assert p.loc["P003", "slow_cut"] == pytest.approx(1000 * (0.8 - 0.75))
    assert p.loc["P003", "consequences"] == "据实保障；执行缓慢核减"
    assert p.loc["P002", "slow_cut"] == pytest.approx(160 * (0.8 - 100 / 160))
    assert p.loc["P001", "slow_cut"] == 0


def test_cuts_never_exceed_the_base():
    scores = pd.DataFrame(
        {
            "project_id": ["P"],
            "project_name": ["x"],
            "unit_id": ["1"],
            "final_grade": ["中"],
            "final_source": ["规则复算"],
            "execution_rate": [0.5],
            "annual": [100.0],
            "initial": [100.0],
        }
    )
    projects = pd.DataFrame(
        {"project_id": ["P"], "new_or_continuing": ["延续"], "balance_prev": [0.0], "balance": [400.0]}
    )
    budget = pd.DataFrame(columns=["project_id", "fund_source", "annual", "executed"])
    row = results.budget_proposals(scores, projects, budget, SCHEME, 2025).iloc[0]
    assert row["grade_cut"] == 20 and row["balance_cut"] == pytest.approx(80)  # 120 capped to what is left
    assert row["total_cut"] == 100 and row["proposed"] == 0


def test_appraisal_score_weights_and_rank(tmp_path):
    out = results.run(make_year(tmp_path), SCHEME)["appraisal"].set_index("unit_id")
    edu = out.loc["101"]
    assert edu["department"] == pytest.approx(100 * 97 / 98)
    assert edu["execution"] == pytest.approx(100 * 500 / 520) and edu["process"] == pytest.approx(100)
    expected = (30 * 100 * 97 / 98 + 40 * (90 + 5000 / 520) + 15 * 100 * 500 / 520 + 15 * 100) / 100
    assert edu["appraisal_total"] == pytest.approx(expected)
    town = out.loc["201"]
    projects = (160 * 75 + 1000 * 85) / 1160
    process = 100 * (1 + 160 / 1160 + 1) / 3  # P003 has no monthly data
    assert town["process"] == pytest.approx(process)
    expected_town = (40 * projects + 15 * 100 * 850 / 1160 + 15 * process) / 70  # no department targets
    assert town["appraisal_total"] == pytest.approx(expected_town)
    assert out["rank"].to_dict() == {"101": 1, "201": 2}
    assert (edu["appraisal_grade"], town["appraisal_grade"]) == ("优", "中")
