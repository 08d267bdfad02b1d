"""City level: the government's revenue and expenditure budget (政府收支预算) and coverage (rules.md §1, §2, §3.14).

The seed plan asks for performance management on every object (全方位), at every stage (全过程) and for
every fund (全覆盖: the four budgets, plus 政府投资基金, PPP, 政府采购, 政府购买服务 and 政府债务 projects),
and for a self-evaluation of the city's own revenue and expenditure budget by the end of October. No
scoring framework for that budget is known (rules.md §3.14), so this module reports measures, not a
score:

- the four budgets' execution: final ÷ budgeted, revenue and expenditure (政府收支 sheet), with the
  project money each budget funds;
- coverage of the special categories: projects, money, execution and grades per category;
- the distribution of final grades (count and money);
- the share of project money under performance management at each stage: targets set, monitored,
  evaluated, and ex-ante assessed among the new major projects that need it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemes import Scheme
from ..scoring import INSUFFICIENT
from ..workbook.schema import BUDGET_TYPES, GRADES, SPECIAL_CATEGORIES
from ._common import safe_ratio, table
from .evaluation import NOT_EVALUATED

STAGE_LABELS = {
    "targets": "设定绩效目标",
    "monitored": "开展双监控",
    "evaluated": "开展绩效评价",
    "ex_ante": "新增重大项目开展事前评估",
}


def four_budgets(government: pd.DataFrame, project_money: pd.DataFrame | None = None) -> pd.DataFrame:
    """Execution of the four budgets: ``rate = 决算数 / 预算数`` for revenue and expenditure.

    Parameters
    ----------
    government : DataFrame
        ``budget_type``, ``flow`` (收入/支出), ``budgeted``, ``final`` (the 政府收支 sheet).
    project_money : DataFrame, optional
        ``budget_type``, ``annual``, ``executed`` per project, to show the project money of each budget.

    Returns
    -------
    DataFrame
        One row per budget type (四本预算, in the official order): ``budget_type``,
        ``revenue_budgeted``, ``revenue_final``, ``revenue_rate``, ``expenditure_budgeted``,
        ``expenditure_final``, ``expenditure_rate``, ``balance`` (final revenue − final expenditure),
        and with projects ``n_projects``, ``project_annual``, ``project_executed``,
        ``project_share`` (project 全年预算数 ÷ budgeted expenditure).
    """
    g = government.copy()
    g["flow"] = g["flow"].map({"收入": "revenue", "支出": "expenditure"})
    wide = g.pivot_table(index="budget_type", columns="flow", values=["budgeted", "final"], aggfunc="sum")
    wide.columns = [f"{flow}_{what}" for what, flow in wide.columns]
    wide = wide.reindex(index=list(BUDGET_TYPES))
    for flow in ("revenue", "expenditure"):
        for what in ("budgeted", "final"):
            if f"{flow}_{what}" not in wide:
                wide[f"{flow}_{what}"] = np.nan
        wide[f"{flow}_rate"] = safe_ratio(wide[f"{flow}_final"], wide[f"{flow}_budgeted"])
    wide["balance"] = wide["revenue_final"] - wide["expenditure_final"]
    columns = [
        "revenue_budgeted",
        "revenue_final",
        "revenue_rate",
        "expenditure_budgeted",
        "expenditure_final",
        "expenditure_rate",
        "balance",
    ]
    out = wide[columns].reset_index().rename(columns={"index": "budget_type"})
    if project_money is not None:
        money = project_money.groupby("budget_type").agg(
            n_projects=("annual", "size"),
            project_annual=("annual", "sum"),
            project_executed=("executed", "sum"),
        )
        out = out.merge(money.reset_index(), on="budget_type", how="left")
        out["n_projects"] = out["n_projects"].fillna(0).astype(int)
        out["project_share"] = safe_ratio(out["project_annual"], out["expenditure_budgeted"])
    return out


def stage_flags(
    projects: pd.DataFrame,
    review: pd.DataFrame,
    monitoring_projects: pd.DataFrame,
    scores: pd.DataFrame,
    ex_ante: pd.DataFrame,
) -> pd.DataFrame:
    """Which stages each project went through.

    ``targets``: it has targets (target review); ``monitored``: it has a monthly light (execution or
    indicators) in some month; ``evaluated``: it has a final score (self, rule or external);
    ``ex_ante_required`` / ``ex_ante``: it needs an ex-ante assessment and has one.

    Returns
    -------
    DataFrame
        ``project_id``, ``targets``, ``monitored``, ``evaluated``, ``ex_ante_required``, ``ex_ante``.
    """
    out = projects[["project_id"]].copy()
    out["targets"] = (
        out["project_id"].map(review.set_index("project_id")["has_targets"]).fillna(False).astype(bool)
    )
    lit = monitoring_projects.loc[monitoring_projects["light_code"].to_numpy() >= 0, "project_id"]
    out["monitored"] = out["project_id"].isin(set(lit)).to_numpy()
    evaluated = scores.set_index("project_id")["final_source"] != NOT_EVALUATED
    out["evaluated"] = out["project_id"].map(evaluated).fillna(False).astype(bool)
    required = ex_ante.loc[ex_ante["required"], "project_id"]
    assessed = ex_ante.loc[ex_ante["assessed"], "project_id"]
    out["ex_ante_required"] = out["project_id"].isin(set(required)).to_numpy()
    out["ex_ante"] = out["project_id"].isin(set(assessed)).to_numpy()
    return out


def managed_shares(stages: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Share of project money (全年预算数) under performance management at each stage (全过程, 全覆盖).

    For ``targets``, ``monitored`` and ``evaluated`` the base is all project money; for ``ex_ante``
    it is the money of the new major projects that need an assessment.

    Returns
    -------
    DataFrame
        One row per stage: ``stage``, ``label``, ``n_projects``, ``n_base``, ``money``, ``money_base``,
        ``money_share``, ``count_share``.
    """
    money = stages.merge(scores[["project_id", "annual"]], on="project_id", how="left")
    annual = np.nan_to_num(money["annual"].to_numpy(dtype=float))
    rows = []
    for stage in ("targets", "monitored", "evaluated", "ex_ante"):
        base = money["ex_ante_required"].to_numpy() if stage == "ex_ante" else np.ones(len(money), dtype=bool)
        hit = money[stage].to_numpy() & base
        rows.append(
            {
                "stage": stage,
                "label": STAGE_LABELS[stage],
                "n_projects": int(hit.sum()),
                "n_base": int(base.sum()),
                "money": float(annual[hit].sum()),
                "money_base": float(annual[base].sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["money_share"] = safe_ratio(out["money"], out["money_base"])
    out["count_share"] = safe_ratio(out["n_projects"], out["n_base"])
    return out


def grade_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """Count and money of the projects per final grade (优, 良, 中, 差, 证据不足, 未评价).

    Returns
    -------
    DataFrame
        ``grade``, ``n_projects``, ``annual``, ``count_share``, ``money_share``.
    """
    labels = [*GRADES, INSUFFICIENT, NOT_EVALUATED]
    grade = scores["final_grade"].astype(object).where(scores["final_grade"].notna(), NOT_EVALUATED)
    work = pd.DataFrame(
        {
            "grade": pd.Categorical(grade, categories=labels),
            "n_projects": 1,
            "annual": np.nan_to_num(scores["annual"].to_numpy(dtype=float)),
        }
    )
    out = work.groupby("grade", observed=False)[["n_projects", "annual"]].sum().reset_index()
    out["grade"] = out["grade"].astype(object)
    out["count_share"] = safe_ratio(out["n_projects"], np.full(len(out), out["n_projects"].sum()))
    out["money_share"] = safe_ratio(out["annual"], np.full(len(out), out["annual"].sum()))
    return out


def special_categories(projects: pd.DataFrame, scores: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the special categories (全覆盖): PPP, 政府债务, 政府采购, 政府购买服务, 政府投资基金.

    Returns
    -------
    DataFrame
        One row per category of the schema (including 无): ``special_category``, ``n_projects``,
        ``annual``, ``executed``, ``execution_rate``, ``targets_share``, ``monitored_share``,
        ``evaluated_share`` (money shares), ``n_优`` … ``n_差``.
    """
    work = projects[["project_id", "special_category"]].merge(
        scores[["project_id", "annual", "executed", "final_grade"]], on="project_id", how="left"
    )
    work = work.merge(stages, on="project_id", how="left")
    annual = np.nan_to_num(work["annual"].to_numpy(dtype=float))
    work["annual"] = annual
    work["executed"] = np.nan_to_num(work["executed"].to_numpy(dtype=float))
    for stage in ("targets", "monitored", "evaluated"):
        work[f"{stage}_money"] = np.where(work[stage].fillna(False).to_numpy(dtype=bool), annual, 0.0)
    for grade in GRADES:
        work[f"n_{grade}"] = (work["final_grade"].astype(object) == grade).astype(int)
    work["n_projects"] = 1
    work["special_category"] = pd.Categorical(work["special_category"], categories=list(SPECIAL_CATEGORIES))
    sums = [
        "n_projects",
        "annual",
        "executed",
        "targets_money",
        "monitored_money",
        "evaluated_money",
        *[f"n_{g}" for g in GRADES],
    ]
    out = work.groupby("special_category", observed=False)[sums].sum().reset_index()
    out["special_category"] = out["special_category"].astype(object)
    out["execution_rate"] = safe_ratio(out["executed"], out["annual"])
    for stage in ("targets", "monitored", "evaluated"):
        out[f"{stage}_share"] = safe_ratio(out.pop(f"{stage}_money"), out["annual"])
    return out[
        [
            "special_category",
            "n_projects",
            "annual",
            "executed",
            "execution_rate",
            "targets_share",
            "monitored_share",
            "evaluated_share",
            *[f"n_{g}" for g in GRADES],
        ]
    ]


def year_stages(year: Any, scheme: Scheme, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`stage_flags` of a year: runs the target review, the monitoring lights and the ex-ante check."""
    from . import ex_ante, monitoring, targets
    from .evaluation import project_scores

    scores = scores if scores is not None else project_scores(year, scheme)
    projects = table(year, "projects")
    fiscal_year = getattr(year, "year", None)
    review = targets.review_targets(table(year, "indicators"), projects, scheme)
    execution = monitoring.execution_lights(
        table(year, "monthly"), year.project_budget(), scheme, fiscal_year
    )
    lights = monitoring.indicator_lights(
        table(year, "indicators"), table(year, "progress"), scheme, fiscal_year
    )
    monitored = monitoring.project_lights(execution, lights, scheme)
    assessed = ex_ante.coverage(projects, table(year, "ex_ante"), scheme)
    return stage_flags(projects, review, monitored, scores, assessed)


def run(
    year: Any, scheme: Scheme, scores: pd.DataFrame | None = None, stages: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """All city-level tables: ``budgets`` (:func:`four_budgets`), ``special_categories``, ``grades``
    (:func:`grade_distribution`), ``stages`` (:func:`year_stages`) and ``managed`` (:func:`managed_shares`).

    ``scores`` (:func:`pbm_lib.process.evaluation.project_scores`) and ``stages`` are computed when
    not given.
    """
    from .evaluation import project_scores

    scores = scores if scores is not None else project_scores(year, scheme)
    projects = table(year, "projects")
    stages = stages if stages is not None else year_stages(year, scheme, scores)
    money = projects[["project_id", "budget_type"]].merge(year.project_budget(), on="project_id", how="left")
    return {
        "budgets": four_budgets(table(year, "government"), money),
        "special_categories": special_categories(projects, scores, stages),
        "grades": grade_distribution(scores),
        "stages": stages,
        "managed": managed_shares(stages, scores),
    }
