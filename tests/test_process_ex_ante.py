"""Ex-ante assessment: expert dispersion, aggregation, economy evidence, conclusion bands, missing reports."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import numpy as np
import pandas as pd
import pytest

from pbm_lib.process import ex_ante
from pbm_lib.schemes import load_scheme
from pbm_lib.workbook.schema import EX_ANTE_DIMENSIONS

SCHEME = load_scheme()


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


def ratings(project: str, experts: dict[str, float | list[float]]) -> pd.DataFrame:
    """Each expert gives one score to every dimension (or a list of five scores)."""
    rows = []
    for expert, score in experts.items():
        scores = score if isinstance(score, list) else [score] * len(EX_ANTE_DIMENSIONS)
        rows += [
            {"project_id": project, "expert": expert, "dimension": d, "score": float(s)}
            for d, s in zip(EX_ANTE_DIMENSIONS, scores, strict=True)
        ]
    return pd.DataFrame(rows)


def projects(*specs: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": [p for p, _, _ in specs],
            "project_name": [f"项目{p}" for p, _, _ in specs],
            "unit_id": "101",
            "new_or_continuing": [n for _, n, _ in specs],
            "major": [m for _, _, m in specs],
        }
    )


PANEL = ratings("X", {"甲": 90, "乙": 92, "丙": 60})


def test_expert_far_from_the_panel_median_is_flagged():
    out = ex_ante.expert_scores(PANEL, SCHEME)
    first = out[out["dimension"] == "立项必要性"].set_index("expert")
    assert first.loc["丙", "median"] == 90
    assert first.loc["丙", "deviation"] == -30
    assert first["outlier"].to_dict() == {"甲": False, "乙": False, "丙": True}


def test_dimension_statistics_and_dispersion():
    out = ex_ante.dimension_scores(PANEL, SCHEME).set_index("dimension")
    row = out.loc["立项必要性"]
    assert row["n_experts"] == 3
    assert row["mean"] == pytest.approx(242 / 3)
    assert row["std"] == pytest.approx(np.std([90, 92, 60]))
    assert row["cv"] == pytest.approx(np.std([90, 92, 60]) / (242 / 3))  # 0.181 > 0.15
    assert bool(row["dispersed"]) and row["n_outliers"] == 1
    assert row["score"] == pytest.approx(242 / 3)  # flagged experts stay in by default
    assert row["weight"] == 20


def test_conclusion_with_the_outlier_kept_then_excluded_by_a_user_scheme(tmp_path):
    frame = projects(("X", "新增", "是"))
    kept = ex_ante.assess(frame, PANEL, SCHEME).iloc[0]
    assert kept["score"] == pytest.approx(242 / 3)
    assert kept["conclusion"] == "调整完善后予以支持"
    assert kept["outlier_experts"] == "丙" and kept["dispersed_dimensions"] == 5
    strict = user_scheme(
        tmp_path,
        """
        ex_ante:
          dispersion:
            exclude_flagged: true
    """,
    )
    excluded = ex_ante.assess(frame, PANEL, strict).iloc[0]
    assert excluded["score"] == pytest.approx(91.0)
    assert excluded["conclusion"] == "予以支持"


@pytest.mark.parametrize(
    ("score", "conclusion"),
    [
        (100, "予以支持"),
        (90, "予以支持"),
        (89.995, "予以支持"),
        (89.994, "调整完善后予以支持"),
        (70, "调整完善后予以支持"),
        (69.99, "不予支持"),
        (0, "不予支持"),
    ],
)
def test_conclusion_bands_are_half_open_after_half_up_rounding(score, conclusion):
    panel = ratings("X", {"甲": score, "乙": score, "丙": score})
    assert ex_ante.assess(projects(("X", "新增", "是")), panel, SCHEME).iloc[0]["conclusion"] == conclusion


def test_weighted_score_uses_the_scheme_dimension_weights(tmp_path):
    panel = ratings("X", {e: [100, 50, 50, 50, 50] for e in ("甲", "乙", "丙")})
    assert ex_ante.assess(projects(("X", "新增", "是")), panel, SCHEME).iloc[0]["score"] == pytest.approx(
        60.0
    )
    heavy = user_scheme(
        tmp_path,
        """
        ex_ante:
          dimensions: {立项必要性: 60, 投入经济性: 10, 绩效目标合理性: 10, 实施方案可行性: 10, 筹资合规性: 10}
    """,
    )
    row = ex_ante.assess(projects(("X", "新增", "是")), panel, heavy).iloc[0]
    assert row["score"] == pytest.approx(80.0)
    assert row["conclusion"] == "调整完善后予以支持"


def test_missing_assessment_of_a_new_major_project_is_flagged_and_others_are_not_listed():
    frame = projects(("X", "新增", "是"), ("Y", "新增", "是"), ("Z", "延续", "是"), ("W", "新增", "否"))
    out = ex_ante.assess(frame, PANEL, SCHEME).set_index("project_id")
    assert list(out.index) == ["X", "Y"]
    assert out.loc["Y", "flag"] == "缺少事前绩效评估报告"
    assert pd.isna(out.loc["Y", "conclusion"]) and not out.loc["Y", "assessed"]
    assert pd.isna(out.loc["X", "flag"])


def test_too_few_experts_or_a_missing_dimension_gives_no_conclusion():
    two = ratings("X", {"甲": 95, "乙": 95})
    row = ex_ante.assess(projects(("X", "新增", "是")), two, SCHEME).iloc[0]
    assert row["flag"] == "评估专家人数不足" and pd.isna(row["conclusion"])
    partial = PANEL[PANEL["dimension"] != "筹资合规性"]
    row = ex_ante.assess(projects(("X", "新增", "是")), partial, SCHEME).iloc[0]
    assert row["flag"] == "事前评估维度不全" and pd.isna(row["score"])


CASH = pd.DataFrame(
    {"project_id": ["X", "X"], "year_index": [0, 1], "cost": [100.0, 0.0], "benefit": [0.0, 216.0]}
)
OPTIONS = pd.DataFrame(
    {
        "project_id": ["X", "X"],
        "alternative": ["方案A", "方案B（推荐）"],
        "cost": [100.0, 150.0],
        "effect": [10.0, 12.5],
    }
)


def test_cost_benefit_at_the_scheme_discount_rate():
    out = ex_ante.cost_benefit(CASH, SCHEME).iloc[0]
    assert out["pv_benefit"] == pytest.approx(200.0)  # 216 / 1.08
    assert out["pv_cost"] == pytest.approx(100.0)
    assert out["npv"] == pytest.approx(100.0)
    assert out["bcr"] == pytest.approx(2.0)
    assert out["bcr_points"] == 100  # BCR ≥ 2: the top band


def test_unit_cost_of_the_recommended_option_against_the_cheapest():
    out = ex_ante.unit_cost_evidence(OPTIONS, SCHEME).iloc[0]
    assert out["proposal"] == "方案B（推荐）"
    assert out["unit_cost"] == pytest.approx(12.0) and out["best_unit_cost"] == pytest.approx(10.0)
    assert out["efficiency"] == pytest.approx(10 / 12)
    assert out["frontier_status"] == "frontier"
    assert out["unit_cost_points"] == 80


def test_a_dominated_proposal_gets_the_lowest_unit_cost_points():
    options = pd.concat(
        [
            OPTIONS,
            pd.DataFrame({"project_id": ["X"], "alternative": ["方案C"], "cost": [120.0], "effect": [13.0]}),
        ],
        ignore_index=True,
    )
    out = ex_ante.unit_cost_evidence(options, SCHEME).iloc[0]
    assert out["frontier_status"] == "dominated"
    assert out["unit_cost_points"] == 40


def test_without_a_marked_option_the_first_listed_is_the_proposal():
    options = OPTIONS.assign(alternative=["方案A", "方案B"])
    assert ex_ante.unit_cost_evidence(options, SCHEME).iloc[0]["proposal"] == "方案A"


def test_economy_dimension_blends_the_experts_with_the_models():
    panel = ratings("X", {e: [90, 80, 90, 90, 90] for e in ("甲", "乙", "丙")})
    row = ex_ante.assess(projects(("X", "新增", "是")), panel, SCHEME, CASH, OPTIONS).iloc[0]
    assert row["economy_experts"] == pytest.approx(80.0)
    assert row["economy_evidence"] == pytest.approx(90.0)  # mean of BCR 100 and unit cost 80
    assert row["economy"] == pytest.approx(0.7 * 80 + 0.3 * 90)
    assert not row["economy_conflict"]
    assert row["score"] == pytest.approx((4 * 90 + 83) / 5)


def test_experts_far_from_the_models_are_reported_as_a_conflict(tmp_path):
    panel = ratings("X", {e: [90, 60, 90, 90, 90] for e in ("甲", "乙", "丙")})
    row = ex_ante.assess(projects(("X", "新增", "是")), panel, SCHEME, CASH, OPTIONS).iloc[0]
    assert row["economy_conflict"]  # |60 − 90| > 20
    only_experts = user_scheme(tmp_path, "ex_ante:\n  economy:\n    model_weight: 0\n")
    row = ex_ante.assess(projects(("X", "新增", "是")), panel, only_experts, CASH, OPTIONS).iloc[0]
    assert row["economy"] == pytest.approx(60.0)


def test_empty_optional_sheets_give_empty_tables():
    empty = pd.DataFrame(columns=["project_id", "year_index", "cost", "benefit"])
    assert ex_ante.cost_benefit(empty, SCHEME).empty
    assert ex_ante.unit_cost_evidence(pd.DataFrame(columns=OPTIONS.columns), SCHEME).empty
    out = ex_ante.assess(projects(("Y", "新增", "是")), PANEL.iloc[0:0], SCHEME)
    assert out.iloc[0]["flag"] == "缺少事前绩效评估报告"
