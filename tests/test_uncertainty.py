"""Uncertainty of a grade (pbm_lib.uncertainty): Monte Carlo of a project's total and grade (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbm_lib import uncertainty
from pbm_lib.data import SAMPLE_WORKBOOK
from pbm_lib.errors import ModelInputError, PbmError
from pbm_lib.schemes import load_scheme
from pbm_lib.scoring import INSUFFICIENT, score_indicators, score_projects
from pbm_lib.uncertainty import (
    GRADE_NONE,
    describe,
    describe_each,
    grade_distribution,
    grade_distributions,
    grade_labels,
)

SCHEME = load_scheme("cz2020-10-self")
FIXED = {"weight_concentration": None, "actual_cv": 0.0}  # no noise at all


def table(*rows: dict, project: str = "P1") -> pd.DataFrame:
    defaults = {
        "project_id": project,
        "level1": "产出指标",
        "level2": "数量指标",
        "weight": 10.0,
        "self_score": np.nan,
        "direction": None,
        "measure_unit": None,
        "deviation_note": None,
    }
    return pd.DataFrame([{**defaults, "level3": f"指标{i + 1}", **row} for i, row in enumerate(rows)])


def budget(executed: float = 100.0, project: str = "P1") -> pd.DataFrame:
    return pd.DataFrame(
        {"project_id": [project], "initial": [100.0], "annual": [100.0], "executed": [executed]}
    )


def mixed_project(project: str = "P1") -> pd.DataFrame:
    """Ten rows of every kind the scorer knows (positive, strict, reverse, equal, units, qualitative); 50/30/10."""
    return table(
        {"target": "≥95%", "actual": "93%"},
        {"target": "≥100人", "actual": "98人"},
        {"target": "≤30天", "actual": "33天"},  # reverse, over target
        {"target": "=100%", "actual": "100%"},
        {"target": "≤90万元", "actual": "850000元", "weight": 5.0},  # unit conversion 元 → 万元
        {"target": "≥90%", "actual": "0.91", "weight": 5.0},  # a share against a percentage
        {"level1": "效益指标", "target": "及时", "actual": "达成", "self_score": 9.0},
        {"level1": "效益指标", "target": "显著提升", "actual": "部分达成", "self_score": 7.0},
        {"level1": "效益指标", "target": ">80%", "actual": "85%"},
        {"level1": "满意度指标", "target": "≥90%", "actual": "92%"},
        project=project,
    )


def project_at(total: float) -> pd.DataFrame:
    """Weights 50/30/10 in ten rows; with a full budget score (10) the rule total is ``total`` ∈ [80, 90].

    Row 1 (10 points) measured 0 stays 0 under multiplicative noise; row 2 (10 points) is met at
    ``(total − 80)/10`` of its target and moves with the noise; the other rows are met with room to spare.
    """
    rows = [{"target": "≥100", "actual": "0"}, {"target": "≥100", "actual": f"{(total - 80.0) * 10:.6f}"}]
    rows += [{"target": "≥100", "actual": "150"} for _ in range(3)]
    rows += [{"level1": "效益指标", "target": "≥100", "actual": "150"} for _ in range(3)]
    rows += [{"level1": "满意度指标", "target": "≥100", "actual": "150", "weight": 5.0} for _ in range(2)]
    return table(*rows)


def deterministic(indicators: pd.DataFrame, budget_totals: pd.DataFrame | None) -> pd.Series:
    return score_projects(indicators, budget_totals, SCHEME).iloc[0]


# ---------------------------------------------------------------------------------------------
# No noise: the same answer as scoring.py
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicators", "budget_totals"),
    [
        (mixed_project(), budget(95.0)),
        (project_at(89.9), budget(100.0)),
        (project_at(90.0), budget(99.9)),  # 89.99: 良
        (mixed_project(), None),  # the budget row is an evidence gap of 10: 证据不足 or a grade
    ],
)
def test_zero_noise_is_a_point_mass_on_the_deterministic_grade(indicators, budget_totals):
    exact = deterministic(indicators, budget_totals)
    summary, draws = grade_distribution(
        indicators, budget_totals, SCHEME, draws=50, qualitative="interval", **FIXED
    )
    row = summary.iloc[0]
    assert exact["grade_status"] in ("graded", "insufficient_evidence")
    assert row["grade"] == exact["grade"] and row["probability"] == 1.0
    assert row[f"p_{exact['grade']}"] == 1.0 and row["probability_se"] == 0.0
    assert row["deterministic_grade"] == exact["grade"]
    assert np.allclose(draws.totals["total_lo"], exact["total_lo"], rtol=0, atol=1e-9)
    assert np.allclose(draws.totals["total_hi"], exact["total_hi"], rtol=0, atol=1e-9)
    scored = score_indicators(indicators, SCHEME)
    assert np.allclose(draws.score_lo, scored["score_lo"].to_numpy()[None, :], equal_nan=True)
    assert np.allclose(draws.actuals, scored["actual_value"].to_numpy()[None, :], equal_nan=True)


def test_zero_noise_with_an_evidence_gap_gives_insufficient_evidence_with_certainty():
    indicators = project_at(85.0)
    indicators.loc[0, "actual"] = (
        None  # the 10-point row measured 0 loses its evidence: [85, 95] straddles 90
    )
    exact = deterministic(indicators, budget(100.0))
    assert exact["grade"] == INSUFFICIENT
    summary, _ = grade_distribution(indicators, budget(100.0), SCHEME, draws=20, **FIXED)
    assert summary.loc[0, f"p_{INSUFFICIENT}"] == 1.0 and describe(summary) == "证据不足（概率 100%）"


def test_probabilities_sum_to_one_and_summary_columns():
    summary, draws = grade_distribution(mixed_project(), budget(90.0), SCHEME, draws=2_000, seed=3)
    p = summary[[f"p_{label}" for label in grade_labels(SCHEME)]].to_numpy()
    assert p.sum() == pytest.approx(1.0) and (p >= 0).all()
    assert grade_labels(SCHEME) == ("优", "良", "中", "差", INSUFFICIENT, GRADE_NONE)
    row = summary.iloc[0]
    assert row["draws"] == 2_000 == len(draws.totals)
    assert row["probability"] == max(p[0])
    assert row["total_p5"] <= row["total_p50"] <= row["total_p95"]
    assert row["total_lo_p5"] == row["total_p5"] and row["total_hi_p95"] == row["total_p95"]
    assert row["total_mean"] == pytest.approx(draws.totals["total"].mean())
    assert draws.weights.shape == draws.actuals.shape == draws.score_lo.shape == (2_000, 10)
    counts = draws.totals["grade"].value_counts(normalize=True)
    for grade, share in counts.items():
        assert row[f"p_{grade}"] == pytest.approx(share)


def test_a_project_at_89_9_is_split_between_good_and_excellent():
    indicators = project_at(89.9)  # 良, 0.1 below 优
    assert deterministic(indicators, budget(100.0))["rule_total"] == pytest.approx(89.9)
    summary, _ = grade_distribution(
        indicators, budget(100.0), SCHEME, draws=4_000, actual_cv=0.01, weight_concentration=5_000, seed=1
    )
    row = summary.iloc[0]
    assert 0.05 < row["p_优"] < 0.95 and 0.05 < row["p_良"] < 0.95
    assert row["p_优"] + row["p_良"] == pytest.approx(1.0)
    assert row["deterministic_grade"] == "良"
    assert 89.0 < row["total_p50"] < 90.5


def test_a_project_far_from_any_edge_keeps_its_grade():
    summary, _ = grade_distribution(project_at(85.0), budget(100.0), SCHEME, draws=1_000, actual_cv=0.02)
    assert summary.loc[0, "p_良"] == 1.0 and describe(summary) == "良（概率 100%）"


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------


def test_same_seed_same_draws_other_seed_other_draws():
    first = grade_distribution(mixed_project(), budget(90.0), SCHEME, draws=500, seed=7)
    again = grade_distribution(mixed_project(), budget(90.0), SCHEME, draws=500, seed=7)
    other = grade_distribution(mixed_project(), budget(90.0), SCHEME, draws=500, seed=8)
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1].totals, again[1].totals)
    assert np.array_equal(first[1].weights, again[1].weights)
    assert not np.array_equal(first[1].weights, other[1].weights)
    assert not np.allclose(first[1].totals["total"], other[1].totals["total"])


def test_turning_one_source_off_keeps_the_other_sources_draws():
    both = grade_distribution(mixed_project(), None, SCHEME, draws=200, seed=2)[1]
    weights_only = grade_distribution(mixed_project(), None, SCHEME, draws=200, seed=2, actual_cv=0.0)[1]
    actuals_only = grade_distribution(
        mixed_project(), None, SCHEME, draws=200, seed=2, weight_concentration=None
    )[1]
    assert np.array_equal(both.weights, weights_only.weights)
    assert np.allclose(both.actuals, actuals_only.actuals, equal_nan=True)


def test_chunks_do_not_change_the_result(monkeypatch):
    whole = grade_distribution(mixed_project(), budget(93.0), SCHEME, draws=60, seed=5)
    monkeypatch.setattr(uncertainty, "CHUNK_ROWS", 70)  # 7 draws per call of score_indicators
    chunked = grade_distribution(mixed_project(), budget(93.0), SCHEME, draws=60, seed=5)
    pd.testing.assert_frame_equal(whole[0], chunked[0])
    pd.testing.assert_frame_equal(whole[1].totals, chunked[1].totals)


def test_several_projects_match_one_at_a_time():
    indicators = pd.concat([mixed_project("A"), project_at(89.9).assign(project_id="B")], ignore_index=True)
    budgets = pd.concat([budget(90.0, "A"), budget(100.0, "B")], ignore_index=True)
    summary, draws = grade_distributions(indicators, budgets, SCHEME, draws=300, seed=4)
    assert list(summary["project_id"]) == ["A", "B"] and set(draws) == {"A", "B"}
    alone, alone_draws = grade_distribution(
        project_at(89.9).assign(project_id="B"), budgets, SCHEME, draws=300, seed=4
    )
    pd.testing.assert_frame_equal(summary.iloc[[1]].reset_index(drop=True), alone)
    pd.testing.assert_frame_equal(draws["B"].totals, alone_draws.totals)
    assert list(draws["B"].rows) == list(range(10, 20))
    texts = describe_each(summary)
    assert list(texts.index) == ["A", "B"] and texts["B"] == describe(alone)


# ---------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------


def test_dirichlet_weights_keep_each_level1_block_total():
    _, draws = grade_distribution(
        mixed_project(), budget(), SCHEME, draws=3_000, weight_concentration=50, seed=9
    )
    block = draws.block
    assert set(block) == {"产出指标", "效益指标", "满意度指标"}
    for name, total in {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0}.items():
        assert np.allclose(draws.weights[:, block == name].sum(axis=1), total, rtol=0, atol=1e-9)
    assert np.all(draws.weights[:, block == "满意度指标"] == 10.0)  # a one-row block cannot move
    assert (draws.weights > 0).all()
    # Dirichlet(κ·p): mean p, variance p(1 − p)/(κ + 1)
    share = draws.weights[:, 0] / 50.0
    assert share.mean() == pytest.approx(0.2, abs=0.005)
    assert share.var() == pytest.approx(0.2 * 0.8 / 51, rel=0.1)


def test_indicator_block_moves_weight_between_categories_but_keeps_90():
    _, draws = grade_distribution(mixed_project(), budget(), SCHEME, draws=500, weight_blocks="indicators")
    assert np.allclose(draws.weights.sum(axis=1), 90.0, atol=1e-9)
    assert draws.weights[:, 9].std() > 0  # the lone 满意度 row now moves
    assert set(draws.block) == {"indicators"}
    assert (draws.totals["budget_score"] == 10.0).all()  # the budget weight is never perturbed


def test_larger_concentration_keeps_weights_closer_to_the_printed_ones():
    spread = []
    for kappa in (10, 100, 10_000):
        _, draws = grade_distribution(
            mixed_project(), budget(), SCHEME, draws=2_000, weight_concentration=kappa, actual_cv=0.0
        )
        spread.append(draws.weights[:, 0].std())
    assert spread[0] > spread[1] > spread[2] > 0
    _, fixed = grade_distribution(
        mixed_project(), budget(), SCHEME, draws=10, weight_concentration=float("inf")
    )
    assert np.all(fixed.weights == mixed_project()["weight"].to_numpy()[None, :])


# ---------------------------------------------------------------------------------------------
# Actuals, qualitative rows, evidence gaps, budget
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("noise", ["lognormal", "normal"])
def test_actual_noise_has_the_requested_mean_and_cv(noise):
    _, draws = grade_distribution(
        mixed_project(),
        budget(),
        SCHEME,
        draws=20_000,
        weight_concentration=None,
        actual_cv=0.1,
        noise=noise,
        seed=11,
    )
    values = draws.actuals[:, 1]  # 98 人
    assert values.mean() == pytest.approx(98, rel=0.005)
    assert values.std() / 98 == pytest.approx(0.1, rel=0.03)
    assert np.allclose(draws.actuals[:, 4].mean(), 85.0, rtol=0.01)  # 850000元 read as 85 万元
    assert np.isnan(draws.actuals[:, 6]).all()  # qualitative rows have no numeric actual


def test_strata_and_continuous_draws_agree_within_monte_carlo_error():
    options = {"draws": 4_000, "actual_cv": 0.03, "weight_concentration": None, "seed": 12}
    coarse, _ = grade_distribution(project_at(89.9), budget(), SCHEME, strata=64, **options)
    exact, _ = grade_distribution(project_at(89.9), budget(), SCHEME, strata=None, **options)
    se = np.sqrt(0.25 / 4_000)
    assert abs(coarse.loc[0, "p_优"] - exact.loc[0, "p_优"]) < 5 * se
    assert abs(coarse.loc[0, "total_mean"] - exact.loc[0, "total_mean"]) < 0.05


def test_per_row_sd_and_cv_columns():
    indicators = mixed_project()
    indicators["sd"] = np.nan
    indicators.loc[1, "sd"] = 0.0  # 98 人 is counted exactly
    indicators.loc[4, "sd"] = 20_000.0  # in 元, the unit the actual is written in → 2 万元
    _, draws = grade_distribution(
        indicators,
        budget(),
        SCHEME,
        draws=10_000,
        weight_concentration=None,
        actual_cv=0.0,
        actual_sd="sd",
        noise="normal",
        seed=13,
    )
    assert np.all(draws.actuals[:, 1] == 98.0)
    assert draws.actuals[:, 4].std() == pytest.approx(2.0, rel=0.05)
    assert np.all(draws.actuals[:, 0] == 93.0)  # empty sd cell → the CV, here 0
    indicators["cv"] = 0.0
    indicators.loc[0, "cv"] = 0.05
    _, draws = grade_distribution(
        indicators, budget(), SCHEME, draws=5_000, weight_concentration=None, actual_cv="cv", seed=13
    )
    assert draws.actuals[:, 0].std() / 93 == pytest.approx(0.05, rel=0.1)
    assert np.all(draws.actuals[:, 2] == 33.0)


def test_qualitative_rows_stay_in_their_band():
    indicators = mixed_project()
    w = 10.0
    _, draws = grade_distribution(
        indicators, budget(), SCHEME, draws=2_000, qualitative="band", weight_concentration=None, seed=14
    )
    achieved, partly = draws.score_lo[:, 6], draws.score_lo[:, 7]
    assert (achieved >= 0.8 * w - 1e-9).all() and (achieved <= w + 1e-9).all() and achieved.std() > 0
    assert (partly >= 0.6 * w - 1e-9).all() and (partly <= 0.8 * w + 1e-9).all()
    _, draws = grade_distribution(indicators, budget(), SCHEME, draws=500, qualitative="reported", seed=14)
    assert np.allclose(
        draws.score_lo[:, 6], 0.9 * draws.weights[:, 6]
    )  # the reported 9 of 10 keeps its share
    indicators.loc[7, "self_score"] = np.nan
    _, draws = grade_distribution(indicators, budget(), SCHEME, draws=500, qualitative="interval", **FIXED)
    assert np.allclose(draws.score_lo[:, 7], 6.0) and np.allclose(draws.score_hi[:, 7], 8.0)


def test_rows_without_evidence_interval_or_uniform():
    indicators = project_at(85.0)
    indicators.loc[0, "actual"] = None  # missing: [0, 10] instead of 0
    summary, draws = grade_distribution(
        indicators,
        budget(100.0),
        SCHEME,
        draws=2_000,
        actual_cv=0.0,
        weight_concentration=None,
        no_evidence="uniform",
        seed=15,
    )
    gap = draws.score_lo[:, 0]
    assert np.array_equal(gap, draws.score_hi[:, 0]) and gap.min() >= 0 and gap.max() <= 10
    assert gap.mean() == pytest.approx(5.0, abs=0.3)
    assert not draws.totals["total"].isna().any()
    # total = 85 − 10 + U(0, 10) + 10 (budget): 优 when the drawn score reaches 5
    assert summary.loc[0, "p_优"] == pytest.approx(0.5, abs=0.05) and summary.loc[0, f"p_{INSUFFICIENT}"] == 0
    summary, _ = grade_distribution(indicators, budget(100.0), SCHEME, draws=200, **FIXED)
    assert summary.loc[0, f"p_{INSUFFICIENT}"] == 1.0 and np.isnan(summary.loc[0, "total_mean"])
    assert summary.loc[0, "total_lo_p5"] == pytest.approx(85.0) and summary.loc[
        0, "total_hi_p95"
    ] == pytest.approx(95)


def test_budget_noise_and_missing_budget():
    _, draws = grade_distribution(
        project_at(80.0), budget(90.0), SCHEME, draws=2_000, budget_cv=0.05, **FIXED
    )
    scores = draws.totals["budget_score"]
    assert scores.max() <= 10.0 + 1e-9 and scores.std() > 0  # capped at w_b · 1
    assert scores.mean() == pytest.approx(9.0, abs=0.1)
    summary, draws = grade_distribution(
        project_at(90.0), None, SCHEME, draws=1_000, no_evidence="uniform", **FIXED
    )
    assert draws.totals["budget_score"].between(0, 10).all() and draws.totals["budget_score"].std() > 0
    # 80 + U(0, 10): 良, except a total that rounds to 90.00 (U ≥ 9.995, probability 0.05 %)
    assert summary.loc[0, "p_良"] >= 0.99 and summary.loc[0, "p_良"] + summary.loc[
        0, "p_优"
    ] == pytest.approx(1)


# ---------------------------------------------------------------------------------------------
# describe
# ---------------------------------------------------------------------------------------------


def summary_with(**p: float) -> pd.DataFrame:
    probabilities = {f"p_{label}": 0.0 for label in grade_labels(SCHEME)}
    probabilities.update({f"p_{k}": v for k, v in p.items()})
    return pd.DataFrame([{"project_id": "P1", **probabilities}])


@pytest.mark.parametrize(
    ("probabilities", "text", "long"),
    [
        ({"良": 0.83, "优": 0.17}, "良（概率 83%）", "良（概率 83%；优 17%）"),
        ({"优": 0.995, "良": 0.005}, "优（概率 >99%）", "优（概率 >99%；良 1%）"),
        ({"中": 0.9985, "差": 0.0015}, "中（概率 >99%）", "中（概率 >99%；差 <1%）"),
        ({"良": 0.5, "优": 0.5}, "优（概率 50%）", "优（概率 50%；良 50%）"),  # ties go to the better grade
        ({"良": 0.835, "中": 0.165}, "良（概率 84%）", "良（概率 84%；中 17%）"),  # half-up
        ({INSUFFICIENT: 0.6, "良": 0.4}, "证据不足（概率 60%）", "证据不足（概率 60%；良 40%）"),
    ],
)
def test_describe(probabilities, text, long):
    assert describe(summary_with(**probabilities)) == text
    assert describe(summary_with(**probabilities).iloc[0], others=True) == long


def test_describe_needs_one_project():
    with pytest.raises(ModelInputError, match="describe_each"):
        describe(pd.concat([summary_with(良=1.0)] * 2))
    with pytest.raises(ModelInputError, match="p_"):
        describe(pd.DataFrame([{"project_id": "P1"}]))


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "options", "match"),
    [
        (lambda t: t.iloc[0:0], {}, "没有指标行"),
        (lambda t: t.assign(weight=[0.0] + [10.0] * 9), {}, "不为正数"),
        (lambda t: t.assign(weight=[-5.0] + [10.0] * 9), {}, "第 1 行"),
        (lambda t: t.assign(weight=[np.nan] + [10.0] * 9), {}, "分值 空"),
        (lambda t: t.assign(project_id=["A"] * 5 + ["B"] * 5), {}, "grade_distributions"),
        (lambda t: t, {"draws": 0}, "draws"),
        (lambda t: t, {"draws": 10.5}, "draws"),
        (lambda t: t, {"draws": True}, "draws"),
        (lambda t: t, {"weight_concentration": 0}, "weight_concentration"),
        (lambda t: t, {"weight_concentration": -1.0}, "weight_concentration"),
        (lambda t: t, {"actual_cv": -0.1}, "actual_cv"),
        (lambda t: t, {"actual_cv": float("nan")}, "actual_cv"),
        (lambda t: t, {"actual_cv": "no_such_column"}, "no_such_column"),
        (lambda t: t.assign(cv=["x"] + [0.1] * 9), {"actual_cv": "cv"}, "第 1 行"),
        (lambda t: t.assign(sd=[-1.0] + [np.nan] * 9), {"actual_sd": "sd"}, "sd"),
        (lambda t: t, {"noise": "uniform"}, "noise"),
        (lambda t: t, {"qualitative": "mean"}, "qualitative"),
        (lambda t: t, {"no_evidence": "zero"}, "no_evidence"),
        (lambda t: t, {"weight_blocks": "level2"}, "weight_blocks"),
        (lambda t: t, {"strata": 0}, "strata"),
        (lambda t: t, {"percentiles": (5, 150)}, "百分位"),
        (lambda t: t, {"seed": -1}, "seed"),
        (lambda t: t, {"budget_cv": -1}, "budget_cv"),
    ],
)
def test_bad_input_is_a_clear_error(change, options, match):
    with pytest.raises(ModelInputError, match=match) as error:
        grade_distribution(
            change(mixed_project()), budget(), SCHEME, draws=options.pop("draws", 10), **options
        )
    assert isinstance(error.value, PbmError)


def test_bad_input_to_the_grouped_variant():
    with pytest.raises(ModelInputError, match="未知的参数"):
        grade_distributions(mixed_project(), budget(), SCHEME, draw=10)
    with pytest.raises(ModelInputError, match="没有指标行"):
        grade_distributions(mixed_project().iloc[0:0], budget(), SCHEME)
    two = pd.concat([budget(), budget()], ignore_index=True)
    with pytest.raises(ModelInputError, match="1 行"):
        grade_distributions(mixed_project(), two, SCHEME, draws=10)


def test_a_project_without_ids_and_a_budget_without_ids():
    indicators = mixed_project().drop(columns=["project_id"])
    summary, draws = grade_distribution(
        indicators, budget().drop(columns=["project_id"]), SCHEME, draws=20, **FIXED
    )
    assert summary.loc[0, "project_id"] == "" and draws.project_id == ""
    assert summary.loc[0, "deterministic_lo"] == pytest.approx(
        deterministic(mixed_project(), budget())["total_lo"]
    )


# ---------------------------------------------------------------------------------------------
# The sample year
# ---------------------------------------------------------------------------------------------


def test_sample_year_without_noise_matches_score_totals():
    from pbm_lib.workbook import read_year

    year = read_year(SAMPLE_WORKBOOK)
    exact = score_projects(year.indicators, year.project_budget(), SCHEME).set_index("project_id")
    ids = list(exact.index[:6])
    rows = year.indicators[year.indicators["project_id"].isin(ids)]
    summary, _ = grade_distributions(
        rows, year.project_budget(), SCHEME, draws=5, qualitative="interval", **FIXED
    )
    for _, row in summary.iterrows():
        expected = exact.loc[row["project_id"]]
        assert row["deterministic_lo"] == pytest.approx(expected["total_lo"])
        assert row["deterministic_hi"] == pytest.approx(expected["total_hi"])
        label = GRADE_NONE if expected["grade"] is None else expected["grade"]
        assert row[f"p_{label}"] == 1.0
    noisy, _ = grade_distributions(rows, year.project_budget(), SCHEME, draws=200)
    assert np.allclose(noisy[[f"p_{x}" for x in grade_labels(SCHEME)]].sum(axis=1), 1.0)


# ---------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------------

row_strategy = st.fixed_dictionaries(
    {
        "level1": st.sampled_from(["产出指标", "效益指标", "满意度指标"]),
        "operator": st.sampled_from(["≥", ">", "≤", "<", "=", ""]),
        "target": st.floats(min_value=0.5, max_value=1e4, allow_nan=False),
        "actual": st.one_of(
            st.floats(min_value=0, max_value=3e4, allow_nan=False),
            st.none(),
            st.sampled_from(["达成", "部分达成", "未达成"]),
        ),
        "weight": st.floats(min_value=0.5, max_value=40, allow_nan=False),
        "self_score": st.one_of(st.none(), st.floats(min_value=0, max_value=1, allow_nan=False)),
    }
)


def build(rows: list[dict]) -> pd.DataFrame:
    """A project whose printed weights add up to 90, so every total lies in [0, 100]."""
    scale = 90.0 / sum(r["weight"] for r in rows)
    return table(
        *[
            {
                "level1": r["level1"],
                "weight": r["weight"] * scale,
                "target": f"{r['operator']}{r['target']:.3f}"
                if not isinstance(r["actual"], str)
                else "效果明显",
                "actual": f"{r['actual']:.3f}" if isinstance(r["actual"], float) else r["actual"],
                "self_score": np.nan if r["self_score"] is None else r["self_score"] * r["weight"] * scale,
            }
            for r in rows
        ]
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(row_strategy, min_size=1, max_size=12),
    st.floats(min_value=0, max_value=1.2),
    st.one_of(st.none(), st.floats(min_value=0.5, max_value=1e5)),
    st.sampled_from(["lognormal", "normal"]),
    st.sampled_from(["reported", "band", "interval"]),
    st.sampled_from(["interval", "uniform"]),
    st.floats(min_value=0, max_value=1.5),
)
def test_scores_stay_within_0_and_100(rows, cv, kappa, noise, qualitative, no_evidence, rate):
    indicators = build(rows)
    summary, draws = grade_distribution(
        indicators,
        budget(100 * rate),
        SCHEME,
        draws=60,
        actual_cv=cv,
        weight_concentration=kappa,
        noise=noise,
        qualitative=qualitative,
        no_evidence=no_evidence,
        seed=1,
    )
    totals = draws.totals
    assert (totals["total_lo"] >= -1e-9).all() and (totals["total_hi"] <= 100 + 1e-9).all()
    assert (totals["total_lo"] <= totals["total_hi"] + 1e-9).all()
    assert (draws.score_lo >= -1e-9).all() and (draws.score_hi <= draws.weights + 1e-9).all()
    assert np.allclose(draws.weights.sum(axis=1), 90.0)
    p = summary[[f"p_{x}" for x in grade_labels(SCHEME)]].to_numpy()
    assert p.sum() == pytest.approx(1.0)
    assert totals["grade"].dropna().isin(["优", "良", "中", "差", INSUFFICIENT]).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(row_strategy, min_size=1, max_size=12), st.floats(min_value=0, max_value=1.5))
def test_without_noise_every_draw_is_the_rule_total(rows, rate):
    indicators = build(rows)
    exact = deterministic(indicators, budget(100 * rate))
    summary, draws = grade_distribution(
        indicators, budget(100 * rate), SCHEME, draws=3, qualitative="interval", **FIXED
    )
    assert np.allclose(draws.totals["total_lo"], exact["total_lo"]) and np.allclose(
        draws.totals["total_hi"], exact["total_hi"]
    )
    label = GRADE_NONE if exact["grade"] is None else exact["grade"]
    assert summary.loc[0, f"p_{label}"] == 1.0
