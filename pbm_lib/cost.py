"""Cost indicators (成本指标) and cost-effectiveness across alternatives.

* Unit costs against a benchmark (计划/行业/历史标准), the cost-saving rate (成本节约率), comparisons of
  the same kind of project across units and against last year (rules.md §4.3, "native cost
  indicators").
* ICERs along the efficiency frontier with strong and iterated extended dominance
  (Weinstein & Fineberg; Cantor 1994; rules.md §4.1, test vectors A and B).
* Net monetary benefit and the decision at a willingness-to-pay λ (Stinnett & Mullahy 1998).
* From probabilistic draws: the cost-effectiveness acceptability curve (van Hout et al. 1994), the
  probability that each alternative is best, the acceptability frontier (Fenwick, Claxton &
  Sculpher 2001) and the EVPI (rules.md §4.2).
* A chart of the frontier.

Costs are in any money unit (元 or 万元) and effects in any natural unit, as long as each is the same
for every alternative; ICERs are then money per unit of effect and λ must use the same units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import ModelInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

STATUS_FRONTIER = "frontier"
STATUS_DOMINATED = "dominated"
STATUS_EXTENDED = "extended-dominated"

#: Relative tolerance for comparing ICERs and λ (rules.md §4.1).
ICER_RTOL = 1e-9

TIE_RULES = ("effective", "cheaper")
COLLINEAR_RULES = ("keep", "drop")

#: Benchmarks for a unit cost (取值依据), code → Chinese label.
COST_BASES = {"plan": "计划标准", "industry": "行业标准", "history": "历史标准", "other": "其他标准"}
#: Kinds of 成本指标 in the performance-target forms, code → Chinese label.
COST_INDICATOR_KINDS = {
    "economic": "经济成本指标",
    "social": "社会成本指标",
    "environmental": "生态环境成本指标",
}


# ---------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------


def _require_columns(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ModelInputError(f"{what}: expected a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise ModelInputError(f"{what}: the table is empty; at least one row is needed")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ModelInputError(
            f"{what}: column(s) {', '.join(map(repr, missing))} not found; "
            f"available: {', '.join(map(str, data.columns))}"
        )


def _numbers(data: pd.DataFrame, column: str, labels: pd.Series, what: str) -> np.ndarray:
    """A column as finite floats; every bad cell is named by its row label."""
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        rows = ", ".join(f"{labels.iloc[i]!r} ({data[column].iloc[i]!r})" for i in np.flatnonzero(bad)[:10])
        raise ModelInputError(f"{what}: column {column!r} has missing or non-numeric values at {rows}")
    return values


def _labels(data: pd.DataFrame, name: str | None) -> pd.Series:
    if name is not None and name in data.columns:
        return data[name].astype(str).reset_index(drop=True)
    return pd.Series(data.index.astype(str), dtype=object)


def _check_sign(values: np.ndarray, labels: pd.Series, column: str, what: str, *, strict: bool) -> None:
    bad = values <= 0 if strict else values < 0
    if bad.any():
        rows = ", ".join(f"{labels.iloc[i]!r} ({values[i]:g})" for i in np.flatnonzero(bad)[:10])
        expected = "> 0" if strict else "≥ 0"
        raise ModelInputError(f"{what}: {column!r} must be {expected}; found {rows}")


# ---------------------------------------------------------------------------------------------
# Cost indicators (成本指标)
# ---------------------------------------------------------------------------------------------


def cost_saving_rate(
    planned: pd.Series | np.ndarray | float, actual: pd.Series | np.ndarray | float
) -> pd.Series | np.ndarray | float:
    """Cost-saving rate (成本节约率) ``(planned − actual) / planned``.

    Positive when the actual cost is below plan. Source: rules.md §4.3 (native cost indicators).

    Parameters
    ----------
    planned, actual : Series, array or float
        Planned (预算/计划) and actual (实际) cost in the same money unit; ``planned > 0``.

    Returns
    -------
    Series, array or float
        Same shape as the inputs; a fraction (0.05 = 5 %).

    Raises
    ------
    ModelInputError
        A planned cost that is not positive, or a negative or non-finite value.
    """
    p = np.asarray(planned, dtype=float)
    a = np.asarray(actual, dtype=float)
    if not (np.isfinite(p).all() and np.isfinite(a).all()):
        raise ModelInputError("cost_saving_rate: planned and actual costs must be finite numbers")
    if (p <= 0).any():
        raise ModelInputError("cost_saving_rate: planned cost must be > 0 (the rate divides by it)")
    if (a < 0).any():
        raise ModelInputError("cost_saving_rate: actual cost must be ≥ 0")
    rate = (p - a) / p
    if isinstance(planned, pd.Series):
        return pd.Series(rate, index=planned.index, name="saving_rate")
    if isinstance(actual, pd.Series):
        return pd.Series(rate, index=actual.index, name="saving_rate")
    return float(rate) if rate.ndim == 0 else rate


def unit_costs(
    data: pd.DataFrame,
    *,
    cost: str = "cost",
    quantity: str = "quantity",
    benchmark: str | None = None,
    basis: str | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """Unit cost per unit of output, and its comparison with a benchmark unit cost.

    ``unit_cost = cost / quantity``; against a benchmark unit cost ``b`` (计划标准, 行业标准 or
    历史标准): ``benchmark_ratio = unit_cost / b`` and ``saving_rate = (b − unit_cost) / b``
    (成本节约率 per unit, positive when cheaper than the benchmark). Source: rules.md §4.3.

    Parameters
    ----------
    data : DataFrame
        One row per project or unit.
    cost : str
        Column of total cost (money, e.g. 万元), ``≥ 0``.
    quantity : str
        Column of output quantity (e.g. 公里, 人次), ``> 0``.
    benchmark : str, optional
        Column of benchmark unit costs in money per output unit, ``> 0``.
    basis : str, optional
        Column saying which benchmark each row uses: ``plan``, ``industry``, ``history``, ``other``
        or their Chinese labels (:data:`COST_BASES`); normalised to the English code.
    name : str, optional
        Column naming the rows in error messages (default: the index).

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``unit_cost`` and, with a benchmark, ``benchmark_ratio``,
        ``saving_rate`` and ``within_benchmark`` (unit cost ≤ benchmark).

    Raises
    ------
    ModelInputError
        Empty table, missing column, non-numeric value, negative cost, non-positive quantity or
        benchmark, or an unknown basis.
    """
    what = "unit_costs"
    _require_columns(
        data, [cost, quantity] + ([benchmark] if benchmark else []) + ([basis] if basis else []), what
    )
    labels = _labels(data, name)
    c = _numbers(data, cost, labels, what)
    q = _numbers(data, quantity, labels, what)
    _check_sign(c, labels, cost, what, strict=False)
    _check_sign(q, labels, quantity, what, strict=True)
    out = data.copy()
    out["unit_cost"] = c / q
    if benchmark:
        b = _numbers(data, benchmark, labels, what)
        _check_sign(b, labels, benchmark, what, strict=True)
        out["benchmark_ratio"] = out["unit_cost"] / b
        out["saving_rate"] = (b - out["unit_cost"]) / b
        out["within_benchmark"] = out["unit_cost"] <= b
    if basis:
        out[basis] = _codes(data[basis], COST_BASES, labels, basis, what)
    return out


def _codes(values: pd.Series, codes: dict[str, str], labels: pd.Series, column: str, what: str) -> pd.Series:
    lookup = {**{k: k for k in codes}, **{v: k for k, v in codes.items()}}
    lookup.update({v.removesuffix("标准").removesuffix("指标"): k for k, v in codes.items()})
    mapped = values.map(lambda v: lookup.get(str(v).strip()) if pd.notna(v) else None)
    bad = mapped.isna().to_numpy()
    if bad.any():
        rows = ", ".join(f"{labels.iloc[i]!r} ({values.iloc[i]!r})" for i in np.flatnonzero(bad)[:10])
        allowed = ", ".join(f"{k}/{v}" for k, v in codes.items())
        raise ModelInputError(
            f"{what}: column {column!r} has unknown values at {rows}; expected one of {allowed}"
        )
    return mapped


def cost_indicators(
    data: pd.DataFrame,
    *,
    kind: str = "kind",
    planned: str = "planned",
    actual: str = "actual",
    name: str | None = None,
) -> pd.DataFrame:
    """Cost indicators (成本指标) of a performance-target table: saving rate and over-plan flag.

    Each row is one 经济成本指标, 社会成本指标 or 生态环境成本指标 with a planned ceiling and an
    actual value. ``saving_rate = (planned − actual) / planned`` (成本节约率, rules.md §4.3);
    ``over_plan = actual > planned``.

    Parameters
    ----------
    data : DataFrame
        One row per cost indicator.
    kind : str
        Column with ``economic``/``social``/``environmental`` or the Chinese labels of
        :data:`COST_INDICATOR_KINDS` (normalised to the English code).
    planned, actual : str
        Columns of planned and actual cost in the same unit; ``planned > 0``, ``actual ≥ 0``.
    name : str, optional
        Column naming the rows in error messages.

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``saving_rate`` and ``over_plan``.
    """
    what = "cost_indicators"
    _require_columns(data, [kind, planned, actual], what)
    labels = _labels(data, name)
    p = _numbers(data, planned, labels, what)
    a = _numbers(data, actual, labels, what)
    _check_sign(p, labels, planned, what, strict=True)
    _check_sign(a, labels, actual, what, strict=False)
    out = data.copy()
    out[kind] = _codes(data[kind], COST_INDICATOR_KINDS, labels, kind, what)
    out["saving_rate"] = (p - a) / p
    out["over_plan"] = a > p
    return out


def compare_units(data: pd.DataFrame, *, group: str, value: str = "unit_cost") -> pd.DataFrame:
    """Compare unit costs of the same kind of project across units (横向比较).

    Within each ``group`` (the kind of project, e.g. 农村公路 or 学校建设):
    ``group_median`` and ``group_mean`` of ``value``, ``ratio_to_median = value / group_median``,
    ``rank`` (1 = cheapest; ties share the lowest rank) and ``group_size``. Source: rules.md §4.3
    (cost per unit of effect, per project, for ranking comparable projects).

    Returns
    -------
    DataFrame
        A copy of ``data`` with the columns above.
    """
    what = "compare_units"
    _require_columns(data, [group, value], what)
    labels = _labels(data, None)
    v = _numbers(data, value, labels, what)
    _check_sign(v, labels, value, what, strict=False)
    out = data.copy()
    out[value] = v
    grouped = out.groupby(group, sort=False)[value]
    out["group_size"] = grouped.transform("size")
    out["group_mean"] = grouped.transform("mean")
    out["group_median"] = grouped.transform("median")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio_to_median"] = (out[value] / out["group_median"]).where(out["group_median"] > 0)
    out["rank"] = grouped.rank(method="min").astype(int)
    return out


def compare_years(
    current: pd.DataFrame, previous: pd.DataFrame, *, key: str, value: str = "unit_cost"
) -> pd.DataFrame:
    """Compare a cost indicator with last year (纵向比较), matched on ``key``.

    ``change = current − previous`` and ``change_rate = (current − previous) / previous``
    (``<NA>`` when the previous value is 0). ``status`` is ``both``, ``new`` (only this year) or
    ``dropped`` (only last year). Source: rules.md §4.3 (历史标准).

    Returns
    -------
    DataFrame
        One row per key: ``key``, ``current``, ``previous``, ``change``, ``change_rate``, ``status``.
    """
    what = "compare_years"
    for frame in (current, previous):
        _require_columns(frame, [key, value], what)
        duplicated = frame[key][frame[key].duplicated()].astype(str).unique().tolist()
        if duplicated:
            raise ModelInputError(
                f"{what}: duplicate {key!r} values {', '.join(duplicated)}; keys must be unique"
            )
    cur = current[[key, value]].rename(columns={value: "current"})
    prev = previous[[key, value]].rename(columns={value: "previous"})
    out = cur.merge(prev, on=key, how="outer", indicator=True, sort=False)
    out["current"] = pd.to_numeric(out["current"], errors="coerce").astype("Float64")
    out["previous"] = pd.to_numeric(out["previous"], errors="coerce").astype("Float64")
    out["change"] = out["current"] - out["previous"]
    out["change_rate"] = (out["change"] / out["previous"].where(out["previous"] != 0)).astype("Float64")
    out["status"] = (
        out.pop("_merge").map({"both": "both", "left_only": "new", "right_only": "dropped"}).astype(str)
    )
    return out


# ---------------------------------------------------------------------------------------------
# ICERs, dominance and the efficiency frontier
# ---------------------------------------------------------------------------------------------


def _alternatives(
    data: pd.DataFrame, name: str, cost: str, effect: str, allow_negative_cost: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    what = "cost-effectiveness"
    _require_columns(data, [name, cost, effect], what)
    names = data[name]
    if names.isna().any():
        raise ModelInputError(f"{what}: an alternative has no name; every alternative needs a unique name")
    names = names.astype(str).to_numpy()
    duplicated = pd.Series(names)[pd.Series(names).duplicated()].unique().tolist()
    if duplicated:
        raise ModelInputError(
            f"{what}: duplicate alternative names {', '.join(duplicated)}; names must be unique"
        )
    labels = pd.Series(names, dtype=object)
    c = _numbers(data, cost, labels, what)
    e = _numbers(data, effect, labels, what)
    if not allow_negative_cost:
        bad = np.flatnonzero(c < 0)
        if bad.size:
            rows = ", ".join(f"{names[i]!r} ({c[i]:g})" for i in bad)
            raise ModelInputError(
                f"{what}: negative cost for {rows}; budget costs must be ≥ 0 "
                "(pass allow_negative_cost=True for net costs that include savings)"
            )
    if len(c) > 1 and (c == c[0]).all() and (e == e[0]).all():
        raise ModelInputError(
            f"{what}: all {len(c)} alternatives have the same cost ({c[0]:g}) and effect ({e[0]:g}); "
            "there is nothing to compare"
        )
    return names, c, e


def _icers(c: np.ndarray, e: np.ndarray) -> np.ndarray:
    return np.diff(c) / np.diff(e)


def _greater(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a > b`` beyond the relative tolerance."""
    return a > b + ICER_RTOL * np.maximum(np.abs(a), np.abs(b))


def icer_frontier(
    data: pd.DataFrame,
    *,
    name: str = "name",
    cost: str = "cost",
    effect: str = "effect",
    collinear: str = "keep",
    allow_negative_cost: bool = False,
) -> pd.DataFrame:
    r"""Incremental cost-effectiveness ratios along the efficiency frontier, with dominance.

    Algorithm (Weinstein & Fineberg; extended dominance per Cantor, *Med Decis Making* 1994;
    rules.md §4.1, test vectors A and B):

    1. Sort by cost ascending, then effect descending, then input position.
    2. **Strong dominance**: walking the sorted list, an alternative whose effect is ``≤`` the
       largest effect so far is ``dominated`` (costlier and no more effective, equal cost and less
       effective, or an exact duplicate — the later one in input order). Its ``dominated_by`` is the
       cheapest kept alternative at least as effective.
    3. **Extended dominance**: on the kept list compute
       ``ICER_k = (C_k − C_{k−1}) / (E_k − E_{k−1})``; every interior ``k`` with
       ``ICER_k > ICER_{k+1}`` (relative tolerance 1e−9) is ``extended-dominated`` and removed;
       recompute and repeat until the ICERs are non-decreasing. Equal ICERs are **not** extended
       dominance: collinear alternatives stay on the frontier, unless ``collinear="drop"``.
       ``bracket_lower``/``bracket_upper`` name the frontier neighbours on either side.
    4. The first frontier alternative is the reference (no ICER); every other frontier alternative
       has ``delta_cost``, ``delta_effect`` and ``icer`` against the previous frontier one
       (``comparator``).

    Parameters
    ----------
    data : DataFrame
        One row per alternative (方案): unique names, finite costs and effects.
    name, cost, effect : str
        Column names. Cost in money (元 or 万元), effect in natural units.
    collinear : {"keep", "drop"}
        Keep collinear interior points on the frontier (default), or treat them as extended-dominated.
    allow_negative_cost : bool
        Accept negative costs (net costs including savings); by default a cost must be ``≥ 0``.

    Returns
    -------
    DataFrame
        One row per alternative, in the sorted order of step 1, with columns ``name``, ``cost``,
        ``effect``, ``status`` (``frontier``, ``dominated``, ``extended-dominated``), ``reference``
        (bool), ``comparator``, ``delta_cost``, ``delta_effect``, ``icer`` (Float64, ``<NA>`` off the
        frontier and for the reference; money per unit of effect), ``dominated_by``,
        ``duplicate_of`` (the earlier identical alternative, for exact duplicates),
        ``bracket_lower``, ``bracket_upper`` and ``note``.

    Raises
    ------
    ModelInputError
        Empty table, missing column, missing or duplicate names, a non-numeric value, a negative
        cost (unless allowed), or all alternatives identical.
    """
    if collinear not in COLLINEAR_RULES:
        raise ModelInputError(f"collinear must be 'keep' or 'drop', not {collinear!r}")
    names, c, e = _alternatives(data, name, cost, effect, allow_negative_cost)
    n = len(names)
    order = np.lexsort((np.arange(n), -e, c))
    cs, es, ns = c[order], e[order], names[order]

    # Step 2: strong dominance (vectorised running maximum of effect).
    prior_max = np.concatenate([[-np.inf], np.maximum.accumulate(es)[:-1]])
    kept = es > prior_max
    kept_pos = np.flatnonzero(kept)
    status = np.where(kept, STATUS_FRONTIER, STATUS_DOMINATED).astype(object)
    dominated_by = np.full(n, None, dtype=object)
    duplicate_of = np.full(n, None, dtype=object)
    note = np.full(n, "", dtype=object)
    dom = np.flatnonzero(~kept)
    dominator = kept_pos[np.searchsorted(es[kept_pos], es[dom], side="left")]
    dominated_by[dom] = ns[dominator]
    for i, d in zip(dom, dominator, strict=True):
        twins = np.flatnonzero((cs[:i] == cs[i]) & (es[:i] == es[i]))
        if twins.size:
            duplicate_of[i] = ns[twins[0]]
            note[i] = f"exact duplicate of {ns[twins[0]]}"
        elif cs[d] == cs[i]:
            note[i] = f"equal cost, lower effect than {ns[d]}"
        elif es[d] == es[i]:
            note[i] = f"equal effect, higher cost than {ns[d]}"
        else:
            note[i] = f"higher cost and lower effect than {ns[d]}"

    # Step 3: iterated extended dominance on the kept list.
    frontier = kept_pos.copy()
    while frontier.size > 2:
        icer = _icers(cs[frontier], es[frontier])
        left, right = icer[:-1], icer[1:]
        violate = _greater(left, right) if collinear == "keep" else ~_greater(right, left)
        if not violate.any():
            break
        removed = frontier[1:-1][violate]
        status[removed] = STATUS_EXTENDED
        frontier = np.setdiff1d(frontier, removed)
    ed = np.flatnonzero(status == STATUS_EXTENDED)
    upper = frontier[np.searchsorted(es[frontier], es[ed], side="right")]
    lower = frontier[np.searchsorted(es[frontier], es[ed], side="left") - 1]
    bracket_lower = np.full(n, None, dtype=object)
    bracket_upper = np.full(n, None, dtype=object)
    bracket_lower[ed], bracket_upper[ed] = ns[lower], ns[upper]
    for i, lo, hi in zip(ed, lower, upper, strict=True):
        note[i] = f"extended-dominated: bracketed by {ns[lo]} and {ns[hi]} on the frontier"

    # Step 4: report.
    delta_cost = np.full(n, np.nan)
    delta_effect = np.full(n, np.nan)
    comparator = np.full(n, None, dtype=object)
    delta_cost[frontier[1:]] = np.diff(cs[frontier])
    delta_effect[frontier[1:]] = np.diff(es[frontier])
    comparator[frontier[1:]] = ns[frontier[:-1]]
    reference = np.zeros(n, dtype=bool)
    reference[frontier[0]] = True
    note[frontier[0]] = "reference (cheapest frontier alternative)"
    icer = delta_cost / delta_effect
    return pd.DataFrame(
        {
            "name": ns,
            "cost": cs,
            "effect": es,
            "status": status.astype(str),
            "reference": reference,
            "comparator": comparator,
            "delta_cost": pd.array(delta_cost, dtype="Float64"),
            "delta_effect": pd.array(delta_effect, dtype="Float64"),
            "icer": pd.array(icer, dtype="Float64"),
            "dominated_by": dominated_by,
            "duplicate_of": duplicate_of,
            "bracket_lower": bracket_lower,
            "bracket_upper": bracket_upper,
            "note": note.astype(str),
        }
    )


def _check_wtp(wtp: float | Sequence[float] | np.ndarray) -> np.ndarray:
    lam = np.atleast_1d(np.asarray(wtp, dtype=float))
    if lam.size == 0:
        raise ModelInputError("willingness to pay: at least one λ value is needed")
    if not np.isfinite(lam).all() or (lam < 0).any():
        raise ModelInputError(f"willingness to pay λ must be finite and ≥ 0, got {wtp!r}")
    return lam


def optimal_strategy(
    frontier: pd.DataFrame, wtp: float | Sequence[float], *, tie: str = "effective"
) -> str | pd.Series:
    """The alternative that maximises net monetary benefit at each willingness to pay λ.

    On the frontier of :func:`icer_frontier` it is the frontier alternative with the largest
    ICER ``≤ λ``, or the reference if there is none (rules.md §4.1). When λ equals an ICER (an NMB
    tie, within the relative tolerance 1e−9) ``tie="effective"`` (default, "ICER ≤ λ is
    acceptable") picks the more effective alternative and ``tie="cheaper"`` the cheaper one.

    Parameters
    ----------
    frontier : DataFrame
        The result of :func:`icer_frontier`.
    wtp : float or sequence of float
        λ in money per unit of effect, ``≥ 0``.
    tie : {"effective", "cheaper"}

    Returns
    -------
    str or Series
        The name for a scalar λ; for a sequence, a Series of names indexed by λ.
    """
    if tie not in TIE_RULES:
        raise ModelInputError(f"tie must be 'effective' or 'cheaper', not {tie!r}")
    lam = _check_wtp(wtp)
    on = frontier[frontier["status"] == STATUS_FRONTIER]
    names = on["name"].to_numpy()
    icer = on["icer"].to_numpy(dtype=float, na_value=-np.inf)[1:]  # non-decreasing along the frontier
    close = np.abs(icer[None, :] - lam[:, None]) <= ICER_RTOL * np.maximum(
        np.abs(icer[None, :]), lam[:, None]
    )
    below = icer[None, :] < lam[:, None]
    accept = (below | close) if tie == "effective" else (below & ~close)
    chosen = names[accept.sum(axis=1)]
    if np.ndim(wtp) == 0:
        return str(chosen[0])
    return pd.Series(chosen, index=pd.Index(lam, name="wtp"), name="optimal")


def net_benefit(
    data: pd.DataFrame,
    wtp: float,
    *,
    name: str = "name",
    cost: str = "cost",
    effect: str = "effect",
    tie: str = "effective",
    collinear: str = "keep",
    allow_negative_cost: bool = False,
) -> pd.DataFrame:
    """Frontier table with net monetary and health benefit at λ and the optimal alternative.

    ``NMB_i = λ·E_i − C_i`` (money), ``NHB_i = E_i − C_i/λ`` (effect units, ``<NA>`` at λ = 0)
    (Stinnett & Mullahy 1998; rules.md §4.1–4.2). ``optimal`` marks the alternative chosen by
    :func:`optimal_strategy` with the given tie rule; it maximises NMB.

    Returns
    -------
    DataFrame
        :func:`icer_frontier` columns plus ``nmb``, ``nhb`` and ``optimal``; ``attrs["wtp"]`` is λ.
    """
    lam = float(_check_wtp(wtp)[0]) if np.ndim(wtp) == 0 else None
    if lam is None:
        raise ModelInputError("net_benefit takes one λ; use optimal_strategy or ceac for a grid")
    table = icer_frontier(
        data,
        name=name,
        cost=cost,
        effect=effect,
        collinear=collinear,
        allow_negative_cost=allow_negative_cost,
    )
    table["nmb"] = lam * table["effect"] - table["cost"]
    table["nhb"] = pd.array(
        table["effect"] - table["cost"] / lam if lam > 0 else [None] * len(table), dtype="Float64"
    )
    table["optimal"] = table["name"] == optimal_strategy(table, lam, tie=tie)
    table.attrs["wtp"] = lam
    return table


# ---------------------------------------------------------------------------------------------
# Probabilistic analysis: CEAC, probability best, CEAF, EVPI
# ---------------------------------------------------------------------------------------------


def _draws(costs: pd.DataFrame, effects: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    for label, frame in (("costs", costs), ("effects", effects)):
        if not isinstance(frame, pd.DataFrame):
            raise ModelInputError(f"{label}: expected a DataFrame of draws (rows) × alternatives (columns)")
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ModelInputError(f"{label}: no draws or no alternatives")
        if frame.columns.duplicated().any():
            raise ModelInputError(f"{label}: duplicate alternative names in the columns")
    if costs.shape != effects.shape or not costs.columns.equals(effects.columns):
        raise ModelInputError(
            "costs and effects must have the same shape and the same alternatives (columns) in the same order"
        )
    c = costs.to_numpy(dtype=float, na_value=np.nan)
    e = effects.to_numpy(dtype=float, na_value=np.nan)
    if not (np.isfinite(c).all() and np.isfinite(e).all()):
        raise ModelInputError("costs and effects draws must be finite numbers (no missing values)")
    return c, e, pd.Index(costs.columns.astype(str), name="alternative")


def _chunks(n_wtp: int, n_draws: int, n_alt: int, budget: int = 4_000_000):
    step = max(1, budget // max(1, n_draws * n_alt))
    for start in range(0, n_wtp, step):
        yield slice(start, start + step)


def ceac(
    costs: pd.DataFrame, effects: pd.DataFrame, wtp: Sequence[float] | np.ndarray, *, seed: int | None = None
) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves.

    ``CEAC_i(λ) = (1/S) Σ_s 1[i maximises NMB_s(λ) = λ·E_is − C_is]`` (van Hout et al. 1994;
    rules.md §4.2). Exact ties within a draw split the indicator equally, so the curves sum to 1
    at every λ. Vectorised over draws, alternatives and λ (in memory-bounded blocks of λ).

    Parameters
    ----------
    costs, effects : DataFrame
        Draws (rows, ``s = 1..S``) × alternatives (columns, the same names in the same order).
    wtp : sequence of float
        The λ grid, money per unit of effect, ``≥ 0``.
    seed : int, optional
        The random seed that produced the draws, recorded in ``attrs`` for the report.

    Returns
    -------
    DataFrame
        Index λ (``wtp``), one column per alternative, probabilities in [0, 1]; ``attrs`` holds
        ``draws``, ``wtp`` and ``seed``.
    """
    c, e, names = _draws(costs, effects)
    lam = _check_wtp(wtp)
    out = np.empty((lam.size, c.shape[1]))
    for block in _chunks(lam.size, *c.shape):
        nmb = lam[block, None, None] * e[None] - c[None]  # λ × draws × alternatives
        best = nmb == nmb.max(axis=2, keepdims=True)
        out[block] = (best / best.sum(axis=2, keepdims=True)).mean(axis=1)
    table = pd.DataFrame(out, index=pd.Index(lam, name="wtp"), columns=names)
    table.attrs.update(draws=c.shape[0], wtp=lam.tolist(), seed=seed)
    return table


def probability_best(
    costs: pd.DataFrame, effects: pd.DataFrame, wtp: float, *, seed: int | None = None
) -> pd.Series:
    """Probability that each alternative has the highest NMB at one λ (a point of :func:`ceac`).

    Returns
    -------
    Series
        Indexed by alternative, summing to 1; ``attrs`` holds ``draws``, ``wtp`` and ``seed``.
    """
    table = ceac(costs, effects, [wtp], seed=seed)
    series = table.iloc[0].rename("probability_best")
    series.attrs.update(table.attrs)
    return series


def ceaf(
    costs: pd.DataFrame, effects: pd.DataFrame, wtp: Sequence[float] | np.ndarray, *, seed: int | None = None
) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier (Fenwick, Claxton & Sculpher 2001; rules.md §4.2).

    At each λ, the alternative with the highest **expected** NMB and its CEAC value. This is not
    the upper envelope of the CEACs. Ties in expected NMB go to the more effective alternative.

    Returns
    -------
    DataFrame
        Index λ: ``optimal`` (name), ``expected_nmb`` and ``probability`` (its CEAC value).
    """
    c, e, names = _draws(costs, effects)
    lam = _check_wtp(wtp)
    mean_c, mean_e = c.mean(axis=0), e.mean(axis=0)
    enmb = lam[:, None] * mean_e[None, :] - mean_c[None, :]
    top = np.isclose(enmb, enmb.max(axis=1, keepdims=True), rtol=ICER_RTOL, atol=0.0)
    best = np.where(top, mean_e[None, :], -np.inf).argmax(axis=1)
    curves = ceac(costs, effects, lam, seed=seed).to_numpy()
    table = pd.DataFrame(
        {
            "optimal": names[best],
            "expected_nmb": enmb[np.arange(lam.size), best],
            "probability": curves[np.arange(lam.size), best],
        },
        index=pd.Index(lam, name="wtp"),
    )
    table.attrs.update(draws=c.shape[0], wtp=lam.tolist(), seed=seed)
    return table


def evpi(
    costs: pd.DataFrame, effects: pd.DataFrame, wtp: Sequence[float] | np.ndarray, *, seed: int | None = None
) -> pd.Series:
    """Per-decision expected value of perfect information (rules.md §4.2).

    ``EVPI(λ) = mean_s max_i NMB_is − max_i mean_s NMB_is`` (money, ≥ 0). Multiply by the
    discounted affected population for the population EVPI.

    Returns
    -------
    Series
        Indexed by λ.
    """
    c, e, _ = _draws(costs, effects)
    lam = _check_wtp(wtp)
    out = np.empty(lam.size)
    for block in _chunks(lam.size, *c.shape):
        nmb = lam[block, None, None] * e[None] - c[None]
        out[block] = nmb.max(axis=2).mean(axis=1) - nmb.mean(axis=1).max(axis=1)
    series = pd.Series(np.maximum(out, 0.0), index=pd.Index(lam, name="wtp"), name="evpi")
    series.attrs.update(draws=c.shape[0], wtp=lam.tolist(), seed=seed)
    return series


# ---------------------------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------------------------

_STYLE = {
    STATUS_FRONTIER: {"marker": "o", "color": "tab:blue"},
    STATUS_EXTENDED: {"marker": "s", "color": "tab:orange"},
    STATUS_DOMINATED: {"marker": "x", "color": "tab:gray"},
}
_LABELS = {
    STATUS_FRONTIER: "前沿 frontier",
    STATUS_EXTENDED: "扩展占优 extended-dominated",
    STATUS_DOMINATED: "被占优 dominated",
}


def plot_frontier(
    frontier: pd.DataFrame,
    ax: Axes | None = None,
    *,
    wtp: float | None = None,
    tie: str = "effective",
    annotate: bool = True,
    xlabel: str = "效果 effect",
    ylabel: str = "成本 cost",
) -> Axes:
    """Draw alternatives in the (effect, cost) plane with the efficiency frontier.

    Points are styled by status; the frontier is a line through the frontier alternatives in cost
    order. With ``wtp``, the threshold frontier (rules.md §4.1: the frontier up to the last ICER
    ``≤ λ``) is drawn bold and the optimal alternative is ringed. Fonts for Chinese labels are the
    report module's business; pass English labels if none is set up.

    Parameters
    ----------
    frontier : DataFrame
        The result of :func:`icer_frontier` or :func:`net_benefit`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure and Axes are created if omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    for status, style in _STYLE.items():
        rows = frontier[frontier["status"] == status]
        if len(rows):
            ax.scatter(rows["effect"], rows["cost"], label=_LABELS[status], zorder=3, **style)
    on = frontier[frontier["status"] == STATUS_FRONTIER]
    ax.plot(on["effect"], on["cost"], color="tab:blue", linewidth=1, zorder=2)
    if wtp is not None:
        best = optimal_strategy(frontier, wtp, tie=tie)
        upto = on.iloc[: int(np.flatnonzero(on["name"].to_numpy() == best)[0]) + 1]
        ax.plot(
            upto["effect"], upto["cost"], color="tab:green", linewidth=2.5, zorder=2, label=f"λ = {wtp:g}"
        )
        row = on[on["name"] == best]
        ax.scatter(row["effect"], row["cost"], s=200, facecolors="none", edgecolors="tab:green", zorder=4)
    if annotate:
        for _, row in frontier.iterrows():
            ax.annotate(
                str(row["name"]),
                (row["effect"], row["cost"]),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax
