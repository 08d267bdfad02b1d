"""Relative efficiency of comparable units by data envelopment analysis (DEA).

Implements rules.md §4.4 from the published model descriptions:

* CCR (Charnes, Cooper & Rhodes 1978, constant returns to scale) and BCC (Banker, Charnes &
  Cooper 1984, variable returns to scale), plus NIRS/NDRS, in input or output orientation,
  envelopment form;
* two-phase slacks (phase II maximises the slacks at the radial optimum, no non-Archimedean ε),
  peers, λ weights and targets;
* super-efficiency (Andersen & Petersen 1993) with infeasibility reported as a status
  (Seiford & Zhu 1999);
* the Malmquist productivity index under CRS (Caves, Christensen & Diewert 1982; Färe,
  Grosskopf, Norris & Zhang 1994).

Every LP is solved with ``scipy.optimize.linprog(method="highs")``.

Data handling
-------------
* Each input and output column is divided by its mean before solving. Radial scores, λ and
  statuses do not depend on units of measure; phase II therefore maximises the sum of
  *mean-normalised* slacks, so the chosen slacks do not depend on units either. Slacks and targets
  are reported back in the original units.
* Missing, non-numeric, infinite or negative values raise :class:`~pbm_lib.errors.ModelInputError`
  naming the unit and the column.
* Zeros are allowed in individual cells (a unit that uses none of an input, or produces none of
  an output), but every unit needs at least one positive input and one positive output, and no
  column may be zero for every unit; otherwise the scores are undefined and an error is raised.

Speed
-----
The constraint matrices are built once per reference set and reused for every unit: only the
column of the evaluated unit (θ or φ) and the right-hand side change. Units that are not
Pareto–Koopmans efficient are removed from the reference set as soon as they are found
("restricted basis entry", Ali 1993; Dulá & Thrall 2001): an inefficient unit lies inside the
production possibility set of the others, so dropping it changes neither θ* nor the phase-II
slacks of any other unit. Units dominated by a single other unit are dropped before any LP is
solved. Phase II is skipped when the radial LP's dual values are non-zero on every input and
output row: by complementary slackness every optimal solution then has zero slacks, so phase II
would return zero slacks and the phase-I λ is one of its optimal solutions. Super-efficiency LPs
use the full reference set (minus the unit), because the reduction is not valid there.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from .errors import ModelInputError

MODELS = ("ccr", "bcc", "nirs", "ndrs")
ORIENTATIONS = ("input", "output")

#: λ above this counts as a peer (rules.md §4.4).
PEER_TOLERANCE = 1e-9
#: Scores within this of 1, and slacks (in mean-normalised units) below it, count as 1 and 0.
EFFICIENCY_TOLERANCE = 1e-6
#: Phase II relaxes θ* by this factor when round-off makes it infeasible (rules.md §4.4).
PHASE2_RELAX = 1e-9
#: A dual value above this counts as non-zero when deciding that phase II can be skipped.
DUAL_TOLERANCE = 1e-7
#: HiGHS options for the many small LPs (presolve costs more than it saves at this size).
LP_OPTIONS = {"presolve": False}
#: Warn when a variable's largest positive value exceeds its smallest by more than this factor.
SPAN_WARNING = 1e6

STATUS_EFFICIENT = "efficient"
STATUS_WEAK = "weakly-efficient"
STATUS_INEFFICIENT = "inefficient"
STATUS_INFEASIBLE = "infeasible"
STATUS_FAILED = "solver-failed"


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _unit_names(data: pd.DataFrame, unit: str | None) -> pd.Index:
    if unit is not None:
        if unit not in data.columns:
            raise ModelInputError(f"缺少单位名称列「{unit}」 / unit column {unit!r} not found")
        names = data[unit]
    else:
        names = data.index.to_series()
    if names.isna().any():
        raise ModelInputError("单位名称为空 / a unit has no name; every unit needs a unique name")
    names = names.astype(str)
    duplicated = names[names.duplicated()].unique().tolist()
    if duplicated:
        raise ModelInputError(
            f"单位名称重复 / duplicate unit names: {', '.join(duplicated)}; names must be unique"
        )
    return pd.Index(names, name="unit")


def _matrix(data: pd.DataFrame, columns: Sequence[str], names: pd.Index, kind: str) -> np.ndarray:
    """Columns as a float (variables × units) array, with every bad cell named in the error."""
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise ModelInputError(f"no {kind} columns given; DEA needs at least one input and one output")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ModelInputError(
            f"{kind} column(s) not found: {', '.join(map(str, missing))}; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    values = data[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    problems = []
    bad = ~np.isfinite(values)
    for i, j in zip(*np.nonzero(bad), strict=True):
        cell = data[columns[j]].iloc[i]
        what = "is missing" if pd.isna(cell) else f"{cell!r} is not a finite number"
        problems.append(f"unit {names[i]!r}, column {columns[j]!r}: value {what}; expected a number ≥ 0")
    negative = values < 0
    for i, j in zip(*np.nonzero(negative), strict=True):
        problems.append(
            f"unit {names[i]!r}, column {columns[j]!r}: {values[i, j]:g} is negative; DEA data must be ≥ 0"
        )
    if problems:
        raise ModelInputError("DEA data problems / 数据有误:\n  " + "\n  ".join(problems[:20]))
    zero_columns = [c for c, z in zip(columns, (values == 0).all(axis=0), strict=True) if z]
    if zero_columns:
        raise ModelInputError(
            f"{kind} column(s) {', '.join(map(str, zero_columns))} are zero for every unit; "
            "drop the column or supply its values"
        )
    no_positive = names[~(values > 0).any(axis=1)].tolist()
    if no_positive:
        raise ModelInputError(
            f"unit(s) {', '.join(map(repr, no_positive))} have no positive {kind}; "
            f"every unit needs at least one positive {kind}"
        )
    return values.T


def _warn_on_data(x: np.ndarray, y: np.ndarray, in_cols: list[str], out_cols: list[str]) -> None:
    m, n = x.shape
    s = y.shape[0]
    if n < max(m * s, 3 * (m + s)):
        warnings.warn(
            f"DEA with {n} units for {m} inputs and {s} outputs: fewer than max(m·s, 3(m+s)) = "
            f"{max(m * s, 3 * (m + s))} units (Cooper, Seiford & Tone rule of thumb); "
            "many units will score 1",
            UserWarning,
            stacklevel=3,
        )
    for name, row in zip(in_cols + out_cols, np.vstack([x, y]), strict=True):
        positive = row[row > 0]
        if positive.size and positive.max() / positive.min() > SPAN_WARNING:
            warnings.warn(
                f"DEA variable {name!r} spans more than 10^6 "
                f"(from {positive.min():g} to {positive.max():g}); check its unit of measure",
                UserWarning,
                stacklevel=3,
            )


def _check_options(model: str, orientation: str) -> None:
    if model not in MODELS:
        raise ModelInputError(f"unknown DEA model {model!r}; expected one of {', '.join(MODELS)}")
    if orientation not in ORIENTATIONS:
        raise ModelInputError(f"unknown orientation {orientation!r}; expected 'input' or 'output'")


# ---------------------------------------------------------------------------------------------
# LP kernels: the matrices are built once per reference set and reused for every unit
# ---------------------------------------------------------------------------------------------


@dataclass
class _Radial:
    """Phase-I envelopment LP against a fixed reference set; column 0 is θ (input) or φ (output)."""

    xr: np.ndarray  # m × k reference inputs (scaled)
    yr: np.ndarray  # s × k reference outputs (scaled)
    model: str
    orientation: str

    def __post_init__(self) -> None:
        m, k = self.xr.shape
        s = self.yr.shape[0]
        self.m, self.s, self.k = m, s, k
        a = np.zeros((m + s, k + 1))
        a[:m, 1:] = self.xr
        a[m:, 1:] = -self.yr
        self.b = np.zeros(m + s)
        self.c = np.zeros(k + 1)
        self.c[0] = 1.0 if self.orientation == "input" else -1.0
        self.lb = np.zeros(k + 1)
        self.ub = np.full(k + 1, np.inf)
        self.lb[0] = -np.inf
        conv = np.concatenate([[0.0], np.ones(k)])
        self.a_eq = self.b_eq = None
        if self.model == "bcc":
            self.a_eq, self.b_eq = conv[None, :], np.ones(1)
        elif self.model == "nirs":
            a = np.vstack([a, conv])
            self.b = np.append(self.b, 1.0)
        elif self.model == "ndrs":
            a = np.vstack([a, -conv])
            self.b = np.append(self.b, -1.0)
        self.a = a

    def solve(self, xo: np.ndarray, yo: np.ndarray, exclude: int | None = None):
        """Return (linprog status, score, λ over the reference set, all input/output rows have dual ≠ 0).

        When every input and output row has a non-zero dual value, complementary slackness makes
        those rows tight in *every* optimal solution, so the phase-II slacks are all zero.
        """
        m, s = self.m, self.s
        if self.orientation == "input":
            self.a[:m, 0] = -xo
            self.a[m : m + s, 0] = 0.0
            self.b[:m] = 0.0
            self.b[m : m + s] = -yo
        else:
            self.a[:m, 0] = 0.0
            self.a[m : m + s, 0] = yo
            self.b[:m] = xo
            self.b[m : m + s] = 0.0
        if exclude is not None:
            self.ub[exclude + 1] = 0.0
        try:
            res = linprog(
                self.c,
                A_ub=self.a,
                b_ub=self.b,
                A_eq=self.a_eq,
                b_eq=self.b_eq,
                bounds=np.column_stack([self.lb, self.ub]),
                method="highs",
                options=LP_OPTIONS,
            )
        finally:
            if exclude is not None:
                self.ub[exclude + 1] = np.inf
        if res.status != 0:
            return res.status, None, None, False
        tight = bool((np.abs(res.ineqlin.marginals[: m + s]) > DUAL_TOLERANCE).all())
        return 0, float(res.x[0]), res.x[1:], tight


@dataclass
class _Slacks:
    """Phase-II LP: maximise Σs⁻ + Σs⁺ at the radial optimum. Variables [λ (k), s⁻ (m), s⁺ (s)]."""

    xr: np.ndarray
    yr: np.ndarray
    model: str
    orientation: str

    def __post_init__(self) -> None:
        m, k = self.xr.shape
        s = self.yr.shape[0]
        self.m, self.s, self.k = m, s, k
        self.a_eq = np.block(
            [[self.xr, np.eye(m), np.zeros((m, s))], [self.yr, np.zeros((s, m)), -np.eye(s)]]
        )
        self.b_eq = np.zeros(m + s)
        self.c = np.concatenate([np.zeros(k), -np.ones(m + s)])
        conv = np.concatenate([np.ones(k), np.zeros(m + s)])
        self.a_ub = self.b_ub = None
        if self.model == "bcc":
            self.a_eq = np.vstack([self.a_eq, conv])
            self.b_eq = np.append(self.b_eq, 1.0)
        elif self.model == "nirs":
            self.a_ub, self.b_ub = conv[None, :], np.ones(1)
        elif self.model == "ndrs":
            self.a_ub, self.b_ub = -conv[None, :], -np.ones(1)

    def solve(self, xo: np.ndarray, yo: np.ndarray, score: float):
        """Return (λ, s⁻, s⁺) or None when phase II fails even after relaxing the score."""
        m, s = self.m, self.s
        for relax in (0.0, PHASE2_RELAX):
            if self.orientation == "input":
                self.b_eq[:m] = score * (1.0 + relax) * xo
                self.b_eq[m : m + s] = yo
            else:
                self.b_eq[:m] = xo
                self.b_eq[m : m + s] = score * (1.0 - relax) * yo
            res = linprog(
                self.c,
                A_ub=self.a_ub,
                b_ub=self.b_ub,
                A_eq=self.a_eq,
                b_eq=self.b_eq,
                bounds=(0, None),
                method="highs",
                options=LP_OPTIONS,
            )
            if res.status == 0:
                k = self.k
                return res.x[:k], res.x[k : k + m], res.x[k + m :]
        return None


def _dominated(z: np.ndarray, chunk: int = 256) -> np.ndarray:
    """True for units weakly worse than another unit in every variable and strictly worse in one.

    ``z`` is (units × variables), oriented so that smaller is better (inputs, minus outputs).
    """
    n = z.shape[0]
    out = np.zeros(n, dtype=bool)
    for start in range(0, n, chunk):
        block = z[start : start + chunk]  # b × v: the units tested
        le = (z[None, :, :] <= block[:, None, :]).all(axis=2)  # other unit at least as good everywhere
        lt = (z[None, :, :] < block[:, None, :]).any(axis=2)  # and strictly better somewhere
        out[start : start + chunk] = (le & lt).any(axis=1)
    return out


# ---------------------------------------------------------------------------------------------
# Standard models
# ---------------------------------------------------------------------------------------------


@dataclass
class _UnitResult:
    score: float | None
    lam: np.ndarray | None  # over all n units
    s_minus: np.ndarray | None
    s_plus: np.ndarray | None
    status: str
    note: str = ""


def _classify(score: float, s_minus: np.ndarray, s_plus: np.ndarray) -> str:
    radial_one = abs(score - 1.0) <= EFFICIENCY_TOLERANCE
    if not radial_one:
        return STATUS_INEFFICIENT
    if (s_minus > EFFICIENCY_TOLERANCE).any() or (s_plus > EFFICIENCY_TOLERANCE).any():
        return STATUS_WEAK
    return STATUS_EFFICIENT


def _solve_standard(x: np.ndarray, y: np.ndarray, model: str, orientation: str) -> list[_UnitResult]:
    """Two-phase envelopment LPs for every unit, with restricted basis entry."""
    n = x.shape[1]
    results: list[_UnitResult | None] = [None] * n
    candidates = np.flatnonzero(~_dominated(np.vstack([x, -y]).T))
    # Likely-inefficient candidates first (equal-weight output/input ratio), so the reference set
    # shrinks early.
    proxy = y[:, candidates].sum(axis=0) / x[:, candidates].sum(axis=0)
    candidates = candidates[np.argsort(proxy, kind="stable")]
    in_ref = np.zeros(n, dtype=bool)
    in_ref[candidates] = True
    cache: dict[str, object] = {}

    def kernels() -> tuple[np.ndarray, _Radial, _Slacks]:
        if "ref" not in cache or cache["dirty"]:
            ref = np.flatnonzero(in_ref)
            cache["ref"] = ref
            cache["radial"] = _Radial(x[:, ref], y[:, ref], model, orientation)
            cache["slacks"] = _Slacks(x[:, ref], y[:, ref], model, orientation)
            cache["dirty"] = False
        return cache["ref"], cache["radial"], cache["slacks"]  # type: ignore[return-value]

    def evaluate(o: int) -> _UnitResult:
        ref, radial, slacks = kernels()
        status, score, lam_ref, tight = radial.solve(x[:, o], y[:, o])
        if status != 0:
            note = f"radial LP failed (linprog status {status})"
            return _UnitResult(None, None, None, None, STATUS_FAILED, note)
        if tight:  # every optimal solution has zero slacks: phase II would return them
            s_minus, s_plus = np.zeros(x.shape[0]), np.zeros(y.shape[0])
        else:
            phase2 = slacks.solve(x[:, o], y[:, o], score)
            if phase2 is None:
                return _UnitResult(None, None, None, None, STATUS_FAILED, "phase-II slack LP failed")
            lam_ref, s_minus, s_plus = phase2
        lam = np.zeros(n)
        lam[ref] = lam_ref
        if abs(score - 1.0) <= EFFICIENCY_TOLERANCE:
            score = 1.0
        status = _classify(score, s_minus, s_plus)
        return _UnitResult(score, lam, s_minus, s_plus, status)

    redo = []
    for o in candidates:
        result = evaluate(o)
        results[o] = result
        if result.status in (STATUS_INEFFICIENT, STATUS_WEAK):
            in_ref[o] = False
            cache["dirty"] = True
            if result.lam is not None and result.lam[o] > PEER_TOLERANCE:
                redo.append(o)  # it referred to itself: re-solve against efficient units only
    for o in list(np.flatnonzero(~np.isin(np.arange(n), candidates))) + redo:
        results[o] = evaluate(o)
    return results  # type: ignore[return-value]


def _peers(lam: np.ndarray | None, names: pd.Index, own: int) -> tuple[list[str], dict[str, float]]:
    if lam is None:
        return [], {}
    idx = [j for j in np.flatnonzero(lam > PEER_TOLERANCE) if j != own]
    return [names[j] for j in idx], {names[j]: float(lam[j]) for j in idx}


def dea(
    data: pd.DataFrame,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    model: str = "ccr",
    orientation: str = "input",
    super_efficiency: bool = False,
    unit: str | None = None,
) -> pd.DataFrame:
    r"""Efficiency of each unit by DEA, envelopment form, with two-phase slacks, peers and targets.

    **Input orientation** (CCR; Charnes, Cooper & Rhodes 1978)::

        min θ  s.t.  Σ_j λ_j x_ij ≤ θ x_io  (every input i),
                     Σ_j λ_j y_rj ≥ y_ro    (every output r),  λ ≥ 0

    **Output orientation**: ``max φ`` s.t. ``Σ λ_j x_ij ≤ x_io``, ``Σ λ_j y_rj ≥ φ y_ro``; the
    efficiency is ``1/φ``. ``model="bcc"`` (Banker, Charnes & Cooper 1984) adds ``Σ λ_j = 1``;
    ``"nirs"`` adds ``Σ λ_j ≤ 1`` and ``"ndrs"`` ``Σ λ_j ≥ 1``.

    **Phase II** fixes the radial score and maximises ``Σ s⁻ + Σ s⁺`` (mean-normalised) subject to
    ``Σ λ_j x_ij + s⁻_i = θ* x_io`` and ``Σ λ_j y_rj − s⁺_r = y_ro`` (output orientation:
    ``= x_io`` and ``= φ* y_ro``). Targets are ``x̂ = θ* x_o − s⁻``, ``ŷ = y_o + s⁺`` (output:
    ``x̂ = x_o − s⁻``, ``ŷ = φ* y_o + s⁺``). A unit is *efficient* (Pareto–Koopmans) when the
    radial score is 1 and all slacks are 0, *weakly efficient* when the score is 1 with a positive
    slack. Peers are the other units with ``λ_j > 1e−9``; λ, peers and slacks are **one** optimal
    solution, not necessarily the only one.

    **Super-efficiency** (Andersen & Petersen 1993): the same LP without unit ``o`` in the
    reference set, so efficient units can score above 1 (input) or ``φ < 1`` (output). Under
    BCC/NIRS/NDRS the LP can be infeasible (Seiford & Zhu 1999); such units get status
    ``"infeasible"``, an ``efficiency`` of ``<NA>`` (never NaN or ∞) and a note.

    Source: rules.md §4.4, test vectors D1 and D2.

    Parameters
    ----------
    data : DataFrame
        One row per unit (决策单元). Unit names are the index, or the column named by ``unit``.
    inputs, outputs : sequence of str
        Column names of the inputs (e.g. 执行数 in 万元, staff) and outputs (indicator quantities).
        Units of measure are free: every column is divided by its mean before solving.
    model : {"ccr", "bcc", "nirs", "ndrs"}
        Returns to scale: constant, variable, non-increasing, non-decreasing.
    orientation : {"input", "output"}
    super_efficiency : bool
        Andersen–Petersen super-efficiency in ``efficiency``; the ordinary score is kept in
        ``standard_efficiency``.
    unit : str, optional
        Column holding the unit names, if not the index.

    Returns
    -------
    DataFrame
        Indexed by unit name, in input order, with columns:

        ``efficiency`` (Float64, θ or 1/φ; ``<NA>`` when infeasible), ``score`` (θ or φ),
        ``status`` (``efficient``, ``weakly-efficient``, ``inefficient``, ``infeasible``,
        ``solver-failed``), ``peers`` (list of unit names), ``lambdas`` (dict name → λ),
        ``slack_<column>`` and ``target_<column>`` for every input and output (original units),
        ``note``; with ``super_efficiency`` also ``standard_efficiency``. ``attrs`` records the
        model and orientation.

    Raises
    ------
    ModelInputError
        Empty data, duplicate or missing unit names, a missing column, a column used as both input
        and output, a missing/non-numeric/negative value (the unit and column are named), a
        column that is zero for every unit, or a unit without a positive input or output.

    Warns
    -----
    UserWarning
        Fewer than ``max(m·s, 3(m+s))`` units, or a variable spanning more than 10⁶.
    """
    _check_options(model, orientation)
    if data is None or len(data) == 0:
        raise ModelInputError("no units: DEA needs at least one unit (决策单元)")
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    outputs = [outputs] if isinstance(outputs, str) else list(outputs)
    both = sorted(set(inputs) & set(outputs))
    if both:
        raise ModelInputError(f"column(s) {', '.join(both)} given as both input and output")
    names = _unit_names(data, unit)
    x = _matrix(data, inputs, names, "input")
    y = _matrix(data, outputs, names, "output")
    _warn_on_data(x, y, inputs, outputs)
    x_mean = x.mean(axis=1, keepdims=True)
    y_mean = y.mean(axis=1, keepdims=True)
    xs, ys = x / x_mean, y / y_mean

    results = _solve_standard(xs, ys, model, orientation)
    table = _standard_table(results, names, x, y, x_mean, y_mean, inputs, outputs, orientation)
    if super_efficiency:
        table = _add_super(table, xs, ys, names, model, orientation)
    table.attrs.update(model=model, orientation=orientation, super_efficiency=super_efficiency)
    return table


def _standard_table(results, names, x, y, x_mean, y_mean, inputs, outputs, orientation) -> pd.DataFrame:
    n = len(names)
    score = pd.array([r.score for r in results], dtype="Float64")
    if orientation == "input":
        efficiency = score
    else:
        efficiency = pd.array([None if r.score is None else 1.0 / r.score for r in results], dtype="Float64")
    peers, lambdas = zip(*(_peers(r.lam, names, j) for j, r in enumerate(results)), strict=True)
    table = pd.DataFrame(
        {
            "efficiency": efficiency,
            "score": score,
            "status": [r.status for r in results],
            "peers": list(peers),
            "lambdas": list(lambdas),
        },
        index=names,
    )
    nan = np.full(n, np.nan)
    s_minus = (
        np.array([r.s_minus if r.s_minus is not None else nan[: len(inputs)] for r in results]).reshape(
            n, len(inputs)
        )
        * x_mean.T
    )
    s_plus = (
        np.array([r.s_plus if r.s_plus is not None else nan[: len(outputs)] for r in results]).reshape(
            n, len(outputs)
        )
        * y_mean.T
    )
    s_minus = np.where(np.abs(s_minus) <= EFFICIENCY_TOLERANCE * x_mean.T, 0.0, s_minus)
    s_plus = np.where(np.abs(s_plus) <= EFFICIENCY_TOLERANCE * y_mean.T, 0.0, s_plus)
    sc = np.array([np.nan if r.score is None else r.score for r in results])
    if orientation == "input":
        x_target = sc[:, None] * x.T - s_minus
        y_target = y.T + s_plus
    else:
        x_target = x.T - s_minus
        y_target = sc[:, None] * y.T + s_plus
    for j, col in enumerate(inputs):
        table[f"slack_{col}"] = pd.array(s_minus[:, j], dtype="Float64")
    for j, col in enumerate(outputs):
        table[f"slack_{col}"] = pd.array(s_plus[:, j], dtype="Float64")
    for j, col in enumerate(inputs):
        table[f"target_{col}"] = pd.array(x_target[:, j], dtype="Float64")
    for j, col in enumerate(outputs):
        table[f"target_{col}"] = pd.array(y_target[:, j], dtype="Float64")
    table["note"] = [r.note for r in results]
    return table


def _add_super(table: pd.DataFrame, xs, ys, names, model: str, orientation: str) -> pd.DataFrame:
    """Andersen–Petersen scores: only efficient units change; the others keep their score."""
    table = table.copy()
    table.insert(1, "standard_efficiency", table["efficiency"].copy())
    radial = _Radial(xs, ys, model, orientation)
    for o in np.flatnonzero((table["status"] == STATUS_EFFICIENT).to_numpy()):
        status, score, lam, _ = radial.solve(xs[:, o], ys[:, o], exclude=o)
        name = names[o]
        if status == 0:
            table.at[name, "score"] = score
            table.at[name, "efficiency"] = score if orientation == "input" else 1.0 / score
            lam_full = np.where(np.abs(lam) > PEER_TOLERANCE, lam, 0.0)
            table.at[name, "peers"], table.at[name, "lambdas"] = _peers(lam_full, names, o)
        elif status == 2:
            table.at[name, "score"] = pd.NA
            table.at[name, "efficiency"] = pd.NA
            table.at[name, "status"] = STATUS_INFEASIBLE
            table.at[name, "peers"], table.at[name, "lambdas"] = [], {}
            why = (
                "no admissible combination of the other units produces its outputs"
                if orientation == "input"
                else "no admissible combination of the other units uses as little of its inputs"
            )
            table.at[name, "note"] = (
                f"super-efficiency LP infeasible without this unit: {why} under {model.upper()} "
                "(Seiford & Zhu 1999); the unit is efficient but this model cannot rank it"
            )
        else:
            table.at[name, "score"] = pd.NA
            table.at[name, "efficiency"] = pd.NA
            table.at[name, "status"] = STATUS_FAILED
            table.at[name, "note"] = f"super-efficiency LP failed (linprog status {status})"
    return table


def scale_efficiency(
    data: pd.DataFrame,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    orientation: str = "input",
    unit: str | None = None,
) -> pd.DataFrame:
    """Technical (CCR), pure technical (BCC) and scale efficiency ``SE = θ_CCR / θ_BCC``.

    Source: rules.md §4.4 (Banker, Charnes & Cooper 1984). Efficiencies are θ (input orientation)
    or 1/φ (output orientation), so all three lie in (0, 1].

    Returns
    -------
    DataFrame
        Indexed by unit: ``ccr``, ``bcc``, ``scale`` (Float64).
    """
    ccr = dea(data, inputs, outputs, model="ccr", orientation=orientation, unit=unit)["efficiency"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # already warned by the CCR run
        bcc = dea(data, inputs, outputs, model="bcc", orientation=orientation, unit=unit)["efficiency"]
    return pd.DataFrame({"ccr": ccr, "bcc": bcc, "scale": ccr / bcc})


# ---------------------------------------------------------------------------------------------
# Malmquist index
# ---------------------------------------------------------------------------------------------


def malmquist(
    before: pd.DataFrame,
    after: pd.DataFrame,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    unit: str | None = None,
) -> pd.DataFrame:
    r"""Malmquist productivity index between two periods, CRS, input orientation.

    With ``E_a(b)`` the CCR input efficiency of the unit's period-``b`` data against the
    period-``a`` frontier (Caves, Christensen & Diewert 1982; Färe, Grosskopf, Norris & Zhang 1994;
    rules.md §4.4, test vector M)::

        M  = sqrt[ (E_t(t+1) / E_t(t)) · (E_{t+1}(t+1) / E_{t+1}(t)) ]     M > 1: productivity growth
        EC = E_{t+1}(t+1) / E_t(t)                                         efficiency change
        TC = sqrt[ (E_t(t+1) / E_{t+1}(t+1)) · (E_t(t) / E_{t+1}(t)) ]     technical change, M = EC·TC

    Cross-period efficiencies can exceed 1. Units present in only one period are skipped
    (unbalanced panel): they are left out of both frontiers and listed in ``attrs["skipped"]``,
    with a warning. A cross-period LP that is infeasible (possible with zeros) gives ``<NA>``
    values and status ``infeasible``.

    Parameters
    ----------
    before, after : DataFrame
        The two periods' data, one row per unit, the same columns.
    inputs, outputs : sequence of str
    unit : str, optional
        Column holding the unit names, if not the index.

    Returns
    -------
    DataFrame
        Indexed by unit: ``e_t_t``, ``e_t_t1``, ``e_t1_t``, ``e_t1_t1``, ``malmquist``,
        ``efficiency_change``, ``technical_change`` (Float64) and ``status``.
    """
    names_a = _unit_names(before, unit)
    names_b = _unit_names(after, unit)
    common = [u for u in names_a if u in set(names_b)]
    skipped = sorted(set(names_a).symmetric_difference(names_b))
    if not common:
        raise ModelInputError("no unit appears in both periods; the Malmquist index needs a panel")
    if skipped:
        warnings.warn(
            f"Malmquist: {len(skipped)} unit(s) present in only one period are skipped: {', '.join(skipped)}",
            UserWarning,
            stacklevel=2,
        )
    frame_a = before.set_axis(names_a).loc[common]
    frame_b = after.set_axis(names_b).loc[common]
    idx = pd.Index(common, name="unit")
    xa, ya = _matrix(frame_a, inputs, idx, "input"), _matrix(frame_a, outputs, idx, "output")
    xb, yb = _matrix(frame_b, inputs, idx, "input"), _matrix(frame_b, outputs, idx, "output")
    # One mean per variable across both periods keeps the two frontiers comparable.
    x_mean = np.hstack([xa, xb]).mean(axis=1, keepdims=True)
    y_mean = np.hstack([ya, yb]).mean(axis=1, keepdims=True)
    xa, xb, ya, yb = xa / x_mean, xb / x_mean, ya / y_mean, yb / y_mean
    frontier = {"t": _Radial(xa, ya, "ccr", "input"), "t1": _Radial(xb, yb, "ccr", "input")}
    data = {"t": (xa, ya), "t1": (xb, yb)}
    scores = {}
    for f in ("t", "t1"):
        for d in ("t", "t1"):
            xd, yd = data[d]
            values = []
            for o in range(len(common)):
                status, score, _, _ = frontier[f].solve(xd[:, o], yd[:, o])
                values.append(score if status == 0 else None)
            scores[f"e_{f}_{d}"] = pd.array(values, dtype="Float64")
    table = pd.DataFrame(scores, index=idx)[["e_t_t", "e_t_t1", "e_t1_t", "e_t1_t1"]]
    e_tt, e_tt1, e_t1t, e_t1t1 = (table[c] for c in ("e_t_t", "e_t_t1", "e_t1_t", "e_t1_t1"))
    table["malmquist"] = ((e_tt1 / e_tt) * (e_t1t1 / e_t1t)) ** 0.5
    table["efficiency_change"] = e_t1t1 / e_tt
    table["technical_change"] = ((e_tt1 / e_t1t1) * (e_tt / e_t1t)) ** 0.5
    missing = table[["e_t_t", "e_t_t1", "e_t1_t", "e_t1_t1"]].isna().any(axis=1)
    table["status"] = np.where(missing, STATUS_INFEASIBLE, "ok")
    table.attrs["skipped"] = skipped
    return table
