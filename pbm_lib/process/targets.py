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

With the indicator library (``target_review.library``, :mod:`pbm_lib.library`, issue 8) two more checks
lose points from that total:

``below_benchmark``
    each indicator is matched to the library; for intensive indicators (rates, unit costs, time limits)
    the benchmark is a statistic (median) of what comparable projects (same sector, else all) achieved
    last year (上年完成值, 历史标准); a positive target below it, or a reverse target above it, is set
    low. ``deduct.below_benchmark`` × the share of benchmarked targets set low is deducted.
``missing_core``
    a project whose matched indicators place it in a field (领域) of its sector system must carry that
    field's core indicators (核心指标); ``deduct.missing_core`` × the share missing is deducted.

The review points are ``Σ points_c · credit_c`` (``points``, total 100) less those deductions (cut in
proportion where they exceed the points earned, so that the points never go below 0 and the parts
always add up to the total: :func:`point_parts`); the grade 优/良/中/差 is their
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
from ..library import load_library, match_indicators
from ..library.standards import (
    history_standards,
    indicator_observations,
    lookup_benchmarks,
    size_bands,
    unit_factors,
)
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
    "below_benchmark": "目标值低于历史标准（同类项目上年实际）",
    "missing_core": "缺少本领域核心指标",
}
#: Comparable groups of ``target_review.library.groups`` as :mod:`pbm_lib.library.standards` keys.
LIBRARY_GROUPS = {"sector_size": ("sector", "size"), "sector": ("sector",), "all": ()}
#: Chinese names of the benchmark statistics.
STATISTIC_NAMES = {"p25": "下四分位数", "median": "中位数", "p75": "上四分位数", "mean": "平均值"}
#: Columns added by the library checks (:func:`library_checks`).
LIBRARY_COLUMNS = (
    "library_id",
    "library_name",
    "match_score",
    "benchmark",
    "benchmark_unit",
    "benchmark_group",
    "benchmark_projects",
    "benchmark_suggested",
    "benchmark_stretch",
    "benchmark_years",
    "benchmark_sector",
    "benchmark_size",
    "benchmarked",
    "below_benchmark",
)
#: The library checks' deductions, by the ``target_review.library.deduct`` key.
DEDUCTIONS = ("below_benchmark", "missing_core")


def indicator_checks(
    indicators: pd.DataFrame,
    scheme: Scheme,
    scored: pd.DataFrame | None = None,
    *,
    projects: pd.DataFrame | None = None,
    library: pd.DataFrame | None = None,
    standards: pd.DataFrame | None = None,
    budget: pd.DataFrame | None = None,
    year: int | None = None,
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
    projects : DataFrame, optional
        The 项目 sheet. Given, and with a ``target_review.library`` block in the scheme, the library
        columns of :func:`library_checks` are added.
    library, standards, budget : DataFrame, optional
        Passed to :func:`library_checks`.
    year : int, optional
        Fiscal year of the targets, passed to :func:`library_checks`.

    Returns
    -------
    DataFrame
        ``project_id``, ``seq``, ``level1``, ``category`` (scheme level-1 name), ``level2``, ``level3``,
        ``weight``, ``quantified``, ``has_basis``, ``last_value`` (in the target's unit), ``comparable``,
        ``below_last``; with ``projects``, also :data:`LIBRARY_COLUMNS`.
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
    out = pd.DataFrame(
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
    if projects is not None and _library_section(scheme) is not None:
        checks = library_checks(
            indicators,
            projects,
            scheme,
            scored,
            library=library,
            standards=standards,
            budget=budget,
            year=year,
        )
        for column in LIBRARY_COLUMNS:
            out[column] = checks[column].to_numpy()
    return out


def _library_section(scheme: Scheme) -> Any:
    return sections.get(scheme, "target_review").get("library")


def library_checks(
    indicators: pd.DataFrame,
    projects: pd.DataFrame,
    scheme: Scheme,
    scored: pd.DataFrame | None = None,
    *,
    library: pd.DataFrame | None = None,
    standards: pd.DataFrame | None = None,
    budget: pd.DataFrame | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Per indicator row: its library indicator and, for intensive indicators, its benchmark (历史标准).

    Each row's 三级指标 is matched to the library (:func:`pbm_lib.library.match_indicators`, with the
    project's sector and the row's unit). Unless ``standards`` are given, they are drawn from the same
    rows' 上年完成值 (:func:`pbm_lib.library.standards.history_standards`): what comparable projects
    achieved the year before the targets were set. The benchmark is the scheme's statistic of the most
    specific comparable group with enough projects, converted to the target's unit. A quantified
    positive (≥, >) target of a kind in ``benchmark_kinds`` (and not marked ``comparable: false`` in the
    library: catch-alls such as 完成时限 or 单位成本 mix unlike things) below ``(1 − tolerance)·benchmark``, or a
    reverse (≤, <) one above ``(1 + tolerance)·benchmark``, is ``below_benchmark``; ``=`` rows are
    not compared.

    Parameters
    ----------
    indicators : DataFrame
        The 绩效指标 sheet.
    projects : DataFrame
        The 项目 sheet (``sector`` gives the sector system and the comparable group).
    scheme : Scheme
        ``target_review.library``.
    scored : DataFrame, optional
        :func:`pbm_lib.scoring.score_indicators` of ``indicators``.
    library : DataFrame, optional
        The library (default: the shipped one plus the scheme's ``extension``).
    standards : DataFrame, optional
        :func:`pbm_lib.library.standards.history_standards` drawn from other years.
    budget : DataFrame, optional
        The 预算执行 sheet: the projects' 全年预算数 give their size band (规模), for the ``sector_size``
        group; without it no project has a size.
    year : int, optional
        Fiscal year of the targets: the 上年完成值 the standards are drawn from are of ``year − 1``.

    Returns
    -------
    DataFrame
        Same rows as ``indicators`` (fresh index): ``project_id``, ``seq`` and :data:`LIBRARY_COLUMNS`:
        ``benchmark`` (the scheme's statistic), ``benchmark_suggested`` (建议目标值, the median) and
        ``benchmark_stretch`` (较高目标值, the upper quartile; the lower one for a reverse indicator), all
        in the target's unit ``benchmark_unit``; the source of the benchmark as ``benchmark_group``
        (行业+规模, 行业, 全部), ``benchmark_projects`` (comparable projects), ``benchmark_years``
        (the years of their actuals, 、-joined), ``benchmark_sector`` and ``benchmark_size`` (None when
        the group does not restrict them).
    """
    cfg = _library_section(scheme)
    n = len(indicators)
    out = pd.DataFrame(
        {
            "project_id": indicators["project_id"].to_numpy() if n else [],
            "seq": indicators["seq"].to_numpy() if "seq" in indicators else np.arange(1, n + 1),
        }
    )
    for column in LIBRARY_COLUMNS:
        out[column] = False if column in ("benchmarked", "below_benchmark") else None
    if cfg is None or n == 0:
        return out
    if library is None:
        library = load_library(cfg["extension"])
    if scored is None:
        scored = score_indicators(indicators, scheme)
    sectors = (
        projects.drop_duplicates("project_id").set_index("project_id")["sector"]
        if "sector" in projects
        else pd.Series(dtype=object)
    )
    row_sector = indicators["project_id"].map(sectors).astype(object)
    row_sector = row_sector.where(row_sector.notna(), None)
    match = match_indicators(
        indicators["level3"],
        library,
        sector=row_sector,
        units=indicators.get("measure_unit"),
        threshold=float(cfg["min_match_score"]),
    )
    groupings = [LIBRARY_GROUPS[g] for g in cfg["groups"]]
    if standards is None:
        observations = indicator_observations(
            indicators, projects, library, budget=budget, year=year, sources=("last_actual",), match=match
        )
        standards = history_standards(
            observations, library, groupings=groupings, min_projects=int(cfg["min_projects"])
        )
    ids = match["library_id"].to_numpy(dtype=object)
    per_project = budget.groupby("project_id")["annual"].sum(min_count=1) if budget is not None else None
    size = (
        size_bands(indicators["project_id"].map(per_project).to_numpy(dtype=float)).astype(object)
        if per_project is not None
        else None
    )
    rows = pd.DataFrame(
        {"library_id": ids, "sector": row_sector.to_numpy(dtype=object), "size": size}, dtype=object
    )
    found = lookup_benchmarks(
        rows,
        standards,
        statistic=cfg["benchmark"],
        groupings=groupings,
        extra=("suggested", "stretch", "years", "sector", "size"),
    )
    lib = library.set_index("id")
    lib_unit = pd.Series(ids, dtype=object).map(lib["unit"]).to_numpy(dtype=object)
    kind = pd.Series(ids, dtype=object).map(lib["kind"]).to_numpy(dtype=object)
    comparable = pd.Series(ids, dtype=object).map(lib["comparable"]).fillna(False).to_numpy(dtype=bool)
    target_unit = (
        parse_values(indicators["target"], indicators.get("direction"), indicators.get("measure_unit"))[
            "unit"
        ]
        .astype(object)
        .to_numpy()
    )
    target_unit = np.where(pd.notna(target_unit), target_unit, lib_unit)
    factor = unit_factors(lib_unit, target_unit)
    benchmark = found["benchmark"].to_numpy(dtype=float) * factor
    t = scored["target_value"].to_numpy(dtype=float)
    direction = scored["direction_rule"].astype(object).to_numpy()
    positive = np.isin(direction, ["positive", "positive_strict"])
    reverse = np.isin(direction, ["reverse", "reverse_strict"])
    quantified = np.isfinite(t) & (scored["kind"].astype(object).to_numpy() == "quantitative")
    benchmarked = (
        quantified
        & (positive | reverse)
        & np.isin(kind, list(cfg["benchmark_kinds"]))
        & comparable
        & np.isfinite(benchmark)
    )
    tolerance = float(cfg["tolerance"])
    with np.errstate(invalid="ignore"):
        below = benchmarked & np.where(
            positive, t < benchmark * (1 - tolerance) - 1e-9, t > benchmark * (1 + tolerance) + 1e-9
        )
    out["library_id"] = ids
    out["library_name"] = match["library_name"].to_numpy(dtype=object)
    out["match_score"] = match["score"].to_numpy(dtype=float)
    out["benchmark"] = np.where(benchmarked, benchmark, np.nan)
    out["benchmark_unit"] = np.where(benchmarked, target_unit, None)
    out["benchmark_group"] = np.where(benchmarked, found["benchmark_group"].to_numpy(dtype=object), None)
    out["benchmark_projects"] = np.where(benchmarked, found["benchmark_projects"].to_numpy(), 0).astype(int)
    for column in ("suggested", "stretch"):
        value = pd.to_numeric(found[f"benchmark_{column}"], errors="coerce").to_numpy(dtype=float) * factor
        out[f"benchmark_{column}"] = np.where(benchmarked, value, np.nan)
    for column in ("years", "sector", "size"):
        out[f"benchmark_{column}"] = np.where(
            benchmarked, found[f"benchmark_{column}"].to_numpy(dtype=object), None
        )
    out["benchmarked"] = benchmarked
    out["below_benchmark"] = below
    return out


def core_indicator_checks(
    rows: pd.DataFrame, projects: pd.DataFrame, scheme: Scheme, library: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per project: the field (领域) its matched indicators place it in, and that field's missing core indicators.

    A project's field is the field of a sector system with most of its matched rows, if at least
    ``min_field_rows`` and not tied with another field; projects without a sector are not placed.

    Parameters
    ----------
    rows : DataFrame
        :func:`library_checks` (``project_id``, ``library_id``).
    projects : DataFrame
        The 项目 sheet.
    scheme : Scheme
        ``target_review.library``.
    library : DataFrame, optional
        The library (default: shipped plus the scheme's extension).

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``library_field`` (``体系/领域``), ``n_core``,
        ``n_missing_core``, ``missing_core`` (names, 、-joined; None when complete or not placed).
    """
    cfg = _library_section(scheme)
    out = pd.DataFrame({"project_id": projects["project_id"].to_numpy()})
    out["library_field"] = None
    out["n_core"] = 0
    out["n_missing_core"] = 0
    out["missing_core"] = None
    if cfg is None or not len(rows) or "sector" not in projects:
        return out
    if library is None:
        library = load_library(cfg["extension"])
    lib = library.set_index("id")
    has_sector = projects.drop_duplicates("project_id").set_index("project_id")["sector"].notna()
    matched = rows.loc[rows["library_id"].notna(), ["project_id", "library_id"]].drop_duplicates()
    matched = matched[matched["project_id"].map(has_sector).fillna(False).astype(bool).to_numpy()]
    placed = matched.assign(
        system=matched["library_id"].map(lib["sector"]), field=matched["library_id"].map(lib["field"])
    ).dropna(subset=["field"])
    counts = placed.groupby(["project_id", "system", "field"], sort=False).size().reset_index(name="n")
    top = counts.groupby("project_id")["n"].transform("max")
    winners = counts[counts["n"] == top]
    winners = winners[~winners["project_id"].duplicated(keep=False)]
    winners = winners[winners["n"] >= int(cfg["min_field_rows"])]
    if not len(winners):
        return out
    core = library.loc[library["core"], ["id", "name", "sector", "field"]]
    wanted = winners.merge(core, left_on=["system", "field"], right_on=["sector", "field"], how="left")
    present = pd.MultiIndex.from_frame(matched[["project_id", "library_id"]])
    wanted["missing"] = wanted["id"].notna() & ~pd.MultiIndex.from_arrays(
        [wanted["project_id"], wanted["id"]]
    ).isin(present)
    summary = wanted.groupby("project_id", sort=False).agg(
        system=("system", "first"),
        field=("field", "first"),
        n_core=("id", "count"),
        n_missing_core=("missing", "sum"),
    )
    summary["missing_core"] = (
        wanted[wanted["missing"]].groupby("project_id", sort=False)["name"].agg("、".join)
    )
    summary["library_field"] = summary["system"] + "/" + summary["field"]
    index = out["project_id"]
    found = summary.reindex(index)
    known = found["library_field"].notna().to_numpy()
    out["library_field"] = np.where(known, found["library_field"].to_numpy(dtype=object), None)
    out["n_core"] = found["n_core"].fillna(0).to_numpy(dtype=int)
    out["n_missing_core"] = found["n_missing_core"].fillna(0).to_numpy(dtype=int)
    missing = found["missing_core"].to_numpy(dtype=object)
    out["missing_core"] = np.where(known & pd.notna(missing), missing, None)
    return out


def point_parts(scheme: Scheme) -> dict[str, float]:
    """The parts of a project's review points, in order, with their most points (a deduction: its most
    points lost, negative): the ``points_<part>`` columns of :func:`review_targets`, which add up to
    ``points``."""
    s = sections.get(scheme, "target_review")
    parts = {c: float(s["points"][c]) for c in CHECKS}
    cfg = s.get("library")
    if cfg is not None:
        parts.update({d: -float(cfg["deduct"][d]) for d in DEDUCTIONS})
    return parts


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
    *,
    library: pd.DataFrame | None = None,
    standards: pd.DataFrame | None = None,
    checks: pd.DataFrame | None = None,
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
    library, standards : DataFrame, optional
        The indicator library and historical standards for :func:`library_checks` (defaults: the
        shipped library with the scheme's extension; standards from the rows' 上年完成值).
    checks : DataFrame, optional
        :func:`indicator_checks` of ``indicators`` with ``projects`` (computed when not given).

    Returns
    -------
    DataFrame
        One row per project: ``project_id``, ``project_name``, ``unit_id``, ``n_indicators``,
        ``has_targets``, ``missing_categories`` (、-joined), ``quantified_share``, ``weight_total``,
        ``weights_ok``, ``level1_ok``, ``basis_share``, ``n_comparable``, ``n_below_last``, one
        ``credit_<check>`` per check, ``points``, ``grade`` (None without targets), ``result``
        (the grade, or 无绩效目标) and ``consequence``. With ``target_review.library`` also
        ``n_benchmarked``, ``n_below_benchmark``, ``library_field``, ``n_core``, ``n_missing_core``,
        ``missing_core``, ``credit_below_benchmark``, ``credit_missing_core`` and ``library_deduction``
        (points deducted before the grade). The points as parts that add up to ``points``: one
        ``points_<check>`` per check (``points · credit``) and, with the library, ``points_below_benchmark``
        and ``points_missing_core`` (the deductions, ≤ 0); :func:`point_parts` names them.
    """
    s = sections.get(scheme, "target_review")
    cfg = s.get("library")
    if cfg is not None and library is None:
        library = load_library(cfg["extension"])
    rows = (
        checks
        if checks is not None
        else indicator_checks(
            indicators, scheme, scored, projects=projects, library=library, standards=standards
        )
    )
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
    parts = {c: float(s["points"][c]) * np.nan_to_num(credit[c]) for c in CHECKS}
    points = sum(parts.values())
    if cfg is not None:
        n_benchmarked = count(rows["benchmarked"].to_numpy(dtype=bool))
        n_below_benchmark = count(rows["below_benchmark"].to_numpy(dtype=bool))
        core = core_indicator_checks(rows, projects, scheme, library)
        core = core.set_index("project_id").reindex(ids)
        n_core = core["n_core"].fillna(0).to_numpy(dtype=float)
        n_missing_core = core["n_missing_core"].fillna(0).to_numpy(dtype=float)
        credit_benchmark = 1.0 - np.nan_to_num(safe_ratio(n_below_benchmark, n_benchmarked))
        credit_core = 1.0 - np.nan_to_num(safe_ratio(n_missing_core, n_core))
        lost = {
            "below_benchmark": float(cfg["deduct"]["below_benchmark"]) * (1.0 - credit_benchmark),
            "missing_core": float(cfg["deduct"]["missing_core"]) * (1.0 - credit_core),
        }
        deduction = lost["below_benchmark"] + lost["missing_core"]
        # Points never go below 0: deductions beyond the points earned are cut in proportion, so that
        # the parts still add up to the total.
        keep = np.where(deduction > points, safe_ratio(points, deduction), 1.0)
        keep = np.nan_to_num(keep, nan=1.0)
        for d in DEDUCTIONS:
            parts[d] = np.where(lost[d] > 0, -lost[d] * keep, 0.0)
        deduction = deduction * keep
    points = sum(parts.values())
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
    if cfg is not None:
        out["n_benchmarked"] = n_benchmarked.astype(int)
        out["n_below_benchmark"] = n_below_benchmark.astype(int)
        out["library_field"] = core["library_field"].to_numpy(dtype=object)
        out["n_core"] = n_core.astype(int)
        out["n_missing_core"] = n_missing_core.astype(int)
        out["missing_core"] = core["missing_core"].to_numpy(dtype=object)
        out["credit_below_benchmark"] = np.where(has, credit_benchmark, np.nan)
        out["credit_missing_core"] = np.where(has, credit_core, np.nan)
        out["library_deduction"] = np.where(has, deduction, np.nan)
    for part, value in parts.items():
        out[f"points_{part}"] = np.where(has, value, np.nan)
    out["points"] = points
    out["grade"] = grade
    out["result"] = np.where(has, grade, NO_TARGETS)
    out["consequence"] = consequence
    return out.reset_index(drop=True)


def indicator_issues(
    indicators: pd.DataFrame,
    scheme: Scheme,
    scored: pd.DataFrame | None = None,
    *,
    projects: pd.DataFrame | None = None,
    library: pd.DataFrame | None = None,
    standards: pd.DataFrame | None = None,
    checks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows behind the review's lost points: unquantified targets, no 取值依据, targets below last year;
    with ``projects`` and the library, targets below their benchmark and missing core indicators.

    ``checks`` is :func:`indicator_checks` of the same rows (computed when not given).

    Returns
    -------
    DataFrame
        One row per finding: ``project_id``, ``seq``, ``level3``, ``issue`` (``no_numeric_target``,
        ``no_basis``, ``below_last_actual``, ``below_benchmark``, ``missing_core``) and ``message``
        (Chinese; a benchmark finding names the benchmark and its group). A missing core indicator is a
        finding of the whole project: ``seq`` 0 and ``level3`` the missing indicator's library name.
    """
    cfg = _library_section(scheme) if projects is not None else None
    if cfg is not None and library is None:
        library = load_library(cfg["extension"])
    rows = (
        checks
        if checks is not None
        else indicator_checks(
            indicators, scheme, scored, projects=projects, library=library, standards=standards
        )
    )
    parts = []
    checks = [
        ("no_numeric_target", ~rows["quantified"]),
        ("no_basis", ~rows["has_basis"]),
        ("below_last_actual", rows["below_last"]),
    ]
    if cfg is not None:
        checks.append(("below_benchmark", rows["below_benchmark"].astype(bool)))
    for issue, mask in checks:
        found = rows.loc[mask.to_numpy(), ["project_id", "seq", "level3"]].copy()
        found["issue"] = issue
        found["message"] = ISSUES[issue]
        if issue == "below_benchmark":
            picked = rows.loc[mask.to_numpy()]
            statistic = STATISTIC_NAMES[cfg["benchmark"]]
            found["message"] = [
                f"{ISSUES[issue]}：{benchmark_source(y, sector, size, n)}的{statistic}为{format_value(b, u)}"
                for b, u, y, sector, size, n in zip(
                    picked["benchmark"],
                    picked["benchmark_unit"],
                    picked["benchmark_years"],
                    picked["benchmark_sector"],
                    picked["benchmark_size"],
                    picked["benchmark_projects"],
                    strict=True,
                )
            ]
        parts.append(found)
    if cfg is not None and projects is not None:
        core = core_indicator_checks(rows, projects, scheme, library)
        core = core[core["missing_core"].notna()]
        if len(core):
            missing = core.assign(level3=core["missing_core"].str.split("、")).explode("level3")
            parts.append(
                pd.DataFrame(
                    {
                        "project_id": missing["project_id"].to_numpy(),
                        "seq": 0,
                        "level3": missing["level3"].to_numpy(),
                        "issue": "missing_core",
                        "message": [
                            f"{ISSUES['missing_core']}“{name}”（{f}）"
                            for name, f in zip(missing["level3"], missing["library_field"], strict=True)
                        ],
                    }
                )
            )
    return (
        pd.concat(parts, ignore_index=True)
        .sort_values(["project_id", "seq"], kind="stable")
        .reset_index(drop=True)
    )


def format_value(value: Any, unit: Any = None) -> str:
    """A benchmark as a reader reads it: at most two decimals, no trailing zeros, then the unit
    (``96.666…, "%"`` → ``96.67%``); ``—`` when missing."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if not np.isfinite(number):
        return "—"
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return text + (str(unit) if isinstance(unit, str) else "")


def _label(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value.strip() else None


def benchmark_source(years: Any, sector: Any, size: Any, n_projects: Any) -> str:
    """Where a benchmark comes from, in Chinese: comparable projects' scope, count and years.

    >>> benchmark_source("2024", "农林水", None, 3)
    '农林水行业3个同类项目2024年实际完成值'
    >>> benchmark_source(None, None, "100-500万元", 5)
    '各行业预算规模100-500万元的5个同类项目上年实际完成值'
    """
    scope = f"{_label(sector)}行业" if _label(sector) else "各行业"
    if _label(size):
        scope += f"预算规模{size}的"
    when = f"{years}年" if _label(years) else "上年"
    count = int(n_projects) if pd.notna(n_projects) else 0
    return f"{scope}{count}个同类项目{when}实际完成值"


def target_benchmarks(indicators: pd.DataFrame, checks: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The historical standards (历史标准) beside the targets they were compared with, one row per
    benchmarked indicator, for the reader of a review to trace every ``below_benchmark`` finding.

    Parameters
    ----------
    indicators : DataFrame
        The 绩效指标 sheet (``target``, ``direction`` as written).
    checks : DataFrame
        :func:`indicator_checks` of the same rows, with the library columns (``projects`` given).
    scheme : Scheme
        ``target_review.library`` (the benchmark statistic).

    Returns
    -------
    DataFrame
        ``project_id``, ``seq``, ``level3`` (as written), ``library_id``, ``library_name``,
        ``target`` (as written), ``unit`` (the target's unit), ``benchmark``, ``suggested`` (建议目标值,
        the median), ``stretch`` (较高目标值: upper quartile; lower quartile for a reverse indicator) — all
        numbers in ``unit`` —, ``statistic`` (the benchmark's Chinese name), ``below_benchmark``,
        ``status`` (低于历史标准 / 不低于历史标准, or 高于历史标准 / 不高于历史标准 for a reverse
        indicator), ``years``, ``group``, ``sector``, ``size``, ``n_projects`` and ``source`` (Chinese:
        :func:`benchmark_source`).
    """
    columns = [
        "project_id",
        "seq",
        "level3",
        "library_id",
        "library_name",
        "target",
        "unit",
        "benchmark",
        "suggested",
        "stretch",
        "statistic",
        "below_benchmark",
        "status",
        "years",
        "group",
        "sector",
        "size",
        "n_projects",
        "source",
    ]
    cfg = _library_section(scheme)
    if cfg is None or "benchmarked" not in checks or not len(checks):
        return pd.DataFrame(columns=columns)
    keep = checks["benchmarked"].astype(bool).to_numpy()
    rows = checks.loc[keep].reset_index(drop=True)
    written = indicators.reset_index(drop=True).loc[keep].reset_index(drop=True)
    direction = score_indicators(written, scheme)["direction_rule"].astype(object).to_numpy()
    reverse = np.isin(direction, ["reverse", "reverse_strict"])
    below = rows["below_benchmark"].astype(bool).to_numpy()
    out = pd.DataFrame(
        {
            "project_id": rows["project_id"].to_numpy(dtype=object),
            "seq": rows["seq"].to_numpy(),
            "level3": written["level3"].to_numpy(dtype=object),
            "library_id": rows["library_id"].to_numpy(dtype=object),
            "library_name": rows["library_name"].to_numpy(dtype=object),
            "target": written["target"].to_numpy(dtype=object),
            "unit": rows["benchmark_unit"].to_numpy(dtype=object),
            "benchmark": rows["benchmark"].to_numpy(dtype=float),
            "suggested": rows["benchmark_suggested"].to_numpy(dtype=float),
            "stretch": rows["benchmark_stretch"].to_numpy(dtype=float),
            "statistic": STATISTIC_NAMES[cfg["benchmark"]],
            "below_benchmark": below,
            "status": np.where(
                reverse,
                np.where(below, "高于历史标准", "不高于历史标准"),
                np.where(below, "低于历史标准", "不低于历史标准"),
            ),
            "years": rows["benchmark_years"].to_numpy(dtype=object),
            "group": rows["benchmark_group"].to_numpy(dtype=object),
            "sector": rows["benchmark_sector"].to_numpy(dtype=object),
            "size": rows["benchmark_size"].to_numpy(dtype=object),
            "n_projects": rows["benchmark_projects"].to_numpy(dtype=int),
        }
    )
    out["source"] = [
        benchmark_source(y, sector, size, n)
        for y, sector, size, n in zip(
            out["years"], out["sector"], out["size"], out["n_projects"], strict=True
        )
    ]
    return out[columns]


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


def _fiscal_year(year: Any) -> int | None:
    value = getattr(year, "year", None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def run(year: Any, scheme: Scheme) -> dict[str, pd.DataFrame]:
    """All target-review tables of a year: ``projects`` (:func:`review_targets`), ``issues``
    (:func:`indicator_issues`), ``benchmarks`` (:func:`target_benchmarks`: the historical standards
    beside the targets) and ``departments`` (:func:`department_target_presence`)."""
    indicators = table(year, "indicators")
    projects = table(year, "projects")
    scored = score_indicators(indicators, scheme)
    cfg = _library_section(scheme)
    library = load_library(cfg["extension"]) if cfg is not None else None
    checks = indicator_checks(
        indicators,
        scheme,
        scored,
        projects=projects,
        library=library,
        budget=table(year, "budget"),
        year=_fiscal_year(year),
    )
    return {
        "benchmarks": target_benchmarks(indicators, checks, scheme),
        "projects": review_targets(indicators, projects, scheme, scored, library=library, checks=checks),
        "issues": indicator_issues(
            indicators, scheme, scored, projects=projects, library=library, checks=checks
        ),
        "departments": department_target_presence(
            table(year, "units"), table(year, "department_targets"), scheme
        ),
    }
