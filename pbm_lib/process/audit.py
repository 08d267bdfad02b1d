"""Self-evaluation audit signals (自评审计线索) for the 审计局 and 财政局 (rules.md §2 steps 12 and 18, §5).

The seed plan asks the finance bureau to check self-evaluations for truthfulness (真实性) and the audit
bureau to audit the whole process. This module turns the year's scores into ranked leads, per project:

=======================  ================================================================  ==========================
signal                   when                                                              margin (scheme)
=======================  ================================================================  ==========================
``self_above_rule``      self total − upper end of the rule total > margin                 ``audit.self_vs_rule``
``self_above_external``  self total − the highest finance / third-party total > margin,    ``audit.self_vs_external``,
                         or (``grade_jump``) a self grade above that evaluation's grade     ``audit.grade_jump``
``outputs_unspent``      every output (产出) indicator met while ``E/B`` < ratio           ``review.output_spend_ratio``
                         (rules.md §5 ``output-spend-mismatch``)
``copied_targets``       actuals that copy the target (an operator in the actual, or a     ``audit.min_copied_rows``
                         descriptive target repeated; rules.md §5 ``actual-copies-target``)
``targets_too_low``      at least ``min_low_rows`` rows with an actual ≥ h·target           ``audit.min_low_rows``,
                         (over-achievement, rules.md §3.6) or a target below last year's   ``scoring.over_achievement``
                         actual (target review)                                            ``.threshold`` (h)
=======================  ================================================================  ==========================

The rule total is an interval when evidence is missing; its upper end is used, so a signal means the
self-score exceeds even the most generous reading of the evidence. ``money_at_stake`` is the project's
全年预算数: the money whose reported performance is in doubt; projects are ranked by it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemes import Scheme
from ..scoring import split_level1
from . import sections
from ._common import table

SIGNALS = {
    "self_above_rule": "自评分高于规则复算分",
    "self_above_external": "自评分高于财政评价或第三方评价",
    "outputs_unspent": "资金大量未支出而产出指标全部完成",
    "copied_targets": "实际完成值照抄目标值",
    "targets_too_low": "绩效目标设定偏低",
}
_GRADE_RANK = {"优": 0, "良": 1, "中": 2, "差": 3}
_OUTPUT = "产出指标"


def _fmt(values: Any, pattern: str) -> pd.Series:
    return pd.Series(values).map(lambda v: "—" if pd.isna(v) else pattern.format(v))


def project_signals(
    scores: pd.DataFrame, scored: pd.DataFrame, checks: pd.DataFrame, scheme: Scheme
) -> pd.DataFrame:
    """Every audit signal of every project, one row per signal (see the module table).

    Parameters
    ----------
    scores : DataFrame
        :func:`pbm_lib.process.evaluation.project_scores`.
    scored : DataFrame
        :func:`pbm_lib.scoring.score_indicators` of the year's indicators (``state``, ``reason``,
        ``met``, ``over_achieved``, ``counted``).
    checks : DataFrame
        :func:`pbm_lib.process.targets.indicator_checks` of the same rows (``below_last``).

    Returns
    -------
    DataFrame
        ``project_id``, ``project_name``, ``unit_id``, ``signal``, ``label`` (Chinese), ``detail``
        (Chinese, with the numbers), ``money_at_stake``, ``unspent`` (B − E).
    """
    a = sections.get(scheme, "audit")
    base = scores[
        [
            "project_id",
            "project_name",
            "unit_id",
            "annual",
            "executed",
            "execution_rate",
            "self_total",
            "self_grade",
            "rule_hi",
            "rule_total",
            "finance_total",
            "third_party_total",
            "finance_grade",
            "third_party_grade",
        ]
    ].reset_index(drop=True)
    parts: list[pd.DataFrame] = []

    def add(signal: str, mask: np.ndarray, detail: pd.Series) -> None:
        found = base.loc[mask, ["project_id", "project_name", "unit_id", "annual", "executed"]].copy()
        found["signal"] = signal
        found["label"] = SIGNALS[signal]
        found["detail"] = detail[mask].to_numpy()
        parts.append(found)

    self_total = base["self_total"].to_numpy(dtype=float)
    rule_hi = base["rule_hi"].to_numpy(dtype=float)
    gap = self_total - rule_hi
    add(
        "self_above_rule",
        np.nan_to_num(gap, nan=-np.inf) > float(a["self_vs_rule"]),
        "自评"
        + _fmt(self_total, "{:.2f}")
        + "分，规则复算最高"
        + _fmt(rule_hi, "{:.2f}")
        + "分，高出"
        + _fmt(gap, "{:.2f}")
        + "分",
    )

    finance = base["finance_total"].to_numpy(dtype=float)
    third = base["third_party_total"].to_numpy(dtype=float)
    use_finance = ~np.isnan(finance) & (np.isnan(third) | (finance >= third))
    external = np.where(use_finance, finance, third)
    external_grade = np.where(
        use_finance, base["finance_grade"].to_numpy(), base["third_party_grade"].to_numpy()
    )
    external_name = np.where(use_finance, "财政评价", "第三方评价")
    self_rank = base["self_grade"].map(_GRADE_RANK).to_numpy(dtype=float)
    external_rank = pd.Series(external_grade).map(_GRADE_RANK).to_numpy(dtype=float)
    jump = bool(a["grade_jump"]) & (self_rank < external_rank)
    over = np.nan_to_num(self_total - external, nan=-np.inf) > float(a["self_vs_external"])
    add(
        "self_above_external",
        over | jump,
        "自评"
        + _fmt(self_total, "{:.2f}")
        + "分（"
        + base["self_grade"].astype(object).fillna("—")
        + "），"
        + pd.Series(external_name)
        + _fmt(external, "{:.2f}")
        + "分（"
        + pd.Series(external_grade).fillna("—")
        + "）",
    )

    # Outputs all met while the money stayed unspent.
    level1 = split_level1(scored["level1"], scheme)["category"].to_numpy() if len(scored) else np.zeros(0)
    met = scored["met"].to_numpy(dtype=float, na_value=np.nan) if len(scored) else np.zeros(0)
    output = (level1 == _OUTPUT) & scored["counted"].to_numpy(dtype=bool) & ~np.isnan(met)
    rows = pd.DataFrame(
        {
            "project_id": scored["project_id"].to_numpy(),
            "n": output.astype(int),
            "missed": (output & (met == 0)).astype(int),
        }
    )
    per = rows.groupby("project_id").sum()
    n_out = base["project_id"].map(per["n"]).fillna(0).to_numpy()
    missed = base["project_id"].map(per["missed"]).fillna(0).to_numpy()
    rate = base["execution_rate"].to_numpy(dtype=float)
    add(
        "outputs_unspent",
        (n_out > 0) & (missed == 0) & (rate < scheme.review.output_spend_ratio),
        "预算执行率" + _fmt(100 * rate, "{:.1f}") + "%，" + _fmt(n_out, "{:.0f}") + "项产出指标全部完成",
    )

    # Actuals that copy their targets.
    copied = scored["reason"].astype(object).isin(["operator_in_actual", "copies_target"]).to_numpy()
    per_copy = pd.Series(copied.astype(int), index=scored["project_id"].to_numpy()).groupby(level=0).sum()
    n_copy = base["project_id"].map(per_copy).fillna(0).to_numpy()
    add(
        "copied_targets",
        n_copy >= int(a["min_copied_rows"]),
        _fmt(n_copy, "{:.0f}") + "项指标的实际完成值照抄目标值",
    )

    # Targets set too low: over-achievement and targets below last year's actual.
    h = scheme.rules.over_achievement.threshold
    per_over = pd.Series(scored["over_achieved"].to_numpy(dtype=int), index=scored["project_id"].to_numpy())
    n_over = base["project_id"].map(per_over.groupby(level=0).sum()).fillna(0).to_numpy()
    per_low = pd.Series(checks["below_last"].to_numpy(dtype=int), index=checks["project_id"].to_numpy())
    n_low = base["project_id"].map(per_low.groupby(level=0).sum()).fillna(0).to_numpy()
    # Name only the kinds found: "4项目标值低于上年实际完成值", not "0项…达到…以上，4项…".
    over_text = (_fmt(n_over, "{:.0f}") + f"项指标完成值达到目标值{h:g}倍以上").where(n_over > 0, "")
    low_text = (_fmt(n_low, "{:.0f}") + "项目标值低于上年实际完成值").where(n_low > 0, "")
    add(
        "targets_too_low",
        (n_over + n_low) >= int(a["min_low_rows"]),
        over_text + np.where((n_over > 0) & (n_low > 0), "，", "") + low_text,
    )

    columns = [
        "project_id",
        "project_name",
        "unit_id",
        "signal",
        "label",
        "detail",
        "money_at_stake",
        "unspent",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out["money_at_stake"] = out["annual"].astype(float)
    out["unspent"] = out["annual"].astype(float) - out["executed"].astype(float)
    order = {name: i for i, name in enumerate(SIGNALS)}
    out["_order"] = out["signal"].map(order)
    out = out.sort_values(
        ["money_at_stake", "project_id", "_order"], ascending=[False, True, True], kind="stable"
    )
    return out[columns].reset_index(drop=True)


def ranked_projects(signals: pd.DataFrame) -> pd.DataFrame:
    """Projects with at least one signal, ranked by money at stake (then by number of signals).

    Returns
    -------
    DataFrame
        ``rank``, ``project_id``, ``project_name``, ``unit_id``, ``n_signals``, ``signals`` (、-joined
        labels), ``money_at_stake``, ``unspent``.
    """
    if not len(signals):
        return pd.DataFrame(
            columns=[
                "rank",
                "project_id",
                "project_name",
                "unit_id",
                "n_signals",
                "signals",
                "money_at_stake",
                "unspent",
            ]
        )
    grouped = signals.groupby(["project_id", "project_name", "unit_id"], sort=False, dropna=False)
    out = grouped.agg(
        n_signals=("signal", "size"),
        signals=("label", "、".join),
        money_at_stake=("money_at_stake", "first"),
        unspent=("unspent", "first"),
    ).reset_index()
    out = out.sort_values(["money_at_stake", "n_signals"], ascending=[False, False], kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)


def run(
    year: Any,
    scheme: Scheme,
    scores: pd.DataFrame | None = None,
    scored: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """``signals`` (:func:`project_signals`) and ``projects`` (:func:`ranked_projects`) of a year.

    ``scored`` is :func:`pbm_lib.scoring.score_year` of the year and ``scores``
    :func:`pbm_lib.process.evaluation.project_scores`; both are computed when not given.
    """
    from ..scoring import score_year
    from .evaluation import project_scores
    from .targets import indicator_checks

    scored = scored if scored is not None else score_year(year, scheme)
    scores = scores if scores is not None else project_scores(year, scheme, scored)
    checks = indicator_checks(table(year, "indicators"), scheme, scored["indicators"])
    signals = project_signals(scores, scored["indicators"], checks, scheme)
    return {"signals": signals, "projects": ranked_projects(signals)}
