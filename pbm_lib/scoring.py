"""Goal-attainment scoring: indicator → level 2 → level 1 → budget score → total → grade (rules.md §3–§4.6).

Every function works on a whole table at once (a year's indicators for every project), with the
rules read from a :class:`~pbm_lib.schemes.Scheme`. The *rule score* is computed beside the
*reported* score (``self_score``), never over it. A row without evidence is an evidence state of
its own (rules.md §4.6), never a silent zero or a full mark, and the total is an interval.

Indicator tables use the column names of the workbook's 绩效指标 sheet
(:data:`pbm_lib.workbook.schema.INDICATORS`): ``project_id``, ``level1``, ``level2``, ``level3``,
``direction``, ``target``, ``measure_unit``, ``weight``, ``actual``, ``self_score``,
``deviation_note``; an optional ``parent`` column names a row's parent row (by ``level3``).
Missing optional columns are treated as empty.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import PbmError
from .indicators import (
    DIRECTIONS,
    UNIT_STATUSES,
    align_unit_codes,
    factorize,
    level_codes_of,
    normalise_word,
    parse_cells,
    per_row,
    recode,
)
from .schemes import Scheme, SchemeError

#: Evidence states (rules.md §4.6), in the order of their categorical codes.
STATES = ("measured", "claimed", "missing", "not_applicable", "unparseable")
#: Why a row has the state it has.
REASONS = (
    "na_marker",            # actual printed "/", "—": not applicable
    "empty_row",            # no name, target, actual, weight or score: an empty placeholder row
    "no_actual",            # no actual value
    "operator_in_actual",   # the actual carries ≥, 以上 …: a claim, not a measurement
    "copies_target",        # the actual repeats a descriptive target word for word
    "no_target",            # an actual without a target
    "non_numeric_actual",   # words where a number is needed ("完成")
    "numeric_actual",       # a number where a qualitative level is needed
    "unit_mismatch",        # units that cannot be reconciled (人 vs 户)
    "unit_ambiguous",       # 0.xx against a percentage on a reverse row
    "unmapped_level",       # qualitative text that maps to no achievement level
    "no_numeric_target",    # a quantitative direction with a target that has no number
)
#: Grade statuses of a total (:func:`grade_intervals`).
GRADE_STATUSES = ("graded", "insufficient_evidence", "blank", "out_of_range", "unknown")
INSUFFICIENT = "证据不足"

POSITIVE, POSITIVE_STRICT, REVERSE, REVERSE_STRICT, EQUAL, QUALITATIVE = range(len(DIRECTIONS))
_LEVEL1_HEADER = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分?\s*[)）]")
_BREAKDOWN = re.compile(r"^\s*其中")

OPTIONAL_COLUMNS = ("project_id", "level1", "level2", "level3", "direction", "target", "measure_unit", "weight",
                    "actual", "self_score", "deviation_note")


class ScoringError(PbmError):
    """Data that the rules cannot score as configured."""


# ---------------------------------------------------------------------------------------------
# Rounding and grades
# ---------------------------------------------------------------------------------------------


def round_half_up(values, decimals: int = 2) -> np.ndarray:
    """Round half away from zero, vectorised, as ``Decimal(repr(x)).quantize(…, ROUND_HALF_UP)``.

    rules.md §3.3: round once, half-up, to 2 decimals; Python's ``round`` (half to even) must not
    be used. Binary floats store 89.995 as 89.99499999…, so the scaled value is first snapped to
    1e-6 (``8999.499999999998`` → ``8999.5``) and then rounded: 89.995 → 90.00, 89.994 → 89.99.
    Values within 1e-6 of a half unit count as exactly half; printed tables carry at most 4 decimals.
    """
    x = np.asarray(values, dtype=float)
    scale = 10.0**decimals
    scaled = np.round(x * scale, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale


def grade_points(totals, scheme: Scheme) -> np.ndarray:
    """Grade of each total under the scheme's half-open bands, after half-up rounding (rules.md §3.1).

    ``T`` is rounded to ``scheme.rules.total_decimals`` decimals, then graded 优 [90, 100],
    良 [80, 90), 中 [60, 80), 差 [0, 60) (the default bands). NaN or a total outside
    ``[0, grades.max]`` gives None.
    """
    return np.asarray(scheme.grades.grades + (None,), dtype=object)[_grade_codes(totals, scheme)]


def grade_intervals(lo, hi, scheme: Scheme, blank=None) -> pd.DataFrame:
    """Grade a total given as an interval ``[lo, hi]`` (rules.md §4.6).

    A grade is given only when both ends, rounded half-up, fall in the same band; otherwise the
    grade is 证据不足 (insufficient evidence). Blank tables are not graded (``blank``), NaN ends are
    ``unknown``, ends outside ``[0, grades.max]`` are ``out_of_range``.

    Returns
    -------
    DataFrame
        ``grade`` (优/良/中/差, 证据不足 or None) and ``grade_status`` (:data:`GRADE_STATUSES`).
    """
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    blank = np.zeros(len(lo), dtype=bool) if blank is None else np.asarray(blank, dtype=bool)
    r_lo = round_half_up(lo, scheme.rules.total_decimals)
    r_hi = round_half_up(hi, scheme.rules.total_decimals)
    g_lo, g_hi = _grade_codes(r_lo, scheme, rounded=True), _grade_codes(r_hi, scheme, rounded=True)
    unknown = np.isnan(lo) | np.isnan(hi)
    out = ~unknown & ((r_lo < 0) | (r_hi > scheme.grades.maximum))
    same = ~unknown & ~out & (g_lo == g_hi)
    code = GRADE_STATUSES.index
    status = np.select([blank, unknown, out, same], [code("blank"), code("unknown"), code("out_of_range"),
                                                     code("graded")], default=code("insufficient_evidence"))
    names = np.asarray(scheme.grades.grades + (INSUFFICIENT, None), dtype=object)
    grade = np.where(status == code("graded"), g_lo,
                     np.where(status == code("insufficient_evidence"), len(names) - 2, len(names) - 1))
    return pd.DataFrame({"grade": pd.Series(names[grade], dtype=object),
                         "grade_status": pd.Categorical.from_codes(status, categories=list(GRADE_STATUSES))})


def _grade_codes(totals: np.ndarray, scheme: Scheme, rounded: bool = False) -> np.ndarray:
    """Position of each total's grade in ``scheme.grades.grades`` (-1 for none), as :func:`grade_points`
    says; ``rounded``: the totals are already rounded half-up to the scheme's decimals."""
    t = np.asarray(totals, dtype=float)
    if not rounded:
        t = round_half_up(t, scheme.rules.total_decimals)
    minimums = np.asarray(scheme.grades.minimums[::-1])
    index = np.searchsorted(minimums, np.nan_to_num(t, nan=-1.0), side="right") - 1
    bad = np.isnan(t) | (t < 0) | (t > scheme.grades.maximum) | (index < 0)
    return np.where(bad, -1, len(minimums) - 1 - index)


# ---------------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------------


def _column(table: pd.DataFrame, name: str, numeric: bool = False) -> pd.Series:
    """A column, or an all-empty stand-in (float NaN, or an empty categorical for text)."""
    if name in table.columns:
        return table[name]
    if numeric:
        return pd.Series(np.nan, index=table.index, dtype=float)
    empty = pd.Categorical.from_codes(np.full(len(table), -1), categories=pd.Index([], dtype=object))
    return pd.Series(empty, index=table.index)


def _text(table: pd.DataFrame, name: str) -> pd.Series:
    """A text column normalised (:func:`~pbm_lib.indicators.normalise_word`) as a categorical Series."""
    return pd.Series(recode(_column(table, name), normalise_word), index=table.index)


def _present(values: pd.Series) -> np.ndarray:
    """True where a free-text cell holds something (a deviation note, a parent name)."""
    return per_row(values, lambda v: normalise_word(v) is not None, bool)


def score_indicators(indicators: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    r"""Rule score, band, evidence state and findings of every indicator row, vectorised.

    Per row (``w`` weight, ``t`` target, ``a`` actual in the target's unit; rules.md §3.4–§3.6):

    - **positive** (``≥``, ``>``, 不低于, 以上, no operator by default):
      :math:`S = w` if :math:`a \ge t`, else :math:`S = w \cdot \max(a, 0)/t` (``t > 0``).
      ``>`` differs from ``≥`` only in whether ``a = t`` is *met*.
    - **equal** (``=``, ``═``, ``﹦``): ``one_sided`` scores like positive (case 13);
      ``two_sided``: :math:`S = w \cdot \max(0, 1 - |a - t|/t)`.
    - **reverse** (``≤``, ``<``, 不超过, 以内): :math:`S = w` if :math:`a \le t`; else R1
      (``linear_2t``) :math:`S = w \cdot \max(0, 2 - a/t)`, or R2 (``ratio``) :math:`S = w \cdot t/a`.
    - **zero targets**: ``= 0`` and ``≤ 0``: :math:`S = w` if :math:`a \le 0`, else 0; ``≥ 0``: full
      for any :math:`a \ge 0` with a note (``zero_target: full_with_note``) or no rule score.
    - **negative targets**: pass/fail (:math:`w` if met, else 0) or deduction per unit
      :math:`S = \max(0, w - k \cdot \text{excess})`; neither configured → :class:`SchemeError`.
    - **over-achievement** (positive and equal rows): :math:`a \ge h t` (or :math:`a \ge 30` when
      :math:`t = 0`) sets ``over_achieved``; policy ``deduct`` scores
      :math:`S = w \cdot \max(0, 1 - k (a/t - h))`.
    - **qualitative** rows map the actual to 达成 / 部分达成 / 未达成 (scheme table, §3.5); the rule
      score is the band ``[lo·w, hi·w]``. A reported score inside the band stands; outside, it is
      clamped to the nearest edge (``band_ok`` False); with no reported score the row keeps its band.

    Only ``measured`` rows get a rule score (§4.6). Each row's contribution to the total interval
    is ``[score_lo, score_hi]``: the rule score, the band, ``[0, w]`` for rows without evidence
    (also not-applicable rows with a weight, unless the scheme rescales), ``[0, 0]`` for empty rows.

    Parameters
    ----------
    indicators : DataFrame
        Indicator rows (columns of the workbook's 绩效指标 sheet; optional ``parent``).
    scheme : Scheme

    Returns
    -------
    DataFrame
        The input columns plus ``target_value``, ``target_unit``, ``actual_value`` (in the target's
        unit), ``actual_unit``, ``unit_status``, ``direction_rule`` (direction used),
        ``kind`` (``quantitative``/``qualitative``/``none``), ``level``, ``state`` (:data:`STATES`),
        ``reason`` (:data:`REASONS`), ``met`` (boolean, NA when unknown), ``ratio`` (a/t),
        ``rule_score``, ``band_lo``, ``band_hi``, ``band_ok``, ``score_lo``, ``score_hi``,
        ``over_achieved``, ``zero_target``, ``has_note``, ``is_parent``, ``counted`` (a leaf that
        enters the total).
    """
    rules = scheme.rules
    table = indicators
    n = len(table)
    weight = pd.to_numeric(_column(table, "weight", True), errors="coerce").to_numpy(dtype=float)
    reported = pd.to_numeric(_column(table, "self_score", True), errors="coerce").to_numpy(dtype=float)
    # Text columns used more than once are normalised once, as categoricals (cheap to reuse).
    unit_column = _text(table, "measure_unit")
    level3 = _text(table, "level3")
    # The compact parse: a million rows are handled as codes into the few distinct texts.
    tp = parse_cells(_column(table, "target"), _text(table, "direction"), unit_column)
    ap = parse_cells(_column(table, "actual"), None, unit_column)

    t_kind = tp.kind[tp.rows]  # codes of KINDS: number, text, blank, not_applicable
    a_kind = ap.kind[ap.rows]
    direction = tp.direction
    default = DIRECTIONS.index(rules.default_direction)
    # int8 selections as arithmetic on 0/1 (a select over mixed rows costs far more than three passes)
    direction = direction + ((direction < 0) & (t_kind == 0)).view(np.int8) * (default - direction)
    qualitative = (direction == QUALITATIVE) | ((direction < 0) & (t_kind == 1))
    quantitative = (direction >= 0) & ~qualitative
    reverse_dir = (direction == REVERSE) | (direction == REVERSE_STRICT)
    units = list(dict.fromkeys(tp.units + ap.units))
    actual_unit = _recode_units(ap.unit, ap.units, units)
    t, a, unit_status = align_unit_codes(tp.number[tp.rows], tp.unit, ap.number[ap.rows], actual_unit, units,
                                         reverse_dir)

    levels = scheme.qualitative.levels
    level_codes = level_codes_of(ap.distinct, scheme.qualitative.synonyms, levels).astype(np.int8)[ap.rows]
    level = pd.Categorical.from_codes(level_codes, categories=list(levels))
    # A descriptive target copied word for word into the actual: compared on the rows where it
    # matters (qualitative, actual mapped to no level), few.
    copy_rows = np.flatnonzero(qualitative & (level_codes < 0) & (ap.rows < len(ap.distinct) - 1))
    same_text = np.zeros(n, dtype=bool)
    same_text[copy_rows] = (np.asarray(tp.distinct, dtype=object)[tp.rows[copy_rows]]
                            == np.asarray(ap.distinct, dtype=object)[ap.rows[copy_rows]])
    t_blank = (t_kind == 2) | (t_kind == 3)
    no_weight = np.isnan(weight) | (weight == 0)
    unnamed = level3.isna().to_numpy()

    state, reason_index = _evidence_state(
        a_na=a_kind == 3, a_blank=a_kind == 2, t_kind=t_kind, a_kind=a_kind,
        empty=t_blank & (a_kind == 2) & no_weight & unnamed & np.isnan(reported),
        claim=ap.claim[ap.rows], copies=qualitative & same_text & (level_codes < 0),
        quantitative=quantitative, qualitative=qualitative, unit_status=unit_status, level_codes=level_codes)
    measured = state == 0
    quant_measured = measured & quantitative
    qual_measured = measured & qualitative

    q = _quantitative(t, a, direction, weight, quant_measured, scheme)
    rule_quant = np.minimum(_round_rows(weight * q["share"], rules.row_rounding), weight)
    has_reported = ~np.isnan(reported)
    # Qualitative rows are few: their bands are worked out on those rows only, NaN elsewhere.
    qual_rows = np.flatnonzero(qual_measured)
    b = _qualitative(level_codes, weight, reported, qual_rows, scheme)
    qual_reported = qual_rows[has_reported[qual_rows]]
    outside = np.flatnonzero(~quant_measured)
    rule_score = rule_quant.copy()
    rule_score[outside] = np.nan
    rule_score[qual_reported] = b["rule"][qual_reported]
    met_all = (quant_measured & q["met"]) | (qual_measured & b["met"])
    met_known = quant_measured | qual_measured

    # Contribution to the total interval, rules.md §4.6: the rule score; a qualitative row's band
    # when no score is reported; [0, w] without evidence; [0, 0] for empty and rescaled rows. The
    # cases are disjoint, so each is written on its own rows.
    not_applicable = state == STATES.index("not_applicable")
    empty = not_applicable & no_weight
    rescaled = not_applicable & rules.rescale_not_applicable
    unscored = np.flatnonzero(np.isnan(rule_score))
    score_lo, score_hi = rule_score.copy(), rule_score.copy()
    score_lo[unscored], score_hi[unscored] = 0.0, weight[unscored]
    banded = qual_rows[~has_reported[qual_rows]]
    score_lo[banded], score_hi[banded] = b["lo"][banded], b["hi"][banded]
    zero_rows = np.flatnonzero(empty | rescaled)
    score_lo[zero_rows] = score_hi[zero_rows] = 0.0
    unknown_weight = np.flatnonzero(np.isnan(weight) & ~empty)
    score_lo[unknown_weight] = score_hi[unknown_weight] = np.nan

    is_parent, counted = _leaves(table, level3.array, weight, reported)

    # A direction ≥ 0 is quantitative or qualitative (disjoint); -1 stays -1.
    rule_direction = direction + qualitative.view(np.int8) * (QUALITATIVE - direction)
    kind_codes = 2 - 2 * quantitative.view(np.int8) - qualitative.view(np.int8)
    ratio = q["ratio"]
    ratio[outside] = np.nan
    added = {
        "target_value": t,
        "target_unit": _categorical(tp.unit, pd.Index(units, dtype=object)),
        "actual_value": a,
        "actual_unit": _categorical(actual_unit, pd.Index(units, dtype=object)),
        "unit_status": _categorical(unit_status, UNIT_STATUSES),
        "direction_rule": _categorical(rule_direction, DIRECTIONS),
        "kind": _categorical(kind_codes, ("quantitative", "qualitative", "none")),
        "level": level,
        "state": _categorical(state, STATES),
        "reason": _categorical(reason_index, REASONS),
        "met": pd.arrays.BooleanArray(met_all, ~met_known),
        "ratio": ratio,
        "rule_score": rule_score,
        "band_lo": b["lo"],
        "band_hi": b["hi"],
        "band_ok": pd.arrays.BooleanArray(b["inside"], ~(qual_measured & has_reported)),
        "score_lo": score_lo,
        "score_hi": score_hi,
        "over_achieved": q["over_achieved"],
        "zero_target": quant_measured & q["zero_positive"],
        "has_actual": (a_kind == 0) | (a_kind == 1),
        "has_target": (t_kind == 0) | (t_kind == 1),
        "has_note": _present(_column(table, "deviation_note")),
        "direction_conflict": tp.direction_conflict,
        "is_parent": is_parent,
        "counted": counted,
    }
    # concat, not assign: assign copies the whole input table (a tenth of the time on a million rows).
    kept = table.drop(columns=[c for c in added if c in table.columns])
    return pd.concat([kept, pd.DataFrame(added, index=table.index, copy=False)], axis=1)


def _evidence_state(*, a_na, a_blank, t_kind, a_kind, empty, claim, copies, quantitative, qualitative,
                    unit_status, level_codes) -> tuple[np.ndarray, np.ndarray]:
    """Evidence state (:data:`STATES` codes) and reason (:data:`REASONS` codes, -1 for none) per row.

    The first matching rule wins (rules.md §4.6): not applicable ("/", empty placeholder rows), missing
    (no actual), claimed (an operator in the actual, or a descriptive target copied word for word),
    unparseable (no target, words where a number is needed or the reverse, units that cannot be
    reconciled, text that maps to no level), else measured. ``t_kind``/``a_kind`` are codes of
    :data:`pbm_lib.indicators.KINDS`; ``unit_status`` codes of :data:`~pbm_lib.indicators.UNIT_STATUSES`.
    """
    t_blank = (t_kind == 2) | (t_kind == 3)
    rules = [
        (a_na, "na_marker", "not_applicable"),
        (empty, "empty_row", "not_applicable"),
        (a_blank, "no_actual", "missing"),
        (claim, "operator_in_actual", "claimed"),
        (copies, "copies_target", "claimed"),
        (t_blank, "no_target", "unparseable"),
        (quantitative & (t_kind != 0), "no_numeric_target", "unparseable"),
        (quantitative & (a_kind == 1), "non_numeric_actual", "unparseable"),
        (quantitative & (unit_status == UNIT_STATUSES.index("mismatch")), "unit_mismatch", "unparseable"),
        (quantitative & (unit_status == UNIT_STATUSES.index("ambiguous")), "unit_ambiguous", "unparseable"),
        (qualitative & (a_kind == 0) & (level_codes < 0), "numeric_actual", "unparseable"),
        (qualitative & (level_codes < 0), "unmapped_level", "unparseable"),
    ]
    which = np.select([mask for mask, _, _ in rules], [np.int8(i) for i in range(len(rules))], default=np.int8(-1))
    state = np.asarray([STATES.index(s) for _, _, s in rules] + [STATES.index("measured")], dtype=np.int8)[which]
    reason = np.asarray([REASONS.index(r) for _, r, _ in rules] + [-1], dtype=np.int8)[which]
    return state, reason


def _quantitative(t: np.ndarray, a: np.ndarray, direction: np.ndarray, weight: np.ndarray,
                  measured: np.ndarray, scheme: Scheme) -> dict[str, np.ndarray]:
    r"""Share of the weight, *met*, a/t and over-achievement of quantitative rows (rules.md §3.4, §3.6).

    See :func:`score_indicators` for the formulas. Returns ``share`` (0–1, NaN where no rule
    applies; only quantitative rows' shares are meant), ``met``, ``ratio``, ``over_achieved`` and
    ``zero_positive`` (a ``≥ 0`` target).

    For ``t > 0`` the positive share :math:`a \ge t\ ?\ 1 : \max(a, 0)/t` is
    :math:`\min(1, \max(a/t, 0))` exactly (division is monotonic and ``t/t`` is 1), and R1's
    :math:`a \le t\ ?\ 1 : \max(0, 2 - a/t)` is :math:`\min(1, \max(0, 2 - a/t))`: each is two
    passes over the rows. Rows of other directions and of zero or negative targets are then
    overwritten on their own (fewer) rows, the later rule winning as in the rules' order.
    """
    rules = scheme.rules
    reverse = (direction == REVERSE) | (direction == REVERSE_STRICT)
    equal = direction == EQUAL
    positive_like = (direction == POSITIVE) | (direction == POSITIVE_STRICT)
    if rules.equal == "one_sided":
        positive_like |= equal
    two_sided = np.flatnonzero(equal) if rules.equal == "two_sided" else np.zeros(0, dtype=np.intp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        quotient = a / t  # ±inf or NaN where t = 0: those rows take the zero-target rules below
        zero = t == 0
        zero_reverse = zero & (reverse | equal)
        zero_positive = zero & ~zero_reverse
        ratio = quotient.copy()
        ratio[zero] = np.nan

        met = a >= t
        for rows, compare in [(two_sided, None), (np.flatnonzero(reverse), np.less_equal),
                              (np.flatnonzero(direction == REVERSE_STRICT), np.less),
                              (np.flatnonzero(direction == POSITIVE_STRICT), np.greater)]:
            if compare is None:
                met[rows] = np.isclose(a[rows], t[rows], rtol=1e-12, atol=1e-12)
            else:
                met[rows] = compare(a[rows], t[rows])
        rows = np.flatnonzero(zero_reverse)
        met[rows] = a[rows] <= 0

        share = np.maximum(quotient, 0.0)
        np.minimum(share, 1.0, out=share)  # positive-like rows
        rows = np.flatnonzero(reverse)
        if rules.reverse == "linear_2t":
            above = np.maximum(0.0, 2.0 - quotient[rows])
            share[rows] = np.minimum(above, 1.0)
        else:
            share[rows] = np.where(a[rows] <= t[rows], 1.0, t[rows] / a[rows])
        share[two_sided] = np.maximum(0.0, 1.0 - np.abs(a[two_sided] - t[two_sided]) / t[two_sided])
        rows = np.flatnonzero(zero_positive)
        share[rows] = (a[rows] >= 0) if rules.zero_target == "full_with_note" else np.nan
        rows = np.flatnonzero(zero_reverse)
        share[rows] = a[rows] <= 0
        negative = measured & (t < 0)
        if negative.any():
            if rules.negative_target is None:
                raise SchemeError(
                    f"方案「{scheme.ref}」未配置负数目标的计分规则（scoring.negative_target），"
                    f"而有 {int(negative.sum())} 个指标的目标值为负数 / negative targets need a rule")
            rows = np.flatnonzero(t < 0)
            if rules.negative_target == "pass_fail":
                share[rows] = met[rows]
            else:
                ar, tr, wr = a[rows], t[rows], weight[rows]
                excess = np.where(reverse[rows], np.maximum(0.0, ar - tr), np.maximum(0.0, tr - ar))
                share[rows] = np.maximum(0.0, wr - rules.deduction_per_unit * excess) / wr
        policy = rules.over_achievement
        over_achieved = measured & (positive_like | equal) & (
            ((t > 0) & (ratio >= policy.threshold - 1e-12)) | (zero & (a >= policy.zero_target_threshold)))
        if policy.policy == "deduct":
            rows = np.flatnonzero(over_achieved & (t > 0))
            deducted = np.maximum(0.0, 1.0 - policy.deduction_k * (ratio[rows] - policy.threshold))
            share[rows] = np.minimum(share[rows], deducted)
    return {"share": share, "met": met, "ratio": ratio, "over_achieved": over_achieved,
            "zero_positive": zero_positive}


def _qualitative(level_codes: np.ndarray, weight: np.ndarray, reported: np.ndarray, rows: np.ndarray,
                 scheme: Scheme) -> dict[str, np.ndarray]:
    """Band ``[lo, hi]`` of each row's level, whether the reported score lies in it, the clamped score.

    Bands are half-open ``[lo·w, hi·w)``, the top band closed (rules.md §3.5: 80 % is 达成, 60 % is
    部分达成). A row is *met* when its level is the top band's. Worked out on ``rows`` (positions of
    the measured qualitative rows) only: ``lo``, ``hi`` and ``rule`` are NaN elsewhere, ``inside``
    False; ``met`` is given for every row.
    """
    levels = scheme.qualitative.levels
    shares = [scheme.qualitative.bands[x] for x in levels]
    codes, w, r = level_codes[rows], weight[rows], reported[rows]
    lo_share = np.asarray([x[0] for x in shares] + [np.nan])[codes]
    hi_share = np.asarray([x[1] for x in shares] + [np.nan])[codes]
    lo, hi = w * lo_share, w * hi_share
    eps = 1e-9
    inside = (r >= lo - eps) & ((r < hi - eps) | ((hi_share >= 1.0) & (r <= hi + eps)))
    n = len(level_codes)
    out = {"lo": np.full(n, np.nan), "hi": np.full(n, np.nan), "rule": np.full(n, np.nan),
           "inside": np.zeros(n, dtype=bool)}
    out["lo"][rows], out["hi"][rows], out["inside"][rows] = lo, hi, inside
    out["rule"][rows] = np.where(inside, r, np.clip(r, lo, hi))
    top = int(np.argmax([x[1] for x in shares]))
    out["met"] = level_codes == top
    return out


def _categorical(codes: np.ndarray, categories) -> pd.Categorical:
    """Categorical from codes made here (valid by construction: -1 or an index into ``categories``)."""
    categories = categories if isinstance(categories, pd.Index) else list(categories)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False)


def _recode_units(codes: np.ndarray, units: list[str], vocabulary: list[str]) -> np.ndarray:
    """Unit codes into ``units`` re-expressed as codes into ``vocabulary`` (-1 stays -1)."""
    position = {u: i for i, u in enumerate(vocabulary)}
    return np.asarray([position[u] for u in units] + [-1], dtype=np.int32)[codes]


def _round_rows(values: np.ndarray, mode: str) -> np.ndarray:
    """Per-row rounding of rule scores (scheme ``row_rounding``, rules.md §3.3)."""
    if mode == "half_up_2":
        return round_half_up(values, 2)
    if mode == "truncate_1":
        return np.trunc(np.round(values * 10, 6)) / 10
    if mode == "integer":
        return round_half_up(values, 0)
    return values


def _leaves(table: pd.DataFrame, level3: pd.Categorical, weight: np.ndarray,
            reported: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent rows, and the rows that enter the total (rules.md §3.3).

    A parent (named in another row's ``parent``) whose children carry a weight or a score is not
    counted: its children are (case 08). A child or a "其中…" breakdown row with neither weight nor
    score is not counted: its parent is (case 07).
    """
    n = len(table)
    carries = ~np.isnan(weight) | ~np.isnan(reported)
    if n == 0:
        return np.zeros(0, bool), np.zeros(0, bool)
    breakdown = per_row(level3, lambda v: v is not None and bool(_BREAKDOWN.match(v)), bool)
    if "parent" not in table.columns:
        return np.zeros(n, bool), ~(breakdown & ~carries)
    project = _column(table, "project_id").astype(object).where(_column(table, "project_id").notna(), "")
    parent = recode(table["parent"], normalise_word)
    has_parent = parent.codes >= 0
    own_key = pd.MultiIndex.from_arrays([project.to_numpy(), np.asarray(level3.astype(object))])
    parent_key = pd.MultiIndex.from_arrays([project.to_numpy(), np.asarray(parent.astype(object))])
    is_parent = own_key.isin(parent_key[has_parent]) & (level3.codes >= 0)
    carrying_parents = parent_key[has_parent & carries]
    parent_replaced = is_parent & own_key.isin(carrying_parents)
    counted = ~parent_replaced & ~((has_parent | breakdown) & ~carries)
    return np.asarray(is_parent), np.asarray(counted)


# ---------------------------------------------------------------------------------------------
# Levels, budget, totals
# ---------------------------------------------------------------------------------------------


def split_level1(names: pd.Series, scheme: Scheme) -> pd.DataFrame:
    """Level-1 category (by the scheme's names and aliases) and the weight printed in a header.

    ``"产出指标(50分)"`` → ``("产出指标", 50.0)``; ``"效益"`` → ``("效益指标", NaN)``; an unknown name
    keeps its printed text (without the weight) as category.
    """
    lookup = scheme.level1_lookup()

    def one(v):
        text = normalise_word(v)
        if text is None:
            return (None, np.nan)
        match = _LEVEL1_HEADER.search(text)
        bare = _LEVEL1_HEADER.sub("", text)
        return (lookup.get(bare, bare), float(match.group(1)) if match else np.nan)

    pairs = per_row(names, one, object)
    return pd.DataFrame({"category": [p[0] for p in pairs], "header_weight": np.asarray([p[1] for p in pairs], float)},
                        index=names.index)


def score_levels(scored: pd.DataFrame, scheme: Scheme, by: tuple[str, ...] = ("level1",)) -> pd.DataFrame:
    """Level-1 (``by=("level1",)``) or level-2 (``by=("level1", "level2")``) sums of counted rows.

    :math:`W = \\sum w`, :math:`[L, H] = [\\sum \\text{score\\_lo}, \\sum \\text{score\\_hi}]`, reported
    :math:`\\sum` ``self_score``, per project and level (rules.md §3.3: a level's score is the sum of
    its leaves). ``scheme_weight`` is the level-1 weight fixed by the scheme (NaN when split freely);
    ``header_weight`` the weight printed in the level-1 cell ("产出指标(50分)").
    """
    rows = scored[scored["counted"]].copy()
    rows["self_score"] = pd.to_numeric(_column(rows, "self_score", True), errors="coerce")
    rows["weight"] = pd.to_numeric(_column(rows, "weight", True), errors="coerce")
    level1 = split_level1(_column(rows, "level1"), scheme)
    rows["level1"] = level1["category"].to_numpy()
    rows["header_weight"] = level1["header_weight"].to_numpy()
    rows["project_id"] = _column(rows, "project_id").astype(object).where(_column(rows, "project_id").notna(), "")
    keys = ["project_id", *by]
    for key in by:
        rows[key] = rows[key].astype(object).where(rows[key].notna(), "")
    rows["rows"] = 1
    rows["weight_missing"] = rows["weight"].isna().astype(int)
    rows["unknown"] = rows["score_lo"].isna().astype(int)
    grouped = rows.groupby(keys, sort=False, dropna=False)
    out = grouped[["rows", "weight_missing", "unknown"]].sum()
    out["weight"] = grouped["weight"].sum(min_count=1)
    out["score_lo"] = grouped["score_lo"].sum()
    out["score_hi"] = grouped["score_hi"].sum()
    out["reported"] = grouped["self_score"].sum(min_count=1)
    out["header_weight"] = grouped["header_weight"].max()
    unknown = out.pop("unknown").to_numpy() > 0
    out.loc[unknown, ["score_lo", "score_hi"]] = np.nan
    out = out.reset_index()
    out["scheme_weight"] = [scheme.level1_weight(x) if x else None for x in out["level1"]]
    out["scheme_weight"] = out["scheme_weight"].astype(float)
    return out


def score_budget(budget: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Budget-execution score :math:`S_b = w_b \\cdot \\min(E/B, \\text{cap})` (rules.md §3.7).

    ``B`` is 全年预算数 (``annual``, the default, = 调整后预算数) or 年初预算数 (``initial``) per
    ``scheme.budget.denominator``; the cap is ``scheme.budget.cap`` (1 by toolkit policy; None:
    uncapped). ``w_b`` is the row's own ``weight`` column where given (a printed 分值), else the
    scheme's. ``B`` zero or blank gives no score: an evidence gap, not a zero.

    Parameters
    ----------
    budget : DataFrame
        One row per project with ``initial``, ``annual``, ``executed`` (and optionally ``weight``),
        e.g. :meth:`pbm_lib.workbook.reader.YearData.project_budget`.

    Returns
    -------
    DataFrame
        The input plus ``budget_weight``, ``denominator``, ``rate`` (E/B), ``budget_score``,
        ``over_budget`` (E > B).
    """
    rule = scheme.budget
    out = budget.copy()
    denominator = pd.to_numeric(_column(budget, rule.denominator, True), errors="coerce").to_numpy(dtype=float)
    executed = pd.to_numeric(_column(budget, "executed", True), errors="coerce").to_numpy(dtype=float)
    own = pd.to_numeric(_column(budget, "weight", True), errors="coerce").to_numpy(dtype=float)
    weight = np.where(np.isnan(own), np.nan if rule.weight is None else rule.weight, own)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(denominator > 0, executed / denominator, np.nan)
    capped = rate if rule.cap is None else np.minimum(rate, rule.cap)
    out["budget_weight"] = weight
    out["denominator"] = denominator
    out["rate"] = rate
    out["budget_score"] = weight * capped
    out["over_budget"] = rate > 1
    return out


def score_totals(scored: pd.DataFrame, budget_scores: pd.DataFrame | None, scheme: Scheme,
                 envelope: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Project totals as intervals and their grades (rules.md §3.3, §4.6).

    :math:`T = [S_b + \sum lo,\; S_b + \sum hi]` over counted rows, where the budget contributes its
    score, or :math:`[0, w_b]` when it cannot be computed. With ``rescale_not_applicable`` the total
    is :math:`100 \cdot T / \sum w_{applicable}`. A project whose rows have unknown weights has no
    total (NaN), unless ``envelope`` gives, for that project, a weight ``E`` known to bound all
    those rows together (e.g. a printed level-1 header "满意度指标(10分)" minus the known weights
    under it): since every row scores within ``[0, w]``, they then contribute ``[0, E]``.
    A project with no actual and no reported score in any row is ``blank``: not graded.

    Returns
    -------
    DataFrame
        One row per project: ``indicator_weight``, ``indicator_lo``, ``indicator_hi``,
        ``budget_weight``, ``budget_score``, ``total_lo``, ``total_hi``, ``rule_total`` (when the two
        ends agree), ``evidence_share`` (share of weight with evidence), ``reported_indicators``
        (Σ self_score), ``blank``, ``grade``, ``grade_status``.
    """
    codes, projects = _factorize_projects(scored)
    groups = len(projects)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=groups)

    rows = np.bincount(codes, minlength=groups)

    def count(mask: np.ndarray) -> np.ndarray:
        """Rows where ``mask`` holds, per project: integer counts of the fewer side."""
        if np.count_nonzero(mask) > len(mask) // 2:
            return rows - np.bincount(codes[~mask], minlength=groups)
        return np.bincount(codes[mask], minlength=groups)

    counted = scored["counted"].to_numpy()
    weight = pd.to_numeric(_column(scored, "weight", True), errors="coerce").to_numpy(dtype=float)
    reported = pd.to_numeric(_column(scored, "self_score", True), errors="coerce").to_numpy(dtype=float)
    state = scored["state"].cat.codes.to_numpy()
    lo_rows, hi_rows = scored["score_lo"].to_numpy(), scored["score_hi"].to_numpy()
    has_reported = counted & ~np.isnan(reported)
    filled = scored["has_actual"].to_numpy() | ~np.isnan(reported)
    counted_weight = _counted_values(weight, counted)
    indicator_weight = total(counted_weight)
    if scheme.rules.rescale_not_applicable:
        applicable_weight = total(_zero_outside(counted_weight, state != STATES.index("not_applicable")))
    else:
        applicable_weight = indicator_weight
    totals = pd.DataFrame({
        "project_id": projects,
        "indicator_weight": indicator_weight,
        "applicable_weight": applicable_weight.copy(),
        "evidence_weight": total(_zero_outside(counted_weight, state == 0)),
        "indicator_lo": total(_counted_values(lo_rows, counted)),
        "indicator_hi": total(_counted_values(hi_rows, counted)),
        "reported_indicators": np.where(count(has_reported) > 0, total(_zero_outside(reported, has_reported)), np.nan),
        "blank": count(filled) == 0,
        "unknown_rows": count(counted & np.isnan(lo_rows)),
    })
    if budget_scores is not None and len(budget_scores):
        ids = budget_scores["project_id"].to_numpy(dtype=object)
        if len(ids) == len(projects) and (ids == projects).all():
            position = np.arange(len(ids))  # the usual case: the same projects in the same order (unique)
        else:
            index = pd.Index(ids)
            if not index.is_unique:
                duplicated = index[index.duplicated()].unique().tolist()[:5]
                raise ScoringError(f"预算执行表每个项目应只有一行（已按项目汇总）；重复的项目编码：{duplicated}")
            position = index.get_indexer(projects)
        for column in ("budget_weight", "budget_score", "rate"):
            values = np.append(budget_scores[column].to_numpy(dtype=float), np.nan)
            totals[column] = values[position]  # position -1: a project without a budget row → NaN
    else:
        totals["budget_weight"] = np.nan if scheme.budget.weight is None else scheme.budget.weight
        totals["budget_score"] = np.nan
        totals["rate"] = np.nan
    budget_weight = totals["budget_weight"].to_numpy(dtype=float)
    budget_weight = np.where(np.isnan(budget_weight), scheme.budget.weight or 0.0, budget_weight)
    totals["budget_weight"] = budget_weight
    b = totals["budget_score"].to_numpy(dtype=float)
    b_lo = np.where(np.isnan(b), 0.0, b)
    b_hi = np.where(np.isnan(b), budget_weight, b)
    lo = totals["indicator_lo"].to_numpy() + b_lo
    hi = totals["indicator_hi"].to_numpy() + b_hi
    if envelope is not None and len(envelope):
        bound = totals["project_id"].map(envelope.set_index("project_id")["weight"]).to_numpy(dtype=float)
        covered = ~np.isnan(bound)
        hi = np.where(covered, hi + np.nan_to_num(bound), hi)
        totals.loc[covered, "unknown_rows"] = 0
        totals["indicator_weight"] = totals["indicator_weight"].to_numpy() + np.nan_to_num(bound)
    if scheme.rules.rescale_not_applicable:
        applicable = totals["applicable_weight"].to_numpy() + budget_weight
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(applicable > 0, scheme.total / applicable, np.nan)
        lo, hi = lo * factor, hi * factor
    unknown = totals["unknown_rows"].to_numpy() > 0
    lo, hi = np.where(unknown, np.nan, lo), np.where(unknown, np.nan, hi)
    totals["total_lo"], totals["total_hi"] = lo, hi
    totals["rule_total"] = np.where(np.isclose(lo, hi, rtol=0, atol=1e-9), lo, np.nan)
    all_weight = totals["indicator_weight"].to_numpy() + budget_weight
    with np.errstate(divide="ignore", invalid="ignore"):
        evidence = totals["evidence_weight"].to_numpy() + np.where(np.isnan(b), 0.0, budget_weight)
        totals["evidence_share"] = np.where((all_weight > 0) & ~unknown, evidence / all_weight, np.nan)
    grades = grade_intervals(lo, hi, scheme, totals["blank"].to_numpy())
    totals["grade"] = pd.Series(grades["grade"].to_numpy(), dtype=object)
    totals["grade_status"] = grades["grade_status"].to_numpy()
    return totals.drop(columns=["unknown_rows", "evidence_weight"])


def _zero_outside(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` where ``mask`` holds, 0 elsewhere: ``values`` itself when every row holds, else a copy
    with the rows outside written (cheaper than ``np.where`` over mixed rows)."""
    if mask.all():
        return values
    out = values.copy()
    out[~mask] = 0.0
    return out


def _counted_values(values: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """``values`` on counted rows, 0 elsewhere, with NaN as 0 and ±inf as the largest floats (as
    ``np.nan_to_num``, applied only where a value is not finite: it makes several passes)."""
    out = _zero_outside(values, counted)
    bad = ~np.isfinite(out)
    if bad.any():
        out = out.copy() if out is values else out
        out[bad] = np.nan_to_num(out[bad])
    return out


def _factorize_projects(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Codes (0…k-1, in order of first appearance) and ids of the projects of a table; no id → ""."""
    if "project_id" not in table.columns:
        return np.zeros(len(table), dtype=np.intp), np.asarray([""], dtype=object)
    codes, uniques = factorize(table["project_id"])
    ids = np.asarray(uniques, dtype=object)
    ids[-1] = ""
    if not (codes == len(uniques) - 1).any():  # no missing ids: drop the spare slot
        return codes, ids[:-1]
    return codes, ids


def score_projects(indicators: pd.DataFrame, budget_totals: pd.DataFrame | None, scheme: Scheme) -> pd.DataFrame:
    """Score every project of a year: :func:`score_indicators`, :func:`score_budget`, :func:`score_totals`.

    ``budget_totals`` has one row per project (``project_id``, ``initial``, ``annual``, ``executed``),
    such as :meth:`~pbm_lib.workbook.reader.YearData.project_budget`; None scores indicators only
    (the budget row is then an evidence gap of ``w_b``).
    """
    scored = score_indicators(indicators, scheme)
    budget_scores = score_budget(budget_totals, scheme) if budget_totals is not None else None
    return score_totals(scored, budget_scores, scheme)


def compare_evaluations(
    evaluations: pd.DataFrame,
    scheme: Scheme,
    self_totals: pd.DataFrame | None = None,
    rule_totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """单位自评, 财政评价 and 第三方评价 totals of the same projects side by side, with differences.

    Parameters
    ----------
    evaluations : DataFrame
        ``project_id``, ``evaluation_kind`` (单位自评 / 财政评价 / 第三方评价), ``total`` (the workbook's
        评价结果 sheet).
    scheme : Scheme
        For the grades of each total.
    self_totals : DataFrame, optional
        ``project_id`` and ``self_total``, used where ``evaluations`` has no 单位自评 row (the workbook
        keeps self scores in the indicator sheet).
    rule_totals : DataFrame, optional
        ``project_id`` and ``rule_total`` (:func:`score_totals`), shown beside the reported totals.

    Returns
    -------
    DataFrame
        One row per project: ``self_total``, ``finance_total``, ``third_party_total`` (and
        ``rule_total``), their grades (``*_grade``), and ``finance_minus_self``,
        ``third_party_minus_self``, ``third_party_minus_finance`` (and ``self_minus_rule``).
    """
    kinds = {"单位自评": "self_total", "财政评价": "finance_total", "第三方评价": "third_party_total"}
    data = evaluations[evaluations["evaluation_kind"].isin(list(kinds))]
    wide = data.pivot_table(index="project_id", columns="evaluation_kind", values="total", aggfunc="first")
    wide = wide.rename(columns=kinds).reindex(columns=list(kinds.values()))
    wide.columns.name = None
    wide = wide.reset_index()
    if self_totals is not None:
        wide = wide.merge(self_totals[["project_id", "self_total"]].rename(columns={"self_total": "_self"}),
                          on="project_id", how="outer")
        wide["self_total"] = wide["self_total"].fillna(wide.pop("_self"))
    if rule_totals is not None:
        wide = wide.merge(rule_totals[["project_id", "rule_total"]], on="project_id", how="left")
    for column in [c for c in ("self_total", "finance_total", "third_party_total", "rule_total") if c in wide]:
        wide[column.replace("_total", "_grade")] = grade_points(wide[column].to_numpy(dtype=float), scheme)
    wide["finance_minus_self"] = wide["finance_total"] - wide["self_total"]
    wide["third_party_minus_self"] = wide["third_party_total"] - wide["self_total"]
    wide["third_party_minus_finance"] = wide["third_party_total"] - wide["finance_total"]
    if "rule_total" in wide:
        wide["self_minus_rule"] = wide["self_total"] - wide["rule_total"]
    return wide


def score_year(year, scheme: Scheme) -> dict[str, pd.DataFrame]:
    """Score a whole year (:class:`~pbm_lib.workbook.reader.YearData`): indicators, projects, comparison.

    The self-evaluation total of a project is Σ ``self_score`` plus the rule budget score (the
    workbook has no printed budget score).
    """
    scored = score_indicators(year.indicators, scheme)
    budget = score_budget(year.project_budget(), scheme)
    projects = score_totals(scored, budget, scheme)
    self_totals = pd.DataFrame({
        "project_id": projects["project_id"],
        "self_total": projects["reported_indicators"] + projects["budget_score"].fillna(0.0),
    })
    evaluations = year.tables.get("evaluations")
    if evaluations is None:
        evaluations = pd.DataFrame(columns=["project_id", "evaluation_kind", "total"])
    comparison = compare_evaluations(evaluations, scheme, self_totals, projects[["project_id", "rule_total"]])
    return {"indicators": scored, "projects": projects, "comparison": comparison}
