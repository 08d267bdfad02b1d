"""Self-evaluation audit signals: inflation, outputs without spending, copied targets, low targets; ranking."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from test_process_evaluation import make_year, stage_tables

from pbm_lib.process import audit
from pbm_lib.schemes import load_scheme

SCHEME = load_scheme()


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


def audit_tables():
    """stage_tables with defects: P001 copies a target and set one target below last year's actual;
    P003 spent 30 % of its budget yet reports its output over-achieved (6600 against 5000)."""
    t = stage_tables()
    t["indicators"] = t["indicators"].assign(
        actual=["12500", "≥90%", "80%", "6600"], last_actual=["13000人", None, None, None]
    )
    budget = t["budget"].copy()
    budget.loc[budget["project_id"] == "P003", "executed"] = [240.0, 60.0]
    t["budget"] = budget
    return t


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    return make_year(tmp_path_factory.mktemp("audit"), audit_tables())


def signals_of(year, scheme=SCHEME):
    out = audit.run(year, scheme)["signals"]
    return {(p, s) for p, s in zip(out["project_id"], out["signal"], strict=True)}, out


def test_each_signal_on_a_small_year(year):
    found, table = signals_of(year)
    assert found == {
        ("P001", "copied_targets"),
        ("P002", "self_above_external"),  # self 91.25 (优) against 财政评价 75 (中)
        ("P003", "outputs_unspent"),  # 30 % spent, every output met
        ("P003", "self_above_external"),  # self 90 + 3 = 93 (优) against 第三方评价 85 (良)
    }
    detail = table.set_index(["project_id", "signal"])["detail"]
    assert detail[("P002", "self_above_external")] == "自评91.25分（优），财政评价75.00分（中）"
    assert detail[("P003", "outputs_unspent")] == "预算执行率30.0%，1项产出指标全部完成"
    assert detail[("P001", "copied_targets")] == "1项指标的实际完成值照抄目标值"


def test_ranked_by_money_at_stake(year):
    ranked = audit.run(year, SCHEME)["projects"]
    assert ranked["project_id"].tolist() == ["P003", "P001", "P002"]
    assert ranked["money_at_stake"].tolist() == [1000, 520, 160]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked.set_index("project_id").loc["P003", "unspent"] == 700


def test_low_targets_need_the_scheme_number_of_rows(year, tmp_path):
    # P001: one target below last year's actual; P003: one over-achieved row (6600 ≥ 1.3 · 5000).
    found, table = signals_of(year, user_scheme(tmp_path, "audit:\n  min_low_rows: 1\n"))
    assert ("P001", "targets_too_low") in found and ("P003", "targets_too_low") in found
    # The finding names only the kinds it found (no "0项…").
    detail = table.set_index(["project_id", "signal"])["detail"]
    assert detail[("P001", "targets_too_low")] == "1项目标值低于上年实际完成值"
    assert detail[("P003", "targets_too_low")] == "1项指标完成值达到目标值1.3倍以上"


def test_inflation_margins_are_scheme_data(year, tmp_path):
    lenient = user_scheme(tmp_path, "audit:\n  self_vs_external: 20\n  grade_jump: false\n")
    found, _ = signals_of(year, lenient)
    assert ("P002", "self_above_external") not in found
    jump_only = user_scheme(tmp_path, "audit:\n  self_vs_external: 20\n")
    found, _ = signals_of(year, jump_only)
    assert ("P002", "self_above_external") in found  # 优 against 中 is a grade jump


def test_self_score_above_the_rule_score(tmp_path):
    tables = stage_tables()
    tables["indicators"] = tables["indicators"].assign(self_score=[50.0, 40.0, 90.0, 90.0])  # P002 rule 84.7
    found, table = signals_of(make_year(tmp_path, tables))
    assert ("P002", "self_above_rule") in found
    detail = table.set_index(["project_id", "signal"])["detail"][("P002", "self_above_rule")]
    assert detail == "自评96.25分，规则复算最高90.96分，高出5.29分"


def test_low_targets_detail_names_both_kinds_when_both_are_found(tmp_path):
    # P003 over-achieves (6600 against 5000) and its target is below last year's actual (6000亩).
    tables = audit_tables()
    tables["indicators"] = tables["indicators"].assign(last_actual=["13000人", None, None, "6000亩"])
    _, table = signals_of(make_year(tmp_path, tables), user_scheme(tmp_path, "audit:\n  min_low_rows: 2\n"))
    detail = table.set_index(["project_id", "signal"])["detail"]
    assert detail[("P003", "targets_too_low")] == "1项指标完成值达到目标值1.3倍以上，1项目标值低于上年实际完成值"
    assert ("P001", "targets_too_low") not in detail.index  # one row: below the scheme's two
