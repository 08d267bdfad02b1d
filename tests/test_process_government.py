"""City level: the four budgets, special categories, grade distribution, money under management per stage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_process_evaluation import make_year, stage_tables

from pbm_lib.process import government
from pbm_lib.schemes import load_scheme

SCHEME = load_scheme()


def test_four_budgets_execution_in_the_official_order():
    table = pd.DataFrame(
        {
            "budget_type": ["一般公共预算", "一般公共预算", "社会保险基金预算"],
            "flow": ["收入", "支出", "支出"],
            "budgeted": [150000.0, 320000.0, 1000.0],
            "final": [152000.0, 310000.0, 1030.0],
        }
    )
    money = pd.DataFrame(
        {
            "budget_type": ["一般公共预算", "一般公共预算"],
            "annual": [520.0, 160.0],
            "executed": [500.0, 100.0],
        }
    )
    out = government.four_budgets(table, money).set_index("budget_type")
    assert list(out.index) == ["一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算"]
    general = out.loc["一般公共预算"]
    assert general["revenue_rate"] == pytest.approx(152000 / 150000)
    assert general["expenditure_rate"] == pytest.approx(310000 / 320000)
    assert general["balance"] == pytest.approx(152000 - 310000)
    assert general["n_projects"] == 2 and general["project_annual"] == 680
    assert general["project_share"] == pytest.approx(680 / 320000)
    assert out.loc["社会保险基金预算", "expenditure_rate"] == pytest.approx(1.03)
    assert (
        np.isnan(out.loc["社会保险基金预算", "revenue_rate"]) and out.loc["政府性基金预算", "n_projects"] == 0
    )


def test_city_tables_of_a_small_year(tmp_path):
    out = government.run(make_year(tmp_path), SCHEME)
    stages = out["stages"].set_index("project_id")
    assert stages["targets"].all() and stages["evaluated"].all()
    assert stages["monitored"].to_dict() == {"P001": True, "P002": True, "P003": False}
    assert stages["ex_ante_required"].to_dict() == {"P001": False, "P002": False, "P003": True}
    assert not stages.loc["P003", "ex_ante"]
    managed = out["managed"].set_index("stage")
    total = 520 + 160 + 1000
    assert managed.loc["targets", "money_share"] == 1.0
    assert managed.loc["monitored", "money_share"] == pytest.approx(680 / total)
    assert managed.loc["ex_ante", "money_base"] == 1000 and managed.loc["ex_ante", "money_share"] == 0.0
    assert managed.loc["ex_ante", "label"] == "新增重大项目开展事前评估"
    grades = out["grades"].set_index("grade")
    assert grades["n_projects"].to_dict() == {"优": 1, "良": 1, "中": 1, "差": 0, "证据不足": 0, "未评价": 0}
    assert grades.loc["良", "money_share"] == pytest.approx(1000 / total)
    special = out["special_categories"].set_index("special_category")
    assert special.loc["政府债务", "n_projects"] == 1 and special.loc["政府债务", "n_良"] == 1
    assert special.loc["政府采购", "execution_rate"] == pytest.approx(500 / 520)
    assert special.loc["PPP", "n_projects"] == 0 and np.isnan(special.loc["PPP", "execution_rate"])
    assert special.loc["政府债务", "monitored_share"] == 0.0
    budgets = out["budgets"].set_index("budget_type")
    assert budgets.loc["政府性基金预算", "project_annual"] == 1000


def test_a_project_without_targets_lowers_the_managed_share(tmp_path):
    tables = stage_tables()
    tables["indicators"] = tables["indicators"][tables["indicators"]["project_id"] != "P002"]
    managed = government.run(make_year(tmp_path, tables), SCHEME)["managed"].set_index("stage")
    assert managed.loc["targets", "money_share"] == pytest.approx((520 + 1000) / 1680)
    assert managed.loc["targets", "n_projects"] == 2


def test_grade_distribution_follows_the_scheme_score_priority(tmp_path):
    path = tmp_path / "city.yaml"
    path.write_text(
        "id: city\nextends: cz2020-10-self\nresults:\n  score_priority: [self]\n", encoding="utf-8"
    )
    grades = government.run(make_year(tmp_path), load_scheme(path))["grades"].set_index("grade")
    assert grades["n_projects"].to_dict() == {"优": 3, "良": 0, "中": 0, "差": 0, "证据不足": 0, "未评价": 0}
