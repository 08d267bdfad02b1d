"""Cost-benefit analysis: discounting, NPV, benefit-cost ratio, IRR and discounted payback.

Implements rules.md §4.3. Year 0 is the appraisal year and is not discounted; the discount factor
of year ``t`` is ``D_t = Π_{k=1..t} 1/(1 + r_k)``, with ``r_k`` the rate in force in year ``k``.

The discount rate is a **setting**, never a fixed rule: :data:`DEFAULT_DISCOUNT_RATE` is only the
default used when no rate is passed. Benefits and costs are money in any one unit (元 or 万元),
per year; operating costs are entered as costs and are *not* netted from benefits, so the BCR is
``PV(benefits) / PV(all costs)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from .errors import ModelInputError

#: Default social discount rate, 8 %, from 国家发展改革委、建设部《建设项目经济评价方法与参数》(第三版, 2006).
#: A default *setting* that every function lets the caller override (rules.md §4.3 marks the value
#: as unverified against the text; schemes should carry the rate they use).
DEFAULT_DISCOUNT_RATE = 0.08

#: HM Treasury Green Book declining schedule: (first year the rate applies, rate). rules.md §4.3.
GREEN_BOOK_SCHEDULE: tuple[tuple[int, float], ...] = (
    (0, 0.035),
    (31, 0.030),
    (76, 0.025),
    (126, 0.020),
    (201, 0.015),
    (301, 0.010),
)

#: UK DfT value-for-money bands on the BCR: (upper bound, exclusive; label). rules.md §4.3.
VFM_BANDS: tuple[tuple[float, str], ...] = ((1.0, "poor"), (1.5, "low"), (2.0, "medium"), (math.inf, "high"))

#: IRR search interval for r (rules.md §4.3) and the number of grid points used to bracket roots.
IRR_BOUNDS = (-0.99, 10.0)
IRR_GRID_POINTS = 20_001

IRR_UNIQUE = "unique"
IRR_NONE = "none"
IRR_MULTIPLE = "multiple"


# ---------------------------------------------------------------------------------------------
# Discount factors
# ---------------------------------------------------------------------------------------------


def stepped_rates(last_year: int, schedule: Sequence[tuple[int, float]] = GREEN_BOOK_SCHEDULE) -> np.ndarray:
    """Rates ``r_k`` for years ``k = 0..last_year`` from a stepped schedule.

    ``schedule`` lists ``(first year, rate)`` pairs in increasing year order; the rate of year ``k``
    is that of the last pair whose first year is ``≤ k``. With the Green Book schedule, years 1–30
    use 3.5 % and years 31–75 3.0 %, which gives ``D_30 = 0.356278``, ``D_31 = 0.345901``
    (rules.md §4.3 test vector).

    Returns
    -------
    ndarray
        ``last_year + 1`` rates; element 0 (the appraisal year) is never used for discounting.
    """
    starts = np.array([s for s, _ in schedule])
    rates = np.array([r for _, r in schedule], dtype=float)
    if starts.size == 0 or starts[0] != 0 or (np.diff(starts) <= 0).any():
        raise ModelInputError("schedule must start at year 0 and list increasing first years")
    years = np.arange(int(last_year) + 1)
    return rates[np.searchsorted(starts, years, side="right") - 1]


def _rates(rate: float | Sequence[float] | np.ndarray, last_year: int) -> np.ndarray:
    if np.ndim(rate) == 0:
        r = np.full(last_year + 1, float(rate))
    else:
        r = np.asarray(rate, dtype=float)
        if r.size < last_year + 1:
            raise ModelInputError(
                f"a rate schedule needs one rate per year 0..{last_year} ({last_year + 1} values), got {r.size}"
            )
        r = r[: last_year + 1]
    if not np.isfinite(r).all() or (r <= -1).any():
        raise ModelInputError(f"discount rates must be finite and > −100 %, got {rate!r}")
    return r


def discount_factors(
    years: Sequence[int] | np.ndarray,
    rate: float | Sequence[float] | np.ndarray = DEFAULT_DISCOUNT_RATE,
    *,
    mid_year: bool = False,
) -> np.ndarray:
    """Discount factors ``D_t = Π_{k=1..t} 1/(1 + r_k)`` (rules.md §4.3).

    For a constant rate this is ``(1 + r)^−t``; a schedule compounds stepwise (it is not
    ``(1 + r_t)^−t``). With ``mid_year``, flows of years ``t ≥ 1`` are discounted to ``t − 0.5``:
    ``D_{t−0.5} = D_{t−1} · (1 + r_t)^−0.5``; year 0 stays undiscounted.

    Parameters
    ----------
    years : sequence of int
        Year indices ``t ≥ 0`` counted from the appraisal year.
    rate : float or sequence of float
        A constant rate (0.08 = 8 %) or the rate of each year ``k = 0..max(years)``
        (see :func:`stepped_rates`). Default :data:`DEFAULT_DISCOUNT_RATE`.
    mid_year : bool
        Mid-year convention.

    Returns
    -------
    ndarray
        One factor per year given.
    """
    t = np.asarray(years)
    if t.size == 0:
        return np.zeros(0)
    if not np.issubdtype(t.dtype, np.number) or (t < 0).any() or (t != np.round(t)).any():
        raise ModelInputError(
            f"years must be whole numbers ≥ 0 counted from the appraisal year, got {years!r}"
        )
    t = t.astype(int)
    r = _rates(rate, int(t.max()))
    step = 1.0 / (1.0 + r)
    step[0] = 1.0
    cumulative = np.cumprod(step)  # D_0 .. D_T
    if not mid_year:
        return cumulative[t]
    half = np.where(t >= 1, cumulative[np.maximum(t - 1, 0)] * np.sqrt(step[t]), 1.0)
    return half


# ---------------------------------------------------------------------------------------------
# Cash-flow table and decision measures
# ---------------------------------------------------------------------------------------------


def _flows(
    flows: pd.DataFrame, benefit: str, cost: str, year: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(flows, pd.DataFrame):
        raise ModelInputError(f"expected a DataFrame with columns {benefit!r} and {cost!r}")
    if len(flows) == 0:
        raise ModelInputError("the cash-flow table is empty; at least one year is needed")
    missing = [c for c in (benefit, cost) if c not in flows.columns]
    if missing:
        raise ModelInputError(
            f"cash-flow column(s) {', '.join(map(repr, missing))} not found; available: "
            f"{', '.join(map(str, flows.columns))}"
        )
    if year in flows.columns:
        t = pd.to_numeric(flows[year], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        t = np.arange(len(flows), dtype=float)
    if not np.isfinite(t).all() or (t < 0).any() or (t != np.round(t)).any():
        raise ModelInputError(f"column {year!r} must hold whole years ≥ 0 counted from the appraisal year")
    if len(np.unique(t)) != len(t):
        raise ModelInputError(f"column {year!r} has repeated years; give one row per year")
    values = {}
    for column in (benefit, cost):
        v = pd.to_numeric(flows[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            raise ModelInputError(
                f"column {column!r} has missing or non-numeric values in year(s) {', '.join(f'{t[i]:g}' for i in bad)}"
            )
        negative = np.flatnonzero(v < 0)
        if negative.size:
            raise ModelInputError(
                f"column {column!r} is negative in year(s) {', '.join(f'{t[i]:g}' for i in negative)}; "
                "enter costs and benefits as amounts ≥ 0 (a saving is a benefit, a disbenefit a cost)"
            )
        values[column] = v
    order = np.argsort(t, kind="stable")
    return t[order].astype(int), values[benefit][order], values[cost][order]


def cash_flow_table(
    flows: pd.DataFrame,
    *,
    rate: float | Sequence[float] | np.ndarray = DEFAULT_DISCOUNT_RATE,
    benefit: str = "benefit",
    cost: str = "cost",
    year: str = "year",
    mid_year: bool = False,
) -> pd.DataFrame:
    """Per-year discounted cash-flow table (现金流量表).

    ``net = benefit − cost``; ``pv_x = x · D_t`` with ``D_t`` from :func:`discount_factors`;
    ``cumulative_pv_net`` is the running sum of ``pv_net`` (rules.md §4.3).

    Parameters
    ----------
    flows : DataFrame
        One row per year: ``benefit`` and ``cost`` (money, ≥ 0) and optionally ``year`` (whole years
        from the appraisal year 0; default 0, 1, 2, … in row order).
    rate : float or sequence of float
        Constant rate or per-year schedule; default :data:`DEFAULT_DISCOUNT_RATE` (8 %).
    benefit, cost, year : str
        Column names.
    mid_year : bool
        Mid-year convention for years ≥ 1.

    Returns
    -------
    DataFrame
        Columns ``year``, ``benefit``, ``cost``, ``net``, ``discount_factor``, ``pv_benefit``,
        ``pv_cost``, ``pv_net``, ``cumulative_pv_net``, sorted by year; ``attrs`` records the rate.
    """
    t, b, c = _flows(flows, benefit, cost, year)
    d = discount_factors(t, rate, mid_year=mid_year)
    table = pd.DataFrame(
        {
            "year": t,
            "benefit": b,
            "cost": c,
            "net": b - c,
            "discount_factor": d,
            "pv_benefit": b * d,
            "pv_cost": c * d,
        }
    )
    table["pv_net"] = table["pv_benefit"] - table["pv_cost"]
    table["cumulative_pv_net"] = table["pv_net"].cumsum()
    table.attrs.update(
        rate=rate if np.ndim(rate) == 0 else list(np.asarray(rate, dtype=float)), mid_year=mid_year
    )
    return table


def npv(flows: pd.DataFrame, *, rate=DEFAULT_DISCOUNT_RATE, mid_year: bool = False, **columns: str) -> float:
    """Net present value ``NPV = PV(B) − PV(C) = Σ_t (B_t − C_t)·D_t`` (rules.md §4.3).

    Parameters are those of :func:`cash_flow_table`. Returns money in the unit of the flows.
    """
    return float(cash_flow_table(flows, rate=rate, mid_year=mid_year, **columns)["pv_net"].sum())


def benefit_cost_ratio(
    flows: pd.DataFrame, *, rate=DEFAULT_DISCOUNT_RATE, mid_year: bool = False, **columns: str
) -> float:
    """Benefit-cost ratio ``BCR = PV(B) / PV(C)`` (rules.md §4.3), costs not netted from benefits.

    Raises
    ------
    ModelInputError
        When ``PV(C) = 0``: the ratio is defined only for ``PV(C) > 0``.
    """
    table = cash_flow_table(flows, rate=rate, mid_year=mid_year, **columns)
    pv_cost = float(table["pv_cost"].sum())
    if pv_cost <= 0:
        raise ModelInputError("benefit-cost ratio undefined: the present value of costs is 0")
    return float(table["pv_benefit"].sum()) / pv_cost


def value_for_money(bcr: float, bands: Sequence[tuple[float, str]] = VFM_BANDS) -> str:
    """Value-for-money band of a BCR (UK DfT bands by default: < 1 poor, 1–1.5 low, 1.5–2 medium, ≥ 2 high).

    ``bands`` are ``(upper bound, exclusive; label)`` in increasing order, a setting (rules.md §4.3).
    """
    if not math.isfinite(bcr):
        raise ModelInputError(f"BCR must be a finite number, got {bcr!r}")
    for upper, label in bands:
        if bcr < upper:
            return label
    return bands[-1][1]


# ---------------------------------------------------------------------------------------------
# IRR
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IrrResult:
    """Internal rate(s) of return with a status instead of an exception.

    Attributes
    ----------
    status : {"unique", "none", "multiple"}
    roots : tuple of float
        Every root found in the search interval, ascending (fractions: 0.1 = 10 %).
    sign_changes : int
        Sign changes of the net cash flow (Descartes' bound on the number of roots).
    note : str
        Why the status is what it is, in words.
    """

    status: str
    roots: tuple[float, ...] = field(default_factory=tuple)
    sign_changes: int = 0
    note: str = ""

    @property
    def rate(self) -> float | None:
        """The IRR when it is unique, else None."""
        return self.roots[0] if self.status == IRR_UNIQUE else None


def _net_flows(flows, benefit: str, cost: str, year: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(flows, pd.DataFrame):
        t, b, c = _flows(flows, benefit, cost, year)
        return t, b - c
    f = np.asarray(flows, dtype=float).ravel()
    if f.size == 0 or not np.isfinite(f).all():
        raise ModelInputError(
            "net cash flows must be a non-empty sequence of finite numbers (years 0, 1, 2, …)"
        )
    return np.arange(f.size), f


def irr(
    flows: pd.DataFrame | Sequence[float] | np.ndarray,
    *,
    bounds: tuple[float, float] = IRR_BOUNDS,
    grid_points: int = IRR_GRID_POINTS,
    benefit: str = "benefit",
    cost: str = "cost",
    year: str = "year",
) -> IrrResult:
    """Internal rate of return: every ``r`` with ``Σ_t (B_t − C_t)(1 + r)^−t = 0`` (rules.md §4.3).

    The IRR is unique when the net flow changes sign exactly once; otherwise there may be none or
    several. Roots are bracketed by sign changes of the NPV on a grid uniform in ``log(1 + r)``
    over ``bounds`` (default −99 % to 1000 %) and each bracket is solved with Brent's method
    (``scipy.optimize.brentq``). The NPV is evaluated as ``Σ f_t (1+r)^−t`` divided by its largest
    term's scale, which has the same sign and roots and cannot overflow. A root of even multiplicity
    (the NPV touches zero without changing sign) and two roots closer than one grid step are not
    found.

    Parameters
    ----------
    flows : DataFrame or sequence of float
        A cash-flow table (``benefit``, ``cost``, optional ``year`` columns) or net flows for
        years 0, 1, 2, ….

    Returns
    -------
    IrrResult
        ``status`` ``unique``/``none``/``multiple``, all ``roots`` and a ``note``. Never raises for
        a flow without or with several IRRs.

    Raises
    ------
    ModelInputError
        Empty or non-numeric flows, or flows that are all zero (every rate is then a root).
    """
    t, f = _net_flows(flows, benefit, cost, year)
    nonzero = f != 0
    if not nonzero.any():
        raise ModelInputError("IRR undefined: every net cash flow is zero")
    signs = np.sign(f[nonzero])
    changes = int((signs[1:] != signs[:-1]).sum())
    lo, hi = bounds
    if not (-1 < lo < hi):
        raise ModelInputError(f"IRR bounds must satisfy −1 < low < high, got {bounds!r}")
    if changes == 0:
        return IrrResult(IRR_NONE, (), 0, "the net cash flow never changes sign, so no rate gives NPV = 0")
    tt, ff = t[nonzero].astype(float), f[nonzero]

    def scaled(u: np.ndarray | float) -> np.ndarray:
        u = np.atleast_1d(np.asarray(u, dtype=float))
        exponent = -np.outer(u, tt)  # log of (1 + r)^-t
        exponent -= exponent.max(axis=1, keepdims=True)
        return np.exp(exponent) @ ff

    grid = np.linspace(math.log1p(lo), math.log1p(hi), int(grid_points))
    values = scaled(grid)
    roots = list(grid[values == 0])
    brackets = np.flatnonzero(values[:-1] * values[1:] < 0)
    for k in brackets:
        u = brentq(lambda v: float(scaled(v)[0]), grid[k], grid[k + 1], xtol=1e-14, rtol=1e-12)
        roots.append(u)
    rates = sorted(float(np.expm1(u)) for u in roots)
    if not rates:
        note = f"no rate in [{lo:.0%}, {hi:.0%}] gives NPV = 0 (the net flow changes sign {changes} time(s))"
        return IrrResult(IRR_NONE, (), changes, note)
    if len(rates) == 1:
        return IrrResult(IRR_UNIQUE, tuple(rates), changes, "one rate gives NPV = 0")
    note = (
        f"{len(rates)} rates give NPV = 0 (the net flow changes sign {changes} times); the IRR is not a "
        "valid decision rule here, use the NPV"
    )
    return IrrResult(IRR_MULTIPLE, tuple(rates), changes, note)


# ---------------------------------------------------------------------------------------------
# Discounted payback and a one-call summary
# ---------------------------------------------------------------------------------------------


def discounted_payback(
    flows: pd.DataFrame,
    *,
    rate=DEFAULT_DISCOUNT_RATE,
    mid_year: bool = False,
    interpolate: bool = True,
    **columns: str,
) -> float | None:
    """Discounted payback period (动态投资回收期), in years from the appraisal year.

    The first year ``T`` in which the cumulative discounted net flow becomes ``≥ 0``. With
    ``interpolate`` (the usual 动态投资回收期 formula)::

        P = (T − 1) + |cumulative PV net of year T − 1| / PV net of year T

    (with gaps between listed years, ``T − 1`` is the previous listed year and the fraction scales
    the gap). Returns 0 when the cumulative value is never negative, and ``None`` when the project
    never pays back within the flows given. Later negative flows after payback are ignored.
    """
    table = cash_flow_table(flows, rate=rate, mid_year=mid_year, **columns)
    cumulative = table["cumulative_pv_net"].to_numpy()
    years = table["year"].to_numpy()
    if (cumulative >= 0).all():
        return 0.0
    first_negative = int(np.flatnonzero(cumulative < 0)[0])
    after = np.flatnonzero(cumulative[first_negative:] >= 0)
    if after.size == 0:
        return None
    k = first_negative + int(after[0])
    if not interpolate:
        return float(years[k])
    previous, gap = cumulative[k - 1], years[k] - years[k - 1]
    return float(years[k - 1] + gap * (-previous) / table["pv_net"].iloc[k])


def appraise(
    flows: pd.DataFrame,
    *,
    rate: float | Sequence[float] | np.ndarray = DEFAULT_DISCOUNT_RATE,
    mid_year: bool = False,
    **columns: str,
) -> pd.Series:
    """All decision measures of one project at once (rules.md §4.3).

    Returns
    -------
    Series
        ``pv_benefit``, ``pv_cost``, ``npv``, ``bcr`` (``None`` when ``PV(C) = 0``),
        ``value_for_money``, ``irr`` (``None`` unless unique), ``irr_status``, ``irr_roots``,
        ``discounted_payback`` (``None`` if never) and ``rate``.
    """
    table = cash_flow_table(flows, rate=rate, mid_year=mid_year, **columns)
    pv_b, pv_c = float(table["pv_benefit"].sum()), float(table["pv_cost"].sum())
    bcr = pv_b / pv_c if pv_c > 0 else None
    net = table["net"].to_numpy()
    result = (
        irr(net_flows_by_year(table)) if (net != 0).any() else IrrResult(IRR_NONE, (), 0, "all flows zero")
    )
    return pd.Series(
        {
            "pv_benefit": pv_b,
            "pv_cost": pv_c,
            "npv": pv_b - pv_c,
            "bcr": bcr,
            "value_for_money": value_for_money(bcr) if bcr is not None else None,
            "irr": result.rate,
            "irr_status": result.status,
            "irr_roots": list(result.roots),
            "discounted_payback": discounted_payback(flows, rate=rate, mid_year=mid_year, **columns),
            "rate": table.attrs["rate"],
        },
        dtype=object,
    )


def net_flows_by_year(table: pd.DataFrame) -> np.ndarray:
    """Net flows of a :func:`cash_flow_table` laid out on consecutive years 0..T (zeros in gaps)."""
    years = table["year"].to_numpy(dtype=int)
    out = np.zeros(int(years.max()) + 1)
    out[years] = table["net"].to_numpy()
    return out
