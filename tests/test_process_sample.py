"""Every stage on the bundled sample year 示范市 2025, end to end: each outcome shows at least once.

The sample (pbm_lib/data/sample_2025.xlsx, built by pbm_lib.workbook.synth) is meant to exercise every
stage; these tests say which outcome each stage must show there, with the shipped default scheme.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pbm_lib.data import SAMPLE_WORKBOOK
from pbm_lib.process import STAGES, run_all
from pbm_lib.process.sections import LIGHTS, SANCTIONS
from pbm_lib.schemes import load_scheme
from pbm_lib.workbook import read_year

SCHEME = load_scheme()


@pytest.fixture(scope="module")
def year():
    return read_year(SAMPLE_WORKBOOK)


@pytest.fixture(scope="module")
def out(year):
    return run_all(year, SCHEME)


def shown(values) -> set:
    return set(pd.Series(values).dropna())


def test_every_stage_returns_its_tables(out, year):
    assert tuple(out) == STAGES
    for stage, tables in out.items():
        for name, frame in tables.items():
            assert isinstance(frame, pd.DataFrame), (stage, name)
    n_projects = len(year.projects)
    assert len(out["targets"]["projects"]) == n_projects
    assert len(out["evaluation"]["projects"]) == n_projects
    assert len(out["results"]["proposals"]) == n_projects
    assert len(out["monitoring"]["projection"]) == n_projects


def test_each_ex_ante_conclusion_and_a_missing_report(out):
    projects = out["ex_ante"]["projects"]
    assert shown(projects["conclusion"]) == {"予以支持", "调整完善后予以支持", "不予支持"}
    assert "缺少事前绩效评估报告" in shown(projects["flag"])
    assert projects["dispersed_dimensions"].max() > 0  # an expert far from the panel
    assert projects["economy_evidence"].notna().any()


def test_each_target_review_grade_and_consequence(out):
    review = out["targets"]["projects"]
    assert shown(review["grade"]) == {"优", "良", "中", "差"}
    assert shown(review["consequence"]) == {
        "直接进入预算安排",
        "协商完善后进入预算安排",
        "修改后重报",
        "不得进入预算安排",
        "不安排预算",
    }
    assert "未设置" in shown(out["targets"]["departments"]["status"])


def test_each_monitoring_light_and_sanction(out):
    monitoring = out["monitoring"]
    assert shown(monitoring["indicators"]["light"]) == set(LIGHTS)
    assert shown(monitoring["execution"]["light"]) == {"红灯", "黄灯", "绿灯"}  # execution has no blue band
    assert shown(monitoring["projects"]["light"]) >= {"红灯", "黄灯", "绿灯"}
    assert shown(monitoring["midyear"]["light"]) >= {"红灯", "黄灯", "绿灯"}
    assert shown(monitoring["sanctions"]["action"]) == set(SANCTIONS)
    assert monitoring["december"]["rush"].any() and not monitoring["december"]["rush"].all()
    assert monitoring["projection"]["warn"].any() and not monitoring["projection"]["warn"].all()


def test_each_grade_at_project_and_department_level(out):
    assert shown(out["evaluation"]["projects"]["final_grade"]) == {"优", "良", "中", "差"}
    assert shown(out["evaluation"]["projects"]["final_source"]) >= {
        "财政评价",
        "第三方评价",
        "规则复算",
        "单位自评",
    }
    assert len(shown(out["department"]["departments"]["department_grade"])) >= 3
    grades = out["government"]["grades"].set_index("grade")["n_projects"]
    assert all(grades[g] > 0 for g in ("优", "良", "中", "差"))


def test_each_budget_consequence(out):
    proposals = out["results"]["proposals"]
    assert shown(proposals["direction"]) >= {"优先保障", "据实保障", "按比例核减", "取消", "暂停安排"}
    consequences = "；".join(proposals["consequences"])
    assert "结余增长核减" in consequences and "收回结转资金" in consequences
    units = out["results"]["units"]
    assert units["savings"].sum() == pytest.approx(proposals["savings"].sum())
    assert (proposals["proposed"] <= proposals["base"] + 1e-9).all() and (proposals["proposed"] >= 0).all()


def test_each_audit_signal(out):
    signals = out["audit"]["signals"]
    assert shown(signals["signal"]) == {
        "self_above_rule",
        "self_above_external",
        "outputs_unspent",
        "copied_targets",
        "targets_too_low",
    }
    ranked = out["audit"]["projects"]["money_at_stake"].to_numpy()
    assert (ranked[:-1] >= ranked[1:]).all()


def test_city_level_covers_the_four_budgets_and_every_stage(out):
    budgets = out["government"]["budgets"]
    assert budgets["expenditure_rate"].notna().all() and len(budgets) == 4
    managed = out["government"]["managed"].set_index("stage")
    assert list(managed.index) == ["targets", "monitored", "evaluated", "ex_ante"]
    assert managed["money_share"].between(0, 1).all()
    assert managed.loc["ex_ante", "money_share"] < 1  # one new major project lacks its assessment
    special = out["government"]["special_categories"]
    assert (special.set_index("special_category").drop(index="无")["n_projects"] > 0).all()


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_runs_alone_and_agrees_with_run_all(stage, year, out):
    import importlib

    alone = importlib.import_module(f"pbm_lib.process.{stage}").run(year, SCHEME)
    assert set(alone) == set(out[stage])
    for name, frame in alone.items():
        pd.testing.assert_frame_equal(frame, out[stage][name], check_dtype=False, obj=f"{stage}.{name}")
