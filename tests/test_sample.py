"""The bundled sample year (示范市 2025) and the synthetic-year generator.

The shipped workbook must be exactly what the generator produces, read back without errors, and
contain everything the later stages need to show each of their outcomes (issues 2–5).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pbm_lib.data import SAMPLE_WORKBOOK
from pbm_lib.workbook import read_year, schema
from pbm_lib.workbook.synth import FAMILIES, _family_weights, main, sample_year, synthetic_year
from pbm_lib.workbook.writer import write_workbook

NUMBER = r"(-?\d+(?:\.\d+)?)"
POSITIVE_WORDS = ("≧", "不低于", "以上")
EQUAL_WORDS = ("═", "﹦", "=")
REVERSE_WORDS = ("≦", "不超过", "以内")


@pytest.fixture(scope="module")
def sample():
    return read_year(SAMPLE_WORKBOOK)


def _number(texts: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(texts.astype("string").str.extract(NUMBER)[0], errors="coerce")
    return pd.Series(numbers.to_numpy(dtype=float, na_value=np.nan), index=texts.index)


def _direction(indicators: pd.DataFrame) -> pd.Series:
    """The direction column, or the operator written in the target where the column is blank."""
    direction = indicators["direction"].astype(object)
    target = indicators["target"].fillna("").astype(str)
    for words, canonical in ((POSITIVE_WORDS, "≥"), (EQUAL_WORDS, "="), (REVERSE_WORDS, "≤")):
        inferred = target.apply(lambda t, w=words: any(x in t for x in w))
        direction = direction.where(direction.notna() | ~inferred, canonical)
    return direction


def _rule_share(indicators: pd.DataFrame) -> np.ndarray:
    """Share of each row's weight by the default rules (positive ratio, reverse R1, qualitative bands)."""
    t, a = _number(indicators["target"]), _number(indicators["actual"])
    direction = _direction(indicators)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            direction.isin(["≥", "="]),
            np.where(t > 0, np.minimum(a / t, 1), 1.0),
            np.where(t > 0, np.clip(2 - a / t, 0, 1), (a <= 0).astype(float)),
        )
    levels = indicators["actual"].map({"部分达成": 0.7, "未达成": 0.4}).fillna(1.0)
    share = np.where(direction == "定性", levels, share)
    return np.where(indicators["actual"].isna(), 0.0, share)


def _grades(data) -> pd.Series:
    """A rule total per project (indicators plus 10 × execution rate) banded into 优/良/中/差."""
    ind = data.indicators
    total = (ind["weight"] * _rule_share(ind)).groupby(ind["project_id"]).sum()
    rate = data.project_budget().set_index("project_id")["execution_rate"]
    total = total + 10 * np.minimum(rate.reindex(total.index), 1.0)
    return pd.cut(total, [0, 60, 80, 90, 1000], right=False, labels=["差", "中", "良", "优"])


# ---------------------------------------------------------------------------------------------
# The shipped file
# ---------------------------------------------------------------------------------------------


def test_shipped_sample_equals_regenerated(tmp_path: Path, sample, capsys):
    # Through the documented command: python -m pbm_lib.workbook.synth --sample OUT.xlsx
    assert main(["--sample", str(tmp_path / "sample.xlsx")]) == 0
    assert "sample.xlsx" in capsys.readouterr().out
    fresh = read_year(tmp_path / "sample.xlsx")
    assert (fresh.year, fresh.jurisdiction) == (sample.year, sample.jurisdiction) == (2025, "示范市")
    assert set(fresh.tables) == set(sample.tables)
    for name in fresh.tables:
        pd.testing.assert_frame_equal(fresh.tables[name], sample.tables[name], obj=name)


def test_shipped_sample_has_no_errors_and_one_expected_warning(sample):
    # read_year raises on any error; the only warning is the project without targets (无绩效目标).
    assert len(sample.warnings) == 1
    assert "没有绩效目标" in sample.warnings[0].message


def test_sample_year_is_deterministic():
    first, meta = sample_year()
    second, _ = sample_year()
    assert meta == {"year": 2025, "jurisdiction": "示范市", "money_unit": "万元", "reporter": "示范市财政局"}
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


# ---------------------------------------------------------------------------------------------
# What the sample contains
# ---------------------------------------------------------------------------------------------


def test_units(sample):
    units = sample.units
    assert 12 <= len(units) <= 16
    assert set(units["unit_kind"]) == {"部门", "单位", "乡镇", "街道"}
    assert (units["unit_kind"] == "部门").sum() == 11
    assert units["parent_unit_id"].notna().sum() == 1  # 示范市人民医院 under the health commission
    assert units["staff"].gt(0).all() and units["basic_budget"].gt(0).all()


def test_projects_cover_every_budget_category_and_kind(sample):
    projects = sample.projects
    assert len(projects) == 65
    assert set(projects["budget_type"]) == set(schema.BUDGET_TYPES)
    counts = projects["budget_type"].value_counts()
    assert counts["一般公共预算"] > counts.drop("一般公共预算").max()
    assert set(projects["special_category"]) == set(schema.SPECIAL_CATEGORIES)
    assert set(projects["project_kind"]) == {"项目", "政策"}
    assert set(projects["new_or_continuing"]) == {"新增", "延续"}
    new_major = projects[(projects["new_or_continuing"] == "新增") & (projects["major"] == "是")]
    assert len(new_major) == 6
    kinds = projects.merge(sample.units, on="unit_id")["unit_kind"]
    assert {"乡镇", "街道"} <= set(kinds)


def test_comparable_projects_for_dea(sample):
    ind = sample.indicators.merge(sample.projects[["project_id", "unit_id"]], on="project_id")
    roads = ind[ind["level3"] == "农村公路提质改造里程"]
    assert len(roads) == 5 and roads["unit_id"].nunique() >= 3
    assert ind[ind["level3"] == "受益群众人数"]["project_id"].isin(roads["project_id"]).sum() == 5
    assert (ind["level3"] == "改造校舍面积").sum() == 4
    assert (ind["level3"] == "新建高标准农田面积").sum() == 3


def test_budget_rows(sample):
    budget, projects = sample.budget, sample.projects
    fiscal = budget[budget["fund_source"] == "当年财政拨款"]
    assert set(fiscal["project_id"]) == set(projects["project_id"])
    carry = budget[budget["fund_source"] == "上年结转"]
    assert (
        5 <= len(carry)
        and carry["project_id"]
        .isin(projects.loc[projects["new_or_continuing"] == "延续", "project_id"])
        .all()
    )
    assert (carry["executed"] == 0).sum() == 3  # carry-overs left idle all year
    ppp_or_debt = projects.loc[projects["special_category"].isin(["PPP", "政府债务"]), "project_id"]
    assert set(ppp_or_debt) == set(budget.loc[budget["fund_source"] == "其他资金", "project_id"])
    assert (fiscal["annual"] > fiscal["initial"] + 1).sum() >= 3  # 年中追加
    assert (fiscal["annual"] < fiscal["initial"] - 1).sum() >= 3  # cuts
    assert (fiscal["initial"] == 0).sum() == 1  # added mid-year
    rate = sample.project_budget()["execution_rate"]
    assert 1 <= (rate > 1).sum() <= 3 and rate.max() < 1.5
    assert rate.min() < 0.5


def test_monthly_execution(sample):
    monthly = sample.monthly.sort_values(["project_id", "month"])
    assert monthly.groupby("project_id")["month"].apply(list).map(lambda m: m == list(range(1, 13))).all()
    assert (monthly.groupby("project_id")["executed_cum"].diff().dropna() >= 0).all()
    december = monthly[monthly["month"] == 12].set_index("project_id")["executed_cum"]
    executed = sample.budget.groupby("project_id")["executed"].sum()
    assert np.allclose(december, executed.reindex(december.index), atol=0.01)
    november = monthly[monthly["month"] == 11].set_index("project_id")["executed_cum"]
    assert ((december - november) / december >= 0.3).sum() >= 5  # December rush
    june = monthly[monthly["month"] == 6].set_index("project_id")["executed_cum"]
    annual = sample.project_budget().set_index("project_id")["annual"]
    light = pd.cut(
        100 * june / annual / 0.5, [-1, 60, 80, np.inf], right=False, labels=["red", "yellow", "green"]
    )
    counts = light.value_counts()
    assert counts["green"] > counts["red"] >= 5 and counts["yellow"] >= 3


def test_indicators(sample):
    ind = sample.indicators
    per_project = ind.groupby("project_id").size()
    assert per_project.between(4, 10).all()
    without = set(sample.projects["project_id"]) - set(ind["project_id"])
    assert len(without) == 1
    weights = ind.groupby("project_id")["weight"].sum()
    assert (weights == 90).sum() == len(weights) - 1 and (weights == 100).sum() == 1  # one weights-sum defect
    assert {"≥", "≤", "=", "定性"} <= set(ind["direction"].dropna())
    assert ind["direction"].isna().sum() >= 5  # directions only in the target text (≧, 不低于, 以内 …)
    assert set(ind["level1"]) == set(schema.LEVEL1_PROJECT)
    assert (ind["level2"] == "成本指标").sum() >= 30
    assert {"%", "人", "人次", "公里", "亩", "所", "天", "万元"} <= set(ind["measure_unit"].dropna())
    assert set(ind["basis"].dropna()) == set(schema.VALUE_BASES) and ind["basis"].isna().sum() >= 7
    satisfaction = ind[ind["level1"] == "满意度指标"]
    assert len(satisfaction) == len(per_project) and (_number(satisfaction["target"]) >= 90).all()
    assert ind["mid_actual"].notna().all()
    continuing = sample.projects.loc[sample.projects["new_or_continuing"] == "延续", "project_id"]
    assert ind.loc[ind["project_id"].isin(continuing), "last_actual"].notna().all()
    assert ind.loc[~ind["project_id"].isin(continuing), "last_actual"].isna().all()
    # targets set below last year's actual (set too low)
    low = (_direction(ind) == "≥") & (_number(ind["last_actual"]) > _number(ind["target"]))
    assert ind.loc[low, "project_id"].nunique() >= 2
    quantified = (ind["direction"] != "定性").groupby(ind["project_id"]).mean()
    assert (quantified < 0.5).sum() == 2  # weak target sets written in words (按计划完成, 合格 …)
    words = set(ind.loc[ind["direction"] == "定性", "actual"].dropna())
    assert {"达成", "部分达成", "未达成"} <= words and len(words) > 3  # free text too (及时, 明显改善 …)


def test_outcomes_vary(sample):
    grades = _grades(sample).value_counts()
    assert grades["优"] >= 20 and grades["良"] >= 15 and grades["中"] >= 6 and grades["差"] >= 2
    ind = sample.indicators
    t, a = _number(ind["target"]), _number(ind["actual"])
    positive = _direction(ind) == "≥"
    over = positive & (a >= 1.3 * t) & (t > 0)
    assert (over & ind["deviation_note"].notna()).sum() >= 1 and (
        over & ind["deviation_note"].isna()
    ).sum() >= 1
    missed = positive & (a < t)
    assert missed.sum() >= 20 and ind.loc[missed, "deviation_note"].notna().mean() > 0.5
    assert 2 <= ind["actual"].isna().sum() <= 5


def test_self_evaluation_defects(sample):
    ind = sample.indicators
    score, weight = ind["self_score"], ind["weight"]
    assert (score > weight).sum() == 1  # score-over-weight
    assert (ind["actual"].isna() & (score > 0)).sum() == 1  # missing-value-scored
    copied = ind["actual"].fillna("").str.contains("≥|≤|=")
    assert ind.loc[copied, "project_id"].nunique() == 1 and copied.sum() >= 5  # actual-copies-target
    qualitative = ind["direction"] == "定性"
    assert (
        qualitative & ind["actual"].isin(["部分达成"]) & (score >= 0.8 * weight)
    ).sum() >= 1  # qualitative-band
    t, a = _number(ind["target"]), _number(ind["actual"])
    met = (_direction(ind) == "≥") & (a >= t) & ~copied
    assert (met & (score < weight - 0.5) & ind["deviation_note"].isna()).sum() >= 2  # docked-without-note
    rule = weight * _rule_share(ind)
    assert ((score - rule) > 5).groupby(ind["project_id"]).any().sum() >= 3  # inflated self-scores


def test_progress_gives_every_light(sample):
    ind = sample.indicators.assign(direction=_direction(sample.indicators))
    progress = sample.progress.merge(ind, on=["project_id", "seq"])
    counts = progress.groupby(["project_id", "seq"]).size()
    assert len(counts) == len(ind) and counts.isin([6, 12]).all() and (counts == 6).sum() == 4
    june = progress[progress["month"] == 6].copy()
    value, target = pd.to_numeric(june["value"], errors="coerce"), _number(june["target"])
    cumulative = (
        (june["direction"] == "≥")
        & (june["measure_unit"] != "%")
        & (june["level1"] != "成本指标")
        & (june["level2"] != "成本指标")
    )
    ratio = 100 * value[cumulative] / (target[cumulative] * 6 / 12)
    lights = pd.cut(ratio, [-1, 60, 80, 120, np.inf], right=False, labels=["red", "yellow", "green", "blue"])
    assert (lights.value_counts() >= 5).all()
    reverse = june["direction"] == "≤"
    assert (value[reverse] > target[reverse]).sum() >= 5
    assert {"达成", "部分达成", "未达成"} <= set(june.loc[june["direction"] == "定性", "value"])


def test_department_targets(sample):
    dept = sample.department_targets
    assert set(sample.units["unit_id"]) - set(dept["unit_id"]) == {"2002"}
    assert dept.groupby("unit_id")["dimension"].nunique().eq(len(schema.DEPARTMENT_DIMENSIONS)).all()
    assert dept.groupby("unit_id")["weight"].sum().eq(100).all()
    assert dept["mid_actual"].notna().all() and dept["actual"].notna().all()


def test_ex_ante_and_cost_benefit(sample):
    projects = sample.projects
    new_major = set(
        projects.loc[(projects["new_or_continuing"] == "新增") & (projects["major"] == "是"), "project_id"]
    )
    ex_ante = sample.ex_ante
    assert set(ex_ante["project_id"]) < new_major and len(new_major - set(ex_ante["project_id"])) == 1
    shape = ex_ante.groupby("project_id").agg(experts=("expert", "nunique"), dims=("dimension", "nunique"))
    assert shape["experts"].between(3, 5).all() and (shape["dims"] == 5).all()
    mean = ex_ante.groupby("project_id")["score"].mean()
    assert (mean >= 90).any() and mean.between(70, 90, inclusive="left").any() and (mean < 70).any()
    by_expert = ex_ante.groupby(["project_id", "expert"])["score"].mean()
    spread = by_expert.groupby(level=0).apply(lambda s: (s.median() - s).max())
    assert (spread > 15).sum() == 1  # one expert far from the others
    flows = sample.cash_flows
    assert set(flows["project_id"]) == new_major
    assert flows.groupby("project_id")["year_index"].min().eq(0).all()
    assert flows.groupby("project_id")["year_index"].max().ge(15).all()


def _frontier_status(options: pd.DataFrame) -> dict[str, str]:
    """Strong then iterated extended dominance (rules.md §4.1), enough to check the sample's options."""
    rows = options.sort_values(["cost", "effect"], ascending=[True, False])
    status, kept, best = {}, [], -np.inf
    for name, effect in zip(rows["alternative"], rows["effect"], strict=True):
        status[name] = "dominated" if effect <= best else "frontier"
        if effect > best:
            kept.append(name)
            best = effect
    cost = rows.set_index("alternative")["cost"]
    effect = rows.set_index("alternative")["effect"]
    changed = True
    while changed:
        changed = False
        icer = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in zip(kept, kept[1:], strict=False)]
        for i in range(1, len(icer)):
            if icer[i] < icer[i - 1]:
                status[kept[i]] = "extended-dominated"
                del kept[i]
                changed = True
                break
    return status


def test_alternatives_show_dominance(sample):
    alternatives = sample.alternatives
    per_project = alternatives.groupby("project_id").size()
    assert len(per_project) == 3 and per_project.between(3, 6).all()
    for _, options in alternatives.groupby("project_id"):
        status = set(_frontier_status(options).values())
        assert "extended-dominated" in status
    all_status = [s for _, o in alternatives.groupby("project_id") for s in _frontier_status(o).values()]
    assert all_status.count("dominated") >= 2


def test_evaluations_history_balances_and_government(sample):
    evaluations = sample.evaluations
    assert 8 <= evaluations["project_id"].nunique() <= 12
    assert set(evaluations["evaluation_kind"]) == {"财政评价", "第三方评价"}
    self_total = sample.indicators.groupby("project_id")["self_score"].sum() + 10 * np.minimum(
        sample.project_budget().set_index("project_id")["execution_rate"], 1
    )
    gap = self_total.reindex(evaluations["project_id"]).to_numpy() - evaluations["total"].to_numpy()
    assert (gap > 10).sum() >= 2
    history = sample.history
    assert set(history["year"]) == {2023, 2024}
    continuing = sample.projects.loc[sample.projects["new_or_continuing"] == "延续", "project_id"]
    assert set(history["project_id"]) == set(continuing)
    assert {"中", "差"} <= set(history["grade"])
    projects = sample.projects.dropna(subset=["balance_prev"])
    growing = projects["balance"] > projects["balance_prev"]
    assert 10 <= growing.sum() <= len(projects) - 10
    government = sample.government.set_index(["budget_type", "flow"])
    assert len(government) == 8
    assert 300_000 <= government.loc[("一般公共预算", "支出"), "budgeted"] <= 600_000
    money = sample.project_budget().merge(sample.projects[["project_id", "budget_type"]], on="project_id")
    spent = money.groupby("budget_type")["annual"].sum()
    for budget, amount in spent.items():
        assert amount < government.loc[(budget, "支出"), "budgeted"]


def test_family_weights_follow_the_default_scheme():
    for family in FAMILIES:
        weights = _family_weights(family)
        assert sum(weights) == 90, family.key
        assert 6 <= len(weights) <= 10, family.key
        by_level = {}
        for ind, w in zip(family.indicators, weights, strict=True):
            by_level[ind.level1] = by_level.get(ind.level1, 0) + w
        expected = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
        if "成本指标" in by_level:
            expected = {"产出指标": 40, "成本指标": 10, "效益指标": 30, "满意度指标": 10}
        assert by_level == expected, family.key
        assert len({i.level3 for i in family.indicators}) == len(family.indicators), family.key


# ---------------------------------------------------------------------------------------------
# Synthetic years
# ---------------------------------------------------------------------------------------------


def test_synthetic_year_reads_back(tmp_path: Path):
    tables, meta = synthetic_year(200, seed=1)
    data = read_year(write_workbook(tmp_path / "synthetic.xlsx", tables, meta))
    assert data.year == 2025 and len(data.projects) == 200
    assert all("没有绩效目标" in w.message for w in data.warnings)
    assert 30 <= len(data.units) <= 60
    per_project = data.indicators.groupby("project_id").size()
    assert 6.5 <= per_project.mean() <= 8.5
    assert len(data.monthly) == 12 * 200
    assert data.progress.groupby(["project_id", "seq"]).ngroups == len(data.indicators)
    assert set(data.projects["budget_type"]) == set(schema.BUDGET_TYPES)
    for name in ("department_targets", "ex_ante", "cash_flows", "alternatives", "evaluations", "history"):
        assert len(data.tables[name]) > 0, name


def test_synthetic_year_is_deterministic_per_seed():
    first, meta = synthetic_year(200, seed=3, year=2024)
    second, _ = synthetic_year(200, seed=3, year=2024)
    other, _ = synthetic_year(200, seed=4, year=2024)
    assert meta["year"] == 2024
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)
    assert not first["budget"]["annual"].equals(other["budget"]["annual"])
    assert set(first["history"]["year"]) == {2022, 2023}


def test_synthetic_year_scales():
    tables, _ = synthetic_year(1000, seed=0)
    assert len(tables["projects"]) == 1000
    assert 180 <= len(tables["units"]) <= 230
    assert tables["projects"]["project_id"].is_unique
    assert re.fullmatch(r"\d+-\d{3}", tables["projects"]["project_id"].iat[0])


def test_synthetic_year_rejects_no_projects():
    with pytest.raises(ValueError):
        synthetic_year(0)
