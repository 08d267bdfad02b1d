"""Standards drawn from history (历史标准) and unit-cost standards (成本标准).

财预〔2021〕101号 lets a target value rest on a 计划标准, 行业标准, 历史标准 or another confirmed
standard (rules.md §3.8). The historical standard of a library indicator is the distribution of what
comparable projects actually achieved: every actual value (全年完成值, and 上年完成值 as the year
before) of the rows matched to the indicator (:func:`pbm_lib.library.match_indicators`), converted to
the indicator's unit, grouped by the project's sector (行业领域) and size band (全年预算数).

From the distribution: the **suggested target** is the median, the **stretch target** the upper
quartile (the lower quartile for a reverse indicator, where less is better), and the **benchmark**
for target review a statistic the scheme chooses (median by default). A group with fewer than
``min_projects`` distinct projects gives no standard; the look-up then falls back from sector and size
to sector alone and to all sectors (:func:`lookup_benchmarks`).

Unit-cost standards come from the money actually spent (全年执行数) divided by the actual quantity of
each matched cost-driver indicator (``cost_driver: true`` in the library: 公里, 亩, 平方米 …), through
:func:`pbm_lib.cost.unit_costs`, and are summarised the same way. A project with two cost drivers has
its whole cost attributed to each (toolkit policy: the forms give no split).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..cost import unit_costs
from ..indicators import UNIT_ALIASES, parse_values, unit_family
from .loader import load_library
from .matching import _canonical_unit, match_indicators

#: Upper edges of the project size bands, 万元 of 全年预算数 (toolkit policy).
SIZE_EDGES = (100.0, 500.0, 2000.0)
#: Labels of the size bands (half-open intervals [a, b)).
SIZE_LABELS = ("100万元以下", "100-500万元", "500-2000万元", "2000万元及以上")
#: Groupings from the most specific to the least, and their labels.
GROUPINGS: tuple[tuple[str, ...], ...] = (("sector", "size"), ("sector",), ())
GROUP_LABELS = {("sector", "size"): "行业+规模", ("sector",): "行业", (): "全部"}
#: Sources of actual values: this year's actual and last year's (上年完成值, one year earlier).
SOURCES = ("actual", "last_actual")
#: Statistics available as a benchmark.
STATISTICS = ("p25", "median", "p75", "mean")
#: Default number of distinct projects a standard needs (toolkit policy).
MIN_PROJECTS = 3

_OBSERVATION_COLUMNS = ["year", "project_id", "sector", "size", "library_id", "value", "unit", "source"]


def size_bands(
    budget: pd.Series | np.ndarray | Sequence[float], edges: Sequence[float] = SIZE_EDGES
) -> pd.Categorical:
    """Size band of each project from its 全年预算数 (万元), half-open ``[a, b)``; NaN stays NaN."""
    x = np.asarray(budget, dtype=float)
    labels = (
        SIZE_LABELS
        if tuple(edges) == SIZE_EDGES
        else tuple(
            [f"<{edges[0]:g}"]
            + [f"{a:g}-{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
            + [f"≥{edges[-1]:g}"]
        )
    )
    codes = np.searchsorted(np.asarray(edges, dtype=float), x, side="right")
    codes = np.where(np.isnan(x), -1, codes)
    return pd.Categorical.from_codes(codes, categories=list(labels))


def unit_factor(from_unit: str | None, to_unit: str | None) -> float:
    """Factor turning a value in ``from_unit`` into ``to_unit`` (NaN when they cannot be reconciled).

    Units of one family convert (元 → 万元, 天 → 月); a plain unit against a compound one compares with
    its numerator (万元 against 万元/公里: a unit cost written with its money unit only). A value without
    a unit is taken to be in ``to_unit``.
    """
    return _unit_factor(
        from_unit if isinstance(from_unit, str) else None, to_unit if isinstance(to_unit, str) else None
    )


@functools.lru_cache(maxsize=65536)
def _unit_factor(from_unit: str | None, to_unit: str | None) -> float:
    a = _canonical_unit(from_unit)
    b = _canonical_unit(to_unit)
    if a is None or b is None or a == b:
        return 1.0
    fa, ka = unit_family(a)
    fb, kb = unit_family(b)
    if fa == fb:
        return ka / kb
    if "/" in b and "/" not in a:
        head = b.split("/", 1)[0]
        fh, kh = unit_family(UNIT_ALIASES.get(head, head))
        return ka / kh if fh == fa else np.nan
    if "/" in a and "/" in b:
        (ha, da), (hb, db) = a.split("/", 1), b.split("/", 1)
        if da == db:
            (fha, kha), (fhb, khb) = unit_family(ha), unit_family(hb)
            return kha / khb if fha == fhb else np.nan
    return np.nan


def unit_factors(from_units: np.ndarray, to_units: np.ndarray) -> np.ndarray:
    """:func:`unit_factor` of each row, computed once per distinct pair of units."""
    from_codes, from_values = pd.factorize(pd.Series(from_units, dtype=object), use_na_sentinel=True)
    to_codes, to_values = pd.factorize(pd.Series(to_units, dtype=object), use_na_sentinel=True)
    table = np.asarray(
        [[unit_factor(a, b) for b in [None, *to_values]] for a in [None, *from_values]], dtype=float
    ).reshape(len(from_values) + 1, len(to_values) + 1)
    return table[from_codes + 1, to_codes + 1]


def _budget_per_project(budget: pd.DataFrame | pd.Series | None) -> pd.Series | None:
    if budget is None:
        return None
    if isinstance(budget, pd.Series):
        return budget.astype(float)
    if "annual" in budget.columns:
        return budget.groupby("project_id")["annual"].sum(min_count=1).astype(float)
    raise ValueError("budget must be a Series by project_id or a table with project_id and annual")


def indicator_observations(
    indicators: pd.DataFrame,
    projects: pd.DataFrame,
    library: pd.DataFrame | None = None,
    *,
    budget: pd.DataFrame | pd.Series | None = None,
    year: int | None = None,
    sources: Sequence[str] = SOURCES,
    match: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Actual values of library indicators, one row per project, indicator, year and source.

    Parameters
    ----------
    indicators : DataFrame
        The 绩效指标 sheet (``project_id``, ``level3``, ``measure_unit``, ``actual``, ``last_actual``).
    projects : DataFrame
        The 项目 sheet (``project_id``, ``sector``).
    library : DataFrame, optional
        :func:`pbm_lib.library.load_library`.
    budget : DataFrame or Series, optional
        The 预算执行 sheet (summed per project) or 全年预算数 by project id, for the size band.
    year : int, optional
        Fiscal year of the data: ``actual`` values are of this year, ``last_actual`` of the year before.
    sources : sequence of str
        Which columns to read (:data:`SOURCES`).
    match : DataFrame, optional
        :func:`pbm_lib.library.match_indicators` of ``indicators["level3"]`` (computed when not given).

    Returns
    -------
    DataFrame
        ``year`` (nullable), ``project_id``, ``sector``, ``size``, ``library_id``, ``value`` (in the
        indicator's unit), ``unit`` (the indicator's), ``source``. Values that are not numbers, or whose
        unit cannot be converted, are left out; two rows of one project matched to the same indicator
        are averaged.
    """
    if library is None:
        library = load_library()
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; expected one of {SOURCES}")
    if len(indicators) == 0:
        return pd.DataFrame(columns=_OBSERVATION_COLUMNS)
    sectors = projects.set_index("project_id")["sector"] if "sector" in projects else pd.Series(dtype=object)
    row_sector = indicators["project_id"].map(sectors).astype(object)
    if match is None:
        match = match_indicators(
            indicators["level3"], library, sector=row_sector, units=indicators.get("measure_unit")
        )
    lib = library.set_index("id")
    ids = match["library_id"].reindex(indicators.index).to_numpy(dtype=object)
    matched = pd.notna(ids)
    per_project = _budget_per_project(budget)
    size = (
        size_bands(indicators["project_id"].map(per_project).to_numpy(dtype=float))
        if per_project is not None
        else pd.Categorical([None] * len(indicators), categories=list(SIZE_LABELS))
    )
    parts = []
    for source in sources:
        if source not in indicators:
            continue
        parsed = parse_values(indicators[source], None, indicators.get("measure_unit"))
        number = (parsed["kind"].astype(object) == "number").to_numpy() & matched
        if not number.any():
            continue
        lib_units = np.where(matched, lib["unit"].reindex(ids).to_numpy(dtype=object), None)
        factor = unit_factors(parsed["unit"].astype(object).to_numpy(), lib_units)
        value = parsed["value"].to_numpy(dtype=float) * factor
        keep = number & np.isfinite(value) & (lib_units != "定性")
        offset = 1 if source == "last_actual" else 0
        parts.append(
            pd.DataFrame(
                {
                    "year": pd.array(
                        [None if year is None else year - offset] * int(keep.sum()), dtype="Int64"
                    ),
                    "project_id": indicators["project_id"].to_numpy(dtype=object)[keep],
                    "sector": row_sector.to_numpy(dtype=object)[keep],
                    "size": size[keep],
                    "library_id": ids[keep],
                    "value": value[keep],
                    "unit": lib_units[keep],
                    "source": source,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=_OBSERVATION_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    keys = ["year", "project_id", "library_id", "source"]
    return (
        out.groupby(keys, dropna=False, sort=False, observed=True)
        .agg(
            sector=("sector", "first"),
            size=("size", "first"),
            value=("value", "mean"),
            unit=("unit", "first"),
        )
        .reset_index()[_OBSERVATION_COLUMNS]
    )


def _as_years(years: Any) -> list[Any]:
    if isinstance(years, pd.DataFrame):
        return [years]
    if hasattr(years, "indicators") and hasattr(years, "projects"):
        return [years]
    return list(years)


def year_observations(
    years: Any, library: pd.DataFrame | None = None, *, sources: Sequence[str] = SOURCES
) -> pd.DataFrame:
    """:func:`indicator_observations` of one or more years (:class:`pbm_lib.workbook.YearData`).

    Where a project's indicator has both a year's own actual and the next year's 上年完成值 for the
    same year, the year's own actual is kept.
    """
    if library is None:
        library = load_library()
    parts = []
    for data in _as_years(years):
        if isinstance(data, pd.DataFrame):
            parts.append(data)
            continue
        parts.append(
            indicator_observations(
                data.indicators, data.projects, library, budget=data.budget, year=data.year, sources=sources
            )
        )
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    )
    if len(out) and "source" in out:
        order = out["source"].map({"actual": 0, "last_actual": 1}).fillna(2)
        out = (
            out.assign(_order=order)
            .sort_values("_order", kind="stable")
            .drop_duplicates(["year", "project_id", "library_id"], keep="first")
            .drop(columns="_order")
            .reset_index(drop=True)
        )
    return out


def _years_label(years: pd.Series) -> str | None:
    """The distinct years of a group's values, ascending and 、-joined ("2023、2024"); None when unknown."""
    known = sorted({int(y) for y in years.dropna()})
    return "、".join(str(y) for y in known) or None


#: The statistics of a group's values, and the columns :func:`_summarise` gives (``enough`` aside).
_STATISTICS = ("min", "p25", "median", "p75", "max", "mean")
_SUMMARY_COLUMNS = ("library_id", "group", "sector", "size", "n_projects", "n_values", "years", *_STATISTICS)


def _summarise(
    values: pd.DataFrame, value: str, groupings: Sequence[Sequence[str]], min_projects: int
) -> pd.DataFrame:
    parts = []
    for keys in groupings:
        keys = tuple(keys)
        label = GROUP_LABELS.get(keys, "+".join(keys))
        by = ["library_id", *keys]
        frame = values.dropna(subset=[k for k in keys]) if keys else values
        if not len(frame):
            continue
        grouped = frame.groupby(by, sort=True, observed=True)[value]
        stats = grouped.agg(n_values="size", min="min", max="max", mean="mean").join(
            grouped.quantile([0.25, 0.5, 0.75]).unstack().set_axis(["p25", "median", "p75"], axis=1)
        )
        stats["n_projects"] = frame.groupby(by, sort=True, observed=True)["project_id"].nunique()
        if "year" in frame:
            stats["years"] = frame.groupby(by, sort=True, observed=True)["year"].agg(_years_label)
        else:
            stats["years"] = None
        stats = stats.reset_index()
        stats.insert(1, "group", label)
        for k in ("sector", "size"):
            if k not in stats:
                stats[k] = None
            else:
                stats[k] = stats[k].astype(object)
        parts.append(stats)
    columns = list(_SUMMARY_COLUMNS)
    if not parts:
        return pd.DataFrame(columns=columns + ["enough"])
    out = pd.concat(parts, ignore_index=True)[columns]
    out["n_projects"] = out["n_projects"].astype(int)
    out["n_values"] = out["n_values"].astype(int)
    out["enough"] = out["n_projects"] >= min_projects
    return out


def history_standards(
    years: Any,
    library: pd.DataFrame | None = None,
    *,
    groupings: Sequence[Sequence[str]] = GROUPINGS,
    min_projects: int = MIN_PROJECTS,
    sources: Sequence[str] = SOURCES,
) -> pd.DataFrame:
    """Historical standards (历史标准) of every library indicator with actual values.

    Parameters
    ----------
    years : YearData, list of YearData, or DataFrame
        The data: one or more years, or observations already drawn (:func:`indicator_observations`).
    library : DataFrame, optional
        :func:`pbm_lib.library.load_library`.
    groupings : sequence of key tuples
        Comparable groups, most specific first; keys are ``sector`` and ``size`` (:data:`GROUPINGS`).
    min_projects : int
        Distinct projects a group needs for its standard (fewer: ``enough`` False, no suggestion).
    sources : sequence of str
        Which actuals to read from workbooks (:data:`SOURCES`).

    Returns
    -------
    DataFrame
        One row per indicator and group: ``library_id``, ``name``, ``unit``, ``direction``, ``kind``,
        ``group`` (行业+规模, 行业, 全部), ``sector``, ``size``, ``n_projects``, ``n_values``, ``years``
        (the years the values are of, ascending and 、-joined; None when the data carry no year), ``min``,
        ``p25``, ``median``, ``p75``, ``max``, ``mean`` (quantiles by linear interpolation),
        ``enough``, ``suggested`` (the median), ``stretch`` (p75; p25 for a reverse indicator).
    """
    if library is None:
        library = load_library()
    observations = year_observations(years, library, sources=sources)
    stats = _summarise(observations, "value", groupings, min_projects)
    lib = library.set_index("id")
    stats.insert(1, "name", stats["library_id"].map(lib["name"]))
    stats.insert(2, "unit", stats["library_id"].map(lib["unit"]))
    stats.insert(3, "direction", stats["library_id"].map(lib["direction"]))
    stats.insert(4, "kind", stats["library_id"].map(lib["kind"]))
    reverse = (stats["direction"] == "≤").to_numpy()
    enough = stats["enough"].to_numpy(dtype=bool)
    stats["suggested"] = np.where(enough, stats["median"].to_numpy(dtype=float), np.nan)
    stats["stretch"] = np.where(
        enough,
        np.where(reverse, stats["p25"].to_numpy(dtype=float), stats["p75"].to_numpy(dtype=float)),
        np.nan,
    )
    return stats


def lookup_benchmarks(
    rows: pd.DataFrame,
    standards: pd.DataFrame,
    *,
    statistic: str = "median",
    groupings: Sequence[Sequence[str]] = GROUPINGS,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """The benchmark of each row from the most specific group that has enough projects.

    Parameters
    ----------
    rows : DataFrame
        ``library_id`` and, as the groupings need, ``sector`` and ``size``.
    standards : DataFrame
        :func:`history_standards` or :func:`cost_standards` (``library_id``, ``group``, keys, the
        statistic, ``n_projects``, ``enough``).
    statistic : str
        One of :data:`STATISTICS`.
    groupings : sequence of key tuples
        Tried in order.
    extra : sequence of str
        Further columns of ``standards`` to return from the same group (``suggested``, ``stretch``,
        ``years``, ``sector``, ``size`` …), each as ``benchmark_<column>``: the benchmark's source.

    Returns
    -------
    DataFrame
        Same index as ``rows``: ``benchmark`` (NaN where no group has enough projects),
        ``benchmark_group`` and ``benchmark_projects``, and one ``benchmark_<column>`` per ``extra``
        (None where no group has enough projects; ``sector`` and ``size`` None for a group without them).
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic {statistic!r}: expected one of {STATISTICS}")
    n = len(rows)
    benchmark = np.full(n, np.nan)
    group = np.full(n, None, dtype=object)
    count = np.zeros(n, dtype=int)
    more = {c: np.full(n, None, dtype=object) for c in extra}
    usable = standards[standards["enough"].astype(bool)] if len(standards) else standards
    for keys in groupings:
        keys = tuple(keys)
        label = GROUP_LABELS.get(keys, "+".join(keys))
        table = usable[usable["group"] == label] if len(usable) else usable
        if not len(table):
            continue
        on = ["library_id", *keys]
        left = rows[on].astype(object).reset_index(drop=True)
        wanted = [c for c in extra if c not in on]
        right = table[[*on, statistic, "n_projects", *wanted]].astype({k: object for k in on})
        right = right.rename(columns={c: f"_extra_{c}" for c in wanted})
        found = left.merge(right, on=on, how="left")
        value = found[statistic].to_numpy(dtype=float)
        take = np.isnan(benchmark) & np.isfinite(value)
        benchmark[take] = value[take]
        group[take] = label
        count[take] = found["n_projects"].to_numpy(dtype=float)[take].astype(int)
        for c in extra:
            source = found[c] if c in on else found[f"_extra_{c}"]
            more[c][take] = source.to_numpy(dtype=object)[take]
    out = pd.DataFrame(
        {"benchmark": benchmark, "benchmark_group": group, "benchmark_projects": count}, index=rows.index
    )
    for c in extra:
        out[f"benchmark_{c}"] = more[c]
    return out


def cost_standards(
    years: Any,
    library: pd.DataFrame | None = None,
    *,
    groupings: Sequence[Sequence[str]] = GROUPINGS,
    min_projects: int = MIN_PROJECTS,
) -> pd.DataFrame:
    """Unit-cost standards (成本标准): spending per unit of each cost-driver indicator across projects.

    For each project of each year, ``cost`` is its 全年执行数 (万元, summed over funding sources) and
    ``quantity`` the actual value of each matched indicator marked ``cost_driver`` (in the indicator's
    unit); :func:`pbm_lib.cost.unit_costs` gives ``cost / quantity``. Projects without spending or
    without a positive quantity are left out.

    Parameters
    ----------
    years : YearData or list of YearData
        The data.
    library : DataFrame, optional
        :func:`pbm_lib.library.load_library`.
    groupings, min_projects
        As in :func:`history_standards`.

    Returns
    -------
    DataFrame
        One row per cost driver and group: ``library_id``, ``name`` (the output, e.g. 新建高标准农田面积),
        ``cost_unit`` (万元 per the indicator's unit, or 元 when the median is below 1 万元), ``group``,
        ``sector``, ``size``, ``n_projects``, ``n_values``, ``years`` (the years of the values, 、-joined),
        ``min``, ``p25``, ``median``, ``p75``, ``max``, ``mean``, ``enough``.
    """
    if library is None:
        library = load_library()
    drivers = set(library.loc[library["cost_driver"], "id"])
    parts = []
    for data in _as_years(years):
        observations = indicator_observations(
            data.indicators, data.projects, library, budget=data.budget, year=data.year, sources=("actual",)
        )
        observations = observations[observations["library_id"].isin(drivers) & (observations["value"] > 0)]
        spent = data.budget.groupby("project_id")["executed"].sum(min_count=1)
        observations = observations.assign(cost=observations["project_id"].map(spent).to_numpy(dtype=float))
        observations = observations[np.isfinite(observations["cost"]) & (observations["cost"] > 0)]
        if len(observations):
            parts.append(unit_costs(observations.reset_index(drop=True), cost="cost", quantity="value"))
    columns = ["library_id", "name", "cost_unit", *_SUMMARY_COLUMNS[1:], "enough"]
    if not parts:
        return pd.DataFrame(columns=columns)
    per_unit = pd.concat(parts, ignore_index=True)
    stats = _summarise(per_unit, "unit_cost", groupings, min_projects)
    lib = library.set_index("id")
    median_all = per_unit.groupby("library_id")["unit_cost"].median()
    in_yuan = stats["library_id"].map(median_all < 1.0).fillna(False).to_numpy(dtype=bool)
    for column in _STATISTICS:
        stats[column] = np.where(
            in_yuan, stats[column].to_numpy(dtype=float) * 1e4, stats[column].to_numpy(dtype=float)
        )
    units = stats["library_id"].map(lib["unit"]).astype(str)
    stats["cost_unit"] = np.where(in_yuan, "元/", "万元/") + units.to_numpy(dtype=object)
    stats["name"] = stats["library_id"].map(lib["name"])
    return stats[columns]


def observations_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Observations typed by hand (``project_id``, ``library_id``, ``value`` and optional ``sector``,
    ``size``, ``year``, ``unit``, ``source``), for :func:`history_standards` on prepared data."""
    frame = pd.DataFrame(list(rows))
    for column in _OBSERVATION_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame[_OBSERVATION_COLUMNS]
