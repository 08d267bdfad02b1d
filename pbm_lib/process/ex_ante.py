"""Ex-ante performance assessment (事前绩效评估) of new major policies and projects (rules.md §2 steps 1–2, §3.10).

Experts rate each project on the five dimensions of the seed plan (立项必要性, 投入经济性, 绩效目标合理性,
实施方案可行性, 筹资合规性), each on 100 points (the workbook's 事前评估 sheet). This module

1. checks the experts' agreement: per project and dimension, an expert whose score is more than
   ``dispersion.max_deviation`` points from the median of all experts is flagged, and a dimension
   whose coefficient of variation exceeds ``dispersion.max_cv`` is *dispersed*;
2. aggregates the experts per dimension (``aggregate``: mean or median; flagged experts left out
   when ``dispersion.exclude_flagged``);
3. informs 投入经济性 with the models: the benefit-cost ratio of the project's cash flows
   (:mod:`pbm_lib.cba`) and the unit cost of the recommended option against its alternatives
   (:mod:`pbm_lib.cost`), blended into the experts' score with ``economy.model_weight``;
4. weights the dimensions (``dimensions``, 20 each by default) into a 100-point score and draws the
   conclusion 予以支持 / 调整完善后予以支持 / 不予支持 from the half-open ``conclusions`` bands
   (default [90, 100], [70, 90), [0, 70), observed in a deployed system, rules.md §3.10);
5. lists the projects that need an assessment (``required_when``: 新增 and 重大, seed plan) and have
   none: flag 缺少事前绩效评估报告, since the report is a required element of the budget application.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..cba import discount_factors
from ..cost import icer_frontier
from ..schemes import Scheme
from ..workbook.schema import EX_ANTE_DIMENSIONS
from . import sections
from ._common import band, band_value, safe_ratio, table

#: English column of each dimension in the wide project table.
DIMENSION_COLUMNS = {
    "立项必要性": "necessity",
    "投入经济性": "economy",
    "绩效目标合理性": "target_quality",
    "实施方案可行性": "feasibility",
    "筹资合规性": "financing",
}
ECONOMY = "投入经济性"
#: Words that mark the recommended option (拟选方案) among a project's alternatives (备选方案 sheet);
#: without one, the first option listed is taken as the proposal.
PROPOSAL_MARKERS = ("推荐", "拟选", "拟采用", "本方案")
FLAG_MISSING = "缺少事前绩效评估报告"
FLAG_INCOMPLETE = "事前评估维度不全"
FLAG_FEW_EXPERTS = "评估专家人数不足"


def expert_scores(ex_ante: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Each expert's score beside the panel's median, and whether the expert is far from it.

    ``deviation = score − median``, the median taken over all experts of the same project and
    dimension; ``outlier = |deviation| > dispersion.max_deviation`` (toolkit policy, scheme data).

    Parameters
    ----------
    ex_ante : DataFrame
        ``project_id``, ``expert``, ``dimension``, ``score`` (the 事前评估 sheet).
    scheme : Scheme
        Its ``ex_ante`` section.

    Returns
    -------
    DataFrame
        The input rows plus ``median``, ``deviation`` and ``outlier`` (bool).
    """
    s = sections.get(scheme, "ex_ante")
    out = ex_ante.copy()
    out["score"] = pd.to_numeric(out["score"], errors="coerce").astype(float)
    keys = ["project_id", "dimension"]
    out["median"] = out.groupby(keys, sort=False)["score"].transform("median")
    out["deviation"] = out["score"] - out["median"]
    out["outlier"] = (out["deviation"].abs() > float(s["dispersion"]["max_deviation"]) + 1e-9).to_numpy()
    return out


def dimension_scores(ex_ante: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    r"""Aggregate the experts per project and dimension, with the dispersion check.

    Per project ``p`` and dimension ``d`` over its experts' scores :math:`s_1 … s_n`:
    ``mean``, ``median``, ``std`` (population, ddof 0), ``cv = std / mean``; ``dispersed`` when
    ``cv > dispersion.max_cv`` or some expert is an outlier (:func:`expert_scores`). The dimension
    score is the ``aggregate`` (mean or median) of the scores, leaving outliers out when
    ``dispersion.exclude_flagged`` (all of them kept if all are outliers).

    Returns
    -------
    DataFrame
        One row per project and dimension: ``project_id``, ``dimension``, ``n_experts``, ``mean``,
        ``median``, ``std``, ``cv``, ``n_outliers``, ``dispersed``, ``score`` (the aggregate), ``weight``
        (scheme points of the dimension).
    """
    s = sections.get(scheme, "ex_ante")
    rows = expert_scores(ex_ante, scheme)
    keys = ["project_id", "dimension"]
    grouped = rows.groupby(keys, sort=False)
    out = grouped["score"].agg(n_experts="count", mean="mean", median="median")
    out["std"] = grouped["score"].std(ddof=0)
    out["n_outliers"] = grouped["outlier"].sum().astype(int)
    out = out.reset_index()
    out["cv"] = safe_ratio(out["std"], out["mean"])
    max_cv = s["dispersion"]["max_cv"]
    too_spread = out["cv"].to_numpy() > max_cv + 1e-12 if max_cv is not None else np.zeros(len(out), bool)
    out["dispersed"] = too_spread | (out["n_outliers"].to_numpy() > 0)
    kept = rows
    if s["dispersion"]["exclude_flagged"]:
        all_out = rows.groupby(keys, sort=False)["outlier"].transform("all")
        kept = rows[~rows["outlier"] | all_out]
    how = "mean" if s["aggregate"] == "mean" else "median"
    score = kept.groupby(keys, sort=False)["score"].agg(how).rename("score").reset_index()
    out = out.merge(score, on=keys, how="left")
    out["weight"] = out["dimension"].map(dict(s["dimensions"])).astype(float)
    return out[
        [
            "project_id",
            "dimension",
            "n_experts",
            "mean",
            "median",
            "std",
            "cv",
            "n_outliers",
            "dispersed",
            "score",
            "weight",
        ]
    ]


def cost_benefit(cash_flows: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    r"""Present values, NPV and BCR of every project's cash flows (rules.md §4.3), vectorised.

    :math:`PV(B) = \sum_t B_t D_t`, :math:`PV(C) = \sum_t C_t D_t`, :math:`NPV = PV(B) - PV(C)`,
    :math:`BCR = PV(B)/PV(C)` with :math:`D_t = (1 + r)^{-t}` from :func:`pbm_lib.cba.discount_factors`
    and ``r = economy.discount_rate`` (8 % by default, 国家发展改革委《建设项目经济评价方法与参数》,
    unverified per rules.md §4.3). ``bcr_points`` maps the BCR to 100-point evidence through
    ``economy.bcr_points`` (toolkit mapping of the UK DfT value-for-money bands).

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``years``, ``pv_benefit``, ``pv_cost``, ``npv``, ``bcr``
        (NaN when ``PV(C) = 0``), ``bcr_points``.
    """
    e = sections.get(scheme, "ex_ante")["economy"]
    columns = ["project_id", "years", "pv_benefit", "pv_cost", "npv", "bcr", "bcr_points"]
    if cash_flows is None or not len(cash_flows):
        return pd.DataFrame({c: pd.Series(dtype=object if c == "project_id" else float) for c in columns})
    t = pd.to_numeric(cash_flows["year_index"], errors="coerce").to_numpy(dtype=float)
    factor = discount_factors(t.astype(int), float(e["discount_rate"]))
    work = pd.DataFrame(
        {
            "project_id": cash_flows["project_id"].to_numpy(),
            "pv_benefit": pd.to_numeric(cash_flows["benefit"], errors="coerce").to_numpy(dtype=float)
            * factor,
            "pv_cost": pd.to_numeric(cash_flows["cost"], errors="coerce").to_numpy(dtype=float) * factor,
            "years": 1,
        }
    )
    out = work.groupby("project_id", sort=False)[["years", "pv_benefit", "pv_cost"]].sum().reset_index()
    out["npv"] = out["pv_benefit"] - out["pv_cost"]
    out["bcr"] = safe_ratio(out["pv_benefit"], out["pv_cost"])
    out["bcr_points"] = band_value(out["bcr"], e["bcr_points"], "points")
    return out[columns]


def unit_cost_evidence(alternatives: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The recommended option's cost per unit of effect against the project's other options (rules.md §4.1).

    The proposal is the option whose name carries a word of :data:`PROPOSAL_MARKERS` (else the first
    listed). ``unit_cost = cost / effect``; ``efficiency = min unit cost of all options / unit cost of
    the proposal`` (1 = the cheapest per unit of effect); ``frontier_status`` of the proposal from
    :func:`pbm_lib.cost.icer_frontier` (``frontier``, ``dominated``, ``extended-dominated``).
    ``unit_cost_points`` maps the efficiency through ``economy.unit_cost_points``; a proposal off the
    efficiency frontier gets the lowest band's points (toolkit policy: a dominated option is never
    economical, whatever its average cost).

    Returns
    -------
    DataFrame
        One row per project with alternatives: ``project_id``, ``n_options``, ``proposal``, ``unit_cost``,
        ``best_unit_cost``, ``efficiency``, ``frontier_status``, ``unit_cost_points``.
    """
    e = sections.get(scheme, "ex_ante")["economy"]
    columns = [
        "project_id",
        "n_options",
        "proposal",
        "unit_cost",
        "best_unit_cost",
        "efficiency",
        "frontier_status",
        "unit_cost_points",
    ]
    if alternatives is None or not len(alternatives):
        return pd.DataFrame(
            {
                c: pd.Series(
                    dtype=float if c not in ("project_id", "proposal", "frontier_status") else object
                )
                for c in columns
            }
        )
    alt = alternatives[["project_id", "alternative", "cost", "effect"]].copy()
    alt["cost"] = pd.to_numeric(alt["cost"], errors="coerce").astype(float)
    alt["effect"] = pd.to_numeric(alt["effect"], errors="coerce").astype(float)
    alt["unit_cost"] = safe_ratio(alt["cost"], alt["effect"])
    name = alt["alternative"].astype(str)
    marked = np.zeros(len(alt), dtype=bool)
    for word in PROPOSAL_MARKERS:
        marked |= name.str.contains(word, regex=False).to_numpy()
    alt["marked"] = marked
    alt["position"] = alt.groupby("project_id", sort=False).cumcount()
    # The proposal: the first marked option, else the first option listed.
    alt["rank"] = np.where(marked, 0, 1) * 10_000 + alt["position"].to_numpy()
    proposal = (
        alt.sort_values(["project_id", "rank"], kind="stable").groupby("project_id", sort=False).head(1)
    )
    summary = alt.groupby("project_id", sort=False).agg(
        n_options=("alternative", "size"), best_unit_cost=("unit_cost", "min")
    )
    out = proposal[["project_id", "alternative", "unit_cost"]].rename(columns={"alternative": "proposal"})
    out = out.merge(summary.reset_index(), on="project_id", how="left")
    out["efficiency"] = safe_ratio(out["best_unit_cost"], out["unit_cost"])
    # Frontier status of the proposal: one small frontier per project (a handful of options each).
    status = {}
    proposals = dict(zip(out["project_id"], out["proposal"], strict=True))
    for pid, options in alt.groupby("project_id", sort=False):
        valid = options[np.isfinite(options["cost"]) & np.isfinite(options["effect"])]
        if len(valid) < 2:
            continue
        frontier = icer_frontier(valid.rename(columns={"alternative": "name"}))
        chosen = proposals[pid]
        found = frontier.loc[frontier["name"] == chosen, "status"]
        if len(found):
            status[pid] = found.iloc[0]
    out["frontier_status"] = out["project_id"].map(status).astype(object)
    points = band_value(out["efficiency"], e["unit_cost_points"], "points")
    lowest = float(e["unit_cost_points"][-1]["points"])
    off = out["frontier_status"].isin(["dominated", "extended-dominated"]).to_numpy()
    out["unit_cost_points"] = np.where(off, lowest, points)
    return out[columns]


def coverage(projects: pd.DataFrame, ex_ante: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Which projects need an ex-ante assessment (``required_when``: 新增 and 重大) and which have one.

    Returns
    -------
    DataFrame
        One row per project of ``projects``: ``project_id``, ``required``, ``assessed`` (some expert
        rating in the 事前评估 sheet).
    """
    s = sections.get(scheme, "ex_ante")
    required = np.ones(len(projects), dtype=bool)
    for column, wanted in s["required_when"].items():
        required &= (projects[column].astype(object) == wanted).to_numpy()
    out = projects[["project_id"]].copy()
    out["required"] = required
    out["assessed"] = out["project_id"].isin(set(ex_ante["project_id"])).to_numpy()
    return out.reset_index(drop=True)


def assess(
    projects: pd.DataFrame,
    ex_ante: pd.DataFrame,
    scheme: Scheme,
    cash_flows: pd.DataFrame | None = None,
    alternatives: pd.DataFrame | None = None,
    *,
    economy: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    r"""Score, conclusion and flags of every project that needs or has an ex-ante assessment.

    Dimension scores come from :func:`dimension_scores`. 投入经济性 is blended with the models'
    evidence :math:`M` (mean of ``bcr_points`` and ``unit_cost_points`` where available):
    :math:`s_{econ} = (1 - \beta) s_{experts} + \beta M`, with :math:`\beta` =
    ``economy.model_weight`` (toolkit policy); without cash flows or alternatives the experts' score
    stands. ``economy_conflict`` is set when :math:`|s_{experts} - M| >` ``economy.conflict_points``.
    The score is :math:`S = \sum_d w_d s_d / \sum_d w_d` (weights ``dimensions``, 20 each by default,
    rules.md §3.10) and the conclusion its band in ``conclusions`` after half-up rounding to the
    scheme's total decimals. A project that needs an assessment (``required_when``) and has none is
    flagged 缺少事前绩效评估报告; an assessment missing a dimension, or with fewer than
    ``min_experts`` experts, is flagged and gets no conclusion.

    Parameters
    ----------
    projects : DataFrame
        The 项目 sheet (``project_id``, ``project_name``, ``unit_id`` and the ``required_when`` columns).
    ex_ante : DataFrame
        The 事前评估 sheet.
    scheme : Scheme
    cash_flows, alternatives : DataFrame, optional
        The 成本效益 and 备选方案 sheets.
    economy : tuple of DataFrame, optional
        :func:`cost_benefit` and :func:`unit_cost_evidence` already computed from those sheets (then
        ``cash_flows`` and ``alternatives`` are not read).

    Returns
    -------
    DataFrame
        One row per project that is required or assessed: ``project_id``, ``project_name``, ``unit_id``,
        ``required``, ``assessed``, ``n_experts``, one column per dimension (``necessity``,
        ``economy``, ``target_quality``, ``feasibility``, ``financing``; ``economy`` after blending),
        ``economy_experts``, ``economy_evidence``, ``economy_conflict``, ``npv``, ``bcr``,
        ``efficiency``, ``frontier_status``, ``score``, ``conclusion``, ``dispersed_dimensions``,
        ``outlier_experts`` (names, 、-joined), ``flag``.
    """
    s = sections.get(scheme, "ex_ante")
    base = projects[["project_id", "project_name", "unit_id"]].reset_index(drop=True)
    covered = coverage(projects, ex_ante, scheme)
    base["required"] = covered["required"].to_numpy()
    base["assessed"] = covered["assessed"].to_numpy()
    dims = dimension_scores(ex_ante, scheme)
    base = base[base["required"] | base["assessed"]].reset_index(drop=True)

    wide = dims.pivot(index="project_id", columns="dimension", values="score")
    wide = wide.reindex(columns=list(EX_ANTE_DIMENSIONS)).rename(columns=DIMENSION_COLUMNS)
    wide.columns.name = None
    experts = ex_ante.groupby("project_id", sort=False)["expert"].nunique().rename("n_experts")
    dispersed = dims.groupby("project_id", sort=False)["dispersed"].sum().rename("dispersed_dimensions")
    flagged = expert_scores(ex_ante, scheme)
    flagged = flagged[flagged["outlier"]]
    outliers = flagged.groupby("project_id", sort=False)["expert"].agg(lambda x: "、".join(dict.fromkeys(x)))
    out = base.merge(wide.reset_index(), on="project_id", how="left")
    out = out.merge(experts.reset_index(), on="project_id", how="left")
    out = out.merge(dispersed.reset_index(), on="project_id", how="left")
    out["outlier_experts"] = out["project_id"].map(outliers).astype(object)

    if economy is not None:
        cba, uc = economy
    else:
        cba, uc = cost_benefit(cash_flows, scheme), unit_cost_evidence(alternatives, scheme)
    out = out.merge(cba[["project_id", "npv", "bcr", "bcr_points"]], on="project_id", how="left")
    out = out.merge(
        uc[["project_id", "efficiency", "frontier_status", "unit_cost_points"]], on="project_id", how="left"
    )
    evidence = out[["bcr_points", "unit_cost_points"]].to_numpy(dtype=float)
    has_evidence = ~np.isnan(evidence).all(axis=1)
    with np.errstate(invalid="ignore"):
        model = np.where(
            has_evidence, np.nanmean(np.where(has_evidence[:, None], evidence, 0.0), axis=1), np.nan
        )
    economy_experts = out["economy"].to_numpy(dtype=float)
    beta = float(s["economy"]["model_weight"])
    out["economy_experts"] = economy_experts
    out["economy_evidence"] = model
    out["economy"] = np.where(has_evidence, (1 - beta) * economy_experts + beta * model, economy_experts)
    out["economy_conflict"] = has_evidence & (
        np.abs(economy_experts - model) > float(s["economy"]["conflict_points"])
    )

    names = [DIMENSION_COLUMNS[d] for d in s["dimensions"]]
    weights = np.asarray([float(w) for w in s["dimensions"].values()])
    scores = out[names].to_numpy(dtype=float)
    complete = ~np.isnan(scores).any(axis=1)
    enough = out["n_experts"].fillna(0).to_numpy() >= int(s["min_experts"])
    total = scores @ weights / weights.sum() if len(out) else np.zeros(0)
    valid = out["assessed"].to_numpy() & complete & enough
    out["score"] = np.where(valid, total, np.nan)
    out["conclusion"] = band(out["score"], s["conclusions"], "conclusion", scheme.rules.total_decimals)
    flags = np.full(len(out), None, dtype=object)
    flags = np.where(out["assessed"].to_numpy() & ~enough, FLAG_FEW_EXPERTS, flags)
    flags = np.where(out["assessed"].to_numpy() & ~complete, FLAG_INCOMPLETE, flags)
    flags = np.where(out["required"].to_numpy() & ~out["assessed"].to_numpy(), FLAG_MISSING, flags)
    out["flag"] = flags
    out["n_experts"] = out["n_experts"].fillna(0).astype(int)
    out["dispersed_dimensions"] = out["dispersed_dimensions"].fillna(0).astype(int)
    ordered = [
        "project_id",
        "project_name",
        "unit_id",
        "required",
        "assessed",
        "n_experts",
        *DIMENSION_COLUMNS.values(),
        "economy_experts",
        "economy_evidence",
        "economy_conflict",
        "npv",
        "bcr",
        "efficiency",
        "frontier_status",
        "score",
        "conclusion",
        "dispersed_dimensions",
        "outlier_experts",
        "flag",
    ]
    return out[ordered]


def run(year: Any, scheme: Scheme) -> dict[str, pd.DataFrame]:
    """All ex-ante tables of a year: ``experts``, ``dimensions``, ``cost_benefit``, ``unit_costs``, ``projects``.

    ``projects`` is :func:`assess`; the others are :func:`expert_scores`, :func:`dimension_scores`,
    :func:`cost_benefit` and :func:`unit_cost_evidence` on the year's sheets.
    """
    ex = table(year, "ex_ante")
    cba = cost_benefit(table(year, "cash_flows"), scheme)
    uc = unit_cost_evidence(table(year, "alternatives"), scheme)
    return {
        "experts": expert_scores(ex, scheme),
        "dimensions": dimension_scores(ex, scheme),
        "cost_benefit": cba,
        "unit_costs": uc,
        "projects": assess(table(year, "projects"), ex, scheme, economy=(cba, uc)),
    }
