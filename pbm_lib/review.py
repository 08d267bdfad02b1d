"""Review of a self-evaluation table (自评复核): rule score beside printed score, and every defect.

The seed plan asks the finance bureau to check each unit's self-evaluation for truthfulness and
completeness (真实性, 完整性). This module reads one 项目支出绩效自评表, either in the canonical YAML
format ``pbm-self-evaluation/1`` (``shared/cases/README.md``) or as an Excel sheet in the printed
layout (:func:`write_table_xlsx` writes one, :func:`read_table_xlsx` reads it), scores it with
:mod:`pbm_lib.scoring` (one source of truth per rule) and reports the defects of rules.md §5 with
their flag codes (:data:`FLAG_CODES`), each naming its row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import PbmError
from .indicators import normalise_word
from .schemes import Scheme, select_scheme
from .scoring import grade_points, round_half_up, score_budget, score_indicators, score_totals, split_level1
from .workbook.values import parse_numbers

FORMAT = "pbm-self-evaluation/1"

#: Flag codes of ``shared/cases/README.md`` and their meaning (rules.md §5).
FLAG_CODES: dict[str, str] = {
    "weights-sum": "分值合计不为100，或一级指标分值与方案不符",
    "total-mismatch": "总分与各项得分之和不符",
    "score-over-weight": "得分超过分值",
    "qualitative-band": "定性指标得分不在其达成等级的分值区间内",
    "actual-copies-target": "实际完成值照抄指标值（带比较符号或原样重复），未体现实际完成情况",
    "missing-value-scored": "缺少指标值或实际完成值却给了分",
    "parent-child-double": "上级指标与其下级指标同时赋分，重复计分",
    "docked-without-note": "指标已完成却扣分，且未说明原因",
    "score-below-rule": "得分低于按规则计算的得分",
    "score-above-rule": "得分高于按规则计算的得分",
    "rate-mismatch": "执行率与执行数÷预算数不符",
    "budget-score-mismatch": "预算执行率得分与 分值×执行率 不符",
    "output-spend-mismatch": "产出指标全部完成而资金执行不足一半",
    "zero-total": "年度资金总额行为零或空白",
    "over-achievement": "实际完成值远超目标（≥130%）且未说明原因（目标设定偏低）",
    "blank-table": "自评表未填写任何完成值或得分",
    "grade-mismatch": "评价等级与总分不符",
}
ERROR, WARNING = "error", "warning"

_TOTAL_ROW = re.compile(r"(资金总额|总额|合计|总计)")
_SECTION = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_NUMBERED = re.compile(r"^(\d+[、.．)）]|[(（]\d+[)）])")
_TEMPLATE = re.compile(r"^(指标\d*[:：]?|[…．.]{2,}|…)$")
_TEMPLATE_PROMPT = re.compile(r"(对照年度目标|说明相关任务|结合自评情况|\d+字以内)")
_BUDGET_AS_INDICATOR = re.compile(r"(预算(资金)?执行率|资金执行率|预算完成率|支出进度)")
_GRADE_WORDS = {"优秀": "优", "良好": "良", "中等": "中", "一般": "中", "较差": "差"}
_YEAR = re.compile(r"(\d{4})\s*年度?")


class ReviewInputError(PbmError):
    """A self-evaluation table cannot be read; the message names the file and the field or cell."""


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

BUDGET_FIELDS = ("row", "initial", "annual", "executed", "weight", "rate_reported", "score_reported")
INDICATOR_FIELDS = ("level1", "level2", "level3", "direction", "unit", "target", "actual", "weight",
                    "score_reported", "deviation_note", "parent")
META_FIELDS = ("title", "jurisdiction", "department", "unit", "year", "money_unit")


@dataclass
class SelfEvaluationTable:
    """One self-evaluation table: metadata, the budget block, the indicator block, printed total.

    ``budget`` has the columns of :data:`BUDGET_FIELDS`; ``indicators`` those of
    :data:`INDICATOR_FIELDS`, in printed order. Values are kept as printed (numbers as numbers).
    """

    meta: dict[str, Any]
    budget: pd.DataFrame
    indicators: pd.DataFrame
    total_reported: float | None = None
    grade_reported: str | None = None
    goals: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    path: str = "<table>"
    #: Numeric cells printed as unreadable text (OCR garble), by (section, 0-based row, field): raw text.
    unreadable: dict[tuple[str, int, str], str] = field(default_factory=dict)

    def cell(self, section: str, index: int, name: str) -> Any:
        """A cell as printed: the raw text of an unreadable number, else the parsed value (None if empty)."""
        if (section, index, name) in self.unreadable:
            return self.unreadable[(section, index, name)]
        frame = self.budget if section == "budget" else self.indicators
        return _plain(frame[name].iloc[index])

    def to_mapping(self) -> dict[str, Any]:
        """The table in the canonical ``pbm-self-evaluation/1`` structure."""
        def records(section: str, frame: pd.DataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
            return [{f: self.cell(section, i, f) for f in fields} for i in range(len(frame))]

        return {
            "format": FORMAT,
            **{k: self.meta.get(k) for k in META_FIELDS},
            "source": {"url": self.source.get("url"), "note": self.source.get("note")},
            "budget": records("budget", self.budget, BUDGET_FIELDS),
            "goals": {"expected": self.goals.get("expected"), "achieved": self.goals.get("achieved")},
            "indicators": records("indicators", self.indicators, INDICATOR_FIELDS),
            "total_reported": self.unreadable.get(("table", 0, "total_reported"), self.total_reported),
            "grade_reported": self.grade_reported,
        }


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def load_table(path: str | Path) -> SelfEvaluationTable:
    """Read a self-evaluation table from ``.yaml``/``.yml`` (canonical format) or ``.xlsx`` (printed layout).

    Raises
    ------
    ReviewInputError
        Missing file, bad YAML, wrong format, or a field of the wrong type; the message says where.
    """
    path = Path(path)
    if not path.exists():
        raise ReviewInputError(f"{path}: 文件不存在 / file not found")
    if path.is_dir():
        raise ReviewInputError(f"{path}: 是文件夹，应为 .yaml 或 .xlsx 文件 / is a folder")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_table_xlsx(path)
    if suffix not in (".yaml", ".yml"):
        raise ReviewInputError(f"{path}: 不支持的文件类型「{suffix or '无扩展名'}」；应为 .yaml、.yml 或 .xlsx")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ReviewInputError(f"{path}: 不是 UTF-8 文本 / not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" · 第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ReviewInputError(f"{path}{where}: YAML 格式错误 / bad YAML: {problem}") from None
    return table_from_mapping(data, str(path))


def table_from_mapping(data: Any, source: str = "<table>") -> SelfEvaluationTable:
    """Validate a ``pbm-self-evaluation/1`` mapping and turn it into a :class:`SelfEvaluationTable`."""
    def fail(where: str, message: str) -> None:
        raise ReviewInputError(f"{source} · {where}: {message}")

    if not isinstance(data, dict):
        fail("(文件)", "应为键值映射（YAML mapping）")
    if data.get("format") != FORMAT:
        fail("format", f"「{data.get('format')}」不是支持的格式；应为 {FORMAT}")
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        fail("year", f"「{year}」应为整数年份")
    for key in ("budget", "indicators"):
        items = data.get(key)
        if items is None:
            data = {**data, key: []}
        elif not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            fail(key, "应为列表，每项为键值映射")
    if not data["indicators"]:
        fail("indicators", "没有绩效指标行 / no indicator rows")

    unreadable: dict[tuple[str, int, str], str] = {}
    budget = _frame(data["budget"], BUDGET_FIELDS, ("initial", "annual", "executed", "weight", "score_reported"),
                    "budget", fail, unreadable)
    indicators = _frame(data["indicators"], INDICATOR_FIELDS, ("weight", "score_reported"), "indicators", fail,
                        unreadable)
    if isinstance(data.get("total_reported"), (list, dict, bool)):
        fail("total_reported", f"「{data.get('total_reported')}」应为数字或空值")
    total, bad = parse_numbers(pd.Series([data.get("total_reported")], dtype=object))
    if bad.iloc[0]:
        unreadable[("table", 0, "total_reported")] = str(data.get("total_reported"))
    return SelfEvaluationTable(
        meta={k: data.get(k) for k in META_FIELDS},
        budget=budget,
        indicators=indicators,
        total_reported=None if np.isnan(total.iloc[0]) else float(total.iloc[0]),
        grade_reported=normalise_word(data.get("grade_reported")),
        goals=dict(data.get("goals") or {}),
        source=dict(data.get("source") or {}),
        path=source,
        unreadable=unreadable,
    )


def _frame(items: list[dict], fields: tuple[str, ...], numeric: tuple[str, ...], name: str, fail,
           unreadable: dict[tuple[str, int, str], str]) -> pd.DataFrame:
    """One block as a DataFrame; numeric fields parsed with :func:`~pbm_lib.workbook.values.parse_numbers`.

    Text in a numeric field that is not a number (OCR garble such as "IO" for 10, rules.md §5) is
    kept raw in ``unreadable`` and read as empty: no value is guessed. Any other type is an error.
    """
    for i, item in enumerate(items):
        unknown = sorted(set(item) - set(fields))
        if unknown:
            fail(f"{name}[{i}].{unknown[0]}", f"不认识的字段；应为 {', '.join(fields)}")
        for f, value in item.items():
            if isinstance(value, (list, dict, bool)):
                fail(f"{name}[{i}].{f}", f"「{value}」应为数字、文本或空值（null）")
    frame = pd.DataFrame({f: pd.Series([item.get(f) for item in items], dtype=object) for f in fields})
    for column in numeric:
        values, bad = parse_numbers(frame[column])
        for i in np.flatnonzero(bad.to_numpy()):
            unreadable[(name, int(i), column)] = str(frame[column].iloc[i])
        frame[column] = values.to_numpy(dtype=float)
    return frame


# ---------------------------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """One finding: a flag code, the row it concerns and what is wrong."""

    code: str
    row: str
    message: str
    severity: str = ERROR
    section: str = "table"  # "budget", "indicators" or "table"
    index: int | None = None  # 1-based row number within the section

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "row": self.row, "message": self.message, "severity": self.severity,
                "section": self.section, "index": self.index}


@dataclass
class Review:
    """The result of :func:`review_table`."""

    table: SelfEvaluationTable
    scheme: Scheme
    scheme_reason: str
    indicators: pd.DataFrame  # scored rows (scoring.score_indicators), printed order
    budget: pd.DataFrame  # budget rows with computed rates
    budget_score: float | None
    budget_rate: float | None
    budget_weight: float | None
    total_lo: float | None
    total_hi: float | None
    rule_total: float | None
    rule_grade: str | None
    grade_status: str
    evidence_share: float | None
    flags: list[Flag]
    notes: list[str]

    @property
    def flag_codes(self) -> set[str]:
        return {f.code for f in self.flags}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result (the ``pbm score --json`` output)."""
        def num(x: Any, digits: int = 4) -> float | None:
            if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
                return None
            return round(float(x), digits)

        rows = []
        for i, r in enumerate(self.indicators.itertuples(index=False), start=1):
            rows.append({
                "index": i,
                "level1": r.level1, "level2": r.level2, "level3": r.level3,
                "target": _plain(r.target), "actual": _plain(r.actual),
                "weight": num(r.weight), "score_reported": num(r.self_score),
                "rule_score": num(r.rule_score),
                "band": None if pd.isna(r.band_lo) else [num(r.band_lo), num(r.band_hi)],
                "state": r.state, "reason": None if pd.isna(r.reason) else r.reason,
                "direction": None if pd.isna(r.direction_rule) else r.direction_rule,
                "level": None if pd.isna(r.level) else r.level,
                "met": None if pd.isna(r.met) else bool(r.met),
                "counted": bool(r.counted),
            })
        return {
            "format": FORMAT,
            "file": self.table.path,
            "title": self.table.meta.get("title"),
            "jurisdiction": self.table.meta.get("jurisdiction"),
            "year": self.table.meta.get("year"),
            "scheme": {"id": self.scheme.id, "version": self.scheme.version, "title": self.scheme.title,
                       "reason": self.scheme_reason},
            "rule_total": num(self.rule_total, 2),
            "rule_total_interval": None if self.total_lo is None else [num(self.total_lo, 2), num(self.total_hi, 2)],
            "rule_grade": self.rule_grade,
            "grade_status": self.grade_status,
            "reported_total": num(self.table.total_reported),
            "reported_grade": self.table.grade_reported,
            "budget_score": num(self.budget_score, 2),
            "budget_rate": num(self.budget_rate, 6),
            "budget_weight": num(self.budget_weight),
            "evidence_share": num(self.evidence_share, 4),
            "indicators": rows,
            "flags": [f.to_dict() for f in self.flags],
            "notes": list(self.notes),
        }


def choose_scheme(table: SelfEvaluationTable) -> tuple[Scheme, str]:
    """The shipped scheme for a table (:func:`pbm_lib.schemes.select_scheme`) and why it was chosen."""
    total_row = _total_row_index(table.budget)
    weight = None if total_row is None else table.budget["weight"].iloc[total_row]
    weight = None if weight is None or np.isnan(weight) else float(weight)
    level1 = [normalise_word(v) for v in table.indicators["level1"].tolist()]
    scheme = select_scheme(table.meta.get("jurisdiction"), table.meta.get("title"), weight, level1)
    if scheme.applies_to:
        reason = f"按行政区划/表名自动选择（applies_to: {dict(scheme.applies_to)}）"
    else:
        reason = "默认方案（无匹配的地方方案）"
    return scheme, reason


def _total_row_index(budget: pd.DataFrame) -> int | None:
    """The 年度资金总额 row: the first weighted row, else the first named 总额/合计, else the first row."""
    if not len(budget):
        return None
    weighted = np.flatnonzero(budget["weight"].notna().to_numpy())
    if len(weighted):
        return int(weighted[0])
    names = budget["row"].map(lambda v: bool(_TOTAL_ROW.search(normalise_word(v) or "")))
    named = np.flatnonzero(names.to_numpy(dtype=bool))
    return int(named[0]) if len(named) else 0


def _indicator_frame(table: SelfEvaluationTable) -> pd.DataFrame:
    """The indicator block in the column names of :mod:`pbm_lib.scoring`, with inferred parents."""
    src = table.indicators
    frame = pd.DataFrame({
        "project_id": "table",
        "level1": src["level1"], "level2": src["level2"], "level3": src["level3"],
        "direction": src["direction"], "measure_unit": src["unit"],
        "target": src["target"], "actual": src["actual"],
        "weight": src["weight"].astype(float), "self_score": src["score_reported"].astype(float),
        "deviation_note": src["deviation_note"],
        "parent": infer_parents(src["level3"], src["parent"], src["level1"]),
    })
    return frame


def infer_parents(level3: pd.Series, parent: pd.Series, level1: pd.Series) -> pd.Series:
    """Parents as given, or inferred from numbering: rows "1、…" following a row "一、…" (rules.md §5).

    Numbered rows belong to the last 一、/二、 section row above them in the same level-1 block; a
    given ``parent`` is never overwritten.
    """
    result = parent.astype(object).where(parent.notna(), None).tolist()
    section, block = None, None
    for i, (name, l1) in enumerate(zip(level3.tolist(), level1.tolist(), strict=True)):
        text = normalise_word(name) or ""
        if l1 != block:
            section, block = None, l1
        if _SECTION.match(text):
            section = name
        elif _NUMBERED.match(text) and section is not None and result[i] is None:
            result[i] = section
    return pd.Series(result, index=level3.index, dtype=object)


def _label(section: str, index: int, name: Any) -> str:
    what = "预算执行" if section == "budget" else "绩效指标"
    shown = normalise_word(name)
    return f"{what}第{index}行" + (f"「{shown}」" if shown else "")


def _review_budget(table: SelfEvaluationTable, scheme: Scheme, flag, notes: list[str]):
    """The budget block: zero-total, rate-mismatch, budget-score-mismatch, score-over-weight (rules.md §3.7, §5).

    Returns the budget rows (with ``rate_rule``), the index of the 年度资金总额 row, and the rule
    budget score, rate and weight (None where they cannot be computed). When the total row is zero
    or blank while sub-rows carry money, the rate is recomputed from the sub-rows for the rule score
    only, with a note.
    """
    tol = scheme.review
    budget = table.budget.copy()
    total_i = _total_row_index(budget)
    budget_score = budget_rate = budget_weight = None
    if total_i is not None:
        rows = score_budget(budget, scheme)
        budget["rate_rule"] = rows["rate"].to_numpy()
        total = budget.iloc[total_i]
        budget_weight = total["weight"] if not np.isnan(total["weight"]) else scheme.budget.weight
        denominator = total[scheme.budget.denominator]
        subs = budget.drop(index=budget.index[total_i])
        sub_money = bool((subs[["initial", "annual", "executed"]].fillna(0) > 0).to_numpy().any())
        row_blank = all(pd.isna(total[c]) for c in ("initial", "annual", "executed", "rate_reported",
                                                       "score_reported"))
        zero = not pd.isna(denominator) and denominator == 0
        if (not np.isnan(total["weight"]) and (zero or row_blank)) or ((zero or pd.isna(denominator)) and sub_money):
            flag("zero-total", "budget", total_i + 1, total["row"],
                 f"年度资金总额行{'为零' if zero else '空白'}（{_money(denominator)}）"
                 + ("，而其下分项有资金" if sub_money else "，却设有分值") + "；无法据此计算执行率")
        if not np.isnan(rows["rate"].iloc[total_i]):
            budget_rate = float(rows["rate"].iloc[total_i])
            budget_score = float(rows["budget_score"].iloc[total_i])
        elif sub_money:
            sums = subs[[scheme.budget.denominator, "executed"]].sum(min_count=1)
            recomputed = score_budget(pd.DataFrame({scheme.budget.denominator: [sums.iloc[0]],
                                                    "executed": [sums.iloc[1]], "weight": [budget_weight]}), scheme)
            if not np.isnan(recomputed["rate"].iloc[0]):
                budget_rate = float(recomputed["rate"].iloc[0])
                budget_score = float(recomputed["budget_score"].iloc[0])
                notes.append(f"预算执行率按分项合计重新计算：{_money(sums.iloc[1])} ÷ {_money(sums.iloc[0])} = "
                             f"{budget_rate:.2%}（仅用于规则得分）")
        if budget_score is not None and budget_weight is None:
            budget_score = None
        _check_budget_rows(budget, scheme, flag)
        printed = total["score_reported"]
        if budget_score is not None and not np.isnan(printed) and abs(printed - budget_score) > tol.score_tolerance:
            flag("budget-score-mismatch", "budget", total_i + 1, total["row"],
                 f"预算执行率得分印为 {printed:g}，按 分值×执行率 = {budget_weight:g}×{budget_rate:.2%} = "
                 f"{_points(budget_score)}")
        if budget_rate is not None and budget_rate > 1:
            notes.append(f"执行数超过预算数（执行率 {budget_rate:.2%}）；规则得分按上限 {scheme.budget.cap} 计")
        if (budget_rate is not None and scheme.budget.explain_below is not None
                and budget_rate < scheme.budget.explain_below):
            notes.append(f"执行率 {budget_rate:.2%} 低于 {scheme.budget.explain_below:.0%}，该表式要求说明原因")
    elif scheme.budget.weight is not None:
        notes.append("没有预算执行行；预算执行率得分作为证据缺口计入区间")

    return budget, total_i, budget_score, budget_rate, budget_weight


def review_table(table: SelfEvaluationTable, scheme: Scheme | None = None) -> Review:
    """Score a self-evaluation table by the rules and report every defect (rules.md §3, §4.6, §5).

    Parameters
    ----------
    table : SelfEvaluationTable
    scheme : Scheme, optional
        The rules; by default the shipped scheme matching the table (:func:`choose_scheme`).

    Returns
    -------
    Review
        Scored indicator rows, the budget score, the rule total as an interval and its grade, the
        flags (codes of :data:`FLAG_CODES`, each naming its row) and notes for defects without a code.
    """
    if scheme is None:
        scheme, reason = choose_scheme(table)
    else:
        reason = "由调用者指定 / given"
    tol = scheme.review
    flags: list[Flag] = []
    notes: list[str] = list(scheme.warnings)

    def flag(code: str, section: str, index: int | None, name: Any, message: str, severity: str = ERROR) -> None:
        row = _label(section, index, name) if index is not None else "全表"
        flags.append(Flag(code, row, message, severity, section, index))

    # ---- budget block (rules.md §3.7) ----
    budget, total_i, budget_score, budget_rate, budget_weight = _review_budget(table, scheme, flag, notes)

    # ---- indicator block (rules.md §3.3–§3.6) ----
    frame = _indicator_frame(table)
    scored = score_indicators(frame, scheme)
    level1 = split_level1(frame["level1"], scheme)
    _check_weights(scored, level1, scheme, budget_weight, table, flag, notes)
    envelope = _weight_envelope(scored, level1)
    _check_indicator_rows(scored, level1, scheme, flag, notes)

    budget_frame = pd.DataFrame({"project_id": ["table"], "budget_weight": [budget_weight if budget_weight is not None
                                                                           else np.nan],
                                 "budget_score": [np.nan if budget_score is None else budget_score],
                                 "rate": [np.nan if budget_rate is None else budget_rate]})
    totals = score_totals(scored, budget_frame, scheme,
                          None if envelope is None else pd.DataFrame({"project_id": ["table"], "weight": [envelope]}))
    t = totals.iloc[0]

    if bool(t["blank"]):
        flag("blank-table", "table", None, None, "所有指标行均未填写实际完成值和得分；不予评级")

    # output-spend (rules.md §5)
    if budget_rate is not None and budget_rate < tol.output_spend_ratio:
        output = level1["category"].fillna("").str.contains("产出").to_numpy() & scored["counted"].to_numpy()
        met = scored["met"]
        known = output & met.notna().to_numpy()
        if known.any() and bool(met[known].all()):
            flag("output-spend-mismatch", "table", None, None,
                 f"产出指标 {int(known.sum())} 项全部完成，而资金执行率仅 {budget_rate:.2%}（低于 "
                 f"{tol.output_spend_ratio:.0%}）")

    # printed total and grade
    if table.total_reported is not None:
        counted = scored["counted"].to_numpy()
        cell_sum = float(np.nansum(scored["self_score"].to_numpy()[counted]))
        printed_budget = 0.0
        if total_i is not None and not np.isnan(budget["score_reported"].iloc[total_i]):
            printed_budget = float(budget["score_reported"].iloc[total_i])
        if abs(table.total_reported - cell_sum - printed_budget) > tol.score_tolerance:
            flag("total-mismatch", "table", None, None,
                 f"总分印为 {table.total_reported:g}，而各指标得分之和 {cell_sum:g} + 预算执行率得分 "
                 f"{printed_budget:g} = {cell_sum + printed_budget:g}")
        if table.grade_reported:
            printed_grade = _GRADE_WORDS.get(table.grade_reported, table.grade_reported)
            expected = grade_points([table.total_reported], scheme)[0]
            if expected is not None and printed_grade != expected:
                flag("grade-mismatch", "table", None, None,
                     f"评价等级印为「{table.grade_reported}」，总分 {table.total_reported:g} 应为「{expected}」")

    _template_notes(table, notes)
    labels = {"weight": "分值", "score_reported": "得分", "initial": "年初预算数", "annual": "全年预算数",
              "executed": "全年执行数", "total_reported": "总分"}
    for (section, i, name), raw in table.unreadable.items():
        where = "总分" if section == "table" else _label(section, i + 1, table.cell(section, i, "row" if section ==
                                                                                   "budget" else "level3"))
        notes.append(f"{where}：{labels.get(name, name)}印为「{raw}」，无法读取为数字（保留原文，不猜测数值），按空白处理")
    lo, hi = t["total_lo"], t["total_hi"]
    return Review(
        table=table, scheme=scheme, scheme_reason=reason, indicators=scored, budget=budget,
        budget_score=budget_score, budget_rate=budget_rate,
        budget_weight=None if budget_weight is None else float(budget_weight),
        total_lo=None if np.isnan(lo) else float(lo), total_hi=None if np.isnan(hi) else float(hi),
        rule_total=None if np.isnan(t["rule_total"]) else float(round_half_up([t["rule_total"]])[0]),
        rule_grade=t["grade"], grade_status=str(t["grade_status"]),
        evidence_share=None if np.isnan(t["evidence_share"]) else float(t["evidence_share"]),
        flags=flags, notes=notes,
    )


def _points(value: float) -> str:
    """A score for a message: rounded half-up to 2 decimals (rules.md §3.3), like the totals."""
    return f"{round_half_up([value])[0]:.2f}"


def _money(value: Any) -> str:
    return "空白" if value is None or pd.isna(value) else f"{value:g}"


def _printed_rate(value: Any, computed: float) -> float | None:
    """A printed execution rate in percentage points, compared as printed.

    ``"86.19%"`` → 86.19. A bare number above 1.5 is read as percentage points; a bare number up to
    1.5 may be a share (0.8619) or points (1.2), and the reading nearer the computed rate is taken.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = normalise_word(value)
    number, bad = parse_numbers(pd.Series([text], dtype=object))
    if bad.iloc[0] or np.isnan(number.iloc[0]):
        return None
    v = float(number.iloc[0])
    if text.endswith("%") or v > 1.5:
        return v
    return min((v, 100 * v), key=lambda c: abs(c - computed))


def _check_budget_rows(budget: pd.DataFrame, scheme: Scheme, flag) -> None:
    """rate-mismatch and score-over-weight on each budget row."""
    tol = scheme.review
    for i, row in enumerate(budget.itertuples(index=False), start=1):
        rate = row.rate_rule
        if not np.isnan(rate):
            printed = _printed_rate(row.rate_reported, 100 * rate)
            if printed is not None and abs(printed - 100 * rate) > tol.rate_tolerance + 1e-9:
                flag("rate-mismatch", "budget", i, row.row,
                     f"执行率印为 {row.rate_reported}，执行数÷预算数 = {_money(row.executed)} ÷ "
                     f"{_money(getattr(row, scheme.budget.denominator))} = {100 * rate:.2f}%（相差 "
                     f"{abs(printed - 100 * rate):.2f} 个百分点）")
        if not np.isnan(row.score_reported) and not np.isnan(row.weight) and row.score_reported > row.weight + 1e-9:
            flag("score-over-weight", "budget", i, row.row, f"得分 {row.score_reported:g} 超过分值 {row.weight:g}")


def _blocks(scored: pd.DataFrame, level1: pd.DataFrame) -> pd.DataFrame:
    """Per level-1 block: known weight sum, rows with unknown weight, printed header weight."""
    active = scored["counted"].to_numpy() & (scored["reason"].astype(object) != "empty_row").to_numpy()
    frame = pd.DataFrame({
        "category": level1["category"].fillna("").to_numpy(),
        "weight": scored["weight"].to_numpy(dtype=float),
        "header": level1["header_weight"].to_numpy(),
        "active": active,
        "first": np.arange(len(scored)),
    })
    frame = frame[frame["active"] | ~np.isnan(frame["header"])]
    grouped = frame.groupby("category", sort=False)
    blocks = pd.DataFrame({
        "known": grouped["weight"].sum(),
        "unknown": grouped.apply(lambda g: int((g["active"] & g["weight"].isna()).sum()), include_groups=False),
        "header": grouped["header"].max(),
        "first": grouped["first"].min(),
    })
    return blocks


def _weight_envelope(scored: pd.DataFrame, level1: pd.DataFrame) -> float | None:
    """Total weight bounding the rows of unknown weight, from printed level-1 headers (None if unbounded)."""
    blocks = _blocks(scored, level1)
    open_blocks = blocks[blocks["unknown"] > 0]
    if open_blocks.empty or open_blocks["header"].isna().any():
        return None
    return float((open_blocks["header"] - open_blocks["known"]).clip(lower=0).sum())


def _check_weights(scored, level1, scheme: Scheme, budget_weight, table, flag, notes) -> None:
    """weights-sum (rules.md §5): the total of 100, header sums, and level-1 sums against the scheme."""
    blocks = _blocks(scored, level1)
    names = table.indicators["level1"]
    total = 0.0 if budget_weight is None else float(budget_weight)
    complete = budget_weight is not None or scheme.budget.weight is None
    parts = [f"预算执行率 {_money(budget_weight)}"]
    for category, b in blocks.iterrows():
        first = int(b["first"])
        if b["unknown"] == 0:
            weight = b["known"]
            if not np.isnan(b["header"]) and abs(weight - b["header"]) > max(scheme.child_tolerance, 1e-6):
                flag("weights-sum", "indicators", first + 1, names.iloc[first],
                     f"「{category}」表头分值 {b['header']:g}，其下指标分值合计 {weight:g}")
        elif not np.isnan(b["header"]):
            weight = b["header"]
        else:
            complete = False
            continue
        total += weight
        parts.append(f"{category or '（未列一级指标）'} {weight:g}")
        expected = scheme.level1_weight(category)
        if expected is not None and abs(weight - expected) > max(scheme.child_tolerance, 1e-6):
            flag("weights-sum", "indicators", first + 1, names.iloc[first],
                 f"「{category}」分值合计 {weight:g}，方案「{scheme.title}」规定 {expected:g}")
    if not complete:
        notes.append("部分指标行缺少分值，且无一级指标表头分值可依，未核对分值合计")
        return
    if abs(total - scheme.total) > 1e-6:
        flag("weights-sum", "table", None, None, f"分值合计 {total:g}，应为 {scheme.total:g}（{' + '.join(parts)}）")
    if (scheme.budget.weight is not None and budget_weight is not None
            and abs(budget_weight - scheme.budget.weight) > 1e-6):
        flag("weights-sum", "table", None, None,
             f"预算执行率分值 {budget_weight:g}，方案「{scheme.title}」规定 {scheme.budget.weight:g}")
    if scheme.kind == "evaluation" and scheme.min_output_outcome is not None:
        oo = sum(float(b["known"]) for c, b in blocks.iterrows() if c in ("产出", "效益"))
        if oo < scheme.min_output_outcome:
            notes.append(f"产出+效益分值 {oo:g} 低于 {scheme.min_output_outcome:g}（10号文：原则上不低于60%）")


def _check_indicator_rows(scored: pd.DataFrame, level1: pd.DataFrame, scheme: Scheme, flag, notes) -> None:
    """Row checks of rules.md §5, vectorised masks then one finding per row."""
    tol = scheme.review
    w = scored["weight"].to_numpy(dtype=float)
    s = scored["self_score"].to_numpy(dtype=float)
    rule = scored["rule_score"].to_numpy(dtype=float)
    state = scored["state"].astype(object).to_numpy()
    reason = scored["reason"].astype(object).to_numpy()
    kind = scored["kind"].astype(object).to_numpy()
    met = scored["met"].fillna(False).to_numpy(dtype=bool)
    note = scored["has_note"].to_numpy()
    names = scored["level3"].to_numpy(dtype=object)
    targets, actuals = scored["target"].to_numpy(dtype=object), scored["actual"].to_numpy(dtype=object)
    scored_row = ~np.isnan(s)

    def each(mask, code: str, message, severity: str = ERROR) -> None:
        for i in np.flatnonzero(mask):
            flag(code, "indicators", int(i) + 1, names[i], message(int(i)), severity)

    each(scored_row & ~np.isnan(w) & (s > w + 1e-9), "score-over-weight", lambda i: f"得分 {s[i]:g} 超过分值 {w[i]:g}")
    band_bad = scored["band_ok"].eq(False).fillna(False).to_numpy(dtype=bool)
    each(band_bad, "qualitative-band", lambda i: (
        f"实际完成「{actuals[i]}」属「{scored['level'].iloc[i]}」，分值区间 [{scored['band_lo'].iloc[i]:g}, "
        f"{scored['band_hi'].iloc[i]:g}]，而得分为 {s[i]:g}"))
    each(reason == "operator_in_actual", "actual-copies-target",
         lambda i: f"实际完成值「{actuals[i]}」带比较符号（指标值「{targets[i]}」），未体现实际完成数")
    each(reason == "copies_target", "actual-copies-target",
         lambda i: f"实际完成值照抄指标值「{targets[i]}」，未说明实际完成情况", WARNING)
    no_value = ~scored["has_target"].to_numpy() | ~scored["has_actual"].to_numpy()
    each(no_value & scored_row & (s > 0), "missing-value-scored", lambda i: (
        f"{'指标值' if not scored['has_target'].iloc[i] else '实际完成值'}为空或「/」，却得分 {s[i]:g}"))
    parents = scored["is_parent"].to_numpy() & ~scored["counted"].to_numpy()
    each(parents & (scored_row | ~np.isnan(w)), "parent-child-double",
         lambda i: "上级指标与其下级指标同时赋分（得分 "
                   f"{_money(s[i])}），合计时重复计算")
    docked = met & ~np.isnan(w) & scored_row & (s < w - tol.full_tolerance) & ~note
    each(docked, "docked-without-note",
         lambda i: f"指标已完成（{targets[i]} → {actuals[i]}），得分 {s[i]:g} 低于分值 {w[i]:g}，未说明扣分原因")
    measurable = (state == "measured") & (kind == "quantitative") & ~np.isnan(rule) & scored_row
    each(measurable & (s < rule - tol.score_tolerance), "score-below-rule",
         lambda i: f"得分 {s[i]:g}，按规则应为 {_points(rule[i])}（{targets[i]} → {actuals[i]}，分值 {w[i]:g}）")
    each(measurable & (s > rule + tol.score_tolerance), "score-above-rule",
         lambda i: f"得分 {s[i]:g}，按规则应为 {_points(rule[i])}（{targets[i]} → {actuals[i]}，分值 {w[i]:g}）")
    if scheme.rules.over_achievement.policy == "require_note":
        ratio = scored["ratio"].to_numpy()
        each(scored["over_achieved"].to_numpy() & ~note, "over-achievement", lambda i: (
            f"实际完成 {actuals[i]}，为指标值 {targets[i]} 的 {ratio[i]:.0%}" if not np.isnan(ratio[i])
            else f"指标值为 0 而实际完成 {actuals[i]}") + "，未说明原因（目标可能设定偏低）")

    status = scored["unit_status"].astype(object).to_numpy()
    for i in np.flatnonzero(status == "converted"):
        notes.append(f"{_label('indicators', int(i) + 1, names[i])}：单位已换算（{actuals[i]} → "
                     f"{scored['actual_value'].iloc[i]:g}{scored['target_unit'].iloc[i]}）")
    for i in np.flatnonzero(np.isin(reason, ["unit_mismatch", "unit_ambiguous"])):
        notes.append(f"{_label('indicators', int(i) + 1, names[i])}：指标值「{targets[i]}」与实际完成值"
                     f"「{actuals[i]}」单位无法换算，不计规则得分")
    for i in np.flatnonzero(np.isin(reason, ["non_numeric_actual", "unmapped_level", "numeric_actual"])):
        notes.append(f"{_label('indicators', int(i) + 1, names[i])}：实际完成值「{actuals[i]}」无法按规则计分")
    for i in np.flatnonzero(scored["zero_target"].to_numpy()):
        notes.append(f"{_label('indicators', int(i) + 1, names[i])}：目标值为 0，任何非负完成值均达标，该目标不含信息")
    for i in np.flatnonzero(scored["direction_conflict"].to_numpy()):
        notes.append(f"{_label('indicators', int(i) + 1, names[i])}：指标性质列与指标值中的符号不一致，按指标性质列计分")
    budget_like = scored["level3"].map(lambda v: bool(_BUDGET_AS_INDICATOR.search(normalise_word(v) or "")))
    for i in np.flatnonzero(budget_like.to_numpy(dtype=bool) & scored["counted"].to_numpy()):
        notes.append(f"{_label('indicators', int(i) + 1, names[i])}：预算执行率已在预算执行部分计分，此处重复计分")


def _template_notes(table: SelfEvaluationTable, notes: list[str]) -> None:
    """Template placeholders left in place (rules.md §5, defects without a flag code)."""
    for i, name in enumerate(table.indicators["level3"].tolist(), start=1):
        text = "".join(str(name).split()) if name is not None else ""  # raw: "……" must not normalise away
        if text and _TEMPLATE.match(text):
            notes.append(f"{_label('indicators', i, name)}：模板占位文字未替换")
    for key, label in (("expected", "预期目标"), ("achieved", "实际完成情况")):
        text = normalise_word(table.goals.get(key))
        if text and _TEMPLATE_PROMPT.search(text):
            notes.append(f"年度总体目标「{label}」栏保留了模板提示文字：「{table.goals.get(key)}」")


# ---------------------------------------------------------------------------------------------
# Excel: the printed layout (项目支出绩效自评表)
# ---------------------------------------------------------------------------------------------

SHEET_TITLE = "项目支出绩效自评表"
#: A printed note after a header or label: （A）, (分), （万元）.
_HEADER_NOTE = re.compile(r"\((.*?)\)$")
#: Labels of the grade line under the total.
GRADE_LABELS = ("评价等级", "自评等级", "等级", "绩效等级", "自评结果")
#: Budget block columns: header text → field; the reader also accepts the aliases.
BUDGET_HEADERS = {"资金类别": "row", "年初预算数": "initial", "全年预算数": "annual", "全年执行数": "executed",
                  "分值": "weight", "执行率": "rate_reported", "得分": "score_reported"}
BUDGET_ALIASES = {"调整后预算数": "annual", "预算数": "annual", "预算执行数": "executed", "执行数": "executed",
                  "权重": "weight", "预算执行率": "rate_reported", "年初预算": "initial"}
INDICATOR_HEADERS = {"一级指标": "level1", "二级指标": "level2", "三级指标": "level3", "指标性质": "direction",
                     "度量单位": "unit", "年度指标值": "target", "实际完成值": "actual", "分值": "weight",
                     "得分": "score_reported", "偏差原因分析及改进措施": "deviation_note", "上级指标": "parent"}
INDICATOR_ALIASES = {"计量单位": "unit", "指标值": "target", "年初目标值": "target", "完成值": "actual",
                     "全年实际值": "actual", "权重": "weight", "未完成原因分析": "deviation_note",
                     "偏差原因分析": "deviation_note"}
META_LABELS = {"项目名称": "title", "主管部门": "department", "实施单位": "unit", "行政区划": "jurisdiction",
               "金额单位": "money_unit", "年度": "year", "来源": "source_url", "来源说明": "source_note"}


def write_table_xlsx(table: SelfEvaluationTable, path: str | Path) -> Path:
    """Write a table as the printed 项目支出绩效自评表: header block, 项目资金 block, 年度总体目标, 绩效指标, 总分.

    Layout (one sheet, rows top to bottom; labels in column A):

    1. title; 2. ``（YYYY年度）``; 3–6. 项目名称 / 主管部门·实施单位 / 行政区划·金额单位 / 来源·来源说明;
    7. 项目资金 header (资金类别, 年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分) and one row per
    budget row; then 年度总体目标 (预期目标 | 实际完成情况) and its text row; then the 绩效指标 header
    (:data:`INDICATOR_HEADERS`) and one row per indicator; then 总分 and 评价等级.
    Values are written as printed: numbers as numbers, ``"86.19%"`` or ``"≥95%"`` as text.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    bold = Font(bold=True)
    meta = table.meta
    ws.append([meta.get("title") or SHEET_TITLE])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"（{meta.get('year')}年度）" if meta.get("year") else None])
    ws.append(["项目名称", meta.get("title")])
    ws.append(["主管部门", meta.get("department"), None, "实施单位", meta.get("unit")])
    ws.append(["行政区划", meta.get("jurisdiction"), None, "金额单位", meta.get("money_unit")])
    ws.append(["来源", table.source.get("url"), None, "来源说明", table.source.get("note")])
    money = meta.get("money_unit") or "万元"
    ws.append([f"项目资金（{money}）", *BUDGET_HEADERS])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for i in range(len(table.budget)):
        ws.append([None, *(table.cell("budget", i, f) for f in BUDGET_HEADERS.values())])
    ws.append(["年度总体目标", "预期目标", None, None, "实际完成情况"])
    ws.append([None, table.goals.get("expected"), None, None, table.goals.get("achieved")])
    ws.append(["绩效指标", *INDICATOR_HEADERS])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for i in range(len(table.indicators)):
        ws.append([None, *(table.cell("indicators", i, f) for f in INDICATOR_HEADERS.values())])
    weight_col = list(INDICATOR_HEADERS.values()).index("weight") + 1
    total_row = [None] * (len(INDICATOR_HEADERS) + 1)
    total_row[0] = "总分"
    total_row[weight_col + 1] = table.unreadable.get(("table", 0, "total_reported"), table.total_reported)
    ws.append(total_row)
    ws.append(["评价等级", table.grade_reported])
    for column in "ABCDEFGHIJKL":
        ws.column_dimensions[column].width = 16
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # "=100%" is a printed target, not a formula
    wb.save(path)
    return path


def read_table_xlsx(path: str | Path) -> SelfEvaluationTable:
    """Read a 项目支出绩效自评表 sheet: the layout of :func:`write_table_xlsx` or the official template.

    Blocks are found by their labels, not by fixed row numbers: the 项目资金 header row (containing
    全年预算数/调整后预算数 and 全年执行数/预算执行数), the 绩效指标 header row (containing 三级指标),
    and the 总分 row; columns are matched by header text, without a printed note (年度指标值（A）) and
    with aliases (权重 for 分值). As the official template (财预〔2020〕10号 附件) prints them: level-1
    and level-2 names merged across rows are repeated on each row, the money unit is read from the
    label 项目资金（万元）, the title from 项目名称, and a 上级指标 column is optional (parents are then
    inferred from the numbering, :func:`infer_parents`).
    """
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    try:
        # Not read-only: the merged ranges are needed, and a self-evaluation sheet is small.
        wb = load_workbook(path, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
        raise ReviewInputError(f"{path}: 无法作为 Excel 工作簿打开 / cannot open as a workbook ({error})") from None
    ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else wb.worksheets[0]
    cells = [list(r) for r in ws.iter_rows(values_only=True)]
    merged = [(m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
    wb.close()
    where = f"{path} · {ws.title}"

    def text(v: Any) -> str:
        return normalise_word(v) or ""

    def header(v: Any) -> str:
        """A header cell without its printed note: 年度指标值（A） → 年度指标值, 分值(分) → 分值."""
        return _HEADER_NOTE.sub("", text(v))

    budget_header = indicator_header = total_line = goals_line = None
    for i, row in enumerate(cells):
        texts = [header(v) for v in row]
        if budget_header is None and any(t in ("全年执行数", "预算执行数", "执行数") for t in texts):
            budget_header = i
        elif indicator_header is None and "三级指标" in texts:
            indicator_header = i
        elif texts and texts[0] == "年度总体目标":
            goals_line = i
        elif indicator_header is not None and texts and texts[0] in ("总分", "合计"):
            total_line = i
            break
    if indicator_header is None:
        raise ReviewInputError(f"{where}: 找不到绩效指标表头（含「三级指标」的行）/ no indicator header row")

    def columns(header_row: int, names: dict[str, str], aliases: dict[str, str]) -> dict[str, int]:
        found = {}
        for j, v in enumerate(cells[header_row]):
            key = names.get(header(v)) or aliases.get(header(v))
            if key and key not in found:
                found[key] = j
        return found

    def block(start: int, end: int, found: dict[str, int], fields: tuple[str, ...]) -> list[dict[str, Any]]:
        """Rows of a block as printed; empty rows inside the block are kept (they keep row numbers)."""
        items = []
        for row in cells[start:end]:
            values = {f: (row[found[f]] if f in found and found[f] < len(row) else None) for f in fields}
            items.append({k: (None if isinstance(v, str) and not v.strip() else v) for k, v in values.items()})
        while items and all(v is None for v in items[-1].values()):
            items.pop()
        return items

    budget_items: list[dict[str, Any]] = []
    if budget_header is not None:
        found = columns(budget_header, BUDGET_HEADERS, BUDGET_ALIASES)
        if "row" not in found:
            found["row"] = 1
        end = goals_line if goals_line is not None else indicator_header
        budget_items = block(budget_header + 1, end, found, BUDGET_FIELDS)
    found = columns(indicator_header, INDICATOR_HEADERS, INDICATOR_ALIASES)
    for required in ("level3", "target", "actual"):
        if required not in found:
            header = next(k for k, v in INDICATOR_HEADERS.items() if v == required)
            raise ReviewInputError(f"{where} · 第{indicator_header + 1}行: 绩效指标表头缺少「{header}」列")
    end = total_line if total_line is not None else len(cells)
    # A level-1 or level-2 name printed once across merged rows belongs to each of them (the
    # canonical format repeats it); a blank cell that is not merged stays blank.
    for top, bottom, left, right in merged:
        for name in ("level1", "level2"):
            column = found.get(name)
            if (column is not None and left <= column <= right and indicator_header < top < end
                    and top < bottom and column < len(cells[top])):
                for i in range(top + 1, min(bottom, end - 1) + 1):
                    if column < len(cells[i]):
                        cells[i][column] = cells[top][column]
    indicator_items = block(indicator_header + 1, end, found, INDICATOR_FIELDS)

    meta: dict[str, Any] = {}
    for row in cells[: budget_header if budget_header is not None else indicator_header]:
        for j, v in enumerate(row):
            key = META_LABELS.get(text(v))
            if key and j + 1 < len(row) and key not in meta:
                meta[key] = row[j + 1]
    # The project's name identifies the table; the first line often reads only 项目支出绩效自评表.
    title = meta.get("title") or (cells[0][0] if cells and cells[0] else None)
    if "money_unit" not in meta and budget_header is not None:
        # The official layout prints the unit in the block's label: 项目资金（万元）.
        label = next((text(v) for v in cells[budget_header] if text(v).startswith("项目资金")), "")
        unit = _HEADER_NOTE.search(label)
        if unit and unit.group(1) in ("元", "万元"):
            meta["money_unit"] = unit.group(1)
    year_text = " ".join(text(v) for row in cells[:3] for v in row if v is not None)
    year = _YEAR.search(year_text)
    total = grade = None
    if total_line is not None:
        line = cells[total_line]
        column = found.get("score_reported")
        if column is not None and column < len(line):
            total = line[column]  # as printed, unreadable text included
        else:
            filled = [v for v in line[1:] if v is not None]
            total = filled[-1] if filled else None
        if total_line + 1 < len(cells) and cells[total_line + 1] and text(cells[total_line + 1][0]) in GRADE_LABELS:
            grade = cells[total_line + 1][1] if len(cells[total_line + 1]) > 1 else None
    goals = {}
    if goals_line is not None and goals_line + 1 < len(cells):
        labels = [text(v) for v in cells[goals_line]]
        values = cells[goals_line + 1]
        for label, key in (("预期目标", "expected"), ("实际完成情况", "achieved")):
            if label in labels and labels.index(label) < len(values):
                goals[key] = values[labels.index(label)]
    data = {
        "format": FORMAT,
        "title": title,
        "jurisdiction": meta.get("jurisdiction"),
        "department": meta.get("department"),
        "unit": meta.get("unit"),
        "year": int(year.group(1)) if year else None,
        "money_unit": meta.get("money_unit"),
        "source": {"url": meta.get("source_url"), "note": meta.get("source_note")},
        "budget": budget_items,
        "goals": goals,
        "indicators": indicator_items,
        "total_reported": total,
        "grade_reported": grade,
    }
    return table_from_mapping(data, where)
