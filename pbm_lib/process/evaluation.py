"""Project evaluation results side by side, and the score that counts (rules.md §2 steps 11–12, §3.1–§3.8).

Scoring itself lives in :mod:`pbm_lib.scoring` (one source of truth per rule); this module gathers,
for every project of the year, the unit's self-evaluation total, the rule total recomputed from the
indicators (an interval when evidence is missing, rules.md §4.6), and the finance-bureau (财政评价) and
third-party (第三方评价) totals, and picks the *final* score used by the later stages (department
roll-up, results application, city grade distribution): the first available source in the scheme's
``results.score_priority`` (default 财政评价, 第三方评价, rule, self — toolkit policy: the most
independent evaluation wins).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemes import Scheme
from ..scoring import grade_points, score_year
from . import sections
from ._common import table

#: Final-score sources, as named in ``results.score_priority``, and their Chinese labels.
SOURCE_LABELS = {"财政评价": "财政评价", "第三方评价": "第三方评价", "rule": "规则复算", "self": "单位自评"}
NOT_EVALUATED = "未评价"


def project_scores(year: Any, scheme: Scheme, scored: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    r"""Every project's self, rule, finance and third-party totals and its final score and grade.

    ``self_total`` is Σ ``self_score`` plus the rule budget score, as in
    :func:`pbm_lib.scoring.score_year`. The rule total is the interval ``[rule_lo, rule_hi]``;
    ``rule_grade`` is given when both ends fall in one band (else 证据不足, which is not a grade).
    The final score is the first available source in ``results.score_priority``: an external total,
    the rule score (when graded; an interval is represented by its midpoint, ``final_interval`` True)
    or the self total. Grades of every total come from the scheme's bands
    (:func:`pbm_lib.scoring.grade_points`), not from the printed grade.

    Parameters
    ----------
    year : YearData
    scheme : Scheme
    scored : dict, optional
        The result of :func:`pbm_lib.scoring.score_year` for the same year and scheme, if at hand.

    Returns
    -------
    DataFrame
        One row per project of the 项目 sheet: ``project_id``, ``project_name``, ``unit_id``,
        ``initial``, ``annual``, ``executed``, ``execution_rate``, ``self_total``, ``self_grade``,
        ``rule_lo``, ``rule_hi``, ``rule_total``, ``rule_grade`` (优…差, 证据不足 or None),
        ``evidence_share``, ``finance_total``, ``third_party_total``, ``finance_grade``,
        ``third_party_grade``, ``final_source`` (Chinese label, or 未评价), ``final_total``,
        ``final_interval``, ``final_grade``.
    """
    priority = list(sections.get(scheme, "results")["score_priority"])
    result = scored if scored is not None else score_year(year, scheme)
    projects = table(year, "projects")[["project_id", "project_name", "unit_id"]]
    out = projects.merge(year.project_budget(), on="project_id", how="left")
    totals = result["projects"][
        ["project_id", "total_lo", "total_hi", "rule_total", "grade", "grade_status", "evidence_share"]
    ]
    totals = totals.rename(columns={"total_lo": "rule_lo", "total_hi": "rule_hi", "grade": "rule_grade"})
    out = out.merge(totals, on="project_id", how="left")
    comparison = result["comparison"][["project_id", "self_total", "finance_total", "third_party_total"]]
    out = out.merge(comparison, on="project_id", how="left")
    out["self_grade"] = grade_points(out["self_total"].to_numpy(dtype=float), scheme)
    out["finance_grade"] = grade_points(out["finance_total"].to_numpy(dtype=float), scheme)
    out["third_party_grade"] = grade_points(out["third_party_total"].to_numpy(dtype=float), scheme)

    graded = (out["grade_status"].astype(object) == "graded").to_numpy()
    lo, hi = out["rule_lo"].to_numpy(dtype=float), out["rule_hi"].to_numpy(dtype=float)
    rule_value = np.where(
        np.isnan(out["rule_total"].to_numpy(dtype=float)),
        (lo + hi) / 2,
        out["rule_total"].to_numpy(dtype=float),
    )
    candidates = {
        "财政评价": (
            out["finance_total"].notna().to_numpy(),
            out["finance_total"].to_numpy(dtype=float),
            out["finance_grade"].to_numpy(),
        ),
        "第三方评价": (
            out["third_party_total"].notna().to_numpy(),
            out["third_party_total"].to_numpy(dtype=float),
            out["third_party_grade"].to_numpy(),
        ),
        "rule": (graded, rule_value, out["rule_grade"].to_numpy()),
        "self": (
            out["self_total"].notna().to_numpy(),
            out["self_total"].to_numpy(dtype=float),
            out["self_grade"].to_numpy(),
        ),
    }
    conditions = [candidates[p][0] for p in priority]
    out["final_source"] = np.select(conditions, [SOURCE_LABELS[p] for p in priority], NOT_EVALUATED)
    out["final_total"] = np.select(conditions, [candidates[p][1] for p in priority], np.nan)
    out["final_grade"] = np.select(conditions, [candidates[p][2] for p in priority], None)
    is_rule = out["final_source"].to_numpy() == SOURCE_LABELS["rule"]
    out["final_interval"] = is_rule & np.isnan(out["rule_total"].to_numpy(dtype=float))
    columns = [
        "project_id",
        "project_name",
        "unit_id",
        "initial",
        "annual",
        "executed",
        "execution_rate",
        "self_total",
        "self_grade",
        "rule_lo",
        "rule_hi",
        "rule_total",
        "rule_grade",
        "evidence_share",
        "finance_total",
        "third_party_total",
        "finance_grade",
        "third_party_grade",
        "final_source",
        "final_total",
        "final_interval",
        "final_grade",
    ]
    return out[columns].reset_index(drop=True)


def run(year: Any, scheme: Scheme) -> dict[str, pd.DataFrame]:
    """``projects`` (:func:`project_scores`), and ``indicators`` and ``comparison`` from
    :func:`pbm_lib.scoring.score_year` (scored indicator rows; self, finance, third-party side by side)."""
    scored = score_year(year, scheme)
    return {
        "projects": project_scores(year, scheme, scored),
        "indicators": scored["indicators"],
        "comparison": scored["comparison"],
    }
