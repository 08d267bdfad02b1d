r"""Uncertainty of a grade: Monte Carlo of a project's total score and grade (issue 4; rules.md §3, §4.6).

A grade printed as "良" hides how close the total is to a band edge and how much it rests on weights
that someone chose and on actuals that someone measured. This module propagates both uncertainties
through **the same rule functions** that score the table (:func:`pbm_lib.scoring.score_indicators`,
:func:`~pbm_lib.scoring.score_budget`, :func:`~pbm_lib.scoring.score_totals`, whose grades come from
:func:`~pbm_lib.scoring.grade_intervals`), so that a report can say "良（概率 83%）".

Method
------
For each of ``M`` draws (all draws at once: arrays shaped draws × rows):

1. **Weights** (分值). Inside each *block* the printed weights :math:`w_i` with block total
   :math:`W = \sum_{i \in \text{block}} w_i` are redrawn as :math:`W \cdot q` with
   :math:`q \sim \operatorname{Dirichlet}(\kappa\, w_i / W)`, so :math:`E[q_i] = w_i/W` and
   :math:`\operatorname{Var}(q_i) = p_i(1-p_i)/(\kappa + 1)`: ``weight_concentration`` :math:`\kappa`
   is the precision, a larger value keeps the weights closer to the printed ones (None: weights
   fixed). Blocks are the level-1 categories (``weight_blocks="level1"``, the default: 产出 50,
   效益 30, 满意度 10 keep their totals, as rules.md §3.2 requires) or the whole indicator block
   (``"indicators"``: the 90 points move between categories too). The budget-execution weight
   (rules.md §3.7) is fixed by the scheme and never perturbed. The block total is the *printed*
   sum of the block, which equals the scheme's level-1 weight on a valid table. The Dirichlet
   vector is drawn as normalised gamma variates (Devroye 1986).
2. **Measured actuals** of quantitative rows (evidence state ``measured``, rules.md §4.6) get noise
   with a coefficient of variation ``actual_cv`` (global, or a column of per-row CVs) or a per-row
   standard deviation column ``actual_sd`` (in the unit the actual is written in; rows where it is
   empty fall back to the CV). ``noise="lognormal"`` (default) multiplies by
   :math:`\exp(\sigma z - \sigma^2/2)` with :math:`\sigma^2 = \ln(1 + \mathrm{cv}^2)` (mean 1, the
   given CV, sign kept; an actual of 0 stays 0); ``noise="normal"`` adds :math:`\mathrm{sd}\cdot z`.
   The draw is written back as the actual's text in the target's unit and scored by
   :func:`~pbm_lib.scoring.score_indicators` — positive, equal, reverse (R1/R2), zero and negative
   targets, over-achievement and row rounding all come from the scheme, nothing is re-implemented.
   ``z`` is drawn by inverse transform from ``strata`` equiprobable points (midpoint quantiles
   :math:`\Phi^{-1}((k + \tfrac12)/K)`, :math:`k = 0 \dots K-1`) of each row's noise distribution,
   so the table parser reads ``K`` texts per row instead of one per draw; this discretisation
   moves any row's CDF by at most :math:`1/(2K)` (0.1 % at the default ``K = 512``, below the
   Monte Carlo error of 10,000 draws). ``strata=None`` draws :math:`z` continuously (exact, slower).
   The budget execution ``E`` (rules.md §3.7) may get the same kind of noise (``budget_cv``, default 0:
   treasury figures are accounts, not measurements).
3. **Qualitative rows** (rules.md §3.5) score within their band, scaled by the drawn weight.
   ``qualitative="reported"`` (default): a reported score stands as the same share of the weight,
   as in :func:`~pbm_lib.scoring.score_indicators` (clamped to the band when outside); rows without
   a reported score are drawn uniformly within their band. ``"band"``: every measured qualitative
   row is drawn uniformly within its band. ``"interval"``: unreported rows keep their band as an
   interval (§4.6).
4. **Rows without evidence** (``missing``, ``claimed``, ``unparseable``, not-applicable rows with a
   weight, a budget row without ``B``): ``no_evidence="interval"`` (default) keeps the §4.6 interval
   :math:`[0, w]`, so a draw whose total interval straddles a band edge is graded 证据不足, exactly
   as :func:`~pbm_lib.scoring.grade_intervals` does; ``"uniform"`` draws the row's score
   uniformly on :math:`[0, w]` (toolkit policy, a prior of ignorance: it invents a score, so the
   report must say so).

Each draw's total (interval) and grade come from :func:`~pbm_lib.scoring.score_totals`; the
probability of a grade is its share of the draws, with Monte Carlo standard error
:math:`\sqrt{p(1-p)/M}` (binomial).

The Monte Carlo mean is not the deterministic total: the rules are capped at the weight (a row at or
above its target cannot gain from noise but can lose), so symmetric noise on a met target lowers the
expected score. That is the point of the exercise, not a bias of the method; the deterministic result
is reported beside the distribution.

Defaults are **toolkit policy**, not published rules: no source fixes how uncertain weights or
actuals are. ``weight_concentration=200`` gives a 10-point row of a 50-point block a standard
deviation of about 1.4 points; ``actual_cv=0.05`` is a 5 % measurement error. Set both from what
is known about the table.

References
----------
- JCGM 101:2008, *Evaluation of measurement data — Supplement 1 to the "Guide to the expression of
  uncertainty in measurement" — Propagation of distributions using a Monte Carlo method*.
- M. Saisana, A. Saltelli, S. Tarantola (2005), "Uncertainty and sensitivity analysis techniques as
  tools for the quality assessment of composite indicators", *J. R. Statist. Soc. A* 168(2), 307–323.
- OECD / JRC (2008), *Handbook on Constructing Composite Indicators: Methodology and User Guide*,
  step 7 (uncertainty and sensitivity analysis of weights).
- L. Devroye (1986), *Non-Uniform Random Variate Generation*, Springer (Dirichlet variates as normalised
  gamma variates).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from .errors import ModelInputError
from .indicators import parse_values
from .schemes import Scheme
from .scoring import (
    INSUFFICIENT,
    STATES,
    round_half_up,
    score_budget,
    score_indicators,
    score_totals,
    split_level1,
)

__all__ = [
    "GRADE_NONE",
    "GradeDraws",
    "describe",
    "describe_each",
    "grade_distribution",
    "grade_distributions",
    "grade_labels",
]

#: Label of a draw that gets no grade at all (blank table, unknown or out-of-range total).
GRADE_NONE = "无等级"
NOISES = ("lognormal", "normal")
QUALITATIVE_MODES = ("reported", "band", "interval")
NO_EVIDENCE_MODES = ("interval", "uniform")
WEIGHT_BLOCKS = ("level1", "indicators")
#: Default Dirichlet precision κ (toolkit policy).
DEFAULT_CONCENTRATION = 200.0
#: Default coefficient of variation of measured actuals (toolkit policy).
DEFAULT_CV = 0.05
#: Default number of equiprobable points of each row's noise distribution.
DEFAULT_STRATA = 512
#: Indicator rows scored per call of score_indicators (draws are processed in chunks of this size).
CHUNK_ROWS = 250_000

_MEASURED = STATES.index("measured")
#: Text columns that score_indicators reads (level1/level2 only matter for the weight blocks).
_TEXT_COLUMNS = ("level3", "direction", "target", "measure_unit", "deviation_note", "parent")


@dataclass(frozen=True)
class GradeDraws:
    """The draws of one project, as arrays shaped draws × rows (columns: the project's indicator rows).

    Attributes
    ----------
    project_id : object
        The project ("" when the table has no ``project_id``).
    rows : Index
        Index labels of the project's indicator rows, in the order of the array columns.
    counted : ndarray of bool
        Rows that enter the total (:func:`pbm_lib.scoring.score_indicators` ``counted``).
    block : ndarray of object
        Weight block of each row (level-1 category, or ``"indicators"``); None for rows outside every
        block (not counted, or empty placeholder rows), whose weight is never drawn.
    weights : ndarray
        Drawn weight of each row.
    actuals : ndarray
        Actual used by the rule, in the target's unit (NaN where the row has no numeric actual).
    score_lo, score_hi : ndarray
        Each row's contribution to the total interval (equal ends for a point score).
    totals : DataFrame
        One row per draw: ``draw``, ``total_lo``, ``total_hi``, ``total`` (the point total, NaN when
        the ends differ), ``budget_score``, ``grade`` (优/良/中/差, 证据不足 or None) and ``grade_status``.
    """

    project_id: object
    rows: pd.Index
    counted: np.ndarray
    block: np.ndarray
    weights: np.ndarray
    actuals: np.ndarray
    score_lo: np.ndarray
    score_hi: np.ndarray
    totals: pd.DataFrame


@dataclass(frozen=True)
class _Options:
    draws: int
    concentration: float | None
    weight_blocks: str
    actual_cv: float | str
    actual_sd: str | None
    noise: str
    budget_cv: float
    qualitative: str
    no_evidence: str
    strata: int | None
    percentiles: tuple[float, ...]


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def grade_labels(scheme: Scheme) -> tuple[str, ...]:
    """Labels a draw can take: the scheme's grades (优, 良, 中, 差), 证据不足 and 无等级, in that order."""
    return (*scheme.grades.grades, INSUFFICIENT, GRADE_NONE)


def grade_distribution(
    indicators: pd.DataFrame,
    budget_totals: pd.DataFrame | None,
    scheme: Scheme,
    *,
    draws: int = 10_000,
    weight_concentration: float | None = DEFAULT_CONCENTRATION,
    weight_blocks: str = "level1",
    actual_cv: float | str = DEFAULT_CV,
    actual_sd: str | None = None,
    noise: str = "lognormal",
    budget_cv: float = 0.0,
    qualitative: str = "reported",
    no_evidence: str = "interval",
    strata: int | None = DEFAULT_STRATA,
    percentiles: Sequence[float] = (5, 50, 95),
    seed: int = 0,
) -> tuple[pd.DataFrame, GradeDraws]:
    """Monte Carlo distribution of one project's total score and grade (method: module docstring).

    Parameters
    ----------
    indicators : DataFrame
        The project's indicator rows (columns of the workbook's 绩效指标 sheet, as for
        :func:`pbm_lib.scoring.score_indicators`); all rows must have the same ``project_id``.
    budget_totals : DataFrame or None
        The project's budget row (``initial``, ``annual``, ``executed``, optional ``weight``), or a
        table of several projects from which the project's row is taken. None: the budget score is
        an evidence gap of ``w_b`` (rules.md §3.7).
    scheme : Scheme
        Scoring rules, grade bands and the budget weight.
    draws : int
        Number of Monte Carlo draws ``M`` (≥ 1).
    weight_concentration : float or None
        Dirichlet precision κ > 0; larger keeps weights closer to the printed ones. None (or inf):
        weights fixed.
    weight_blocks : {"level1", "indicators"}
        Blocks whose totals are preserved: each level-1 category, or the whole indicator block.
    actual_cv : float or str
        Coefficient of variation of measured actuals (≥ 0), or the name of a column of per-row CVs.
    actual_sd : str, optional
        Name of a column of per-row standard deviations, in the unit the actual is written in; where
        it is empty the CV applies.
    noise : {"lognormal", "normal"}
        Multiplicative lognormal noise with mean 1, or additive normal noise.
    budget_cv : float
        Coefficient of variation of the budget execution ``E`` (same kind of noise); 0 by default.
    qualitative : {"reported", "band", "interval"}
        How measured qualitative rows are drawn (module docstring, step 3).
    no_evidence : {"interval", "uniform"}
        Rows without evidence keep :math:`[0, w]` (rules.md §4.6), or are drawn uniformly on it.
    strata : int or None
        Equiprobable points of each row's noise distribution (None: continuous draws).
    percentiles : sequence of float
        Percentiles of the total reported in the summary (``total_p5`` …).
    seed : int
        Seed of the random streams; the project's stream is derived from ``(seed, project_id)``,
        so a project gets the same draws here and in :func:`grade_distributions`.

    Returns
    -------
    summary : DataFrame
        One row: ``project_id``, ``draws``, ``grade`` (the most probable label; ties go to the better
        grade), ``probability`` and ``probability_se`` (its Monte Carlo standard error),
        ``p_<label>`` for every label of :func:`grade_labels` (``p_优``, ``p_良``, ``p_中``, ``p_差``,
        ``p_证据不足``, ``p_无等级``; they sum to 1), ``total_mean``, ``total_sd`` and ``total_p<q>``
        of the point total (NaN when some draw's total is an interval), ``total_lo_p<min q>`` and
        ``total_hi_p<max q>`` (percentiles of the interval ends: an envelope that also holds with
        evidence gaps), and the deterministic result of :func:`pbm_lib.scoring.score_totals` without
        noise: ``deterministic_lo``, ``deterministic_hi``, ``deterministic_grade``,
        ``deterministic_status``, ``evidence_share``.
    draws : GradeDraws
        The draws as arrays (weights, actuals, row scores) and the per-draw totals and grades.

    Raises
    ------
    ModelInputError
        No rows, several projects, a counted row whose weight is missing or not positive, draws < 1,
        κ ≤ 0, a negative or non-finite CV or SD, an unknown option or a missing column.
    SchemeError
        The scheme cannot score the rows (e.g. negative targets without a rule).
    """
    _seed_sequence(seed, "")  # validate the seed before any work
    options = _options(
        draws,
        weight_concentration,
        weight_blocks,
        actual_cv,
        actual_sd,
        noise,
        budget_cv,
        qualitative,
        no_evidence,
        strata,
        percentiles,
    )
    if not isinstance(indicators, pd.DataFrame) or len(indicators) == 0:
        raise ModelInputError("没有指标行：蒙特卡罗需要至少一行绩效指标 / no indicator rows")
    ids = _project_ids(indicators)
    distinct = pd.unique(ids)
    if len(distinct) > 1:
        raise ModelInputError(
            f"指标表含 {len(distinct)} 个项目（{'、'.join(map(str, distinct[:5]))}…）：请用 grade_distributions "
            "按项目分别模拟 / several projects: use grade_distributions"
        )
    project = distinct[0]
    summary, result = _simulate(
        indicators, _budget_row(budget_totals, project, single=True), scheme, options, project, seed
    )
    return pd.DataFrame([summary]), result


def grade_distributions(
    indicators: pd.DataFrame,
    budget_totals: pd.DataFrame | None,
    scheme: Scheme,
    **options,
) -> tuple[pd.DataFrame, dict[object, GradeDraws]]:
    """:func:`grade_distribution` for every project of a table, grouped by ``project_id``.

    Projects are simulated one after the other (each vectorised over its draws), in order of first
    appearance. Each project's random stream is derived from ``(seed, project_id)``, so its result
    equals :func:`grade_distribution` on its rows alone, whatever other projects the table holds.

    Parameters
    ----------
    indicators : DataFrame
        Indicator rows of one or more projects.
    budget_totals : DataFrame or None
        One row per project (``project_id``, ``initial``, ``annual``, ``executed``), e.g.
        :meth:`pbm_lib.workbook.reader.YearData.project_budget`; a project without a row has a budget
        evidence gap.
    scheme : Scheme
    **options
        Keyword options of :func:`grade_distribution` (``draws``, ``weight_concentration``, ``seed`` …).

    Returns
    -------
    summary : DataFrame
        One row per project, with the columns of :func:`grade_distribution`.
    draws : dict
        ``project_id`` → :class:`GradeDraws`.
    """
    seed = options.pop("seed", 0)
    _seed_sequence(seed, "")
    unknown = set(options) - set(_OPTION_NAMES)
    if unknown:
        raise ModelInputError(f"未知的参数：{'、'.join(sorted(unknown))} / unknown options")
    settings = _options(**{name: options.get(name, default) for name, default in _OPTION_NAMES.items()})
    if not isinstance(indicators, pd.DataFrame) or len(indicators) == 0:
        raise ModelInputError("没有指标行：蒙特卡罗需要至少一行绩效指标 / no indicator rows")
    codes, projects = pd.factorize(_project_ids(indicators))
    summaries, results = [], {}
    for k, project in enumerate(projects):
        rows = indicators.iloc[np.flatnonzero(codes == k)]
        summary, result = _simulate(
            rows, _budget_row(budget_totals, project, single=False), scheme, settings, project, seed
        )
        summaries.append(summary)
        results[project] = result
    return pd.DataFrame(summaries), results


def describe(summary: pd.DataFrame | pd.Series, *, others: bool = False) -> str:
    """One Chinese sentence for one project's grade distribution: ``"良（概率 83%）"``.

    The most probable label and its probability, rounded half-up to a whole percent; a probability
    that is not exactly 1 (or 0) never prints as 100 % (0 %): it prints ">99%" ("<1%"). With
    ``others=True`` the other labels with a non-zero probability follow, most probable first:
    ``"良（概率 83%；优 15%，中 2%）"``.

    Parameters
    ----------
    summary : DataFrame or Series
        A one-row summary of :func:`grade_distribution`, or one row of it.
    """
    if isinstance(summary, pd.DataFrame):
        if len(summary) != 1:
            raise ModelInputError(
                f"describe 需要一个项目的结果，收到 {len(summary)} 行；多个项目请用 describe_each / one project"
            )
        summary = summary.iloc[0]
    labels = [c[2:] for c in summary.index if isinstance(c, str) and c.startswith("p_")]
    if not labels:
        raise ModelInputError("不是 grade_distribution 的结果：缺少 p_<等级> 列 / not a grade summary")
    probs = {label: float(summary[f"p_{label}"]) for label in labels}
    best = max(labels, key=lambda label: probs[label])  # first maximum: the better grade on ties
    text = f"{best}（概率 {_percent(probs[best])}"
    if others:
        rest = sorted((x for x in labels if x != best and probs[x] > 0), key=lambda x: -probs[x])
        if rest:
            text += "；" + "，".join(f"{x} {_percent(probs[x])}" for x in rest)
    return text + "）"


def describe_each(summary: pd.DataFrame, *, others: bool = False) -> pd.Series:
    """:func:`describe` for every row of a summary, indexed by ``project_id``."""
    texts = [describe(row, others=others) for _, row in summary.iterrows()]
    return pd.Series(texts, index=pd.Index(summary["project_id"], name="project_id"), dtype=object)


# ---------------------------------------------------------------------------------------------
# Options and inputs
# ---------------------------------------------------------------------------------------------

_OPTION_NAMES = {
    "draws": 10_000,
    "weight_concentration": DEFAULT_CONCENTRATION,
    "weight_blocks": "level1",
    "actual_cv": DEFAULT_CV,
    "actual_sd": None,
    "noise": "lognormal",
    "budget_cv": 0.0,
    "qualitative": "reported",
    "no_evidence": "interval",
    "strata": DEFAULT_STRATA,
    "percentiles": (5, 50, 95),
}


def _options(
    draws,
    weight_concentration,
    weight_blocks,
    actual_cv,
    actual_sd,
    noise,
    budget_cv,
    qualitative,
    no_evidence,
    strata,
    percentiles,
) -> _Options:
    """Validated options, with messages that say what was expected."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ModelInputError(
            f"抽样次数 draws 必须是不小于 1 的整数，收到 {draws!r} / draws must be an integer ≥ 1"
        )
    concentration = weight_concentration
    if concentration is not None:
        if (
            isinstance(concentration, bool)
            or not isinstance(concentration, (int, float, np.number))
            or not (concentration > 0)
        ):
            raise ModelInputError(
                f"权重集中度 weight_concentration 必须为正数（越大越接近原分值）或 None，收到 {concentration!r} "
                "/ weight_concentration must be > 0 or None"
            )
        concentration = None if math.isinf(concentration) else float(concentration)
    _choice("weight_blocks", weight_blocks, WEIGHT_BLOCKS)
    _choice("noise", noise, NOISES)
    _choice("qualitative", qualitative, QUALITATIVE_MODES)
    _choice("no_evidence", no_evidence, NO_EVIDENCE_MODES)
    if not isinstance(actual_cv, str):
        actual_cv = _nonnegative("actual_cv", actual_cv)
    if actual_sd is not None and not isinstance(actual_sd, str):
        raise ModelInputError(
            f"actual_sd 应为列名（每行的标准差），收到 {actual_sd!r} / actual_sd names a column"
        )
    budget_cv = _nonnegative("budget_cv", budget_cv)
    if strata is not None and (
        isinstance(strata, bool) or not isinstance(strata, (int, np.integer)) or strata < 1
    ):
        raise ModelInputError(
            f"strata 必须是不小于 1 的整数或 None，收到 {strata!r} / strata must be an integer ≥ 1"
        )
    qs = tuple(float(q) for q in percentiles)
    if not qs or any(not (0 <= q <= 100) for q in qs):
        raise ModelInputError(
            f"百分位数须在 0 到 100 之间，收到 {percentiles!r} / percentiles must be in [0, 100]"
        )
    return _Options(
        int(draws),
        concentration,
        weight_blocks,
        actual_cv,
        actual_sd,
        noise,
        budget_cv,
        qualitative,
        no_evidence,
        None if strata is None else int(strata),
        qs,
    )


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ModelInputError(f"参数 {name} 只能取 {' / '.join(allowed)}，收到 {value!r} / unknown {name}")


def _nonnegative(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.number))
        or not (math.isfinite(value) and value >= 0)
    ):
        raise ModelInputError(f"{name} 必须是有限的非负数，收到 {value!r} / {name} must be finite and ≥ 0")
    return float(value)


def _project_ids(indicators: pd.DataFrame) -> np.ndarray:
    """Each row's project id as objects; no column or an empty cell → ""."""
    if "project_id" not in indicators.columns:
        return np.full(len(indicators), "", dtype=object)
    ids = indicators["project_id"].to_numpy(dtype=object)
    return np.where(pd.isna(ids), "", ids).astype(object)


def _budget_row(budget: pd.DataFrame | None, project: object, single: bool) -> pd.DataFrame | None:
    """The project's budget row (one-row frame with ``project_id`` = project) or None."""
    if budget is None:
        return None
    if not isinstance(budget, pd.DataFrame):
        raise ModelInputError(
            "预算表应为 DataFrame（initial, annual, executed）/ budget_totals must be a DataFrame"
        )
    if "project_id" in budget.columns:
        ids = budget["project_id"].to_numpy(dtype=object)
        ids = np.where(pd.isna(ids), "", ids)
        rows = budget[ids == project]
        if len(rows) == 0 and single and len(budget) == 1 and project == "":
            rows = budget
    elif single or len(budget) == 1:
        rows = budget
    else:
        raise ModelInputError("多个项目的预算表需要 project_id 列 / budget_totals needs project_id")
    if len(rows) > 1:
        raise ModelInputError(
            f"项目「{project}」有 {len(rows)} 行预算合计，应为 1 行 / one budget row per project"
        )
    if len(rows) == 0:
        return None
    rows = rows.copy()
    rows["project_id"] = [project]
    return rows


# ---------------------------------------------------------------------------------------------
# The simulation of one project
# ---------------------------------------------------------------------------------------------


def _simulate(
    rows: pd.DataFrame,
    budget: pd.DataFrame | None,
    scheme: Scheme,
    opts: _Options,
    project: object,
    seed: int,
) -> tuple[dict, GradeDraws]:
    n, m = len(rows), opts.draws
    rows = rows.copy()
    rows["project_id"] = np.full(n, project, dtype=object)
    scored = score_indicators(rows, scheme)
    budget_scores = score_budget(budget, scheme) if budget is not None else None
    exact = score_totals(scored, budget_scores, scheme).iloc[0]

    weight = (
        pd.to_numeric(scored["weight"], errors="coerce").to_numpy(dtype=float)
        if "weight" in scored
        else (np.full(n, np.nan))
    )
    reported = (
        pd.to_numeric(scored["self_score"], errors="coerce").to_numpy(dtype=float)
        if "self_score" in scored
        else np.full(n, np.nan)
    )
    state = scored["state"].cat.codes.to_numpy()
    kind = scored["kind"].astype(object).to_numpy()
    counted = scored["counted"].to_numpy(dtype=bool)
    lo0, hi0 = scored["score_lo"].to_numpy(dtype=float), scored["score_hi"].to_numpy(dtype=float)
    empty = (scored["reason"].astype(object) == "empty_row").to_numpy()
    scoring_rows = counted & ~empty
    bad = scoring_rows & ~(weight > 0)  # NaN compares False: missing weights are bad too
    if bad.any():
        where = "；".join(
            f"第 {i + 1} 行（{_name(rows, i)}）分值 {_show(weight[i])}" for i in np.flatnonzero(bad)[:5]
        )
        raise ModelInputError(
            f"项目「{project}」有 {int(bad.sum())} 个计分行的分值缺失或不为正数：{where}。蒙特卡罗需要每个计分行的分值为正数 "
            "/ every counted row needs a positive weight"
        )
    measured = state == _MEASURED
    quant = scoring_rows & measured & (kind == "quantitative")
    qual = scoring_rows & measured & (kind == "qualitative")
    gap = scoring_rows & (hi0 > lo0) & ~qual  # the §4.6 [0, w] rows

    streams = [np.random.default_rng(s) for s in _seed_sequence(seed, project).spawn(5)]
    rng_weights, rng_actuals, rng_qualitative, rng_gaps, rng_budget = streams

    weights, block = _draw_weights(rows, weight, scoring_rows, scheme, opts, rng_weights)
    actual_codes, categories = _draw_actuals(rows, scored, quant, opts, rng_actuals)
    self_scores = _draw_qualitative(scored, weight, reported, weights, qual, opts, rng_qualitative)
    gap_u = rng_gaps.random((m, int(gap.sum()))) if opts.no_evidence == "uniform" else None
    budget_draws = _draw_budget(budget, scheme, opts, m, rng_budget)

    text = {name: _codes(rows[name]) for name in _TEXT_COLUMNS if name in rows.columns}
    expected_state = state
    expected_unit = scored["unit_status"].cat.codes.to_numpy()
    chunk = max(1, CHUNK_ROWS // n)
    parts, lo_parts, hi_parts, actual_parts = [], [], [], []
    for d0 in range(0, m, chunk):
        d1 = min(m, d0 + chunk)
        k = d1 - d0
        frame = {"project_id": np.repeat(np.arange(d0, d1), n)}
        for name, (codes, cats) in text.items():
            frame[name] = pd.Categorical.from_codes(np.tile(codes, k), categories=cats)
        frame["weight"] = weights[d0:d1].ravel()
        frame["actual"] = pd.Categorical.from_codes(actual_codes[d0:d1].ravel(), categories=categories)
        frame["self_score"] = self_scores[d0:d1].ravel()
        long = score_indicators(pd.DataFrame(frame), scheme)
        _check_same_rules(long, expected_state, expected_unit, rows, project, n)
        lo = np.array(long["score_lo"], dtype=float).reshape(k, n)  # copies: pandas arrays are read-only
        hi = np.array(long["score_hi"], dtype=float).reshape(k, n)
        if gap_u is not None:
            drawn = gap_u[d0:d1] * hi[:, gap]
            lo[:, gap] = drawn
            hi[:, gap] = drawn
            long["score_lo"] = lo.ravel()
            long["score_hi"] = hi.ravel()
        totals = score_totals(long, None if budget_draws is None else budget_draws.iloc[d0:d1], scheme)
        parts.append(totals)
        lo_parts.append(lo)
        hi_parts.append(hi)
        actual_parts.append(long["actual_value"].to_numpy(dtype=float).reshape(k, n))
    totals = pd.concat(parts, ignore_index=True)
    draws_table = pd.DataFrame(
        {
            "draw": np.arange(m),
            "total_lo": totals["total_lo"].to_numpy(dtype=float),
            "total_hi": totals["total_hi"].to_numpy(dtype=float),
            "total": totals["rule_total"].to_numpy(dtype=float),
            "budget_score": totals["budget_score"].to_numpy(dtype=float),
            "grade": pd.Series(totals["grade"].to_numpy(dtype=object), dtype=object),
            "grade_status": totals["grade_status"].to_numpy(),
        }
    )
    result = GradeDraws(
        project_id=project,
        rows=rows.index,
        counted=counted,
        block=block,
        weights=weights,
        actuals=np.concatenate(actual_parts),
        score_lo=np.concatenate(lo_parts),
        score_hi=np.concatenate(hi_parts),
        totals=draws_table,
    )
    return _summary(draws_table, exact, scheme, opts, project), result


def _seed_sequence(seed: int, project: object) -> np.random.SeedSequence:
    """The project's seed: ``(seed, crc32(str(project_id)))`` — stable across runs and processes."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ModelInputError(f"随机种子 seed 应为非负整数，收到 {seed!r} / seed must be an integer ≥ 0")
    return np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(str(project).encode("utf-8")),))


def _draw_weights(
    rows: pd.DataFrame,
    weight: np.ndarray,
    perturb: np.ndarray,
    scheme: Scheme,
    opts: _Options,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws × rows weights: Dirichlet(κ·w/W)·W inside each block; other rows keep their printed weight."""
    m, n = opts.draws, len(weight)
    weights = np.tile(weight, (m, 1))
    block = np.full(n, None, dtype=object)
    positions = np.flatnonzero(perturb)
    if len(positions) == 0:
        return weights, block
    if opts.weight_blocks == "level1":
        level1 = rows["level1"] if "level1" in rows.columns else pd.Series([None] * n, index=rows.index)
        names = split_level1(level1.iloc[positions], scheme)["category"].to_numpy(dtype=object)
        names = np.where(pd.isna(names), "（未分类）", names)
    else:
        names = np.full(len(positions), "indicators", dtype=object)
    block[positions] = names
    if opts.concentration is None:
        return weights, block
    codes, _ = pd.factorize(names)
    w = weight[positions]
    block_total = np.bincount(codes, weights=w)
    share = w / block_total[codes]
    gamma = rng.standard_gamma(opts.concentration * share, size=(m, len(positions)))
    one_hot = (codes[:, None] == np.arange(len(block_total))[None, :]).astype(float)
    sums = (gamma @ one_hot)[:, codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        drawn = np.where(sums > 0, gamma / sums, share[None, :])  # all-underflow block (tiny κ): keep printed
    weights[:, positions] = drawn * block_total[codes][None, :]
    return weights, block


def _draw_actuals(
    rows: pd.DataFrame, scored: pd.DataFrame, quant: np.ndarray, opts: _Options, rng: np.random.Generator
) -> tuple[np.ndarray, pd.Index]:
    """Categorical codes (draws × rows) of the actual cells the long table is scored with, and categories.

    Rows that are not measured quantitative rows keep their printed cell. Measured rows get their
    drawn value written in the target's unit (the unit the rule compares in), e.g. ``"93.41%"``.
    """
    m, n = opts.draws, len(rows)
    original = rows["actual"].to_numpy(dtype=object) if "actual" in rows.columns else np.full(n, None, object)
    original = np.where(pd.isna(original), None, original)
    positions = np.flatnonzero(quant)
    a0 = scored["actual_value"].to_numpy(dtype=float)[positions]
    sd = _row_sd(rows, scored, positions, opts)
    target_unit = scored["target_unit"].astype(object).to_numpy()[positions]
    actual_unit = scored["actual_unit"].astype(object).to_numpy()[positions]
    suffix = [
        u if isinstance(u, str) else (v if isinstance(v, str) else "")
        for u, v in zip(target_unit, actual_unit, strict=True)
    ]
    if opts.strata is not None:
        z_points = ndtri((np.arange(opts.strata) + 0.5) / opts.strata)
        index = rng.integers(0, opts.strata, size=(m, len(positions)))
    else:
        z_points = None
        z = rng.standard_normal((m, len(positions)))
    texts: list[str] = []
    row_codes = np.empty((m, len(positions)), dtype=np.intp)
    for j in range(len(positions)):
        if opts.strata is not None:
            support = _noisy(a0[j], sd[j], z_points, opts.noise)
            values, inverse = np.unique(support, return_inverse=True)
            chosen = inverse[index[:, j]]
        else:
            values, chosen = np.unique(_noisy(a0[j], sd[j], z[:, j], opts.noise), return_inverse=True)
        row_codes[:, j] = len(texts) + chosen
        texts.extend(np.format_float_positional(v, unique=True, trim="-") + suffix[j] for v in values)
    kept = [v for i, v in enumerate(original) if not quant[i] and v is not None]
    categories = pd.Index(list(dict.fromkeys([*texts, *kept])), dtype=object)
    text_codes = categories.get_indexer(pd.Index(texts, dtype=object)) if texts else np.empty(0, np.intp)
    codes = np.empty((m, n), dtype=np.intp)
    for i in range(n):
        if not quant[i]:
            codes[:, i] = -1 if original[i] is None else categories.get_loc(original[i])
    if len(positions):
        codes[:, positions] = text_codes[row_codes]
    return codes, categories


def _noisy(a0: float, sd: float, z: np.ndarray, noise: str) -> np.ndarray:
    """Actual with noise: lognormal ``a0·exp(σz − σ²/2)``, σ² = ln(1 + (sd/|a0|)²), or normal ``a0 + sd·z``."""
    if sd == 0:
        return np.full(len(z), a0)
    if noise == "normal":
        return a0 + sd * z
    if a0 == 0:
        return np.zeros(len(z))
    sigma = math.sqrt(math.log1p((sd / abs(a0)) ** 2))
    return a0 * np.exp(sigma * z - sigma * sigma / 2)


def _row_sd(rows: pd.DataFrame, scored: pd.DataFrame, positions: np.ndarray, opts: _Options) -> np.ndarray:
    """Standard deviation of each measured row's actual, in the target's unit (after unit reconciliation)."""
    a0 = scored["actual_value"].to_numpy(dtype=float)[positions]
    if isinstance(opts.actual_cv, str):
        cv = _numeric_column(rows, opts.actual_cv, positions, "actual_cv")
    else:
        cv = np.full(len(positions), opts.actual_cv)
    sd = cv * np.abs(a0)
    if opts.actual_sd is not None:
        given = _numeric_column(rows, opts.actual_sd, positions, "actual_sd", allow_empty=True)
        unit = rows["measure_unit"] if "measure_unit" in rows.columns else None
        raw = parse_values(rows["actual"], None, unit)["value"].to_numpy(dtype=float)[positions]
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(
                (raw != 0) & np.isfinite(raw), np.abs(a0 / raw), 1.0
            )  # written unit → target unit
        sd = np.where(np.isnan(given), sd, given * factor)
    bad = ~np.isfinite(sd) | (sd < 0)
    if bad.any():
        first = positions[np.flatnonzero(bad)[0]]
        raise ModelInputError(
            f"第 {first + 1} 行（{_name(rows, first)}）的标准差或变异系数无效 / bad cv or sd"
        )
    return sd


def _numeric_column(
    rows: pd.DataFrame, name: str, positions: np.ndarray, option: str, allow_empty: bool = False
) -> np.ndarray:
    if name not in rows.columns:
        raise ModelInputError(f"{option} 指定的列「{name}」不在指标表中 / column {name!r} not found")
    values = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)[positions]
    bad = (np.isnan(values) & ~allow_empty) | (values < 0) | np.isinf(values)
    if bad.any():
        first = positions[np.flatnonzero(bad)[0]]
        raise ModelInputError(
            f"第 {first + 1} 行（{_name(rows, first)}）的「{name}」应为有限的非负数，收到 {rows[name].iloc[first]!r} "
            f"/ {option} must be finite and ≥ 0"
        )
    return values


def _draw_qualitative(
    scored: pd.DataFrame,
    weight: np.ndarray,
    reported: np.ndarray,
    weights: np.ndarray,
    qual: np.ndarray,
    opts: _Options,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws × rows ``self_score``: qualitative scores within the drawn band; other rows as printed."""
    scores = np.tile(reported, (opts.draws, 1))
    if not qual.any():
        return scores
    with np.errstate(invalid="ignore", divide="ignore"):
        band_lo = scored["band_lo"].to_numpy(dtype=float) / weight
        band_hi = scored["band_hi"].to_numpy(dtype=float) / weight
        has = ~np.isnan(reported)
        sample = (
            qual & ~has
            if opts.qualitative == "reported"
            else (qual if opts.qualitative == "band" else np.zeros_like(qual))
        )
        scale = qual & has & ~sample
        scores[:, scale] = (
            reported[scale] * weights[:, scale] / weight[scale]
        )  # same share of the drawn weight
    u = rng.random((opts.draws, int(sample.sum())))
    scores[:, sample] = weights[:, sample] * (band_lo[sample] + u * (band_hi[sample] - band_lo[sample]))
    return scores


def _draw_budget(
    budget: pd.DataFrame | None, scheme: Scheme, opts: _Options, m: int, rng: np.random.Generator
) -> pd.DataFrame | None:
    """Per-draw budget scores (project_id = draw), by :func:`~pbm_lib.scoring.score_budget`."""
    z = rng.standard_normal(m) if opts.budget_cv > 0 else np.zeros(m)
    u = rng.random(m)
    if budget is None:
        if opts.no_evidence != "uniform":
            return None
        w_b = np.nan if scheme.budget.weight is None else float(scheme.budget.weight)
        table = pd.DataFrame(
            {"project_id": np.arange(m), "budget_weight": w_b, "budget_score": np.nan, "rate": np.nan}
        )
    else:
        table = budget.loc[budget.index.repeat(m)].reset_index(drop=True)
        table["project_id"] = np.arange(m)
        if opts.budget_cv > 0 and "executed" in table.columns:
            executed = pd.to_numeric(table["executed"], errors="coerce").to_numpy(dtype=float)
            table["executed"] = _scale_noise(executed, opts.budget_cv, z, opts.noise)
        table = score_budget(table, scheme)
    if opts.no_evidence == "uniform":
        score = table["budget_score"].to_numpy(dtype=float)
        weight = table["budget_weight"].to_numpy(dtype=float)
        missing = np.isnan(score) & (weight > 0)
        table["budget_score"] = np.where(missing, u * weight, score)
    return table


def _scale_noise(values: np.ndarray, cv: float, z: np.ndarray, noise: str) -> np.ndarray:
    if noise == "normal":
        return values * (1 + cv * z)
    sigma = math.sqrt(math.log1p(cv * cv))
    return values * np.exp(sigma * z - sigma * sigma / 2)


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Factorised column (codes, categories) for cheap tiling over draws."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, pd.Index(uniques, dtype=object)


def _check_same_rules(
    long: pd.DataFrame,
    state: np.ndarray,
    unit_status: np.ndarray,
    rows: pd.DataFrame,
    project: object,
    n: int,
) -> None:
    """Every draw must be read like the printed row (same evidence state and unit reconciliation)."""
    drawn_state = long["state"].cat.codes.to_numpy().reshape(-1, n)
    drawn_unit = long["unit_status"].cat.codes.to_numpy().reshape(-1, n)
    same_unit = (drawn_unit == unit_status) | (
        drawn_unit == 1
    )  # the drawn actual is written in the target's unit
    bad = (drawn_state != state).any(axis=0) | ~same_unit.all(axis=0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ModelInputError(
            f"项目「{project}」第 {i + 1} 行（{_name(rows, i)}）加入扰动后的读取方式与原表不同（证据状态或单位换算改变），"
            "请检查该行的单位或减小扰动 / a drawn actual is read differently from the printed one"
        )


def _summary(draws: pd.DataFrame, exact: pd.Series, scheme: Scheme, opts: _Options, project: object) -> dict:
    m = len(draws)
    grade = draws["grade"].to_numpy(dtype=object)
    grade = np.where(pd.isna(grade), GRADE_NONE, grade)
    labels = grade_labels(scheme)
    probabilities = {label: float(np.count_nonzero(grade == label)) / m for label in labels}
    best = max(labels, key=lambda label: probabilities[label])
    p = probabilities[best]
    out: dict[str, object] = {
        "project_id": project,
        "draws": m,
        "grade": best,
        "probability": p,
        "probability_se": math.sqrt(p * (1 - p) / m),
    }
    out.update({f"p_{label}": probabilities[label] for label in labels})
    total = draws["total"].to_numpy(dtype=float)
    lo, hi = draws["total_lo"].to_numpy(dtype=float), draws["total_hi"].to_numpy(dtype=float)
    points = not np.isnan(total).any()
    out["total_mean"] = float(total.mean()) if points else np.nan
    out["total_sd"] = float(total.std(ddof=1)) if points and m > 1 else (0.0 if points else np.nan)
    for q in opts.percentiles:
        out[f"total_p{q:g}"] = float(np.percentile(total, q)) if points else np.nan
    q_lo, q_hi = min(opts.percentiles), max(opts.percentiles)
    out[f"total_lo_p{q_lo:g}"] = float(np.percentile(lo, q_lo)) if not np.isnan(lo).any() else np.nan
    out[f"total_hi_p{q_hi:g}"] = float(np.percentile(hi, q_hi)) if not np.isnan(hi).any() else np.nan
    out["deterministic_lo"] = float(exact["total_lo"])
    out["deterministic_hi"] = float(exact["total_hi"])
    out["deterministic_grade"] = exact["grade"]
    out["deterministic_status"] = str(exact["grade_status"])
    out["evidence_share"] = float(exact["evidence_share"])
    return out


def _percent(p: float) -> str:
    """A probability as a whole percent, half-up; never 100 % / 0 % unless exact."""
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 <= p < 1:
        return ">99%"
    return f"{int(round_half_up(p * 100, 0))}%"


def _name(rows: pd.DataFrame, i: int) -> str:
    if "level3" in rows.columns and isinstance(rows["level3"].iloc[i], str):
        return rows["level3"].iloc[i]
    return "未命名指标"


def _show(value: float) -> str:
    return "空" if np.isnan(value) else f"{value:g}"
