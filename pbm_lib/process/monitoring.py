"""Double monitoring (双监控): monthly lights, year-end projection, December rush, sanctions (rules.md §2 steps 8–10, §3.12).

After the budget is approved, every unit tracks each month both the execution of its project budgets
and the progress of their indicators; at the end of June it also checks its whole-department targets;
the finance bureau reviews the results and may suspend or stop disbursement (暂缓或停止拨款).

Time progress (序时进度) at the end of month ``m`` is ``p = m/12`` (``time_progress: month``), or the
share of the year's days elapsed (``day``). Lights, with bands from the scheme (default one deployed
provincial configuration, rules.md §3.12):

================  ===========================================  ===============================================
measure           value                                         light
================  ===========================================  ===============================================
execution         ``v = 100·(E_m/B)/p``                         ``execution_bands``: 红 < 60 ≤ 黄 < 80 ≤ 绿
positive, cumul.  ``v = 100·a_m/(t·p)``                         ``indicator_bands``: 红 < 60 ≤ 黄 < 80 ≤ 绿 < 120 ≤ 蓝
positive, level   ``v = 100·a_m/t`` (rates, ``=`` rows)          ``indicator_bands``
reverse           ``a_m ≤ t`` (``<``: ``a_m < t``)                绿 if met, else 红
qualitative       达成 / 部分达成 / 未达成                        ``qualitative`` (绿 / 黄 / 红)
zero target       positive row with ``t = 0``                   ``zero_target``: 绿 if ``a_m = t`` else 红, or 红
================  ===========================================  ===============================================

``B`` is the scheme's budget denominator (全年预算数 by default, as in the budget score, rules.md §3.7).
Which positive rows accumulate is scheme data (``cumulative``): by default rates (%) are levels, except
those named like ``rate_keywords`` (预算执行率), and other units (人, 公里, 天 …) accumulate.

Roll-up: a project takes the worst of its indicators' lights and (``include_execution``, toolkit policy)
its execution light, in the order 红 > 黄 > 绿 > 蓝 (blue never masks a problem); a unit and its
department (主管部门) take the worst of their projects. Values that cannot be read give no light
unless ``missing`` names one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schemes import Scheme
from ..scoring import score_indicators
from . import sections
from ._common import NO_LIGHT, band, light_codes, lights, safe_ratio, table, worst, worst_by
from .sections import LIGHTS, SANCTIONS

#: Kinds of indicator rows for the lights.
KINDS = ("cumulative", "level", "reverse", "qualitative", "none")
GREEN = LIGHTS.index("绿灯")
RED = LIGHTS.index("红灯")


def time_progress(months: Any, scheme: Scheme, year: int | None = None) -> np.ndarray:
    """Time progress (序时进度) at the end of each month (rules.md §3.12).

    ``month``: ``p = m/12`` (observed: a July figure of 56.47 % "1.53 points below time progress"
    implies 58 % ≈ 7/12). ``day``: days elapsed at the end of month ``m`` ÷ days in the year (needs
    ``year``; leap years have 366 days).
    """
    m = np.asarray(months, dtype=float)
    if sections.get(scheme, "monitoring")["time_progress"] == "month" or not len(m):
        return m / 12.0
    if year is None:
        raise ValueError("time_progress: day 需要年度 / the day-based time progress needs the year")
    valid = np.isfinite(m)
    month = np.where(valid, m, 1).astype(int)
    ends = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1})) + pd.offsets.MonthEnd(0)
    days = 366.0 if pd.Timestamp(year=year, month=12, day=31).day_of_year == 366 else 365.0
    return np.where(valid, ends.dt.day_of_year.to_numpy() / days, np.nan)


def _budget_denominator(budget: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """``project_id`` and ``budget`` (the scheme's denominator: 全年预算数 or 年初预算数)."""
    column = scheme.budget.denominator
    return pd.DataFrame(
        {
            "project_id": budget["project_id"].to_numpy(),
            "budget": pd.to_numeric(budget[column], errors="coerce").to_numpy(dtype=float),
        }
    )


def execution_lights(
    monthly: pd.DataFrame, budget: pd.DataFrame, scheme: Scheme, year: int | None = None
) -> pd.DataFrame:
    """Execution light per project and month: ``v = 100·(E_m/B)/p`` in ``execution_bands``.

    Parameters
    ----------
    monthly : DataFrame
        ``project_id``, ``month``, ``executed_cum`` (the 月度执行 sheet: cumulative spending).
    budget : DataFrame
        One row per project with ``annual`` (and ``initial``), e.g. ``YearData.project_budget()``.

    Returns
    -------
    DataFrame
        ``project_id``, ``month``, ``executed_cum``, ``budget``, ``rate`` (E_m/B), ``time_progress``,
        ``value`` (v), ``light`` (ordered categorical 红灯 … 蓝灯; NaN without a budget), ``light_code``.
    """
    s = sections.get(scheme, "monitoring")
    out = monthly[["project_id", "month", "executed_cum"]].merge(
        _budget_denominator(budget, scheme), on="project_id", how="left"
    )
    out["month"] = out["month"].astype(int)
    out["executed_cum"] = out["executed_cum"].astype(float)
    out["rate"] = safe_ratio(out["executed_cum"], out["budget"])
    out["time_progress"] = time_progress(out["month"], scheme, year)
    out["value"] = 100.0 * out["rate"] / out["time_progress"]
    code = light_codes(band(out["value"], s["execution_bands"], "light", 6))
    out["light"] = lights(code)
    out["light_code"] = code
    return out.sort_values(["project_id", "month"], kind="stable").reset_index(drop=True)


def _lights_of_scored(
    scored: pd.DataFrame, months: np.ndarray, names: pd.Series, scheme: Scheme, year: int | None
) -> pd.DataFrame:
    """Light of each scored row (``actual`` = the month's value) at its month (see the module table)."""
    s = sections.get(scheme, "monitoring")
    t = scored["target_value"].to_numpy(dtype=float)
    a = scored["actual_value"].to_numpy(dtype=float)
    direction = scored["direction_rule"].astype(object).to_numpy()
    measured = scored["state"].astype(object).to_numpy() == "measured"
    p = time_progress(months, scheme, year)
    positive = np.isin(direction, ["positive", "positive_strict"])
    reverse = np.isin(direction, ["reverse", "reverse_strict"])
    equal = direction == "equal"
    qualitative = direction == "qualitative"
    percent = scored["target_unit"].astype(object).to_numpy() == "%"
    codes, names_unique = pd.factorize(names.astype(object).where(names.notna(), "").astype(str))
    words = pd.Series(names_unique, dtype=object).astype(str)
    hit = np.zeros(len(words), dtype=bool)
    for word in s["cumulative"]["rate_keywords"]:
        hit |= words.str.contains(word, regex=False).to_numpy()
    keyword = hit[codes] if len(codes) else np.zeros(0, dtype=bool)
    cumulative = positive & (bool(s["cumulative"]["rates"]) | ~percent | keyword)
    kind = np.select([cumulative, positive | equal, reverse, qualitative], list(KINDS[:4]), "none")
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(cumulative, 100.0 * a / (t * p), 100.0 * a / t)
    value = np.where(measured & (positive | equal) & (t > 0), value, np.nan)
    banded = light_codes(band(value, s["indicator_bands"], "light", 6))
    met = scored["met"].to_numpy(dtype=bool, na_value=False)
    met_light = np.where(met, GREEN, RED)
    zero_green = (a == t) if s["zero_target"] == "green_if_equal" else np.zeros(len(a), dtype=bool)
    zero_light = np.where(zero_green, GREEN, RED)
    level = scored["level"].astype(object).to_numpy()
    qual_light = light_codes(pd.Series(level, dtype=object).map(dict(s["qualitative"])).to_numpy())
    code = np.select(
        [~measured, qualitative, reverse | (t < 0), (positive | equal) & (t == 0), positive | equal],
        [np.full(len(a), NO_LIGHT), qual_light, met_light, zero_light, banded],
        NO_LIGHT,
    )
    missing = s["missing"]
    if missing is not None:
        code = np.where(~measured, LIGHTS.index(missing), code)
    return pd.DataFrame(
        {
            "kind": kind,
            "target_value": t,
            "value": a,
            "time_progress": p,
            "ratio": value,
            "state": scored["state"].to_numpy(),
            "light": lights(code),
            "light_code": code,
        },
        index=scored.index,
    )


def indicator_lights(
    indicators: pd.DataFrame, progress: pd.DataFrame, scheme: Scheme, year: int | None = None
) -> pd.DataFrame:
    """Light of every indicator in every reported month (the 指标月度进展 sheet against the targets).

    Values are parsed and reconciled with the target's unit exactly as in scoring
    (:func:`pbm_lib.scoring.score_indicators` with the month's value as the actual), so ``≥95%``,
    ``0.95`` and ``95`` compare alike and a unit mismatch gives no light.

    Returns
    -------
    DataFrame
        ``project_id``, ``seq``, ``month``, ``level1``, ``level3``, ``direction`` (rule direction),
        ``kind`` (:data:`KINDS`), ``target_value``, ``value`` (in the target's unit),
        ``time_progress``, ``ratio`` (v, NaN for reverse and qualitative rows), ``state`` (evidence
        state of the value), ``light``, ``light_code``.
    """
    keep = [
        c
        for c in (
            "project_id",
            "seq",
            "level1",
            "level2",
            "level3",
            "direction",
            "target",
            "measure_unit",
            "weight",
        )
        if c in indicators
    ]
    rows = progress[["project_id", "seq", "month", "value"]].rename(columns={"value": "actual"})
    rows = rows.merge(indicators[keep], on=["project_id", "seq"], how="left")
    scored = score_indicators(rows, scheme)
    light = _lights_of_scored(
        scored, rows["month"].to_numpy(dtype=float), rows.get("level3", rows["actual"]), scheme, year
    )
    out = pd.DataFrame(
        {
            "project_id": rows["project_id"].to_numpy(),
            "seq": rows["seq"].to_numpy(),
            "month": rows["month"].astype(int).to_numpy(),
            "level1": rows["level1"].to_numpy() if "level1" in rows else None,
            "level3": rows["level3"].to_numpy() if "level3" in rows else None,
            "direction": scored["direction_rule"].to_numpy(),
        }
    )
    out = pd.concat([out, light.reset_index(drop=True)], axis=1)
    return out.sort_values(["project_id", "seq", "month"], kind="stable").reset_index(drop=True)


def project_lights(execution: pd.DataFrame, indicators: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """A project's light per month: the worst of its indicators and (``include_execution``) its execution.

    Returns
    -------
    DataFrame
        ``project_id``, ``month``, ``execution_light``, ``indicator_light`` (worst indicator),
        ``n_红灯`` … ``n_蓝灯`` (indicators per light), ``light``, ``light_code``.
    """
    s = sections.get(scheme, "monitoring")
    keys = ["project_id", "month"]
    ind = worst_by(indicators, keys, "light_code").rename(columns={"code": "indicator_code"})
    ex = execution[keys + ["light_code"]].rename(columns={"light_code": "execution_code"})
    out = ex.merge(ind, on=keys, how="outer")
    out["execution_code"] = out["execution_code"].fillna(NO_LIGHT).astype(np.int64)
    out["indicator_code"] = out["indicator_code"].fillna(NO_LIGHT).astype(np.int64)
    for name in LIGHTS:
        out[f"n_{name}"] = out[f"n_{name}"].fillna(0).astype(np.int64)
    execution_part = (
        out["execution_code"].to_numpy() if s["include_execution"] else np.full(len(out), NO_LIGHT)
    )
    code = worst(out["indicator_code"].to_numpy(), execution_part)
    out["execution_light"] = lights(out["execution_code"])
    out["indicator_light"] = lights(out["indicator_code"])
    out["light"] = lights(code)
    out["light_code"] = code
    out = out.drop(columns=["execution_code", "indicator_code"])
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def unit_lights(
    projects_monthly: pd.DataFrame, projects: pd.DataFrame, units: pd.DataFrame, level: str = "unit"
) -> pd.DataFrame:
    """Worst project light per unit (``level="unit"``) or per department (``"department"``: the unit's
    主管部门, ``parent_unit_id``, or the unit itself) and month (toolkit policy, rules.md §3.12).

    Returns
    -------
    DataFrame
        ``unit_id`` (the department's id for ``department``), ``month``, ``n_红灯`` … ``n_蓝灯``
        (projects per light), ``light``, ``light_code``.
    """
    owner = projects[["project_id", "unit_id"]]
    rows = projects_monthly[["project_id", "month", "light_code"]].merge(owner, on="project_id", how="left")
    if level == "department":
        parent = units.set_index("unit_id")["parent_unit_id"]
        mapped = rows["unit_id"].map(parent)
        rows["unit_id"] = mapped.where(mapped.notna(), rows["unit_id"])
    out = worst_by(rows, ["unit_id", "month"], "light_code").rename(columns={"code": "light_code"})
    out["light"] = lights(out["light_code"])
    return out.sort_values(["unit_id", "month"], kind="stable").reset_index(drop=True)


def _wide(monthly: pd.DataFrame) -> pd.DataFrame:
    """Cumulative spending as a project × month (1–12) matrix, NaN where a month is not reported."""
    wide = monthly.pivot_table(index="project_id", columns="month", values="executed_cum", aggfunc="last")
    return wide.reindex(columns=range(1, 13))


def projection(
    monthly: pd.DataFrame, budget: pd.DataFrame, scheme: Scheme, as_of: int | None = None
) -> pd.DataFrame:
    r"""Year-end execution projected from the monthly curve up to month ``m`` (``review_month`` by default).

    Methods (``projection.method``, toolkit policy):

    - ``linear``: the year-to-date pace continues, :math:`\hat E_{12} = E_m \cdot 12/m`;
    - ``recent``: the pace of the last ``w`` = ``projection.window`` months continues,
      :math:`\hat E_{12} = E_m + (12 - m)(E_m - E_{m-w})/w` with :math:`E_0 = 0`; when month
      :math:`m - w` is not reported the linear projection is used. It reacts to a project that
      has stalled or picked up, which the linear one averages away.

    ``projected_rate`` = :math:`\hat E_{12}/B`; ``warn`` when it is below ``projection.warn_below``.
    When December is reported, ``actual_rate`` and ``error`` (projected − actual, in rate points)
    show how good the projection was.

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``as_of``, ``executed_as_of``, ``budget``, ``rate_as_of``,
        ``method``, ``projected``, ``projected_rate``, ``warn``, ``actual_rate``, ``error``.
    """
    s = sections.get(scheme, "monitoring")
    m = int(as_of if as_of is not None else s["review_month"])
    w = int(s["projection"]["window"])
    wide = _wide(monthly)
    b = _budget_denominator(budget, scheme).set_index("project_id")["budget"]
    e_m = wide[m].to_numpy(dtype=float)
    back = np.zeros(len(wide)) if m - w <= 0 else wide[m - w].to_numpy(dtype=float)
    linear = e_m * 12.0 / m
    method = s["projection"]["method"]
    if method == "recent":
        projected = np.where(np.isnan(back), linear, e_m + (12 - m) * (e_m - back) / min(w, m))
    else:
        projected = linear
    budget_values = b.reindex(wide.index).to_numpy(dtype=float)
    out = pd.DataFrame(
        {"project_id": wide.index.to_numpy(), "as_of": m, "executed_as_of": e_m, "budget": budget_values}
    )
    out["rate_as_of"] = safe_ratio(e_m, budget_values)
    out["method"] = method
    out["projected"] = projected
    out["projected_rate"] = safe_ratio(projected, budget_values)
    out["warn"] = out["projected_rate"].to_numpy() < float(s["projection"]["warn_below"])
    out["actual_rate"] = safe_ratio(wide[12].to_numpy(dtype=float), budget_values)
    out["error"] = out["projected_rate"] - out["actual_rate"]
    return out.reset_index(drop=True)


def december_rush(monthly: pd.DataFrame, budget: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Share of the year's spending made in December: ``(E_12 − E_11)/E_12`` against ``december_rush.max_share``.

    A large December share is the year-end spending rush (年底突击花钱) that monitoring should prevent
    (toolkit policy: no published threshold). Needs months 11 and 12; otherwise NaN.

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``executed_11``, ``executed_12``, ``december``
        (E_12 − E_11), ``december_share``, ``budget``, ``december_of_budget``, ``rush`` (bool).
    """
    s = sections.get(scheme, "monitoring")
    wide = _wide(monthly)
    e11, e12 = wide[11].to_numpy(dtype=float), wide[12].to_numpy(dtype=float)
    b = (
        _budget_denominator(budget, scheme)
        .set_index("project_id")["budget"]
        .reindex(wide.index)
        .to_numpy(float)
    )
    out = pd.DataFrame({"project_id": wide.index.to_numpy(), "executed_11": e11, "executed_12": e12})
    out["december"] = e12 - e11
    out["december_share"] = safe_ratio(out["december"], e12)
    out["budget"] = b
    out["december_of_budget"] = safe_ratio(out["december"], b)
    out["rush"] = out["december_share"].to_numpy() > float(s["december_rush"]["max_share"]) + 1e-12
    return out.reset_index(drop=True)


def midyear_check(department_targets: pd.DataFrame, scheme: Scheme, year: int | None = None) -> pd.DataFrame:
    """End-of-June whole-department check: each target's light from ``mid_actual`` at ``midyear_month``.

    The seed plan makes the end of June the checkpoint for the whole-department targets (以每年6月底为节点);
    the lights follow the indicator rules of the module table with ``m`` = ``midyear_month``.

    Returns
    -------
    DataFrame
        The targets' ``unit_id``, ``seq``, ``dimension``, ``indicator``, ``target``, ``mid_actual`` plus
        ``kind``, ``target_value``, ``value``, ``time_progress``, ``ratio``, ``state``, ``light``,
        ``light_code``.
    """
    s = sections.get(scheme, "monitoring")
    month = int(s["midyear_month"])
    rows = department_targets.rename(columns={"indicator": "level3", "dimension": "level1"}).copy()
    rows["actual"] = rows["mid_actual"] if "mid_actual" in rows else None
    rows["project_id"] = rows["unit_id"]
    rows = rows.drop(columns=[c for c in ("self_score", "deviation_note") if c in rows])
    scored = score_indicators(rows, scheme)
    light = _lights_of_scored(scored, np.full(len(rows), float(month)), rows["level3"], scheme, year)
    base = department_targets[
        [
            c
            for c in ("unit_id", "seq", "dimension", "indicator", "target", "mid_actual")
            if c in department_targets
        ]
    ].reset_index(drop=True)
    return pd.concat([base, light.reset_index(drop=True)], axis=1)


def midyear_units(check: pd.DataFrame) -> pd.DataFrame:
    """Per unit: lights of its whole-department targets at mid-year, the worst one and the share on track.

    Returns
    -------
    DataFrame
        ``unit_id``, ``n_红灯`` … ``n_蓝灯``, ``on_track_share`` (green or blue among lit targets),
        ``light``, ``light_code``.
    """
    out = worst_by(check, ["unit_id"], "light_code").rename(columns={"code": "light_code"})
    lit = out[[f"n_{name}" for name in LIGHTS]].sum(axis=1).to_numpy()
    out["on_track_share"] = safe_ratio(out["n_绿灯"] + out["n_蓝灯"], lit)
    out["light"] = lights(out["light_code"])
    return out


def sanctions(
    projects_monthly: pd.DataFrame, execution: pd.DataFrame, scheme: Scheme, as_of: int | None = None
) -> pd.DataFrame:
    """Projects whose funds should be suspended or stopped (暂缓或停止拨款) at the review month, with reasons.

    The seed plan lets the finance bureau suspend or stop disbursement for serious problems found in
    monitoring (published); what counts as serious is scheme data (``sanctions``, toolkit policy).
    Each rule is evaluated at month ``m`` = ``as_of`` (``review_month`` by default):

    - ``red_streak`` (``months: k``, ``light``): the project's execution light (``execution``) or its
      overall light (``project``) is red in each of months ``m−k+1 … m``;
    - ``execution_below`` (``month``, ``percent``): ``100·E_month/B < percent`` (only if ``month ≤ m``);
    - ``no_spending`` (``month``): nothing spent by the end of ``month`` (only if ``month ≤ m``).

    A project hit by several rules takes the most severe action (停止拨款 > 暂缓拨款) and lists every
    reason. ``at_stake`` is the budget not yet spent at month ``m`` (``B − E_m``): the money the
    sanction holds back.

    Returns
    -------
    DataFrame
        One row per sanctioned project: ``project_id``, ``action``, ``reasons`` (；-joined), ``rules``,
        ``budget``, ``executed_as_of``, ``at_stake``; sorted by ``at_stake``, largest first.
    """
    s = sections.get(scheme, "monitoring")
    m = int(as_of if as_of is not None else s["review_month"])
    codes = {
        "project": projects_monthly.pivot_table(
            index="project_id", columns="month", values="light_code", aggfunc="first"
        ).reindex(columns=range(1, 13)),
        "execution": execution.pivot_table(
            index="project_id", columns="month", values="light_code", aggfunc="first"
        ).reindex(columns=range(1, 13)),
    }
    rate = execution.pivot_table(index="project_id", columns="month", values="rate", aggfunc="first")
    rate = rate.reindex(columns=range(1, 13))
    spent = execution.pivot_table(index="project_id", columns="month", values="executed_cum", aggfunc="first")
    spent = spent.reindex(columns=range(1, 13))
    hits = []
    for rule in s["sanctions"]:
        kind, action = rule["rule"], rule["action"]
        if kind == "red_streak":
            k = int(rule["months"])
            if k > m:
                continue
            which = codes[rule["light"]]
            window = which[list(range(m - k + 1, m + 1))].to_numpy(dtype=float)
            ids = which.index[(window == RED).all(axis=1)]
            what = "预算执行" if rule["light"] == "execution" else "项目监控"
            reason = pd.Series(f"{what}连续{k}个月红灯（{m - k + 1}–{m}月）", index=ids)
        elif kind == "execution_below":
            month, percent = int(rule["month"]), float(rule["percent"])
            if month > m:
                continue
            values = 100.0 * rate[month]
            ids = rate.index[(values < percent).to_numpy()]
            reason = values[ids].map(
                lambda v, mo=month, pc=percent: f"{mo}月末预算执行率{v:.1f}%，低于{pc:g}%"
            )
        else:  # no_spending
            month = int(rule["month"])
            if month > m:
                continue
            ids = spent.index[(spent[month] <= 0).to_numpy()]
            reason = pd.Series(f"截至{month}月末未发生支出", index=ids)
        hits.append(
            pd.DataFrame(
                {
                    "project_id": ids,
                    "action": action,
                    "rule": kind,
                    "reason": reason.reindex(ids).to_numpy(),
                    "severity": SANCTIONS.index(action),
                }
            )
        )
    columns = ["project_id", "action", "reasons", "rules", "budget", "executed_as_of", "at_stake"]
    if not hits or not sum(len(h) for h in hits):
        return pd.DataFrame(
            {
                c: pd.Series(dtype=float if c in ("budget", "executed_as_of", "at_stake") else object)
                for c in columns
            }
        )
    found = pd.concat(hits, ignore_index=True)
    grouped = found.groupby("project_id", sort=False)
    out = grouped["severity"].min().rename("severity").reset_index()
    out["action"] = np.asarray(SANCTIONS, dtype=object)[out["severity"].to_numpy()]
    out["reasons"] = grouped["reason"].agg("；".join).to_numpy()
    out["rules"] = grouped["rule"].agg(",".join).to_numpy()
    budget = execution.groupby("project_id")["budget"].first()
    out["budget"] = out["project_id"].map(budget).to_numpy(dtype=float)
    out["executed_as_of"] = out["project_id"].map(spent[m]).to_numpy(dtype=float)
    out["at_stake"] = out["budget"] - np.nan_to_num(out["executed_as_of"].to_numpy())
    out = out.sort_values("at_stake", ascending=False, kind="stable")
    return out[columns].reset_index(drop=True)


def run(year: Any, scheme: Scheme, as_of: int | None = None) -> dict[str, pd.DataFrame]:
    """All monitoring tables of a year.

    Returns
    -------
    dict of DataFrame
        ``execution`` (:func:`execution_lights`), ``indicators`` (:func:`indicator_lights`),
        ``projects`` (:func:`project_lights`), ``units`` and ``departments`` (:func:`unit_lights`),
        ``projection`` (:func:`projection`), ``december`` (:func:`december_rush`), ``midyear``
        (:func:`midyear_check`), ``midyear_units`` (:func:`midyear_units`), ``sanctions``
        (:func:`sanctions`).
    """
    fiscal_year = getattr(year, "year", None)
    budget = year.project_budget()
    monthly = table(year, "monthly")
    execution = execution_lights(monthly, budget, scheme, fiscal_year)
    indicators = indicator_lights(table(year, "indicators"), table(year, "progress"), scheme, fiscal_year)
    projects_monthly = project_lights(execution, indicators, scheme)
    projects, units = table(year, "projects"), table(year, "units")
    check = midyear_check(table(year, "department_targets"), scheme, fiscal_year)
    return {
        "execution": execution,
        "indicators": indicators,
        "projects": projects_monthly,
        "units": unit_lights(projects_monthly, projects, units, "unit"),
        "departments": unit_lights(projects_monthly, projects, units, "department"),
        "projection": projection(monthly, budget, scheme, as_of),
        "december": december_rush(monthly, budget, scheme),
        "midyear": check,
        "midyear_units": midyear_units(check),
        "sanctions": sanctions(projects_monthly, execution, scheme, as_of),
    }
