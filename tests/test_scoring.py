"""Goal-attainment scoring (pbm_lib.scoring): every rule and variant of rules.md §3.1–§3.7 and §4.6."""

from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbm_lib.data import SAMPLE_WORKBOOK
from pbm_lib.indicators import DIRECTIONS
from pbm_lib.schemes import SchemeError, load_scheme
from pbm_lib.scoring import (
    INSUFFICIENT,
    _quantitative,
    compare_evaluations,
    grade_intervals,
    grade_points,
    round_half_up,
    score_budget,
    score_indicators,
    score_levels,
    score_projects,
    score_totals,
)

SCHEME = load_scheme("cz2020-10-self")


def variant(**rules) -> object:
    """The default scheme with some scoring rules replaced (schemes are frozen: replace, never mutate)."""
    over = rules.pop("over_achievement", None)
    new_rules = dataclasses.replace(SCHEME.rules, **rules)
    if over:
        new_rules = dataclasses.replace(new_rules, over_achievement=dataclasses.replace(
            SCHEME.rules.over_achievement, **over))
    return dataclasses.replace(SCHEME, rules=new_rules)


def table(*rows: dict) -> pd.DataFrame:
    defaults = {"project_id": "P1", "level1": "产出指标", "level2": "数量指标", "weight": 10.0, "self_score": np.nan,
                "direction": None, "measure_unit": None, "deviation_note": None}
    records = [{**defaults, "level3": f"指标{i + 1}", **row} for i, row in enumerate(rows)]
    return pd.DataFrame(records)


def one(target, actual, weight=10.0, scheme=SCHEME, **extra) -> pd.Series:
    return score_indicators(table({"target": target, "actual": actual, "weight": weight, **extra}), scheme).iloc[0]


# ---------------------------------------------------------------------------------------------
# Quantitative rules (rules.md §3.4)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "actual", "expected", "met"),
    [
        ("≥95%", "95%", 10.0, True),  # exactly at target
        ("≥95%", "100%", 10.0, True),
        ("≥95%", "90%", 10 * 90 / 95, False),
        ("≥95%", "0%", 0.0, False),
        ("≥95%", "-5%", 0.0, False),  # negative actuals count as 0
        ("不低于90%", "0.95", 10.0, True),  # share against a percentage
        ("98%以上", "97%", 10 * 97 / 98, False),
        ("735", "700", 10 * 700 / 735, False),  # no operator: positive by default
        ("≧735人次", "735人次", 10.0, True),
    ],
)
def test_positive(target, actual, expected, met):
    row = one(target, actual)
    assert row["state"] == "measured"
    assert row["direction_rule"] in ("positive", "positive_strict")
    assert row["rule_score"] == pytest.approx(expected)
    assert bool(row["met"]) is met


def test_strict_operator_changes_only_met():
    at = one(">90%", "90%")
    assert at["rule_score"] == 10 and not at["met"]
    assert one(">90%", "91%")["met"]
    reverse_at = one("<5天", "5天")
    assert reverse_at["rule_score"] == 10 and not reverse_at["met"]
    assert one("<5天", "4天")["met"]


@pytest.mark.parametrize(("actual", "one_sided", "two_sided"), [
    ("100%", 10.0, 10.0), ("98%", 9.8, 9.8), ("102%", 10.0, 9.8), ("200%", 10.0, 0.0), ("0%", 0.0, 0.0)])
def test_equal_one_and_two_sided(actual, one_sided, two_sided):
    assert one("=100%", actual)["rule_score"] == pytest.approx(one_sided)
    assert one("═100%", actual, scheme=variant(equal="two_sided"))["rule_score"] == pytest.approx(two_sided)


@pytest.mark.parametrize(("actual", "r1", "r2"), [
    (30, 10.0, 10.0), (20, 10.0, 10.0), (45, 5.0, 10 * 30 / 45), (60, 0.0, 5.0), (90, 0.0, 10 * 30 / 90)])
def test_reverse_r1_and_r2(actual, r1, r2):
    assert one("≤30天", f"{actual}天")["rule_score"] == pytest.approx(r1)
    assert one("≤30天", f"{actual}天", scheme=variant(reverse="ratio"))["rule_score"] == pytest.approx(r2)


def test_reverse_with_converted_units():
    row = one("≤30天", "2个月")  # 60 days: R1 gives 0
    assert row["unit_status"] == "converted" and row["actual_value"] == 60 and row["rule_score"] == 0
    row = one("≤90万元", "855000元")
    assert row["actual_value"] == pytest.approx(85.5) and row["rule_score"] == 10


@pytest.mark.parametrize(("target", "actual", "expected", "met"), [
    ("=0", "0", 10.0, True), ("=0", "1", 0.0, False), ("≤0起", "0起", 10.0, True), ("≤0起", "2起", 0.0, False),
    ("≥0", "5", 10.0, True), ("≥0", "-1", 0.0, False)])
def test_zero_targets(target, actual, expected, met):
    row = one(target, actual)
    assert row["rule_score"] == expected and bool(row["met"]) is met
    assert bool(row["zero_target"]) is (target == "≥0" and actual == "5" or target == "≥0" and actual == "-1")


def test_zero_positive_target_without_score():
    row = one("≥0", "5", scheme=variant(zero_target="no_score"))
    assert row["state"] == "measured" and np.isnan(row["rule_score"])
    assert (row["score_lo"], row["score_hi"]) == (0.0, 10.0)


def test_negative_targets():
    assert one("≤-5%", "-6%")["rule_score"] == 10
    assert one("≤-5%", "-3%")["rule_score"] == 0  # pass/fail by default
    deduction = variant(negative_target="deduction", deduction_per_unit=0.3)
    assert one("≤-5%", "-3%", scheme=deduction)["rule_score"] == pytest.approx(10 - 0.3 * 2)
    assert one("≤-5%", "40%", scheme=deduction)["rule_score"] == 0
    with pytest.raises(SchemeError, match="negative_target"):
        one("≤-5%", "-3%", scheme=variant(negative_target=None))


@pytest.mark.parametrize(("target", "actual", "flagged"), [
    ("≥100", "130", True), ("≥100", "129.95", False), ("≥2200", "2859", False),  # case 10: 129.95 %
    ("≥60个", "105个", True), ("12次", "96次", True), ("=100%", "130%", True),
    ("≥0", "30", True), ("≥0", "29", False), ("≤10天", "30天", False)])
def test_over_achievement(target, actual, flagged):
    row = one(target, actual)
    assert bool(row["over_achieved"]) is flagged
    if flagged:
        assert row["rule_score"] == 10  # require_note: the score is unchanged


def test_over_achievement_deduction():
    scheme = variant(over_achievement={"policy": "deduct", "deduction_k": 0.5})
    assert one("≥100", "150", scheme=scheme)["rule_score"] == pytest.approx(10 * (1 - 0.5 * (1.5 - 1.3)))
    assert one("≥100", "120", scheme=scheme)["rule_score"] == 10
    assert one("≥100", "500", scheme=scheme)["rule_score"] == 0


@pytest.mark.parametrize(("mode", "expected"), [("none", 10 * 1254 / 1000 / 10), ("half_up_2", 1.25),
                                                 ("truncate_1", 1.2), ("integer", 1.0)])
def test_row_rounding(mode, expected):
    row = one("≥1000", "125.4", weight=10, scheme=variant(row_rounding=mode))
    assert row["rule_score"] == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# Qualitative bands (rules.md §3.5)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("actual", "reported", "inside", "rule"), [
    ("达成", 10, True, 10), ("达成", 8, True, 8),  # exactly 80 % is 达成
    ("达成", 7.99, False, 8), ("部分达成", 8, False, 8), ("部分达成", 6, True, 6),  # exactly 60 % is 部分达成
    ("部分达成", 7.9, True, 7.9), ("未达成", 6, False, 6), ("未达成", 0, True, 0), ("达成预期指标", 9, True, 9)])
def test_qualitative_band_edges(actual, reported, inside, rule):
    row = one("效果明显", actual, self_score=reported)
    assert row["kind"] == "qualitative" and row["state"] == "measured"
    assert bool(row["band_ok"]) is inside
    assert row["rule_score"] == pytest.approx(rule)


def test_qualitative_without_reported_score_is_a_band():
    row = one("及时", "及时")  # a short achievement word repeated: 达成
    assert row["level"] == "达成" and row["state"] == "measured"
    assert np.isnan(row["rule_score"])
    assert (row["band_lo"], row["band_hi"]) == (8.0, 10.0)
    assert (row["score_lo"], row["score_hi"]) == (8.0, 10.0)


# ---------------------------------------------------------------------------------------------
# Evidence states (rules.md §4.6)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "state", "reason"), [
    ({"target": "≥95%", "actual": "96%"}, "measured", None),
    ({"target": "≥266米", "actual": "≥266米"}, "claimed", "operator_in_actual"),
    ({"target": "严格执行相关制度规定", "actual": "严格执行相关制度规定"}, "claimed", "copies_target"),
    ({"target": "≥95%", "actual": None}, "missing", "no_actual"),
    ({"target": "≥95%", "actual": "/"}, "not_applicable", "na_marker"),
    ({"target": None, "actual": None, "weight": np.nan, "level3": None}, "not_applicable", "empty_row"),
    ({"target": None, "actual": None, "weight": np.nan}, "missing", "no_actual"),  # named row, cut off
    ({"target": "≤90万元", "actual": "完成"}, "unparseable", "non_numeric_actual"),
    ({"target": "≥300户", "actual": "300人"}, "unparseable", "unit_mismatch"),
    ({"target": "≤5%", "actual": "0.5"}, "unparseable", "unit_ambiguous"),
    ({"target": "效果明显", "actual": "还行"}, "unparseable", "unmapped_level"),
    ({"target": "效果明显", "actual": "95%"}, "unparseable", "numeric_actual"),
    ({"target": None, "actual": "100%"}, "unparseable", "no_target"),
    ({"target": "及时", "actual": "及时"}, "measured", None),
])
def test_evidence_states(row, state, reason):
    scored = score_indicators(table(row), SCHEME).iloc[0]
    assert scored["state"] == state
    assert (None if pd.isna(scored["reason"]) else scored["reason"]) == reason
    if state != "measured":
        assert np.isnan(scored["rule_score"])  # only measured rows get a rule score


def test_missing_evidence_is_never_zero_nor_full():
    rows = table({"target": "≥95%", "actual": "96%", "weight": 40},
                 {"target": "≥95%", "actual": None, "weight": 30},
                 {"target": "≥95%", "actual": "≥95%", "weight": 20})
    scored = score_indicators(rows, SCHEME)
    assert scored["score_lo"].tolist() == [40, 0, 0]
    assert scored["score_hi"].tolist() == [40, 30, 20]
    budget = score_budget(pd.DataFrame({"project_id": ["P1"], "annual": [100.0], "executed": [100.0]}), SCHEME)
    totals = score_totals(scored, budget, SCHEME).iloc[0]
    assert (totals["total_lo"], totals["total_hi"]) == (50, 100)
    assert np.isnan(totals["rule_total"])
    assert totals["grade"] == INSUFFICIENT and totals["grade_status"] == "insufficient_evidence"
    assert totals["evidence_share"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# Rounding and grades (rules.md §3.1, §3.3)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (89.995, 90.00), (89.994, 89.99), (89.999, 90.00), (1.005, 1.01), (2.675, 2.68), (0.125, 0.13),
    (-1.005, -1.01), (8.618304, 8.62), (2.1548, 2.15), (0.0, 0.0)])
def test_round_half_up(value, expected):
    assert round_half_up([value])[0] == expected


@given(st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False, allow_infinity=False))
def test_round_half_up_matches_decimal(d):
    expected = float(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert round_half_up([float(d)])[0] == expected


@pytest.mark.parametrize(("total", "grade"), [
    (100, "优"), (90, "优"), (89.995, "优"), (89.999, "优"), (89.994, "良"), (80, "良"), (79.995, "良"),
    (79.994, "中"), (60, "中"), (59.995, "中"), (59.994, "差"), (0, "差"), (100.004, "优"),
    (100.01, None), (-0.01, None), (np.nan, None)])
def test_grade_bands_half_open_after_rounding(total, grade):
    assert grade_points([total], SCHEME)[0] == grade


def test_grade_intervals():
    out = grade_intervals([91, 85, 10, np.nan, 95, 89.995], [95, 95, 20, 99, 110, 95], SCHEME,
                          [False, False, True, False, False, False])
    assert out["grade"].tolist() == ["优", INSUFFICIENT, None, None, None, "优"]
    assert out["grade_status"].tolist() == ["graded", "insufficient_evidence", "blank", "unknown", "out_of_range",
                                            "graded"]


# ---------------------------------------------------------------------------------------------
# Budget execution (rules.md §3.7)
# ---------------------------------------------------------------------------------------------


def test_budget_score_denominator_cap_and_gaps():
    budget = pd.DataFrame({"project_id": ["a", "b", "c", "d", "e"], "initial": [0.0, 100, 100, 100, np.nan],
                           "annual": [3.36, 250000, 80, 0, np.nan], "executed": [3.36, 215457.6, 100, 5, 1]})
    out = score_budget(budget, SCHEME)
    assert out["budget_score"].iloc[0] == pytest.approx(10)
    assert round_half_up(out["budget_score"])[1] == 8.62  # case 01: 10 × 215457.6/250000
    assert out["budget_score"].iloc[2] == 10 and out["over_budget"].iloc[2]  # capped at 1
    assert np.isnan(out["budget_score"].iloc[3]) and np.isnan(out["budget_score"].iloc[4])  # no budget: no score
    initial = dataclasses.replace(SCHEME, budget=dataclasses.replace(SCHEME.budget, denominator="initial"))
    out = score_budget(budget, initial)
    assert np.isnan(out["budget_score"].iloc[0])  # case 11: 年初 0
    assert out["budget_score"].iloc[2] == 10
    uncapped = dataclasses.replace(SCHEME, budget=dataclasses.replace(SCHEME.budget, cap=None))
    assert score_budget(budget, uncapped)["budget_score"].iloc[2] == pytest.approx(12.5)
    yunnan = load_scheme("yunnan-county-self")
    case08 = pd.DataFrame({"annual": [278.4449], "executed": [30.0]})
    assert round_half_up(score_budget(case08, yunnan)["budget_score"])[0] == 2.15
    own_weight = pd.DataFrame({"annual": [278.4449], "executed": [30.0], "weight": [20.0]})
    assert round_half_up(score_budget(own_weight, SCHEME)["budget_score"])[0] == 2.15


# ---------------------------------------------------------------------------------------------
# Levels, parents, totals (rules.md §3.3)
# ---------------------------------------------------------------------------------------------


def test_levels_and_totals_are_sums_of_parts():
    rows = table(
        {"level1": "产出指标(50分)", "level2": "数量指标", "target": "≥100人", "actual": "90人", "weight": 30,
         "self_score": 30},
        {"level1": "产出指标(50分)", "level2": "质量指标", "target": "=100%", "actual": "100%", "weight": 20,
         "self_score": 20},
        {"level1": "效益指标", "level2": "社会效益指标", "target": "显著提升", "actual": "达成", "weight": 30,
         "self_score": 27},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "target": "≥90%", "actual": "95%", "weight": 10,
         "self_score": 10},
    )
    scored = score_indicators(rows, SCHEME)
    level1 = score_levels(scored, SCHEME)
    assert level1["level1"].tolist() == ["产出指标", "效益指标", "满意度指标"]
    assert level1["weight"].tolist() == [50, 30, 10]
    assert level1["header_weight"].iloc[0] == 50 and np.isnan(level1["header_weight"].iloc[1])
    assert level1["scheme_weight"].tolist() == [50, 30, 10]
    assert level1["score_lo"].tolist() == pytest.approx([47, 27, 10])
    level2 = score_levels(scored, SCHEME, by=("level1", "level2"))
    assert len(level2) == 4 and level2["score_lo"].sum() == pytest.approx(level1["score_lo"].sum())
    budget = pd.DataFrame({"project_id": ["P1"], "annual": [100.0], "executed": [95.0]})
    totals = score_projects(rows, budget, SCHEME).iloc[0]
    assert totals["rule_total"] == pytest.approx(47 + 27 + 10 + 9.5)
    assert totals["reported_indicators"] == 87
    assert totals["grade"] == "优"
    assert totals["evidence_share"] == 1


def test_parent_rows_and_breakdowns_are_not_double_counted():
    rows = table(
        {"level3": "一、示范区建立", "target": "≧2000亩", "actual": "2000亩", "weight": np.nan, "self_score": 15},
        {"level3": "1、水稻", "target": "≧500亩", "actual": "500亩", "weight": np.nan, "self_score": 5,
         "parent": "一、示范区建立"},
        {"level3": "二、培训", "target": "≥10次", "actual": "10次", "weight": 10, "self_score": 10},
        {"level3": "其中：县级培训", "target": "≥4次", "actual": "4次", "weight": np.nan},
        {"level3": "1、乡级", "target": "≥6次", "actual": "6次", "weight": np.nan, "parent": "二、培训"},
    )
    scored = score_indicators(rows, SCHEME)
    assert scored["is_parent"].tolist() == [True, False, True, False, False]
    assert scored["counted"].tolist() == [False, True, True, False, False]


def test_rescaling_of_not_applicable_rows():
    rows = table({"target": "≥95%", "actual": "95%", "weight": 80}, {"target": "≥95%", "actual": "/", "weight": 10})
    budget = pd.DataFrame({"project_id": ["P1"], "annual": [100.0], "executed": [50.0]})
    plain = score_projects(rows, budget, SCHEME).iloc[0]
    assert (plain["total_lo"], plain["total_hi"]) == (85, 95)  # not applicable is a gap, not a zero
    rescaled = score_projects(rows, budget, variant(rescale_not_applicable=True)).iloc[0]
    assert rescaled["rule_total"] == pytest.approx(100 * 85 / 90)  # 按百分制折算


def test_blank_project_is_not_graded_and_unknown_weights_give_no_total():
    rows = table({"project_id": "blank", "target": "100", "actual": None, "weight": 60},
                 {"project_id": "blank", "target": "100", "actual": None, "weight": 30},
                 {"project_id": "noweight", "target": "≥5", "actual": "5", "weight": np.nan, "self_score": 5})
    totals = score_projects(rows, None, SCHEME).set_index("project_id")
    assert bool(totals.loc["blank", "blank"]) and totals.loc["blank", "grade"] is None
    assert totals.loc["blank", "grade_status"] == "blank"
    assert np.isnan(totals.loc["noweight", "total_lo"]) and totals.loc["noweight", "grade_status"] == "unknown"
    envelope = pd.DataFrame({"project_id": ["noweight"], "weight": [90.0]})
    bounded = score_totals(score_indicators(rows, SCHEME), None, SCHEME, envelope).set_index("project_id")
    assert (bounded.loc["noweight", "total_lo"], bounded.loc["noweight", "total_hi"]) == (0, 100)


def test_budget_table_must_have_one_row_per_project():
    from pbm_lib.scoring import ScoringError

    budget = pd.DataFrame({"project_id": ["P1", "P1"], "annual": [100.0, 50.0], "executed": [90.0, 50.0]})
    with pytest.raises(ScoringError, match="重复的项目编码"):
        score_projects(table({"target": "≥95%", "actual": "96%"}), budget, SCHEME)


def test_compare_evaluations():
    evaluations = pd.DataFrame({"project_id": ["A", "A", "B", "B"],
                                "evaluation_kind": ["财政评价", "第三方评价", "单位自评", "财政评价"],
                                "total": [85.0, 79.5, 92.0, 88.0]})
    self_totals = pd.DataFrame({"project_id": ["A", "B"], "self_total": [95.0, 99.0]})
    rule = pd.DataFrame({"project_id": ["A", "B"], "rule_total": [90.0, np.nan]})
    out = compare_evaluations(evaluations, SCHEME, self_totals, rule).set_index("project_id")
    assert out.loc["A", "self_total"] == 95 and out.loc["B", "self_total"] == 92  # the sheet's 单位自评 wins
    assert out.loc["A", "finance_minus_self"] == -10 and out.loc["A", "third_party_minus_finance"] == -5.5
    assert out.loc["B", "finance_minus_self"] == -4 and np.isnan(out.loc["B", "third_party_total"])
    assert out.loc["A", "self_minus_rule"] == 5
    assert (out.loc["A", "self_grade"], out.loc["A", "finance_grade"], out.loc["A", "third_party_grade"]) == (
        "优", "良", "中")


def test_whole_sample_year_scores():
    from pbm_lib.scoring import score_year
    from pbm_lib.workbook import read_year

    year = read_year(SAMPLE_WORKBOOK)
    result = score_year(year, SCHEME)
    scored, projects = result["indicators"], result["projects"]
    assert len(scored) == len(year.indicators)
    assert set(projects["project_id"]) == set(year.indicators["project_id"])
    measured = scored[scored["state"] == "measured"]
    assert measured["rule_score"].dropna().between(0, measured["weight"].max()).all()
    graded = projects[projects["grade_status"] == "graded"]
    assert len(graded) and graded["grade"].isin(["优", "良", "中", "差"]).all()
    assert (projects["total_lo"] <= projects["total_hi"] + 1e-9).all()
    assert {"self_total", "finance_total", "third_party_total", "finance_minus_self"} <= set(result["comparison"])


# ---------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------------

OPERATORS = ["≥", ">", "≤", "<", "=", ""]
row_strategy = st.fixed_dictionaries({
    "project_id": st.sampled_from(["A", "B", "C"]),
    "level1": st.sampled_from(["产出指标", "效益指标", "满意度指标"]),
    "operator": st.sampled_from(OPERATORS),
    "target": st.one_of(st.floats(min_value=-50, max_value=1e4, allow_nan=False), st.just(0.0)),
    "actual": st.one_of(st.floats(min_value=-50, max_value=3e4, allow_nan=False), st.none(),
                        st.sampled_from(["达成", "部分达成", "/"])),
    "weight": st.floats(min_value=0, max_value=40, allow_nan=False),
    "self_score": st.one_of(st.none(), st.floats(min_value=0, max_value=40, allow_nan=False)),
})


def build(rows) -> pd.DataFrame:
    return table(*[{
        "project_id": r["project_id"], "level1": r["level1"], "weight": r["weight"],
        "target": f"{r['operator']}{r['target']:.3f}" if isinstance(r["actual"], (float, type(None)))
        else "效果明显",
        "actual": r["actual"] if not isinstance(r["actual"], float) else f"{r['actual']:.3f}",
        "self_score": np.nan if r["self_score"] is None else min(r["self_score"], r["weight"]),
    } for r in rows])


@settings(max_examples=60, deadline=None)
@given(st.lists(row_strategy, min_size=1, max_size=25),
       st.sampled_from(["linear_2t", "ratio"]), st.sampled_from(["one_sided", "two_sided"]))
def test_scores_stay_within_weight_and_totals_are_sums(rows, reverse, equal):
    scheme = variant(reverse=reverse, equal=equal, negative_target="pass_fail")
    frame = build(rows)
    scored = score_indicators(frame, scheme)
    w = scored["weight"].to_numpy()
    rule = scored["rule_score"].to_numpy()
    has = ~np.isnan(rule)
    assert (rule[has] >= -1e-12).all() and (rule[has] <= w[has] + 1e-9).all()
    assert (scored["score_lo"] >= -1e-12).all() and (scored["score_lo"] <= scored["score_hi"] + 1e-12).all()
    assert (scored["score_hi"] <= scored["weight"] + 1e-9).all()
    totals = score_totals(scored, None, scheme).set_index("project_id")
    by_project = scored[scored["counted"]].groupby("project_id")[["score_lo", "score_hi", "weight"]].sum()
    levels = score_levels(scored, scheme).groupby("project_id")[["score_lo", "score_hi", "weight"]].sum()
    for pid in by_project.index:
        assert totals.loc[pid, "indicator_lo"] == pytest.approx(by_project.loc[pid, "score_lo"])
        assert totals.loc[pid, "indicator_hi"] == pytest.approx(by_project.loc[pid, "score_hi"])
        assert levels.loc[pid, "score_lo"] == pytest.approx(by_project.loc[pid, "score_lo"])
        assert levels.loc[pid, "weight"] == pytest.approx(by_project.loc[pid, "weight"])
        # no budget table: the budget row is an evidence gap of w_b = 10
        assert totals.loc[pid, "total_lo"] == pytest.approx(by_project.loc[pid, "score_lo"])
        assert totals.loc[pid, "total_hi"] == pytest.approx(by_project.loc[pid, "score_hi"] + 10)


@settings(max_examples=100, deadline=None)
@given(t=st.floats(min_value=0.01, max_value=1e5), a=st.floats(min_value=0, max_value=3e5),
       w=st.floats(min_value=0.5, max_value=50), reverse=st.sampled_from(["linear_2t", "ratio"]))
def test_vectorised_matches_the_written_formulas(t, a, w, reverse):
    t, a = round(t, 2) or 0.01, round(a, 2)
    scheme = variant(reverse=reverse)
    rows = table({"target": f"≥{t}", "actual": f"{a}", "weight": w},
                 {"target": f"≤{t}", "actual": f"{a}", "weight": w},
                 {"target": f"={t}", "actual": f"{a}", "weight": w})
    got = score_indicators(rows, scheme)["rule_score"].tolist()
    positive = w if a >= t else w * a / t
    if a <= t:
        rev = w
    else:
        rev = w * max(0.0, 2 - a / t) if reverse == "linear_2t" else w * t / a
    assert got == pytest.approx([positive, rev, positive], rel=1e-9, abs=1e-9)


def _share_by_the_rules(t: float, a: float, w: float, direction: str, rules) -> float:
    """One row's share of the weight, written the plain way (rules.md §3.4–§3.6), as the reference."""
    if math.isnan(t) or math.isnan(a):
        return math.nan
    reverse = direction in ("reverse", "reverse_strict")
    if t == 0 and (reverse or direction == "equal"):
        return float(a <= 0)
    if t == 0:
        return float(a >= 0) if rules.zero_target == "full_with_note" else math.nan
    if t < 0:
        if rules.negative_target == "pass_fail":
            met = {"positive": a >= t, "positive_strict": a > t, "reverse": a <= t, "reverse_strict": a < t,
                   "equal": abs(a - t) <= 1e-12 + 1e-12 * abs(t) if rules.equal == "two_sided" else a >= t}
            return float(met[direction])
        excess = max(0.0, a - t) if reverse else max(0.0, t - a)
        return max(0.0, w - rules.deduction_per_unit * excess) / w
    if reverse:
        share = 1.0 if a <= t else (max(0.0, 2 - a / t) if rules.reverse == "linear_2t" else t / a)
    elif direction == "equal" and rules.equal == "two_sided":
        share = max(0.0, 1 - abs(a - t) / t)
    else:
        share = 1.0 if a >= t else max(a, 0.0) / t
    policy = rules.over_achievement
    if policy.policy == "deduct" and not reverse and a / t >= policy.threshold - 1e-12:
        share = min(share, max(0.0, 1 - policy.deduction_k * (a / t - policy.threshold)))
    return share


_VALUES = st.one_of(st.floats(min_value=-100, max_value=1e6, allow_nan=False), st.sampled_from([0.0, -0.0, 1.0, 100.0]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_VALUES, _VALUES, st.sampled_from(["same", "next", "previous", "free"]),
                          st.sampled_from(["positive", "positive_strict", "reverse", "reverse_strict", "equal"])),
                min_size=1, max_size=30),
       st.sampled_from(["linear_2t", "ratio"]), st.sampled_from(["one_sided", "two_sided"]),
       st.sampled_from(["pass_fail", "deduction"]), st.sampled_from(["none", "deduct"]))
def test_quantitative_share_is_exactly_the_written_rule(rows, reverse, equal, negative, over):
    # The vectorised shares use min/max forms of the rules and per-direction overwrites: they must give
    # the very same doubles as the rules written row by row, actuals next to their target included.
    scheme = variant(reverse=reverse, equal=equal, negative_target=negative, deduction_per_unit=0.5,
                     over_achievement={"policy": over, "deduction_k": 1.0})
    t = np.asarray([r[0] for r in rows])
    step = {"same": 0.0, "next": np.inf, "previous": -np.inf}
    a = np.asarray([r[1] if r[2] == "free" else (np.nextafter(r[0], step[r[2]]) if r[2] != "same" else r[0])
                    for r in rows])
    direction = np.asarray([DIRECTIONS.index(r[3]) for r in rows])
    weight = np.full(len(rows), 10.0)
    got = _quantitative(t, a, direction, weight, np.ones(len(rows), dtype=bool), scheme)["share"]
    with np.errstate(over="ignore"):  # a tiny target: the quotient overflows to inf, as in the library
        expected = [_share_by_the_rules(ti, ai, 10.0, r[3], scheme.rules)
                    for ti, ai, r in zip(t, a, rows, strict=True)]
    for g, e, ti, ai in zip(got, expected, t, a, strict=True):
        assert g == e or (math.isnan(g) and math.isnan(e)), (ti, ai, g, e)
