"""Results application (结果运用): next year's budget proposals, savings, and a department appraisal score.

rules.md §2 steps 15–16 and §3.13. From each project's final grade
(:func:`pbm_lib.process.evaluation.project_scores`) and its money:

- **grade rule** (``results.grades``; directions published by 达州, cut rates a city choice — no
  national percentage exists, so the shipped rates are toolkit defaults): 优 优先保障, 良 据实保障,
  中 按比例核减 by ``cut_rate``, 差 取消 (``cut_rate`` 1) when the project was also graded 差 the year
  before (历年绩效 sheet), else 暂停安排 (``poor_first_time``: suspended pending rectification, the
  other reading of 达州's "视情况可取消或暂停"); no grade (证据不足, not evaluated) follows ``ungraded``;
- **balance rule** (published city rule): when the accumulated balance (累计结余) grew over the year,
  next year's budget is cut by ``balance_cut_rate`` (≥ 30 %) of the increase,
  ``cut = r · max(0, balance − balance_prev)``; a new project's previous balance is 0;
- **carry-over rule** (same source): carry-over (上年结转) still unused at year end is recovered (收回),
  ``recovered = Σ max(0, annual − executed)`` over its 上年结转 rows;
- **slow execution** (published direction, no formula; off unless ``slow_execution`` is set):
  ``cut = share · base · max(0, below − E/B)``.

``base`` is this year's 全年预算数 (``results.base: annual``) or 年初预算数. The proposal is
``base − min(base, grade cut + balance cut + slow cut)``; savings add the recovered carry-over. The
table is advisory: the decision stays with the finance bureau.

The appraisal score (纳入政府绩效和干部政绩考核, seed plan) of each unit is the weighted mean of its
whole-department framework score, its projects' roll-up, its execution (100·min(1, ΣE/ΣB)) and its
process coverage (100 × mean money share with targets, monitoring and evaluation), with
``results.appraisal.weights`` (toolkit policy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemes import Scheme
from ..scoring import grade_points
from . import sections
from ._common import join_labels, safe_ratio, table

CARRY_OVER = "上年结转"
BALANCE_LABEL = "结余增长核减"
CARRY_LABEL = "收回结转资金"
SLOW_LABEL = "执行缓慢核减"
APPRAISAL_COMPONENTS = ("department", "projects", "execution", "process")


def previous_grades(history: pd.DataFrame, scheme: Scheme, year: int) -> pd.Series:
    """Each project's grade in its latest year before ``year`` (历年绩效 sheet), by project id.

    The grade is recomputed from the printed total with the scheme's bands where a total is given
    (one source of truth for bands), else the printed grade is taken.
    """
    if history is None or not len(history):
        return pd.Series(dtype=object)
    past = history[pd.to_numeric(history["year"], errors="coerce") < year]
    latest = past.sort_values("year", kind="stable").groupby("project_id").tail(1)
    total = pd.to_numeric(latest["total"], errors="coerce").to_numpy(dtype=float)
    recomputed = grade_points(total, scheme)
    grade = np.where(np.isnan(total), latest["grade"].astype(object).to_numpy(), recomputed)
    return pd.Series(grade, index=latest["project_id"].to_numpy(), dtype=object)


def budget_proposals(
    scores: pd.DataFrame,
    projects: pd.DataFrame,
    budget: pd.DataFrame,
    scheme: Scheme,
    year: int,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Next year's proposed budget of every project, with each cut and its reason (see the module docstring).

    Parameters
    ----------
    scores : DataFrame
        :func:`pbm_lib.process.evaluation.project_scores` (``annual``, ``initial``, ``execution_rate``,
        ``final_grade``, ``final_source``).
    projects : DataFrame
        The 项目 sheet (``end_year``, ``new_or_continuing``, ``balance_prev``, ``balance``).
    budget : DataFrame
        The 预算执行 sheet (rows by funding source), for the carry-over rule.
    year : int
        The fiscal year.
    history : DataFrame, optional
        The 历年绩效 sheet: a 差 project also graded 差 in its previous evaluated year is cancelled,
        otherwise suspended (``poor_first_time``).

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``project_name``, ``unit_id``, ``grade``, ``grade_source``,
        ``previous_grade``, ``base``, ``direction``, ``cut_rate``, ``grade_cut``, ``balance_prev``, ``balance``,
        ``balance_increase``, ``balance_cut``, ``execution_rate``, ``slow_cut``, ``total_cut``,
        ``proposed``, ``change_rate`` (proposed ÷ base − 1), ``carryover_unused``,
        ``carryover_recovered``, ``savings``, ``consequences`` (；-joined Chinese labels).
    """
    s = sections.get(scheme, "results")
    out = scores[
        ["project_id", "project_name", "unit_id", "final_grade", "final_source", "execution_rate"]
    ].copy()
    out = out.rename(columns={"final_grade": "grade", "final_source": "grade_source"})
    base = np.nan_to_num(scores[s["base"]].to_numpy(dtype=float))
    out["base"] = base
    grade = out["grade"].astype(object).to_numpy()
    rules = s["grades"]
    known = np.isin(grade, list(rules))
    direction = np.where(
        known,
        pd.Series(grade).map({g: r["direction"] for g, r in rules.items()}).to_numpy(),
        s["ungraded"]["direction"],
    )
    rate = np.where(
        known,
        pd.Series(grade).map({g: float(r["cut_rate"]) for g, r in rules.items()}).to_numpy(),
        float(s["ungraded"]["cut_rate"]),
    ).astype(float)
    info = projects.set_index("project_id")
    previous = out["project_id"].map(previous_grades(history, scheme, year)).astype(object)
    out["previous_grade"] = previous.to_numpy()
    poor = grade == "差"
    direction = np.where(poor & (previous.to_numpy() != "差"), s["poor_first_time"], direction)
    out["direction"] = direction
    out["cut_rate"] = rate
    grade_cut = base * rate

    new = (out["project_id"].map(info["new_or_continuing"]).astype(object) == "新增").to_numpy()
    prev = pd.to_numeric(out["project_id"].map(info["balance_prev"]), errors="coerce").to_numpy(dtype=float)
    prev = np.where(np.isnan(prev) & new, 0.0, prev)
    balance = pd.to_numeric(out["project_id"].map(info["balance"]), errors="coerce").to_numpy(dtype=float)
    increase = np.maximum(0.0, balance - prev)
    out["balance_prev"], out["balance"], out["balance_increase"] = prev, balance, increase
    balance_cut = np.nan_to_num(float(s["balance_cut_rate"]) * increase)

    slow = s["slow_execution"]
    execution_rate = np.nan_to_num(out["execution_rate"].to_numpy(dtype=float), nan=1.0)
    if slow is not None:
        slow_cut = float(slow["share"]) * base * np.maximum(0.0, float(slow["below"]) - execution_rate)
    else:
        slow_cut = np.zeros(len(out))
    total_cut = np.minimum(base, grade_cut + balance_cut + slow_cut)
    # What each rule actually removes once the total is capped at the base, in rule order.
    balance_cut = np.minimum(balance_cut, base - np.minimum(base, grade_cut))
    slow_cut = np.minimum(slow_cut, base - np.minimum(base, grade_cut) - balance_cut)
    out["grade_cut"] = grade_cut
    out["balance_cut"] = balance_cut
    out["slow_cut"] = slow_cut
    out["total_cut"] = total_cut
    out["proposed"] = base - total_cut
    out["change_rate"] = safe_ratio(out["proposed"], base) - 1.0

    carry = budget[budget["fund_source"].astype(object) == CARRY_OVER]
    unused = np.maximum(
        0.0,
        pd.to_numeric(carry["annual"], errors="coerce").to_numpy(dtype=float)
        - pd.to_numeric(carry["executed"], errors="coerce").to_numpy(dtype=float),
    )
    unused = pd.Series(np.nan_to_num(unused), index=carry["project_id"].to_numpy()).groupby(level=0).sum()
    out["carryover_unused"] = out["project_id"].map(unused).fillna(0.0).to_numpy(dtype=float)
    out["carryover_recovered"] = out["carryover_unused"] if s["recover_unused_carryover"] else 0.0
    out["savings"] = out["total_cut"] + out["carryover_recovered"]
    extra = np.column_stack(
        [balance_cut > 1e-9, out["carryover_recovered"].to_numpy() > 1e-9, slow_cut > 1e-9]
    )
    labels = join_labels(extra, [BALANCE_LABEL, CARRY_LABEL, SLOW_LABEL], "；")
    out["consequences"] = np.where(
        pd.isna(labels), direction, direction.astype(object) + "；" + labels.astype(str)
    )
    columns = [
        "project_id",
        "project_name",
        "unit_id",
        "grade",
        "grade_source",
        "previous_grade",
        "base",
        "direction",
        "cut_rate",
        "grade_cut",
        "balance_prev",
        "balance",
        "balance_increase",
        "balance_cut",
        "execution_rate",
        "slow_cut",
        "total_cut",
        "proposed",
        "change_rate",
        "carryover_unused",
        "carryover_recovered",
        "savings",
        "consequences",
    ]
    return out[columns].reset_index(drop=True)


#: The money columns :func:`unit_totals` sums per unit (万元).
UNIT_SUMS = ("base", "grade_cut", "balance_cut", "slow_cut", "total_cut", "proposed", "carryover_recovered", "savings")


def unit_totals(proposals: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Per unit: this year's base, each kind of cut, the proposal and the savings.

    Returns
    -------
    DataFrame
        ``unit_id``, ``unit_name``, ``n_projects``, ``base``, ``grade_cut``, ``balance_cut``,
        ``slow_cut``, ``total_cut``, ``proposed``, ``carryover_recovered``, ``savings``,
        ``savings_rate`` (savings ÷ base).
    """
    sums = list(UNIT_SUMS)
    work = proposals[["unit_id", *sums]].assign(n_projects=1)
    out = work.groupby("unit_id", sort=False)[["n_projects", *sums]].sum().reset_index()
    out = units[["unit_id", "unit_name"]].merge(out, on="unit_id", how="inner")
    out["savings_rate"] = safe_ratio(out["savings"], out["base"])
    return out


def appraisal_scores(
    departments: pd.DataFrame, stages: pd.DataFrame, scores: pd.DataFrame, scheme: Scheme
) -> pd.DataFrame:
    r"""Each unit's score for the government's performance appraisal, :math:`A = \sum_c w_c x_c / \sum_c w_c`.

    Components :math:`x_c` (0–100): ``department`` (whole-department framework score), ``projects``
    (budget-weighted final project scores), ``execution`` (:math:`100 \min(1, \sum E / \sum B)` over
    its projects), ``process`` (100 × the mean of the money shares of its projects with targets, with
    monitoring and with an evaluation). Weights ``results.appraisal.weights`` (toolkit policy); a
    missing component is left out and the weights renormalised. Graded with the scheme's bands and
    ranked (1 = best).

    Returns
    -------
    DataFrame
        ``unit_id``, ``unit_name``, ``department``, ``projects``, ``execution``, ``process``,
        ``appraisal_total``, ``appraisal_grade``, ``rank``.
    """
    weights = sections.get(scheme, "results")["appraisal"]["weights"]
    money = stages.merge(scores[["project_id", "unit_id", "annual", "executed"]], on="project_id", how="left")
    annual = np.nan_to_num(money["annual"].to_numpy(dtype=float))
    for stage in ("targets", "monitored", "evaluated"):
        money[f"{stage}_money"] = np.where(money[stage].to_numpy(dtype=bool), annual, 0.0)
    money["annual"] = annual
    money["executed"] = np.nan_to_num(money["executed"].to_numpy(dtype=float))
    per_unit = money.groupby("unit_id", sort=False)[
        ["annual", "executed", "targets_money", "monitored_money", "evaluated_money"]
    ].sum()
    shares = np.column_stack(
        [
            safe_ratio(per_unit[f"{s}_money"], per_unit["annual"])
            for s in ("targets", "monitored", "evaluated")
        ]
    )
    per_unit["execution"] = 100.0 * np.minimum(1.0, safe_ratio(per_unit["executed"], per_unit["annual"]))
    per_unit["process"] = 100.0 * shares.mean(axis=1)
    out = departments[["unit_id", "unit_name", "framework_total", "projects_total"]].rename(
        columns={"framework_total": "department", "projects_total": "projects"}
    )
    out = out.merge(per_unit[["execution", "process"]].reset_index(), on="unit_id", how="left")
    values = out[list(APPRAISAL_COMPONENTS)].to_numpy(dtype=float)
    w = np.asarray([float(weights[c]) for c in APPRAISAL_COMPONENTS])
    present = ~np.isnan(values)
    out["appraisal_total"] = safe_ratio((np.nan_to_num(values) * w).sum(axis=1), (present * w).sum(axis=1))
    out["appraisal_grade"] = grade_points(out["appraisal_total"].to_numpy(dtype=float), scheme)
    out["rank"] = out["appraisal_total"].rank(ascending=False, method="min").astype("Int64")
    return out.sort_values("rank", kind="stable").reset_index(drop=True)


def run(
    year: Any,
    scheme: Scheme,
    scores: pd.DataFrame | None = None,
    stages: pd.DataFrame | None = None,
    departments: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """``proposals`` (:func:`budget_proposals`), ``units`` (:func:`unit_totals`) and ``appraisal``
    (:func:`appraisal_scores`) of a year.

    ``scores`` (:func:`pbm_lib.process.evaluation.project_scores`), ``stages``
    (:func:`pbm_lib.process.government.year_stages`) and ``departments``
    (:func:`pbm_lib.process.department.evaluate_departments`) are computed when not given.
    """
    from .department import evaluate_departments
    from .evaluation import project_scores
    from .government import year_stages

    scores = scores if scores is not None else project_scores(year, scheme)
    units = table(year, "units")
    proposals = budget_proposals(
        scores,
        table(year, "projects"),
        table(year, "budget"),
        scheme,
        int(getattr(year, "year", 0) or 0),
        table(year, "history"),
    )
    if departments is None:
        departments = evaluate_departments(units, table(year, "department_targets"), scores, scheme)
    stages = stages if stages is not None else year_stages(year, scheme, scores)
    return {
        "proposals": proposals,
        "units": unit_totals(proposals, units),
        "appraisal": appraisal_scores(departments, stages, scores, scheme),
    }
