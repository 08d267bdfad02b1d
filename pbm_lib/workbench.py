"""The evaluator's workbench (第三方评价工作台): state, validation, save and load, without a browser.

A third-party evaluator (第三方评价机构) evaluates one project at a time: they see its indicators with
targets, actuals and evidence states (rules.md §4.6); give each qualitative indicator (定性指标) an
achievement level (达成 / 部分达成 / 未达成) and a score inside that level's band of the weight
(rules.md §3.5); may record a verified actual (核实完成值) for a quantitative row; write a note per
indicator and an overall opinion; edit the weights or switch the scheme; and see the total, the grade
and its uncertainty at once. :class:`EvaluationState` holds all of that for one project. It never
scores anything itself: every total, band and grade comes from :mod:`pbm_lib.scoring` applied to
the project's rows with the evaluator's entries written in (one source of truth per rule), and the
uncertainty from :mod:`pbm_lib.uncertainty`. :mod:`pbm_lib.workbench_ui` is a thin ipywidgets view
over this state.

How the evaluator's entries enter the scoring
---------------------------------------------
The project's rows of the 绩效指标 sheet are scored with :func:`pbm_lib.scoring.score_indicators`,
:func:`~pbm_lib.scoring.score_budget` and :func:`~pbm_lib.scoring.score_totals` after these
substitutions, row by row:

- ``weight`` ← the evaluator's weight (initially the sheet's 分值);
- ``self_score`` ← the evaluator's score on a qualitative row, else empty: the unit's own self scores
  never enter a third-party total;
- ``actual`` ← the evaluator's level on a qualitative row (the level's word, so that it maps to that
  level), the verified actual on a quantitative row, else the unit's actual as reported;
- the budget row's weight ← the evaluator's budget weight (initially the scheme's).

So a qualitative row with a level and a score contributes that score; with a level and no score, its
band (an interval); quantitative rows contribute their rule score; rows without evidence ``[0, w]``.
The total is an interval until every row has a point score, and is graded only when both ends fall
in one grade band (otherwise 证据不足), exactly as in the annual scoring.

Validation
----------
Edits are checked when they are made and rejected with :class:`WorkbenchError` (a message in Chinese
naming the indicator): a weight that is negative or not a number; a level that the scheme does not
have; a score without a level, or outside the band of its level (checked by scoring the row with
:func:`~pbm_lib.scoring.score_indicators`, whose ``band_ok`` is the rule). Changing a qualitative
row's level clears its score if the score is outside the new band; changing its weight keeps the
score's share of the weight. What can only be judged on the whole project is listed by
:meth:`EvaluationState.problems` and recorded in the saved file: level-1 block sums against the
scheme's fixed level-1 weights (:func:`~pbm_lib.scoring.score_levels`), the total of all weights
against the scheme's total, level-1 names the scheme does not know, and scores left outside their
band by a change of scheme. An evaluation is *complete* when every qualitative row has a level and a
score, the total is a single number, and there are no problems; only complete evaluations are used
by the annual batch (:func:`third_party_scores`).

File format ``pbm-third-party-evaluation/1``
--------------------------------------------
One UTF-8 YAML file per project, written by :func:`save`, read by :func:`read_record` and
:func:`load`. By convention it is ``<save_dir>/<项目编码>.yaml`` (:func:`default_path`). Keys:

``format`` (str)
    Always ``pbm-third-party-evaluation/1``.
``evaluation_kind`` (str)
    Always ``第三方评价``.
``revision`` (int)
    1 for the first save of a file, then one more at each save.
``saved_at`` (str)
    Time of saving, ISO 8601 with seconds, Asia/Shanghai time (``2025-11-20T15:04:05+08:00``).
``pbm_version`` (str)
    Version of pbm that wrote the file.
``evaluator``
    ``name`` (评价人员, str) and ``organisation`` (评价机构, str); either may be empty.
``project``
    ``project_id`` (项目编码), ``project_name``, ``unit_id`` (单位编码), ``unit_name``: the project
    evaluated. On loading, ``project_id`` must exist in the data.
``data``
    ``file`` (the year workbook's path when saved), ``sha256`` (SHA-256 of that file, as
    :attr:`pbm_lib.workbook.reader.YearData.sha256`), ``year`` (int), ``jurisdiction``. Loading
    against data with another hash is allowed, with a warning (:class:`EvaluationFileWarning`).
``scheme``
    ``id``, ``version`` (int), ``title``, ``file`` (the scheme YAML file used). Loading uses
    ``id@version``, or ``file`` for a scheme that is not shipped with pbm.
``budget``
    ``weight`` (预算执行率分值, number ≥ 0), ``rate`` (全年执行数 ÷ 全年预算数, or null), ``score``
    (预算执行率得分, or null when it cannot be computed).
``indicators`` (list, one item per indicator row of the project, in 指标序号 order)
    ``seq`` (指标序号, int, key), ``level1``, ``level3`` (names, checked against the data on
    loading), ``kind`` (``quantitative`` | ``qualitative`` | ``none``), ``weight`` (分值, number ≥ 0),
    ``level`` (the evaluator's 达成等级, or null), ``score`` (the evaluator's score of a qualitative
    row, or null), ``verified_actual`` (核实完成值 of a quantitative row, text or null), ``note``
    (评价说明, text), ``state`` (evidence state after the entries, rules.md §4.6), ``points_lo`` and
    ``points_hi`` (the row's contribution to the total as computed; equal when it is a point score;
    null when the weight is unknown).
``opinion`` (str)
    The evaluator's overall opinion (总体评价意见).
``result``
    ``total_lo``, ``total_hi`` (the total interval, unrounded), ``total`` (the total rounded half-up
    to the scheme's ``total_decimals``, or null while it is an interval), ``grade`` (优/良/中/差,
    证据不足 or null), ``grade_status`` (:data:`pbm_lib.scoring.GRADE_STATUSES`), ``evidence_share``,
    ``unscored`` (序号 of qualitative rows without a score), ``uncertainty`` (the grade's Monte Carlo
    by :func:`pbm_lib.uncertainty.grade_distribution` with its default perturbations: ``grade`` (most
    probable label), ``probability``, ``probabilities`` {label: p} over 优/良/中/差/证据不足/无等级,
    ``text`` ("良（概率 83%；优 15%）"), ``total_p5``, ``total_p95``, ``draws``, ``seed``, ``method``;
    or ``{error: message}`` when it cannot be simulated; computed values rounded to 6 decimals),
    ``complete`` (bool), ``problems`` (list of Chinese messages).

Only ``format``, ``project.project_id``, ``scheme.id``, ``scheme.version``, ``budget.weight`` and
``indicators`` (with ``seq`` and ``weight`` per item; ``weight`` null only where the data has no
分值) are required to load a file; everything under
``result`` is a record of what the evaluator saw and is recomputed on loading (a difference is
reported as a warning).

Saving is atomic and keeps the previous version: the new text is written to a temporary file beside
the target and renamed over it (:func:`pbm_lib.iorw.atomic_path`), so a failure at any point leaves
the previous file as it was; before the rename, the previous file is copied (atomically too) to
``<save_dir>/history/<stem>.v<N>.yaml``, N = 1, 2, … in order of replacement. :func:`third_party_scores`
reads only the files directly in a folder, never ``history/``.
"""

from __future__ import annotations

import math
import re
import shutil
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import __version__, scoring
from .commands.score import STATE_LABELS
from .errors import PbmError
from .indicators import normalise_word
from .iorw import atomic_path
from .schemes import PROFILES, Scheme, load_scheme, select_scheme

FORMAT = "pbm-third-party-evaluation/1"
EVALUATION_KIND = "第三方评价"
#: China Standard Time; China has no daylight saving, so the fixed offset is Asia/Shanghai.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
HISTORY_DIR = "history"
#: Resolution of an evaluator's score (points); the UI's slider step.
SCORE_STEP = 0.01
KIND_LABELS = {"quantitative": "定量", "qualitative": "定性", "none": "—"}
_WEIGHT_TOLERANCE = 1e-6
_DIGITS = 6  # decimals of computed values in the saved file
_UNSAFE_NAME = re.compile(r"[^\w.\-]+")


class WorkbenchError(PbmError, ValueError):
    """An edit the rules do not allow (a negative weight, a score outside its band …).

    The message is in Chinese and names the indicator (「三级指标」（序号 N）).
    """


class EvaluationFileError(PbmError):
    """A saved evaluation file that cannot be used: unreadable, not this format, or not this data."""


class EvaluationFileWarning(UserWarning):
    """A saved evaluation file that loads, but not against the data or rules it was saved with."""


# ---------------------------------------------------------------------------------------------
# The state
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """The evaluator's entry for one indicator row (序号 ``seq``)."""

    seq: int
    weight: float
    level: str | None = None
    score: float | None = None
    verified_actual: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Band:
    """The score band of a qualitative level for one weight: ``[lo, hi)``, or ``[lo, hi]`` when ``closed``."""

    level: str
    lo: float
    hi: float
    closed: bool

    @property
    def max_score(self) -> float:
        """The highest score a :data:`SCORE_STEP` grid allows inside the band."""
        return self.hi if self.closed else max(self.lo, self.hi - SCORE_STEP)

    def text(self) -> str:
        return f"[{_num(self.lo)}, {_num(self.hi)}{']' if self.closed else ')'}"


@dataclass(frozen=True)
class Result:
    """Total, grade and evidence of the current state (from :func:`pbm_lib.scoring.score_totals`)."""

    total_lo: float
    total_hi: float
    total: float | None
    grade: str | None
    grade_status: str
    evidence_share: float
    budget_weight: float
    budget_score: float | None
    rate: float | None
    unscored: tuple[int, ...]

    @property
    def is_point(self) -> bool:
        return self.total is not None


class EvaluationState:
    """One project's third-party evaluation being edited.

    Build it with :meth:`new` (fresh, from the year's data) or :func:`load` (from a saved file).
    Every setter validates and raises :class:`WorkbenchError`; the computed views (:meth:`scored`,
    :meth:`result`, :meth:`problems`, :meth:`uncertainty`) are cached until the next edit.

    Attributes
    ----------
    year : YearData
        The year's validated tables (:func:`pbm_lib.workbook.reader.read_year`).
    project_id : str
    scheme : Scheme
    entries : dict of int to Entry
        The evaluator's entries by 指标序号.
    budget_weight : float
        预算执行率分值 used for this evaluation.
    evaluator, organisation, opinion : str
        评价人员, 评价机构 and 总体评价意见.
    revision : int
        Revision of the file this state was loaded from (0 for a new evaluation).
    warnings : list of str
        Warnings raised when the state was loaded (different data, recomputed total …).
    """

    def __init__(
        self, year: Any, project_id: str, scheme: Scheme, *, evaluator: str = "", organisation: str = ""
    ):
        projects = year.projects
        match = projects[projects["project_id"] == project_id]
        if match.empty:
            raise WorkbenchError(f"数据中没有项目「{project_id}」")
        self.year = year
        self.project_id = str(project_id)
        self.project = match.iloc[0]
        units = year.units
        unit = units[units["unit_id"] == self.project["unit_id"]]
        self.unit_name = str(unit["unit_name"].iloc[0]) if len(unit) else ""
        rows = year.indicators[year.indicators["project_id"] == project_id]
        self.rows = rows.sort_values("seq", kind="stable").reset_index(drop=True)
        self.rows["seq"] = self.rows["seq"].astype(int)
        self.budget_row = year.project_budget().query("project_id == @project_id").reset_index(drop=True)
        self.scheme = scheme
        self.entries: dict[int, Entry] = {
            # 分值 is a required column, so NaN only comes from hand-made tables: kept as unknown.
            int(r.seq): Entry(int(r.seq), _float(r.weight, math.nan))
            for r in self.rows.itertuples()
        }
        self.budget_weight = float(scheme.budget.weight or 0.0)
        self.evaluator = evaluator
        self.organisation = organisation
        self.opinion = ""
        self.revision = 0
        self.warnings: list[str] = []
        self._cache: dict[str, Any] = {}
        self._qualitative = self._qualitative_rows()

    @classmethod
    def new(
        cls,
        year: Any,
        project_id: str,
        scheme: Scheme | str | None = None,
        *,
        evaluator: str = "",
        organisation: str = "",
    ) -> EvaluationState:
        """A fresh evaluation of ``project_id``: the sheet's weights, no levels, scores or notes.

        Parameters
        ----------
        year : YearData
        project_id : str
            项目编码; must be in the 项目 sheet.
        scheme : Scheme or str, optional
            A scheme or a reference for :func:`pbm_lib.schemes.load_scheme`; by default the scheme
            :func:`pbm_lib.schemes.select_scheme` picks for the year's 行政区划.
        evaluator, organisation : str
            评价人员 and 评价机构.
        """
        return cls(year, project_id, _scheme(scheme, year), evaluator=evaluator, organisation=organisation)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def seqs(self) -> list[int]:
        """指标序号 of the project's rows, in order."""
        return list(self.entries)

    def is_qualitative(self, seq: int) -> bool:
        """Whether row ``seq`` is a qualitative indicator (定性指标, scored by level and band)."""
        self._entry(seq)
        return seq in self._qualitative

    @property
    def qualitative_seqs(self) -> list[int]:
        return [s for s in self.entries if s in self._qualitative]

    @property
    def levels(self) -> tuple[str, ...]:
        """The scheme's achievement levels, highest first as the scheme lists them."""
        return tuple(self.scheme.qualitative.levels)

    def label(self, seq: int) -> str:
        """「三级指标」（序号 N）: how messages name a row."""
        row = self.rows.loc[self.rows["seq"] == seq]
        name = row["level3"].iloc[0] if len(row) else None
        return f"「{name or '未命名指标'}」（序号 {seq}）"

    def band(self, seq: int, level: str | None = None) -> Band:
        """The score band of ``level`` (default: the row's level) for the row's current weight.

        Computed by :func:`pbm_lib.scoring.score_indicators` on the row alone (the scheme's
        ``qualitative.bands``; the top band includes its upper edge).
        """
        entry = self._entry(seq)
        level = entry.level if level is None else level
        if level is None:
            raise WorkbenchError(f"指标{self.label(seq)}尚未选择达成等级")
        self._check_level(seq, level)
        return _band(self.scheme, entry.weight, level)

    # -- editing ---------------------------------------------------------------------------------

    def set_weight(self, seq: int, weight: float) -> None:
        """Set a row's weight (分值). Must be a number ≥ 0; a qualitative score keeps its share."""
        entry = self._entry(seq)
        value = self._check_weight(weight, f"指标{self.label(seq)}")
        if entry.score is not None and entry.weight > 0:
            entry.score = entry.score * value / entry.weight
        elif entry.score is not None:
            entry.score = None
        entry.weight = value
        self._changed()

    def set_budget_weight(self, weight: float) -> None:
        """Set the budget-execution row's weight (预算执行率分值), a number ≥ 0."""
        self.budget_weight = self._check_weight(weight, "预算执行率")
        self._changed()

    def set_level(self, seq: int, level: str | None) -> None:
        """Set a qualitative row's level; None clears level and score.

        A score outside the new level's band is cleared (the evaluator scores again).
        """
        entry = self._entry(seq)
        if level is None or level == "":
            entry.level, entry.score = None, None
            self._changed()
            return
        if seq not in self._qualitative:
            raise WorkbenchError(f"指标{self.label(seq)}是定量指标，按完成值计分，不能设置达成等级")
        self._check_level(seq, level)
        entry.level = level
        if entry.score is not None and _band_error(self.scheme, entry.weight, level, entry.score) is not None:
            entry.score = None
        self._changed()

    def set_score(self, seq: int, score: float | None) -> None:
        """Set a qualitative row's score; it must lie in its level's band. None clears it."""
        entry = self._entry(seq)
        if score is None:
            entry.score = None
            self._changed()
            return
        if seq not in self._qualitative:
            raise WorkbenchError(f"指标{self.label(seq)}是定量指标，得分按完成值计算；可填写核实完成值")
        if entry.level is None:
            raise WorkbenchError(f"请先为指标{self.label(seq)}选择达成等级，再打分")
        value = _finite(score, f"指标{self.label(seq)}得分")
        error = _band_error(self.scheme, entry.weight, entry.level, value)
        if error is not None:
            raise WorkbenchError(f"指标{self.label(seq)}得分 {_num(value)} {error}")
        entry.score = value
        self._changed()

    def set_note(self, seq: int, note: str | None) -> None:
        """Set a row's note (评价说明)."""
        self._entry(seq).note = "" if note is None else str(note)

    def set_verified_actual(self, seq: int, actual: str | None) -> None:
        """Set a quantitative row's verified actual (核实完成值), written as in the sheet (``96.5%``)."""
        entry = self._entry(seq)
        text = None if actual is None or not str(actual).strip() else str(actual).strip()
        if text is not None and seq in self._qualitative:
            raise WorkbenchError(f"指标{self.label(seq)}是定性指标，请选择达成等级，而不是填写核实完成值")
        entry.verified_actual = text
        self._changed()

    def set_scheme(self, scheme: Scheme | str) -> None:
        """Switch the scheme. The budget weight becomes the new scheme's; row weights and entries stay.

        Entries the new scheme does not accept (an unknown level, a score outside a new band) are
        kept and listed by :meth:`problems`.
        """
        self.scheme = _scheme(scheme, self.year)
        self.budget_weight = float(self.scheme.budget.weight or 0.0)
        self._qualitative = self._qualitative_rows()
        self._changed()

    # -- computing -------------------------------------------------------------------------------

    def scoring_input(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The project's indicator rows and budget row with the evaluator's entries written in.

        See the module docstring for the substitutions. These are the exact inputs of
        :func:`pbm_lib.scoring.score_indicators` and :func:`pbm_lib.scoring.score_budget`.
        """
        rows = self.rows.copy()
        order = rows["seq"].to_numpy()
        entries = [self.entries[int(s)] for s in order]
        rows["weight"] = np.asarray([e.weight for e in entries], dtype=float)
        qualitative = np.asarray([int(s) in self._qualitative for s in order], dtype=bool)
        rows["self_score"] = np.asarray(
            [
                e.score if (q and e.score is not None) else np.nan
                for e, q in zip(entries, qualitative, strict=True)
            ],
            dtype=float,
        )
        actual = rows["actual"].astype(object).to_numpy().copy()
        for i, (e, q) in enumerate(zip(entries, qualitative, strict=True)):
            if q and e.level is not None:
                actual[i] = _level_word(self.scheme, e.level)
            elif not q and e.verified_actual is not None:
                actual[i] = e.verified_actual
        rows["actual"] = pd.Series(actual, index=rows.index, dtype=object)
        budget = self.budget_row.copy()
        budget["weight"] = self.budget_weight
        return rows, budget

    def scored(self) -> pd.DataFrame:
        """:func:`pbm_lib.scoring.score_indicators` of :meth:`scoring_input`."""
        if "scored" not in self._cache:
            rows, _ = self.scoring_input()
            self._cache["scored"] = scoring.score_indicators(rows, self.scheme)
        return self._cache["scored"]

    def totals(self) -> pd.DataFrame:
        """:func:`pbm_lib.scoring.score_totals` of the project (one row)."""
        if "totals" not in self._cache:
            _, budget = self.scoring_input()
            budget_scores = scoring.score_budget(budget, self.scheme) if len(budget) else None
            self._cache["totals"] = scoring.score_totals(self.scored(), budget_scores, self.scheme)
        return self._cache["totals"]

    def result(self) -> Result:
        """Total interval, rounded point total, grade and evidence share of the current state."""
        if "result" not in self._cache:
            row = self.totals().iloc[0]
            lo, hi = float(row["total_lo"]), float(row["total_hi"])
            point = row["rule_total"]
            total = None
            if point is not None and not pd.isna(point):
                total = float(scoring.round_half_up([point], self.scheme.rules.total_decimals)[0])
            self._cache["result"] = Result(
                total_lo=lo,
                total_hi=hi,
                total=total,
                grade=None if pd.isna(row["grade"]) else str(row["grade"]),
                grade_status=str(row["grade_status"]),
                evidence_share=float(row["evidence_share"]),
                budget_weight=float(row["budget_weight"]),
                budget_score=_optional(row["budget_score"]),
                rate=_optional(row["rate"]),
                unscored=tuple(s for s in self.qualitative_seqs if self.entries[s].score is None),
            )
        return self._cache["result"]

    def problems(self) -> list[str]:
        """What keeps the evaluation from being complete, other than unscored rows (Chinese messages).

        Weight sums (level-1 blocks against the scheme's fixed weights and the total against the
        scheme's total, from :func:`pbm_lib.scoring.score_levels`), level-1 names the scheme does not
        know, and levels or scores the current scheme does not accept.
        """
        if "problems" in self._cache:
            return list(self._cache["problems"])
        found: list[str] = []
        scheme = self.scheme
        scored = self.scored()
        levels = scoring.score_levels(scored, scheme)
        known = set(scheme.level1_lookup().values())
        tolerance = max(scheme.child_tolerance, _WEIGHT_TOLERANCE)
        for block in levels.itertuples():
            if block.level1 and block.level1 not in known:
                names = "、".join(x.name for x in scheme.level1)
                found.append(f"一级指标「{block.level1}」不是方案 {scheme.ref} 的一级指标（{names}）")
            expected = block.scheme_weight
            if not pd.isna(expected) and abs(float(block.weight) - float(expected)) > tolerance:
                found.append(
                    f"一级指标「{block.level1}」分值合计 {_num(block.weight)}，方案 {scheme.ref} 规定 {_num(expected)}"
                )
        indicator_weight = float(levels["weight"].sum()) if len(levels) else 0.0
        total = indicator_weight + self.budget_weight
        if abs(total - scheme.total) > tolerance:
            found.append(
                f"分值合计 {_num(total)}（指标 {_num(indicator_weight)} + 预算执行率 {_num(self.budget_weight)}），"
                f"应为 {_num(scheme.total)}"
            )
        to_check = []
        for seq in self.qualitative_seqs:
            entry = self.entries[seq]
            if entry.level is not None and entry.level not in scheme.qualitative.bands:
                found.append(f"指标{self.label(seq)}的达成等级「{entry.level}」不在方案 {scheme.ref} 中")
            elif entry.level is not None and entry.score is not None:
                to_check.append(entry)
        checks = _band_errors(scheme, [(e.weight, e.level, e.score) for e in to_check])
        for entry, error in zip(to_check, checks, strict=True):
            if error is not None:
                found.append(f"指标{self.label(entry.seq)}得分 {_num(entry.score)} {error}")
        self._cache["problems"] = found
        return list(found)

    @property
    def complete(self) -> bool:
        """Every qualitative row scored, a single total, and no :meth:`problems`."""
        result = self.result()
        return not result.unscored and result.is_point and not self.problems()

    def uncertainty(self, draws: int = 5000, seed: int = 0) -> dict[str, Any] | None:
        """Grade probabilities of the current state, from :func:`pbm_lib.uncertainty.grade_distribution`.

        Returns
        -------
        dict or None
            ``grade`` (the most probable label) and its ``probability``, ``probabilities``
            ({label: p} over the scheme's grades, 证据不足 and 无等级, summing to 1), ``text``
            ("良（概率 83%；优 15%）"), ``total_p5``, ``total_p95``, ``draws``, ``seed``, ``method``;
            ``{"error": message}`` when the rows cannot be simulated; None without the module.
        """
        key = f"uncertainty:{draws}:{seed}"
        if key not in self._cache:
            self._cache[key] = _grade_uncertainty(self, draws, seed)
        return self._cache[key]

    def indicator_table(self) -> pd.DataFrame:
        """The rows as the evaluator sees them: data, evidence, entries and computed points.

        Returns
        -------
        DataFrame
            ``seq``, ``level1``, ``level2``, ``level3``, ``kind`` (定量/定性), ``direction``,
            ``target``, ``measure_unit``, ``actual`` (as reported by the unit), ``self_score``
            (the unit's), ``verified_actual``, ``state`` and ``state_label`` (evidence state after
            the entries), ``weight``, ``level``, ``score``, ``band`` (text, qualitative rows with a
            level), ``points_lo``, ``points_hi``, ``note``.
        """
        scored = self.scored()
        rows = self.rows
        out = pd.DataFrame(
            {
                "seq": rows["seq"].to_numpy(),
                "level1": rows["level1"].to_numpy(),
                "level2": rows["level2"].to_numpy(),
                "level3": rows["level3"].to_numpy(),
                "kind": [KIND_LABELS[str(k)] for k in scored["kind"].astype(object)],
                "direction": rows["direction"].to_numpy(),
                "target": rows["target"].to_numpy(),
                "measure_unit": rows["measure_unit"].to_numpy(),
                "actual": rows["actual"].to_numpy(),
                "self_score": rows["self_score"].to_numpy(dtype=float),
            }
        )
        entries = [self.entries[int(s)] for s in out["seq"]]
        out["verified_actual"] = [e.verified_actual for e in entries]
        out["state"] = scored["state"].astype(object).to_numpy()
        out["state_label"] = [STATE_LABELS.get(s, s) for s in out["state"]]
        out["weight"] = [e.weight for e in entries]
        out["level"] = [e.level for e in entries]
        out["score"] = [np.nan if e.score is None else e.score for e in entries]
        bands = []
        for e in entries:
            ok = e.seq in self._qualitative and e.level in self.scheme.qualitative.bands
            bands.append(_band(self.scheme, e.weight, e.level).text() if ok else None)
        out["band"] = bands
        out["points_lo"] = scored["score_lo"].to_numpy(dtype=float)
        out["points_hi"] = scored["score_hi"].to_numpy(dtype=float)
        out["note"] = [e.note for e in entries]
        return out

    # -- internals -------------------------------------------------------------------------------

    def _entry(self, seq: int) -> Entry:
        try:
            return self.entries[int(seq)]
        except (KeyError, TypeError, ValueError):
            raise WorkbenchError(f"项目「{self.project_id}」没有序号为 {seq} 的指标") from None

    def _check_level(self, seq: int, level: str) -> None:
        if level not in self.scheme.qualitative.bands:
            options = "、".join(self.levels)
            raise WorkbenchError(f"指标{self.label(seq)}的达成等级「{level}」无效；应为 {options}")

    @staticmethod
    def _check_weight(weight: Any, what: str) -> float:
        value = _finite(weight, f"{what}分值")
        if value < 0:
            raise WorkbenchError(f"{what}分值不能为负数：{_num(value)}")
        return value

    def _qualitative_rows(self) -> set[int]:
        """Rows scored as qualitative: the kind depends on target and direction only, not on entries."""
        kinds = scoring.score_indicators(self.rows, self.scheme)["kind"].astype(object).to_numpy()
        return {int(s) for s, k in zip(self.rows["seq"], kinds, strict=True) if k == "qualitative"}

    def _changed(self) -> None:
        self._cache.clear()


# ---------------------------------------------------------------------------------------------
# Bands, via the scoring rules
# ---------------------------------------------------------------------------------------------


def _band_frame(items: list[tuple[float, str, float | None]]) -> pd.DataFrame:
    """One qualitative row per ``(weight, level word, score)``, for :func:`scoring.score_indicators`."""
    n = len(items)
    return pd.DataFrame(
        {
            "project_id": ["_"] * n,
            "level1": [None] * n,
            "level3": [f"_{i}" for i in range(n)],
            "direction": ["定性"] * n,
            "target": [word for _, word, _ in items],
            "actual": [word for _, word, _ in items],
            "weight": np.asarray([w for w, _, _ in items], dtype=float),
            "self_score": np.asarray([np.nan if s is None else s for _, _, s in items], dtype=float),
        }
    )


def _band(scheme: Scheme, weight: float, level: str) -> Band:
    """Band of ``level`` for ``weight``, as :func:`pbm_lib.scoring.score_indicators` computes it."""
    return _band_cached(scheme, float(weight), level)


#: (id(scheme), weight, level) → (scheme, band); the scheme is kept so that its id is not reused.
_BAND_CACHE: dict[tuple[int, float, str], tuple[Scheme, Band]] = {}


def _band_cached(scheme: Scheme, weight: float, level: str) -> Band:
    key = (id(scheme), weight, level)
    if key not in _BAND_CACHE:
        word = _level_word(scheme, level)
        row = scoring.score_indicators(_band_frame([(weight, word, None)]), scheme).iloc[0]
        lo, hi = float(row["band_lo"]), float(row["band_hi"])
        at_hi = scoring.score_indicators(_band_frame([(weight, word, hi)]), scheme).iloc[0]
        if len(_BAND_CACHE) > 4096:
            _BAND_CACHE.clear()
        _BAND_CACHE[key] = (scheme, Band(level, lo, hi, bool(at_hi["band_ok"])))
    return _BAND_CACHE[key][1]


def _band_errors(scheme: Scheme, items: list[tuple[float, str, float]]) -> list[str | None]:
    """For each ``(weight, level, score)``: None when the score lies in the level's band, else why not.

    The rule is :func:`pbm_lib.scoring.score_indicators`' ``band_ok`` (rules.md §3.5), in one call.
    """
    if not items:
        return []
    frame = _band_frame([(w, _level_word(scheme, level), score) for w, level, score in items])
    ok = scoring.score_indicators(frame, scheme)["band_ok"].to_numpy(dtype=bool, na_value=False)
    errors: list[str | None] = []
    for (weight, level, _), inside in zip(items, ok, strict=True):
        if inside:
            errors.append(None)
        else:
            band = _band(scheme, weight, level)
            errors.append(f"超出「{level}」的得分区间 {band.text()}（分值 {_num(weight)}）")
    return errors


def _band_error(scheme: Scheme, weight: float, level: str, score: float) -> str | None:
    """None when ``score`` lies in the band of ``level``, else why not (:func:`_band_errors`)."""
    return _band_errors(scheme, [(weight, level, score)])[0]


def _level_word(scheme: Scheme, level: str) -> str:
    """A word that the scheme maps to ``level`` (the level's own name when it is one of its words)."""
    synonyms = scheme.qualitative.synonyms
    if synonyms.get(normalise_word(level) or "") == level:
        return level
    for word, mapped in synonyms.items():
        if mapped == level:
            return word
    return level


def _scheme(scheme: Scheme | str | None, year: Any) -> Scheme:
    if isinstance(scheme, Scheme):
        return scheme
    if scheme is None or scheme == "":
        return select_scheme(jurisdiction=getattr(year, "jurisdiction", None))
    return load_scheme(scheme)


# ---------------------------------------------------------------------------------------------
# Uncertainty: one call into pbm_lib.uncertainty
# ---------------------------------------------------------------------------------------------


def _grade_uncertainty(state: EvaluationState, draws: int, seed: int) -> dict[str, Any] | None:
    """Grade probabilities of the state's project by :func:`pbm_lib.uncertainty.grade_distribution`.

    The Monte Carlo runs on exactly the rows :meth:`EvaluationState.scoring_input` gives the scoring
    (the evaluator's weights, levels, scores and verified actuals), with the module's default
    perturbations (toolkit policy, documented there). Returns None when the module is not installed,
    and ``{"error": message}`` when it cannot simulate the rows (e.g. a weight of 0).
    """
    try:
        from . import uncertainty
    except ImportError:  # pragma: no cover - the module ships with pbm
        return None
    rows, budget = state.scoring_input()
    try:
        summary, _ = uncertainty.grade_distribution(
            rows, budget if len(budget) else None, state.scheme, draws=draws, seed=seed
        )
    except PbmError as error:
        return {"error": str(error)}
    row = summary.iloc[0]
    labels = uncertainty.grade_labels(state.scheme)
    return {
        "grade": str(row["grade"]),
        "probability": float(row["probability"]),
        "probabilities": {label: float(row[f"p_{label}"]) for label in labels},
        "text": uncertainty.describe(summary, others=True),
        "total_p5": _optional(row.get("total_p5")),
        "total_p95": _optional(row.get("total_p95")),
        "draws": int(draws),
        "seed": int(seed),
        "method": "pbm_lib.uncertainty.grade_distribution（默认参数）",
    }


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def default_path(save_dir: str | Path, project_id: str) -> Path:
    """``<save_dir>/<项目编码>.yaml``, with characters unsafe in file names replaced by ``_``."""
    name = _UNSAFE_NAME.sub("_", str(project_id)).strip("._") or "project"
    return Path(save_dir) / f"{name}.yaml"


def to_record(
    state: EvaluationState, *, saved_at: datetime | None = None, revision: int | None = None
) -> dict:
    """The state as a ``pbm-third-party-evaluation/1`` mapping (see the module docstring)."""
    saved_at = saved_at or datetime.now(SHANGHAI)
    result = state.result()
    scored = state.scored()
    project = state.project
    scheme = state.scheme
    indicators = []
    for i, row in enumerate(state.rows.itertuples()):
        entry = state.entries[int(row.seq)]
        indicators.append(
            {
                "seq": int(row.seq),
                "level1": _text(row.level1),
                "level3": _text(row.level3),
                "kind": str(scored["kind"].iloc[i]),
                "weight": _plain(entry.weight),
                "level": entry.level,
                "score": _plain(entry.score),
                "verified_actual": entry.verified_actual,
                "note": entry.note,
                "state": str(scored["state"].iloc[i]),
                "points_lo": _plain(scored["score_lo"].iloc[i], _DIGITS),
                "points_hi": _plain(scored["score_hi"].iloc[i], _DIGITS),
            }
        )
    problems = state.problems()
    return {
        "format": FORMAT,
        "evaluation_kind": EVALUATION_KIND,
        "revision": int(state.revision + 1 if revision is None else revision),
        "saved_at": saved_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "pbm_version": __version__,
        "evaluator": {"name": state.evaluator, "organisation": state.organisation},
        "project": {
            "project_id": state.project_id,
            "project_name": _text(project.get("project_name")),
            "unit_id": _text(project.get("unit_id")),
            "unit_name": state.unit_name,
        },
        "data": {
            "file": str(state.year.source),
            "sha256": state.year.sha256,
            "year": int(state.year.year),
            "jurisdiction": state.year.jurisdiction,
        },
        "scheme": {
            "id": scheme.id,
            "version": int(scheme.version),
            "title": scheme.title,
            "file": scheme.files[-1] if scheme.files else None,
        },
        "budget": {
            "weight": _plain(state.budget_weight),
            "rate": _plain(result.rate, _DIGITS),
            "score": _plain(result.budget_score, _DIGITS),
        },
        "indicators": indicators,
        "opinion": state.opinion,
        "result": {
            "total_lo": _plain(result.total_lo, _DIGITS),
            "total_hi": _plain(result.total_hi, _DIGITS),
            "total": _plain(result.total),
            "grade": result.grade,
            "grade_status": result.grade_status,
            "evidence_share": _plain(result.evidence_share, _DIGITS),
            "unscored": list(result.unscored),
            "uncertainty": _plain(state.uncertainty(), _DIGITS),
            "complete": bool(not result.unscored and result.is_point and not problems),
            "problems": problems,
        },
    }


def _dump(record: Mapping[str, Any], handle) -> None:
    """Serialise a record as YAML into an open text file."""
    handle.write(f"# {FORMAT} · 第三方评价记录 · 由 pbm 工作台保存，字段说明见 pbm_lib/workbench.py\n")
    yaml.safe_dump(
        dict(record), handle, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )


@dataclass(frozen=True)
class SavedFile:
    """Where :func:`save` wrote: the file, the copy of the version it replaced (if any), the revision."""

    path: Path
    previous: Path | None
    revision: int


def save(state: EvaluationState, path: str | Path) -> SavedFile:
    """Save the evaluation atomically, keeping the previous version in ``history/``.

    The record (:func:`to_record`) is written to a temporary file beside ``path``, flushed to disk,
    and renamed over ``path``; if anything fails, ``path`` is left as it was and the temporary file
    is removed. If ``path`` exists, it is first copied to ``<dir>/history/<stem>.v<N>.yaml`` (N one
    more than the highest there). The revision is one more than the existing file's (or the
    state's). On success ``state.revision`` is updated. An existing readable file of another
    project is never replaced (:class:`EvaluationFileError`).

    Parameters
    ----------
    state : EvaluationState
    path : str or Path
        The evaluation file, e.g. :func:`default_path`.

    Returns
    -------
    SavedFile
    """
    path = Path(path)
    revision = state.revision
    if path.exists():
        try:
            existing = read_record(path)
        except EvaluationFileError:
            existing = None  # a damaged previous file is still kept in history, and replaced
        if existing is not None:
            other = str(existing["project"]["project_id"])
            if other != state.project_id:
                raise EvaluationFileError(
                    f"{path}: 该文件是项目「{other}」的评价，不能用项目「{state.project_id}」的评价覆盖；请换一个文件名"
                )
            revision = max(revision, int(existing.get("revision", 0)))
    record = to_record(state, revision=revision + 1)
    previous = None
    with atomic_path(path) as temp:
        with open(temp, "w", encoding="utf-8") as handle:
            _dump(record, handle)
            handle.flush()
            _fsync(handle)
        if path.exists():
            previous = _keep_previous(path)
    state.revision = revision + 1
    return SavedFile(path, previous, revision + 1)


def _fsync(handle) -> None:
    import os

    try:
        os.fsync(handle.fileno())
    except OSError:  # pragma: no cover - file systems without fsync
        pass


def _keep_previous(path: Path) -> Path:
    """Copy ``path`` to the next free ``history/<stem>.v<N><suffix>``, atomically."""
    history = path.parent / HISTORY_DIR
    pattern = re.compile(rf"^{re.escape(path.stem)}\.v(\d+){re.escape(path.suffix)}$")
    numbers = (
        [int(m.group(1)) for p in history.glob("*") if (m := pattern.match(p.name))]
        if history.exists()
        else []
    )
    target = history / f"{path.stem}.v{max(numbers, default=0) + 1}{path.suffix}"
    with atomic_path(target) as temp:
        shutil.copyfile(path, temp)
    return target


def history(path: str | Path) -> list[Path]:
    """Previous versions of an evaluation file, oldest first."""
    path = Path(path)
    pattern = re.compile(rf"^{re.escape(path.stem)}\.v(\d+){re.escape(path.suffix)}$")
    folder = path.parent / HISTORY_DIR
    if not folder.exists():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := pattern.match(p.name))]
    return [p for _, p in sorted(found)]


def read_record(path: str | Path) -> dict[str, Any]:
    """Read and check a ``pbm-third-party-evaluation/1`` file, without the year's data.

    Raises
    ------
    EvaluationFileError
        The file is missing, not YAML, not this format, or a required field is missing or of the
        wrong type; the message names the file and the field.
    """
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvaluationFileError(f"{where}: 评价文件不存在") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationFileError(f"{where}: 无法读取评价文件（{error}）") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" · 第{mark.line + 1}行" if mark is not None else ""
        problem = getattr(error, "problem", None) or error
        raise EvaluationFileError(f"{where}{line}: 文件已损坏，不是有效的 YAML（{problem}）") from None
    if not isinstance(data, dict):
        raise EvaluationFileError(f"{where}: 文件已损坏或不是第三方评价文件（应为 {FORMAT} 格式的键值映射）")
    if data.get("format") != FORMAT:
        raise EvaluationFileError(
            f"{where} · format: 「{data.get('format')}」不是第三方评价文件格式；应为 {FORMAT}"
        )

    def fail(key: str, message: str) -> None:
        raise EvaluationFileError(f"{where} · {key}: {message}")

    def mapping(key: str) -> dict:
        value = data.get(key)
        if not isinstance(value, dict):
            fail(key, "缺少或不是键值映射")
        return value

    project = mapping("project")
    if not isinstance(project.get("project_id"), str | int) or str(project["project_id"]).strip() == "":
        fail("project.project_id", "缺少项目编码")
    scheme = mapping("scheme")
    if not isinstance(scheme.get("id"), str):
        fail("scheme.id", "缺少方案编号")
    if isinstance(scheme.get("version"), bool) or not isinstance(scheme.get("version"), int):
        fail("scheme.version", "应为整数")
    budget = mapping("budget")
    _number(budget.get("weight"), "budget.weight", fail)
    items = data.get("indicators")
    if not isinstance(items, list):
        fail("indicators", "缺少或不是指标列表")
    seen = set()
    for i, item in enumerate(items):
        key = f"indicators[{i}]"
        if not isinstance(item, dict):
            fail(key, "应为键值映射")
        seq = item.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int):
            fail(f"{key}.seq", "缺少指标序号或不是整数")
        if seq in seen:
            fail(f"{key}.seq", f"指标序号 {seq} 重复")
        seen.add(seq)
        if item.get("weight") is not None:  # null: a weight unknown in the data
            _number(item.get("weight"), f"{key}.weight", fail)
        if item.get("score") is not None:
            _number(item.get("score"), f"{key}.score", fail, minimum=None)
        for name in ("level", "verified_actual", "note", "level3"):
            if item.get(name) is not None and not isinstance(item.get(name), str | int | float):
                fail(f"{key}.{name}", "应为文本")
    for name in ("evaluator", "data", "result"):
        if data.get(name) is not None and not isinstance(data.get(name), dict):
            fail(name, "应为键值映射")
    revision = data.get("revision", 0)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        fail("revision", "应为非负整数")
    return data


def _number(value: Any, key: str, fail, minimum: float | None = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(key, f"「{value}」不是数字")
    if minimum is not None and value < minimum:
        fail(key, f"{value} 不能为负数")
    return float(value)


def load(
    path: str | Path,
    year: Any = None,
    *,
    project_id: str | None = None,
) -> EvaluationState:
    """Load a saved evaluation back into an :class:`EvaluationState` (every entry restored).

    Parameters
    ----------
    path : str or Path
    year : YearData, optional
        The year's data; by default the file named in the record's ``data.file`` is read.
    project_id : str, optional
        The project expected (e.g. the one selected in the workbench): another project in the file
        is an error.

    Returns
    -------
    EvaluationState
        With ``revision`` of the file, and ``warnings`` listing what differs from when it was saved.

    Raises
    ------
    EvaluationFileError
        Unreadable or corrupted file (:func:`read_record`), another project than ``project_id``,
        a project or indicator rows that are not in the data, or a scheme that cannot be loaded.

    Warns
    -----
    EvaluationFileWarning
        The data file's hash differs from the one recorded, or the recomputed total or grade
        differs from the one recorded (also listed in ``state.warnings``).
    """
    record = read_record(path)
    where = str(path)
    recorded_project = str(record["project"]["project_id"])
    if project_id is not None and recorded_project != str(project_id):
        raise EvaluationFileError(
            f"{where}: 这是项目「{recorded_project}」的评价文件，而当前项目为「{project_id}」"
        )
    if year is None:
        data_file = (record.get("data") or {}).get("file")
        if not data_file or not Path(data_file).exists():
            raise EvaluationFileError(
                f"{where} · data.file: 找不到评价所用的数据文件「{data_file}」，请指定年度数据"
            )
        from .workbook.reader import read_year

        year = read_year(data_file)
    scheme = _record_scheme(record, where)
    try:
        state = EvaluationState(year, recorded_project, scheme)
    except WorkbenchError:
        raise EvaluationFileError(
            f"{where} · project.project_id: 数据中没有项目「{recorded_project}」"
        ) from None
    notes: list[str] = []
    recorded_sha = (record.get("data") or {}).get("sha256")
    if recorded_sha != year.sha256:
        notes.append(
            f"评价保存时所用数据（SHA-256 {str(recorded_sha)[:12]}…）与当前数据（{year.sha256[:12]}…）不同，请核对指标和完成值"
        )
    items = {int(item["seq"]): item for item in record["indicators"]}
    missing = sorted(set(state.entries) - set(items))
    extra = sorted(set(items) - set(state.entries))
    if missing or extra:
        parts = []
        if extra:
            parts.append(f"文件中的指标序号 {', '.join(map(str, extra))} 不在数据中")
        if missing:
            parts.append(f"数据中的指标序号 {', '.join(map(str, missing))} 不在文件中")
        raise EvaluationFileError(
            f"{where} · indicators: 与项目「{recorded_project}」的绩效指标不符：{'；'.join(parts)}"
        )
    names = dict(zip(state.rows["seq"].astype(int), state.rows["level3"], strict=True))
    for seq, item in items.items():
        recorded_name = item.get("level3")
        if recorded_name is not None and normalise_word(recorded_name) != normalise_word(names[seq]):
            raise EvaluationFileError(
                f"{where} · indicators: 序号 {seq} 在文件中是「{recorded_name}」，在数据中是「{names[seq]}」"
            )
    for seq, item in items.items():
        qualitative = state.is_qualitative(seq)
        if not qualitative and (item.get("level") is not None or item.get("score") is not None):
            raise EvaluationFileError(
                f"{where} · indicators: 序号 {seq} 是定量指标，文件中却有达成等级或得分"
            )
        if qualitative and item.get("verified_actual") is not None:
            raise EvaluationFileError(f"{where} · indicators: 序号 {seq} 是定性指标，文件中却有核实完成值")
        entry = state.entries[seq]
        entry.weight = _float(item.get("weight"), math.nan)
        entry.level = _text(item.get("level"))
        entry.score = None if item.get("score") is None else float(item["score"])
        entry.verified_actual = _text(item.get("verified_actual"))
        entry.note = "" if item.get("note") is None else str(item["note"])
    state.budget_weight = float(record["budget"]["weight"])
    evaluator = record.get("evaluator") or {}
    state.evaluator = _text(evaluator.get("name")) or ""
    state.organisation = _text(evaluator.get("organisation")) or ""
    state.opinion = _text(record.get("opinion")) or ""
    state.revision = int(record.get("revision", 0))
    state._changed()
    recorded = record.get("result") or {}
    result = state.result()
    if recorded.get("total") is not None and (
        result.total is None or abs(float(recorded["total"]) - result.total) > 1e-6
    ):
        notes.append(
            f"按当前数据和方案重算的总分 {_total_text(result)} 与文件记录的 {_num(recorded['total'])} 不同"
        )
    elif recorded.get("grade") is not None and recorded.get("grade") != result.grade:
        notes.append(f"重算的等级「{result.grade}」与文件记录的「{recorded.get('grade')}」不同")
    for note in notes:
        warnings.warn(f"{where}: {note}", EvaluationFileWarning, stacklevel=2)
    state.warnings = notes
    return state


def _record_scheme(record: Mapping[str, Any], where: str) -> Scheme:
    info = record["scheme"]
    ref = f"{info['id']}@{info['version']}"
    file = info.get("file")
    own_file = file is not None and Path(file).is_file() and Path(file).resolve().parent != PROFILES.resolve()
    try:
        scheme = load_scheme(Path(file)) if own_file else load_scheme(ref)
    except PbmError as error:
        raise EvaluationFileError(f"{where} · scheme: 无法载入评价所用方案「{ref}」（{error}）") from None
    if scheme.version != info["version"] or scheme.id != info["id"]:
        raise EvaluationFileError(
            f"{where} · scheme: 方案文件「{file}」现为 {scheme.ref}，而评价所用为 {ref}"
        )
    return scheme


# ---------------------------------------------------------------------------------------------
# For the annual batch
# ---------------------------------------------------------------------------------------------

THIRD_PARTY_COLUMNS = (
    "project_id",
    "evaluation_kind",
    "evaluator",
    "evaluator_name",
    "total",
    "grade",
    "grade_status",
    "total_lo",
    "total_hi",
    "complete",
    "scheme",
    "data_sha256",
    "saved_at",
    "revision",
    "file",
    "indicator_scores",
)


def evaluation_files(paths_or_dir: str | Path | Iterable[str | Path]) -> list[Path]:
    """The evaluation files named, or the ``*.yaml``/``*.yml`` files directly in a folder (sorted)."""
    if isinstance(paths_or_dir, str | Path):
        items: list[str | Path] = [paths_or_dir]
    else:
        items = list(paths_or_dir)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")))
        elif path.exists():
            files.append(path)
        else:
            raise EvaluationFileError(f"{path}: 评价文件或文件夹不存在")
    return files


def third_party_scores(
    paths_or_dir: str | Path | Iterable[str | Path], *, include_incomplete: bool = False, year: Any = None
) -> pd.DataFrame:
    """The third-party evaluations (第三方评价) saved by the workbench, one row per project.

    The columns extend those of the workbook's 评价结果 sheet
    (:data:`pbm_lib.workbook.schema.EVALUATIONS`), so the frame can be appended to
    ``year.evaluations`` and used wherever a 第三方评价 total is read (e.g.
    :func:`pbm_lib.scoring.compare_evaluations`). Totals and grades are those recorded at saving.

    Parameters
    ----------
    paths_or_dir : path, folder, or iterable of them
        Evaluation files, or folders whose ``*.yaml`` files are read (not ``history/``).
    include_incomplete : bool
        Also return evaluations that are not complete (:attr:`EvaluationState.complete`), with the
        recorded total (null while an interval). By default they are left out with an
        :class:`EvaluationFileWarning` naming the file.
    year : YearData, optional
        The year the batch runs on: an evaluation saved against data with another SHA-256, or of a
        project not in this year, gives an :class:`EvaluationFileWarning` (it is still returned).

    Returns
    -------
    DataFrame
        ``project_id``, ``evaluation_kind`` (第三方评价), ``evaluator`` (评价机构; the evaluator's name
        when no organisation was given), ``evaluator_name`` (评价人员), ``total``, ``grade``,
        ``grade_status``, ``total_lo``, ``total_hi``, ``complete``, ``scheme`` (``id@version``),
        ``data_sha256``, ``saved_at``, ``revision``, ``file``, and ``indicator_scores``
        ({指标序号: points}, the row's point score, None where it is an interval).

    Raises
    ------
    EvaluationFileError
        A file cannot be read (:func:`read_record`), or two files evaluate the same project.
    """
    rows = []
    seen: dict[str, Path] = {}
    for path in evaluation_files(paths_or_dir):
        record = read_record(path)
        project_id = str(record["project"]["project_id"])
        if project_id in seen:
            raise EvaluationFileError(
                f"{path}: 项目「{project_id}」已有第三方评价文件 {seen[project_id]}，每个项目只能有一份"
            )
        seen[project_id] = path
        result = record.get("result") or {}
        complete = bool(result.get("complete"))
        if not complete and not include_incomplete:
            warnings.warn(
                f"{path}: 项目「{project_id}」的第三方评价尚未完成，未采用",
                EvaluationFileWarning,
                stacklevel=2,
            )
            continue
        if year is not None:
            recorded_sha = (record.get("data") or {}).get("sha256")
            if recorded_sha != year.sha256:
                warnings.warn(
                    f"{path}: 项目「{project_id}」的第三方评价保存时所用数据与本次数据（SHA-256）不同，请核对",
                    EvaluationFileWarning,
                    stacklevel=2,
                )
            if not (year.projects["project_id"] == project_id).any():
                warnings.warn(
                    f"{path}: 本年度数据中没有项目「{project_id}」", EvaluationFileWarning, stacklevel=2
                )
        evaluator = record.get("evaluator") or {}
        name = _text(evaluator.get("name")) or ""
        organisation = _text(evaluator.get("organisation")) or ""
        scores = {}
        for item in record["indicators"]:
            lo, hi = item.get("points_lo"), item.get("points_hi")
            same = lo is not None and hi is not None and abs(float(lo) - float(hi)) < 1e-9
            scores[int(item["seq"])] = float(lo) if same else None
        rows.append(
            {
                "project_id": project_id,
                "evaluation_kind": EVALUATION_KIND,
                "evaluator": organisation or name or None,
                "evaluator_name": name or None,
                "total": _float(result.get("total"), np.nan),
                "grade": result.get("grade"),
                "grade_status": result.get("grade_status"),
                "total_lo": _float(result.get("total_lo"), np.nan),
                "total_hi": _float(result.get("total_hi"), np.nan),
                "complete": complete,
                "scheme": f"{record['scheme']['id']}@{record['scheme']['version']}",
                "data_sha256": (record.get("data") or {}).get("sha256"),
                "saved_at": record.get("saved_at"),
                "revision": int(record.get("revision", 0)),
                "file": str(path),
                "indicator_scores": scores,
            }
        )
    frame = pd.DataFrame(rows, columns=list(THIRD_PARTY_COLUMNS))
    for column in ("total", "total_lo", "total_hi"):
        frame[column] = frame[column].astype(float)
    return frame


def third_party_indicator_scores(paths_or_dir: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Every indicator row of the saved evaluations (complete or not), one row per project and 序号.

    Returns
    -------
    DataFrame
        ``project_id``, ``seq``, ``level1``, ``level3``, ``kind``, ``weight``, ``level``, ``score``,
        ``verified_actual``, ``state``, ``points_lo``, ``points_hi``, ``note``, ``file``.
    """
    rows = []
    for path in evaluation_files(paths_or_dir):
        record = read_record(path)
        for item in record["indicators"]:
            rows.append(
                {
                    "project_id": str(record["project"]["project_id"]),
                    "seq": int(item["seq"]),
                    "level1": item.get("level1"),
                    "level3": item.get("level3"),
                    "kind": item.get("kind"),
                    "weight": _float(item.get("weight"), np.nan),
                    "level": item.get("level"),
                    "score": _float(item.get("score"), np.nan),
                    "verified_actual": item.get("verified_actual"),
                    "state": item.get("state"),
                    "points_lo": _float(item.get("points_lo"), np.nan),
                    "points_hi": _float(item.get("points_hi"), np.nan),
                    "note": item.get("note") or "",
                    "file": str(path),
                }
            )
    columns = [
        "project_id",
        "seq",
        "level1",
        "level3",
        "kind",
        "weight",
        "level",
        "score",
        "verified_actual",
        "state",
        "points_lo",
        "points_hi",
        "note",
        "file",
    ]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise WorkbenchError(f"{what}「{value}」不是数字") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise WorkbenchError(f"{what}「{value}」不是有效数字")
    return number


def _float(value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(number) else number


def _optional(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _plain(value: Any, digits: int | None = None) -> Any:
    """Plain YAML-safe values: numpy scalars → Python, NaN → None, containers recursively.

    ``digits`` rounds computed floats for the reader (2.8000000000000003 → 2.8); values the
    evaluator entered are written unrounded so that they load back exactly.
    """
    if isinstance(value, Mapping):
        return {str(k): _plain(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float) and digits is not None:
        return round(value, digits)
    return value


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value)
    return text if text.strip() else None


def _num(value: Any) -> str:
    """A number as people write it: up to 2 decimals, no trailing zeros."""
    number = float(value)
    return f"{number:.2f}".rstrip("0").rstrip(".") if math.isfinite(number) else "—"


def _total_text(result: Result) -> str:
    if result.total is not None:
        return _num(result.total)
    return f"{_num(result.total_lo)}–{_num(result.total_hi)}"


__all__ = [
    "EVALUATION_KIND",
    "FORMAT",
    "Band",
    "Entry",
    "EvaluationFileError",
    "EvaluationFileWarning",
    "EvaluationState",
    "Result",
    "SavedFile",
    "WorkbenchError",
    "default_path",
    "evaluation_files",
    "history",
    "load",
    "read_record",
    "save",
    "third_party_indicator_scores",
    "third_party_scores",
    "to_record",
]
