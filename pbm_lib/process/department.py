"""Whole-department evaluation (部门整体绩效评价) and the roll-up of a department's projects (rules.md §3.9).

Two views of a department (or unit, 乡镇, 街道), both on 100 points:

1. **Framework score**: its whole-department targets (部门整体绩效目标, six dimensions of the seed plan:
   运行成本, 管理效率, 履职效能, 社会效应, 可持续发展能力, 服务对象满意度) scored row by row with the same
   indicator rules as projects (:func:`pbm_lib.scoring.score_indicators`: positive, reverse, zero
   and negative targets, qualitative bands). No national weights exist for the six dimensions
   (rules.md §3.9), so each row keeps its own 分值; their total must be ``department.total`` (100),
   otherwise the score is rescaled to it and ``weights_ok`` is False.
2. **Projects' roll-up**: the budget-weighted mean of its projects' final scores
   (:func:`pbm_lib.process.evaluation.project_scores`), :math:`P = \\sum_p B_p T_p / \\sum_p B_p`,
   with ``B`` the 全年预算数 (``rollup_weight: annual``) or the execution.

The department score blends them, :math:`D = w_F F + w_P P` (``department.blend``, toolkit policy),
using whichever is available when one is missing, and is graded with the scheme's bands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemes import Scheme
from ..scoring import grade_intervals, grade_points, score_indicators
from . import sections
from ._common import safe_ratio, table

#: English column of each whole-department dimension.
DIMENSION_COLUMNS = {
    "运行成本": "running_cost",
    "管理效率": "management_efficiency",
    "履职效能": "duty_performance",
    "社会效应": "social_effect",
    "可持续发展能力": "sustainability",
    "服务对象满意度": "satisfaction",
}


def score_department_targets(department_targets: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Rule score of every whole-department target row (scoring rules of rules.md §3.4–§3.6).

    Returns
    -------
    DataFrame
        The rows of :func:`pbm_lib.scoring.score_indicators`, with ``unit_id``, ``dimension`` and
        ``indicator`` kept (``project_id`` holds the unit id, ``level1`` the dimension).
    """
    rows = department_targets.copy()
    rows["project_id"] = rows["unit_id"]
    rows["level1"] = rows["dimension"]
    rows["level3"] = rows["indicator"]
    return score_indicators(rows, scheme)


def framework_scores(department_targets: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    r"""Whole-department framework score per unit, as an interval, with its dimensions and grade.

    :math:`F = [\sum lo, \sum hi] \cdot T / W`, where ``lo``, ``hi`` are the rows' contributions (a rule
    score, a qualitative band, or ``[0, w]`` without evidence; rules.md §4.6), :math:`W` the rows'
    weight total and :math:`T` = ``department.total`` (100): when the weights total :math:`T` this is
    simply :math:`[\sum lo, \sum hi]`. Graded with the scheme's bands (证据不足 when the interval
    straddles a boundary).

    Returns
    -------
    DataFrame
        One row per unit with targets: ``unit_id``, ``n_targets``, ``weight_total``, ``weights_ok``,
        one column per dimension (points, the midpoint of its interval), ``framework_lo``,
        ``framework_hi``, ``framework_total`` (midpoint), ``self_total`` (Σ 自评得分),
        ``evidence_share``, ``framework_grade``, ``grade_status``.
    """
    s = sections.get(scheme, "department")
    scored = score_department_targets(department_targets, scheme)
    rows = scored[scored["counted"]].copy()
    rows["weight"] = pd.to_numeric(rows["weight"], errors="coerce").astype(float)
    rows["self_score"] = pd.to_numeric(rows.get("self_score"), errors="coerce").astype(float)
    rows["evidence_weight"] = np.where(rows["state"].astype(object) == "measured", rows["weight"], 0.0)
    rows["mid"] = (rows["score_lo"] + rows["score_hi"]) / 2
    grouped = rows.groupby("unit_id", sort=False)
    out = grouped.agg(
        n_targets=("weight", "size"),
        weight_total=("weight", "sum"),
        lo=("score_lo", "sum"),
        hi=("score_hi", "sum"),
        self_total=("self_score", "sum"),
        evidence=("evidence_weight", "sum"),
    ).reset_index()
    total = float(s["total"])
    out["weights_ok"] = np.abs(out["weight_total"] - total) <= float(s["weight_tolerance"]) + 1e-9
    factor = safe_ratio(np.full(len(out), total), out["weight_total"])
    dims = rows.pivot_table(index="unit_id", columns="dimension", values="mid", aggfunc="sum")
    dims = dims.reindex(columns=list(s["dimensions"])).rename(columns=DIMENSION_COLUMNS)
    dims.columns.name = None
    out = out.merge(dims.reset_index(), on="unit_id", how="left")
    out["framework_lo"] = out["lo"] * factor
    out["framework_hi"] = out["hi"] * factor
    out["framework_total"] = (out["framework_lo"] + out["framework_hi"]) / 2
    out["evidence_share"] = safe_ratio(out["evidence"], out["weight_total"])
    grades = grade_intervals(out["framework_lo"], out["framework_hi"], scheme)
    out["framework_grade"] = grades["grade"].to_numpy()
    out["grade_status"] = grades["grade_status"].to_numpy()
    names = [DIMENSION_COLUMNS[d] for d in s["dimensions"]]
    columns = [
        "unit_id",
        "n_targets",
        "weight_total",
        "weights_ok",
        *names,
        "framework_lo",
        "framework_hi",
        "framework_total",
        "self_total",
        "evidence_share",
        "framework_grade",
        "grade_status",
    ]
    return out[columns]


def project_rollup(scores: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    r"""Budget-weighted mean of the final project scores per unit, :math:`P = \sum B_p T_p / \sum B_p`.

    Projects without a final score are left out of the mean but counted (``n_unscored``,
    ``unscored_budget``).

    Parameters
    ----------
    scores : DataFrame
        :func:`pbm_lib.process.evaluation.project_scores`.

    Returns
    -------
    DataFrame
        One row per unit with projects: ``unit_id``, ``n_projects``, ``n_unscored``, ``budget``
        (Σ weights), ``unscored_budget``, ``projects_total``, ``projects_grade``.
    """
    s = sections.get(scheme, "department")
    weight = scores[s["rollup_weight"]].to_numpy(dtype=float)
    weight = np.nan_to_num(weight)
    total = scores["final_total"].to_numpy(dtype=float)
    has = ~np.isnan(total)
    work = pd.DataFrame(
        {
            "unit_id": scores["unit_id"].to_numpy(),
            "n_projects": 1,
            "n_unscored": (~has).astype(int),
            "budget": weight,
            "unscored_budget": np.where(has, 0.0, weight),
            "weighted": np.where(has, weight * np.nan_to_num(total), 0.0),
            "scored_budget": np.where(has, weight, 0.0),
        }
    )
    out = work.groupby("unit_id", sort=False).sum().reset_index()
    out["projects_total"] = safe_ratio(out["weighted"], out["scored_budget"])
    out["projects_grade"] = grade_points(out["projects_total"].to_numpy(dtype=float), scheme)
    return out[
        [
            "unit_id",
            "n_projects",
            "n_unscored",
            "budget",
            "unscored_budget",
            "projects_total",
            "projects_grade",
        ]
    ]


def evaluate_departments(
    units: pd.DataFrame, department_targets: pd.DataFrame, scores: pd.DataFrame, scheme: Scheme
) -> pd.DataFrame:
    r"""Department score :math:`D = w_F F + w_P P` (``department.blend``) with its grade, per unit.

    ``F`` is the framework total (:func:`framework_scores`, midpoint of its interval) and ``P`` the
    projects' roll-up (:func:`project_rollup`); when one is missing the other alone is used
    (weights renormalised), when both are missing there is no score.

    Returns
    -------
    DataFrame
        One row per unit: ``unit_id``, ``unit_name``, ``unit_kind``, the columns of
        :func:`framework_scores` and :func:`project_rollup`, ``department_total``, ``department_grade``.
    """
    blend = sections.get(scheme, "department")["blend"]
    frame = framework_scores(department_targets, scheme)
    rollup = project_rollup(scores, scheme)
    out = units[["unit_id", "unit_name", "unit_kind"]].merge(frame, on="unit_id", how="left")
    out = out.merge(rollup, on="unit_id", how="left")
    f = out["framework_total"].to_numpy(dtype=float)
    p = out["projects_total"].to_numpy(dtype=float)
    wf = np.where(np.isnan(f), 0.0, float(blend["framework"]))
    wp = np.where(np.isnan(p), 0.0, float(blend["projects"]))
    out["department_total"] = safe_ratio(wf * np.nan_to_num(f) + wp * np.nan_to_num(p), wf + wp)
    out["department_grade"] = grade_points(out["department_total"].to_numpy(dtype=float), scheme)
    out["n_targets"] = out["n_targets"].fillna(0).astype(int)
    out["n_projects"] = out["n_projects"].fillna(0).astype(int)
    return out.reset_index(drop=True)


def run(year: Any, scheme: Scheme, scores: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """``departments`` (:func:`evaluate_departments`) and ``targets`` (:func:`score_department_targets`)."""
    from .evaluation import project_scores

    scores = scores if scores is not None else project_scores(year, scheme)
    targets = table(year, "department_targets")
    return {
        "departments": evaluate_departments(table(year, "units"), targets, scores, scheme),
        "targets": score_department_targets(targets, scheme),
    }
