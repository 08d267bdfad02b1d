"""Target review (绩效目标设置和审核): checks, review grade and its budget consequence (rules.md §2 steps 5–7, §3.11).

The finance bureau reviews each project's targets before funding it ("no target, no budget"). For
every project this module runs five checks, each giving a credit in [0, 1]:

``categories``
    coverage of the required categories (``required``: 产出 with 数量/质量/时效/成本, 效益, 满意度);
    credit = share of the required items present.
``quantified``
    share of indicators whose target is a number; credit = ``min(1, share / min_quantified_share)``.
``weights``
    indicator weights total the scheme's ``indicators_total`` (within ``weight_tolerance``), and every
    level-1 category fixed by the scheme sums to its weight; credit 1 (both), 0.5 (total only), 0.
``basis``
    share of indicators with 取值依据 (计划/行业/历史/其他标准, 财预〔2021〕101号).
``not_below_last``
    a continuing project's positive target below last year's actual (or a reverse target above it) is
    set too low; credit = 1 − share of the comparable indicators set too low (1 with none comparable).

The review points are ``Σ points_c · credit_c`` (``points``, total 100); the grade 优/良/中/差 is their
band in ``grades`` and the consequence comes from ``consequences`` (第二十五条: 直接进入预算安排,
协商完善, 修改后重报, 不得进入). A project without targets gets no grade and the consequence
``no_targets`` (不安排预算, seed plan). The points per check and the grade bands are toolkit policy:
rules.md §3.11 leaves the review grade to the reviewer and publishes only its consequences.
Whole-department targets (部门整体绩效目标, seed plan step 7) are checked per unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..indicators import align_units, parse_values
from ..schemes import Scheme
from ..scoring import score_indicators, split_level1
from . import sections
from ._common import band, join_labels, safe_ratio, table, text_mask

CHECKS = ("categories", "quantified", "weights", "basis", "not_below_last")
NO_TARGETS = "无绩效目标"
#: Row issues found by the review, with their Chinese message.
ISSUES = {
    "no_numeric_target": "目标值未量化",
    "no_basis": "缺少取值依据",
    "below_last_actual": "目标值低于上年实际完成值（目标设定偏低）",
}


def indicator_checks(
    indicators: pd.DataFrame, scheme: Scheme, scored: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per indicator row: numeric target, 取值依据, and comparison with last year's actual.

    ``below_last``: positive (≥, >) target ``t`` with last year's actual ``a₀`` in a comparable unit
    and ``t < a₀``, or reverse (≤, <) target with ``t > a₀`` (rules.md §3.6, 目标设定偏低). Units are
    reconciled as in scoring (:func:`pbm_lib.indicators.align_units`).

    Parameters
    ----------
    indicators : DataFrame
        The 绩效指标 sheet.
    scored : DataFrame, optional
        :func:`pbm_lib.scoring.score_indicators` of the same rows (computed when not given).

    Returns
    -------
    DataFrame
        ``project_id``, ``seq``, ``level1``, ``category`` (scheme level-1 name), ``level2``, ``level3``,
        ``weight``, ``quantified``, ``has_basis``, ``last_value`` (in the target's unit), ``comparable``,
        ``below_last``.
    """
    if scored is None:
        scored = score_indicators(indicators, scheme)
    n = len(indicators)
    level1 = indicators["level1"] if "level1" in indicators else pd.Series([None] * n, index=indicators.index)
    category = split_level1(level1, scheme)["category"].to_numpy()
    quantified = np.isfinite(scored["target_value"].to_numpy(dtype=float)) & (
        scored["kind"].astype(object).to_numpy() == "quantitative"
    )
    basis = text_mask(indicators["basis"]) if "basis" in indicators else np.zeros(n, dtype=bool)
    direction = scored["direction_rule"].astype(object).to_numpy()
    if "last_actual" in indicators and n:
        last = parse_values(indicators["last_actual"], None, indicators.get("measure_unit"))
        target_units = parse_values(
            indicators["target"], indicators.get("direction"), indicators.get("measure_unit")
        )["unit"].array
        reverse = np.isin(direction, ["reverse", "reverse_strict"])
        aligned = align_units(
            scored["target_value"].to_numpy(dtype=float),
            target_units,
            last["value"].to_numpy(dtype=float),
            last["unit"].array,
            reverse,
        )
        last_value = aligned["actual_value"].to_numpy(dtype=float)
    else:
        last_value = np.full(n, np.nan)
    t = scored["target_value"].to_numpy(dtype=float)
    positive = np.isin(direction, ["positive", "positive_strict"])
    reverse = np.isin(direction, ["reverse", "reverse_strict"])
    comparable = quantified & np.isfinite(last_value) & (positive | reverse)
    below = comparable & np.where(positive, t < last_value - 1e-9, t > last_value + 1e-9)
    return pd.DataFrame(
        {
            "project_id": indicators["project_id"].to_numpy(),
            "seq": indicators["seq"].to_numpy() if "seq" in indicators else np.arange(1, n + 1),
            "level1": level1.to_numpy(),
            "category": category,
            "level2": indicators["level2"].to_numpy() if "level2" in indicators else None,
            "level3": indicators["level3"].to_numpy() if "level3" in indicators else None,
            "weight": pd.to_numeric(indicators["weight"], errors="coerce").to_numpy(dtype=float),
            "quantified": quantified,
            "has_basis": basis,
            "last_value": last_value,
            "comparable": comparable,
            "below_last": below,
        }
    )


def _required_items(scheme: Scheme) -> list[tuple[str, str | None]]:
    items: list[tuple[str, str | None]] = []
    for level1, words in sections.get(scheme, "target_review")["required"].items():
        items.extend([(level1, w) for w in words] or [(level1, None)])
    return items


def review_targets(
    indicators: pd.DataFrame,
    projects: pd.DataFrame,
    scheme: Scheme,
    scored: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Review grade and consequence of every project's target set (see the module docstring for the checks).

    Parameters
    ----------
    indicators : DataFrame
        The 绩效指标 sheet.
    projects : DataFrame
        The 项目 sheet: every project is reviewed, including those without indicators.
    scheme : Scheme
        ``target_review`` section; ``weights`` (``indicators_total``, level-1 weights) for the weights check.
    scored : DataFrame, optional
        :func:`pbm_lib.scoring.score_indicators` of ``indicators``.

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``project_name``, ``unit_id``, ``n_indicators``,
        ``has_targets``, ``missing_categories`` (、-joined), ``quantified_share``, ``weight_total``,
        ``weights_ok``, ``level1_ok``, ``basis_share``, ``n_comparable``, ``n_below_last``, one
        ``credit_<check>`` per check, ``points``, ``grade`` (None without targets), ``result``
        (the grade, or 无绩效目标) and ``consequence``.
    """
    s = sections.get(scheme, "target_review")
    rows = indicator_checks(indicators, scheme, scored)
    ids = projects["project_id"].to_numpy()
    pid = pd.Index(ids)
    code = pid.get_indexer(rows["project_id"].to_numpy())
    rows = rows[code >= 0].reset_index(drop=True)
    code = code[code >= 0]
    n = len(ids)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=np.asarray(mask, dtype=float), minlength=n)

    n_rows = count(np.ones(len(rows)))
    has = n_rows > 0

    # Categories: (level 1, level-2 keyword) items present.
    items = _required_items(scheme)
    level2 = rows["level2"].astype(object).where(rows["level2"].notna(), "").astype(str)
    level1_text = rows["level1"].astype(object).where(rows["level1"].notna(), "").astype(str)
    present = np.zeros((n, len(items)), dtype=bool)
    for j, (level1, word) in enumerate(items):
        in_level = rows["category"].to_numpy() == level1
        if word is None:
            hit = in_level
        else:
            hit = (in_level & level2.str.contains(word, regex=False).to_numpy()) | (
                level1_text.str.contains(word, regex=False).to_numpy() & ~in_level
            )
        present[:, j] = count(hit) > 0
    labels = np.asarray(
        [f"{a.removesuffix('指标')}/{w}" if w else a.removesuffix("指标") for a, w in items], dtype=object
    )
    missing = join_labels(~present, labels)

    # Weights: total and fixed level-1 sums.
    weight = np.nan_to_num(rows["weight"].to_numpy(dtype=float))
    total = np.bincount(code, weights=weight, minlength=n)
    tolerance = float(s["weight_tolerance"])
    weights_ok = np.abs(total - scheme.indicators_total) <= tolerance + 1e-9
    level1_ok = np.ones(n, dtype=bool)
    categories = rows["category"].astype(object).to_numpy()
    fixed = [x for x in scheme.level1 if x.weight is not None]
    if fixed:
        known = {x.name for x in fixed}
        for item in fixed:
            level_sum = np.bincount(code, weights=np.where(categories == item.name, weight, 0.0), minlength=n)
            level1_ok &= np.abs(level_sum - item.weight) <= tolerance + 1e-9
        unknown = count(~np.isin(categories, list(known)) & (weight > 0)) > 0
        level1_ok &= ~unknown

    quantified_share = safe_ratio(count(rows["quantified"].to_numpy()), n_rows)
    basis_share = safe_ratio(count(rows["has_basis"].to_numpy()), n_rows)
    n_comparable = count(rows["comparable"].to_numpy())
    n_below = count(rows["below_last"].to_numpy())
    min_share = float(s["min_quantified_share"])
    credit = {
        "categories": present.mean(axis=1) if items else np.ones(n),
        "quantified": np.minimum(1.0, quantified_share / min_share) if min_share > 0 else np.ones(n),
        "weights": np.where(weights_ok, np.where(level1_ok, 1.0, 0.5), 0.0),
        "basis": basis_share,
        "not_below_last": np.where(n_comparable > 0, 1.0 - safe_ratio(n_below, n_comparable), 1.0),
    }
    points = sum(float(s["points"][c]) * np.nan_to_num(credit[c]) for c in CHECKS)
    points = np.where(has, points, np.nan)
    grade = band(points, s["grades"], "grade", scheme.rules.total_decimals)
    consequence = np.where(
        has, pd.Series(grade, dtype=object).map(dict(s["consequences"])).to_numpy(), s["no_targets"]
    )
    out = projects[["project_id", "project_name", "unit_id"]].copy()
    out["n_indicators"] = n_rows.astype(int)
    out["has_targets"] = has
    out["missing_categories"] = np.where(has, missing, None)
    out["quantified_share"] = quantified_share
    out["weight_total"] = np.where(has, total, np.nan)
    out["weights_ok"] = weights_ok & has
    out["level1_ok"] = level1_ok & has
    out["basis_share"] = basis_share
    out["n_comparable"] = n_comparable.astype(int)
    out["n_below_last"] = n_below.astype(int)
    for c in CHECKS:
        out[f"credit_{c}"] = np.where(has, credit[c], np.nan)
    out["points"] = points
    out["grade"] = grade
    out["result"] = np.where(has, grade, NO_TARGETS)
    out["consequence"] = consequence
    return out.reset_index(drop=True)


def indicator_issues(
    indicators: pd.DataFrame, scheme: Scheme, scored: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The rows behind the review's lost points: unquantified targets, no 取值依据, targets below last year.

    Returns
    -------
    DataFrame
        One row per finding: ``project_id``, ``seq``, ``level3``, ``issue`` (``no_numeric_target``,
        ``no_basis``, ``below_last_actual``) and ``message`` (Chinese).
    """
    rows = indicator_checks(indicators, scheme, scored)
    parts = []
    for issue, mask in (
        ("no_numeric_target", ~rows["quantified"]),
        ("no_basis", ~rows["has_basis"]),
        ("below_last_actual", rows["below_last"]),
    ):
        found = rows.loc[mask.to_numpy(), ["project_id", "seq", "level3"]].copy()
        found["issue"] = issue
        found["message"] = ISSUES[issue]
        parts.append(found)
    return (
        pd.concat(parts, ignore_index=True)
        .sort_values(["project_id", "seq"], kind="stable")
        .reset_index(drop=True)
    )


def department_target_presence(
    units: pd.DataFrame, department_targets: pd.DataFrame, scheme: Scheme
) -> pd.DataFrame:
    """Whether each unit has set its whole-department targets over the required dimensions (seed plan step 7).

    Returns
    -------
    DataFrame
        One row per unit: ``unit_id``, ``unit_name``, ``n_targets``, ``missing_dimensions`` (、-joined),
        ``status`` (已设置 / 维度不全 / 未设置).
    """
    dims = list(sections.get(scheme, "target_review")["department_dimensions"])
    present = pd.crosstab(department_targets["unit_id"], department_targets["dimension"]) > 0
    present = present.reindex(index=units["unit_id"], columns=dims, fill_value=False)
    n_targets = (
        department_targets.groupby("unit_id").size().reindex(units["unit_id"], fill_value=0).to_numpy()
    )
    matrix = present.to_numpy()
    missing = join_labels(~matrix, dims)
    out = units[["unit_id", "unit_name"]].copy()
    out["n_targets"] = n_targets.astype(int)
    out["missing_dimensions"] = np.where(n_targets > 0, missing, None)
    out["status"] = np.select([n_targets == 0, ~matrix.all(axis=1)], ["未设置", "维度不全"], "已设置")
    return out.reset_index(drop=True)


def run(year: Any, scheme: Scheme) -> dict[str, pd.DataFrame]:
    """All target-review tables of a year: ``projects`` (:func:`review_targets`), ``issues``
    (:func:`indicator_issues`) and ``departments`` (:func:`department_target_presence`)."""
    indicators = table(year, "indicators")
    scored = score_indicators(indicators, scheme)
    return {
        "projects": review_targets(indicators, table(year, "projects"), scheme, scored),
        "issues": indicator_issues(indicators, scheme, scored),
        "departments": department_target_presence(
            table(year, "units"), table(year, "department_targets"), scheme
        ),
    }
