"""Target review: the five checks, points, grade and consequence; whole-department targets per unit."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import numpy as np
import pandas as pd
import pytest

from pbm_lib.process import targets
from pbm_lib.schemes import load_scheme

SCHEME = load_scheme()


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


PROJECTS = pd.DataFrame(
    {"project_id": ["P1", "P2"], "project_name": ["农村公路养护", "防汛物资储备"], "unit_id": ["104", "105"]}
)
# P1: 产出 数量/质量/时效 (no 成本), 效益, 满意度; weights 50/30/10 = 90; one qualitative row;
# one row without 取值依据; two continuing rows, the positive one set below last year's actual.
INDICATORS = pd.DataFrame(
    {
        "project_id": ["P1"] * 5,
        "seq": [1, 2, 3, 4, 5],
        "level1": ["产出指标", "产出指标", "产出指标", "效益指标", "满意度指标"],
        "level2": ["数量指标", "质量指标", "时效指标", "社会效益指标", "服务对象满意度指标"],
        "level3": ["养护里程", "优良路率", "修复时限", "通行条件", "群众满意度"],
        "direction": ["≥", "≥", "≤", "定性", "≥"],
        "target": ["≥100公里", "≥95%", "≤30天", "显著改善", "≥90%"],
        "measure_unit": ["公里", "%", "天", None, "%"],
        "basis": ["计划标准", None, "行业标准", "其他标准", "历史标准"],
        "weight": [20.0, 20.0, 10.0, 30.0, 10.0],
        "last_actual": ["120公里", None, "35天", None, None],
    }
)


def test_row_checks():
    rows = targets.indicator_checks(INDICATORS, SCHEME).set_index("seq")
    assert rows["quantified"].tolist() == [True, True, True, False, True]
    assert rows["has_basis"].tolist() == [True, False, True, True, True]
    assert rows["comparable"].tolist() == [True, False, True, False, False]
    assert rows["below_last"].tolist() == [True, False, False, False, False]  # ≤30 against 35 is stricter
    assert rows.loc[1, "last_value"] == 120


def test_reverse_target_above_last_year_is_set_too_low():
    laxer = INDICATORS.assign(last_actual=[None, None, "25天", None, None])
    assert targets.indicator_checks(laxer, SCHEME).set_index("seq").loc[3, "below_last"]


def test_last_year_in_another_unit_is_converted():
    converted = INDICATORS.assign(
        last_actual=["12万米", None, None, None, None],
        measure_unit=None,
        target=["≥100千米", "≥95%", "≤30天", "显著改善", "≥90%"],
    )
    row = targets.indicator_checks(converted, SCHEME).set_index("seq").loc[1]
    assert row["last_value"] == pytest.approx(120.0) and row["below_last"]


def test_points_grade_and_consequence_of_a_target_set():
    out = targets.review_targets(INDICATORS, PROJECTS, SCHEME).set_index("project_id")
    p1 = out.loc["P1"]
    assert p1["missing_categories"] == "产出/成本"
    assert p1["credit_categories"] == pytest.approx(5 / 6)
    assert p1["quantified_share"] == pytest.approx(0.8) and p1["credit_quantified"] == 1.0
    assert p1["weight_total"] == 90 and p1["weights_ok"] and p1["level1_ok"]
    assert p1["basis_share"] == pytest.approx(0.8)
    assert (p1["n_comparable"], p1["n_below_last"]) == (2, 1)
    # 30·5/6 + 20·1 + 20·1 + 15·0.8 + 15·(1 − 1/2) = 25 + 20 + 20 + 12 + 7.5
    assert p1["points"] == pytest.approx(84.5)
    assert (p1["grade"], p1["result"], p1["consequence"]) == ("良", "良", "协商完善后进入预算安排")


def test_no_targets_means_no_budget():
    p2 = targets.review_targets(INDICATORS, PROJECTS, SCHEME).set_index("project_id").loc["P2"]
    assert not p2["has_targets"] and p2["n_indicators"] == 0
    assert pd.isna(p2["grade"]) and p2["result"] == "无绩效目标"
    assert p2["consequence"] == "不安排预算"


def test_weights_that_miss_the_scheme_lose_points():
    wrong_level = INDICATORS.assign(weight=[30.0, 20.0, 10.0, 20.0, 10.0])  # 产出 60 / 效益 20, total 90
    p1 = targets.review_targets(wrong_level, PROJECTS, SCHEME).set_index("project_id").loc["P1"]
    assert p1["weights_ok"] and not p1["level1_ok"] and p1["credit_weights"] == 0.5
    wrong_total = INDICATORS.assign(weight=[30.0, 20.0, 10.0, 30.0, 10.0])
    p1 = targets.review_targets(wrong_total, PROJECTS, SCHEME).set_index("project_id").loc["P1"]
    assert not p1["weights_ok"] and p1["credit_weights"] == 0.0 and p1["points"] == pytest.approx(64.5)
    assert (p1["grade"], p1["consequence"]) == ("中", "修改后重报")


def test_a_poor_target_set_may_not_enter_the_budget():
    poor = INDICATORS.assign(
        target=["较多", "较高", "及时", "显著改善", "满意"],
        direction=None,
        basis=None,
        weight=[30.0, 20.0, 10.0, 30.0, 10.0],
    )
    p1 = targets.review_targets(poor, PROJECTS, SCHEME).set_index("project_id").loc["P1"]
    assert p1["quantified_share"] == 0 and p1["basis_share"] == 0
    assert p1["points"] == pytest.approx(25 + 15)  # categories and the vacuous last-year check only
    assert (p1["grade"], p1["consequence"]) == ("差", "不得进入预算安排")


def test_a_user_scheme_moves_the_grade_bands(tmp_path):
    stricter = user_scheme(
        tmp_path,
        """
        target_review:
          grades:
            - {grade: 优, min: 95}
            - {grade: 良, min: 85}
            - {grade: 中, min: 60}
            - {grade: 差, min: 0}
    """,
    )
    p1 = targets.review_targets(INDICATORS, PROJECTS, stricter).set_index("project_id").loc["P1"]
    assert p1["points"] == pytest.approx(84.5)
    assert (p1["grade"], p1["consequence"]) == ("中", "修改后重报")


def test_a_user_scheme_changes_the_required_categories(tmp_path):
    lenient = user_scheme(
        tmp_path,
        """
        target_review:
          required:
            产出指标: [数量, 质量, 时效]
    """,
    )
    p1 = targets.review_targets(INDICATORS, PROJECTS, lenient).set_index("project_id").loc["P1"]
    assert pd.isna(p1["missing_categories"]) and p1["points"] == pytest.approx(89.5)


def test_cost_as_a_level_one_category_covers_the_cost_requirement():
    with_cost = pd.concat(
        [
            INDICATORS,
            pd.DataFrame(
                {
                    "project_id": ["P1"],
                    "seq": [6],
                    "level1": ["成本指标"],
                    "level2": ["经济成本指标"],
                    "level3": ["单位成本"],
                    "direction": ["≤"],
                    "target": ["≤2万元"],
                    "measure_unit": ["万元"],
                    "basis": ["计划标准"],
                    "weight": [0.0],
                }
            ),
        ]
    )
    p1 = targets.review_targets(with_cost, PROJECTS, SCHEME).set_index("project_id").loc["P1"]
    assert pd.isna(p1["missing_categories"])


def test_issues_name_the_rows():
    issues = targets.indicator_issues(INDICATORS, SCHEME)
    assert issues[["seq", "issue"]].values.tolist() == [
        [1, "below_last_actual"],
        [2, "no_basis"],
        [4, "no_numeric_target"],
    ]
    assert issues.set_index("seq").loc[1, "message"] == "目标值低于上年实际完成值（目标设定偏低）"


def test_whole_department_targets_per_unit():
    units = pd.DataFrame({"unit_id": ["101", "102", "103"], "unit_name": ["教育局", "卫健委", "西山乡"]})
    dims = ["运行成本", "管理效率", "履职效能", "社会效应", "可持续发展能力", "服务对象满意度"]
    department_targets = pd.DataFrame({"unit_id": ["101"] * 6 + ["102"] * 2, "dimension": dims + dims[:2]})
    out = targets.department_target_presence(units, department_targets, SCHEME).set_index("unit_id")
    assert out["status"].to_dict() == {"101": "已设置", "102": "维度不全", "103": "未设置"}
    assert out.loc["102", "missing_dimensions"] == "履职效能、社会效应、可持续发展能力、服务对象满意度"
    assert out["n_targets"].tolist() == [6, 2, 0]


def _benchmarked_projects(lows: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four 社会保障 projects with one rate each; P0…P{lows-1} set theirs below the others' last year."""
    n = 4
    targets_text = ["≥90%"] * lows + ["≥99%"] * (n - lows)
    indicators = pd.DataFrame(
        {
            "project_id": [f"Q{i}" for i in range(n)],
            "seq": [1] * n,
            "level1": ["产出指标"] * n,
            "level2": ["时效指标"] * n,
            "level3": ["资金发放及时率"] * n,
            "direction": ["≥"] * n,
            "target": targets_text,
            "measure_unit": ["%"] * n,
            "basis": [None] * n,
            "weight": [90.0] * n,
            "last_actual": [None, "96%", "97%", "98%"],
        }
    )
    projects = pd.DataFrame(
        {
            "project_id": [f"Q{i}" for i in range(n)],
            "project_name": ["补助"] * n,
            "unit_id": ["106"] * n,
            "sector": ["社会保障和就业"] * n,
        }
    )
    return indicators, projects


def test_the_point_parts_add_up_to_the_points():
    indicators, projects = _benchmarked_projects()
    out = targets.review_targets(indicators, projects, SCHEME)
    parts = targets.point_parts(SCHEME)
    assert list(parts) == [*targets.CHECKS, "below_benchmark", "missing_core"]
    assert parts["below_benchmark"] < 0 and parts["missing_core"] < 0  # deductions: most points lost
    total = sum(out[f"points_{p}"] for p in parts)
    assert np.allclose(total, out["points"])
    q0 = out.set_index("project_id").loc["Q0"]
    assert q0["points_below_benchmark"] == -10.0 and q0["library_deduction"] == 10.0
    for check in targets.CHECKS:
        assert np.allclose(out[f"points_{check}"], out[f"credit_{check}"] * parts[check])
    # On the sample year, every project's parts add up to its points too.
    from pbm_lib.data import SAMPLE_WORKBOOK
    from pbm_lib.workbook import read_year

    review = targets.run(read_year(SAMPLE_WORKBOOK), SCHEME)["projects"]
    review = review[review["has_targets"]]
    assert (review["library_deduction"] > 0).any()
    assert np.allclose(sum(review[f"points_{p}"] for p in parts), review["points"])


def test_deductions_beyond_the_points_earned_are_cut_so_the_parts_still_add_up(tmp_path):
    harsh = user_scheme(
        tmp_path,
        """
        target_review:
          library:
            deduct: {below_benchmark: 100, missing_core: 10}
    """,
    )
    indicators, projects = _benchmarked_projects()
    q0 = targets.review_targets(indicators, projects, harsh).set_index("project_id").loc["Q0"]
    earned = sum(q0[f"points_{c}"] for c in targets.CHECKS)
    assert 0 < earned < 100
    assert q0["points"] == 0.0 and q0["points_below_benchmark"] == pytest.approx(-earned)
    assert q0["library_deduction"] == pytest.approx(earned) and q0["grade"] == "差"


def test_the_review_report_shows_the_benchmarks_and_points_that_add_up():
    from pbm_lib import reports

    inputs = reports.load_inputs("", 2025, "cz2020-10-self")
    tr = reports.target_review(inputs, "111")
    table = tr.points_table()
    parts = sum(table[f"points_{p}"] for p in tr.check_points)
    assert np.allclose(parts, table["points"]) and (table["points_below_benchmark"] < 0).any()
    shown = tr.benchmark_table()
    flagged = shown[shown["status"].str.startswith("▲")]
    assert len(flagged) >= 1 and flagged.index.tolist() == list(range(len(flagged)))  # flagged rows first
    row = shown.set_index("level3").loc["补助资金拨付及时率"]
    assert (row["target"], row["suggested"], row["stretch"], row["status"]) == ("≧95%", "97%", "97.2%", "▲ 偏低")
    assert row["scope"] == "2024年，社会保障和就业，3个项目"
    assert row["source"] == "社会保障和就业行业3个同类项目2024年实际完成值"
    assert "3 项目标值低于历史标准" in tr.library_text().html
    assert "低于同类项目历史标准" in tr.summary().html
    health = reports.target_review(inputs, "102")
    core = health.core_table().set_index("project_name")
    assert core.loc["基本公共卫生服务", "missing"] == "居民电子健康档案建档率、适龄儿童国家免疫规划疫苗接种率"
    missing = health.issues[health.issues["seq"] == 0]  # one row per missing core indicator, each named
    assert missing["level3"].tolist() == ["居民电子健康档案建档率", "适龄儿童国家免疫规划疫苗接种率"]
    assert "缺少本领域核心指标“适龄儿童国家免疫规划疫苗接种率”" in health.opinions().html
