"""What the report notebooks show: one builder per report, so that the notebooks stay thin.

Each report notebook in ``notebooks/`` reads its parameters, calls :func:`load_inputs` and one builder
of this module, and then only displays: narrative fragments (escaped HTML), tables through
:func:`pbm_lib.report.table`, charts through :func:`pbm_lib.report.figure` with the ``plot_*``
helpers here, the provenance footer, and the recorded results (:func:`pbm_lib.batch.record`).

=============================  ================================  ==========================================
builder                        notebook                          report
=============================  ================================  ==========================================
:func:`ex_ante_assessment`     ``ex_ante_assessment.ipynb``      事前绩效评估报告 (one new major project/policy)
:func:`target_review`          ``target_review.ipynb``           绩效目标审核意见 (one unit)
:func:`monitoring_report`      ``monitoring.ipynb``              绩效运行监控报告 (one unit, one month)
:func:`project_evaluation`     ``project_evaluation.ipynb``      项目支出绩效评价报告 (one project, one kind)
:func:`self_evaluation_review` ``self_evaluation_review.ipynb``  自评复核意见 (one unit)
:func:`department_evaluation`  ``department_evaluation.ipynb``   部门整体绩效评价报告 (one unit)
:func:`city_summary`           ``city_summary.ipynb``            本级政府预算绩效管理情况总结报告 (the city)
=============================  ================================  ==========================================

Every number comes from the library (:mod:`pbm_lib.scoring`, :mod:`pbm_lib.process`,
:mod:`pbm_lib.review`, :mod:`pbm_lib.cost`, :mod:`pbm_lib.dea`, :mod:`pbm_lib.cba`); this module only
selects, joins and words it. Text from the workbook (names, goals, notes) is always passed through
:func:`html.escape` before it becomes part of a fragment, so a project named
``<script>alert(1)</script>`` is shown as text and never becomes markup.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import PbmError
from .report import GRADE_COLOURS, LIGHT_COLOURS, PALETTE, HtmlFragment, provenance_footer
from .report.style import MISSING, NEUTRAL_COLOUR, format_percent, format_wan, is_missing, text_colour_on

#: Report id → Chinese title (the registry titles of ``parameters/defaults.yaml``).
REPORT_TITLES = {
    "ex_ante_assessment": "事前绩效评估报告",
    "target_review": "绩效目标审核意见",
    "monitoring": "绩效运行监控报告",
    "project_evaluation": "项目支出绩效评价报告",
    "self_evaluation_review": "自评复核意见",
    "department_evaluation": "部门整体绩效评价报告",
    "city_summary": "本级政府预算绩效管理情况总结报告",
}
#: Kinds of a project evaluation (rules.md §1): the unit, the finance bureau, a third party.
EVALUATION_KINDS = ("单位自评", "财政评价", "第三方评价")
#: Evidence states of an indicator row (rules.md §4.6) in words for the public.
STATE_LABELS = {
    "measured": "有实际值",
    "claimed": "仅有声明",
    "missing": "缺少实际值",
    "not_applicable": "不适用",
    "unparseable": "无法识别",
}
#: Why a row lacks evidence, in words for the public.
REASON_LABELS = {
    "na_marker": "标注为不适用",
    "empty_row": "空行",
    "no_actual": "未填写实际完成值",
    "operator_in_actual": "实际完成值带比较符号，照抄了目标值",
    "copies_target": "实际完成值照抄了目标值",
    "no_target": "缺少指标值",
    "non_numeric_actual": "实际完成值不是数值",
    "numeric_actual": "定性指标填写了数值",
    "unit_mismatch": "计量单位不一致",
    "unit_ambiguous": "计量单位不明确",
    "unmapped_level": "定性完成情况无法对应等级",
    "no_numeric_target": "指标值未量化",
}
FRONTIER_LABELS = {
    "frontier": "有效前沿",
    "extended-dominated": "扩展占优（被组合方案占优）",
    "dominated": "被占优",
}
DEA_STATUS_LABELS = {
    "efficient": "有效",
    "weakly-efficient": "弱有效",
    "inefficient": "非有效",
    "infeasible": "无可行解",
    "solver-failed": "求解失败",
}


class ReportInputError(PbmError):
    """A report cannot be written for the given parameters (unknown object, wrong year, bad kind)."""


# ---------------------------------------------------------------------------------------------
# Inputs shared by every report
# ---------------------------------------------------------------------------------------------


def resolve_data_path(data_path: str | Path | None) -> Path:
    """The year workbook: ``data_path``, or the bundled sample (示范市 2025) when it is empty or ``None``."""
    if data_path is None or not str(data_path).strip():
        from .data import SAMPLE_WORKBOOK

        return SAMPLE_WORKBOOK
    return Path(str(data_path)).expanduser()


@dataclass(frozen=True)
class Inputs:
    """The year's data, the scheme and where the data came from: what every report starts from."""

    data: Any  # YearData
    scheme: Any  # Scheme
    data_file: Path

    @property
    def year(self) -> int:
        return int(self.data.year)

    @property
    def jurisdiction(self) -> str:
        return str(self.data.jurisdiction or "本级")

    @property
    def finance_bureau(self) -> str:
        """The issuing finance bureau, e.g. 示范市财政局."""
        return f"{self.jurisdiction}财政局"

    @property
    def scheme_label(self) -> str:
        return f"{self.scheme.id}（{self.scheme.title}，版本 {self.scheme.version}）"

    def source(self, *sheets: str) -> str:
        """A table's or chart's source line, e.g. 示范市2025年度预算绩效管理数据（预算执行表）."""
        where = f"（{'、'.join(sheets)}）" if sheets else ""
        return f"{self.jurisdiction}{self.year}年度预算绩效管理数据{where}"

    def footer(self, extra: dict[str, str] | None = None) -> HtmlFragment:
        """The provenance footer (data file and hash, scheme id and version, pbm version, run time)."""
        return provenance_footer(
            self.data_file,
            self.scheme.id,
            str(self.scheme.version),
            data_sha256=self.data.sha256,
            extra=extra,
        )


def load_inputs(data_path: str | Path | None, year: int | None, scheme_id: str) -> Inputs:
    """Read the year workbook and the scheme, and check that the year is the one asked for.

    Parameters
    ----------
    data_path : str, Path or None
        The year workbook (or CSV folder); empty or ``None`` for the bundled sample.
    year : int or None
        The fiscal year the report is for; ``None`` accepts the workbook's year.
    scheme_id : str
        A shipped scheme id or a scheme file (:func:`pbm_lib.schemes.load_scheme`).

    Raises
    ------
    ReportInputError
        The workbook is for another year.
    InputFileError, SchemeError
        From the reader and the scheme loader, naming the problem.
    """
    from .batch import read_year_cached
    from .schemes import load_scheme

    path = resolve_data_path(data_path)
    data = read_year_cached(path)  # read once per warm kernel, a private copy per report
    if year is not None and int(year) != int(data.year):
        raise ReportInputError(
            f"参数 year={year} 与数据工作簿 {path.name} 的年度 {data.year} 不一致 / the workbook is for another year"
        )
    return Inputs(data=data, scheme=load_scheme(scheme_id), data_file=path)


# ---------------------------------------------------------------------------------------------
# Escaped text and small HTML pieces
# ---------------------------------------------------------------------------------------------


def esc(value: Any) -> str:
    """Any value as escaped text; missing values as "—"."""
    return html.escape(MISSING if is_missing(value) else str(value))


def _missing(value: Any) -> bool:
    return value is None or is_missing(value)


def wan(value: Any, decimals: int = 2) -> str:
    """Money in 万元 with the unit, e.g. ``1,234.56万元``; missing values as "—"."""
    return MISSING if _missing(value) else format_wan(float(value), decimals, unit=True)


def pct(value: Any, decimals: int = 2) -> str:
    """A fraction as a percentage, e.g. ``0.9345`` → ``93.45%``."""
    return MISSING if _missing(value) else format_percent(float(value), decimals)


def points(value: Any, decimals: int = 2) -> str:
    """A score rounded half-up (rules.md §3.3), e.g. ``87.09``."""
    if _missing(value):
        return MISSING
    from .scoring import round_half_up

    return f"{float(round_half_up([float(value)], decimals)[0]):.{decimals}f}"


def chip(label: Any, colour: str | None = None) -> str:
    """A coloured label (grade, light or conclusion) as escaped HTML; the text is always shown too."""
    text = MISSING if _missing(label) else str(label)
    colour = colour or GRADE_COLOURS.get(text) or LIGHT_COLOURS.get(text) or NEUTRAL_COLOUR
    return (
        f'<span class="pbm-chip" style="background:{colour};color:{text_colour_on(colour)};'
        f'padding:0 0.55em;border-radius:0.6em;white-space:nowrap">{html.escape(text)}</span>'
    )


#: Colours of the ex-ante conclusions, matching the grade scale.
CONCLUSION_COLOURS = {
    "予以支持": GRADE_COLOURS["优"],
    "调整完善后予以支持": GRADE_COLOURS["中"],
    "不予支持": GRADE_COLOURS["差"],
}


def _fragment(markup: str, text: str) -> HtmlFragment:
    return HtmlFragment(markup, text)


def paragraphs(*texts: str) -> HtmlFragment:
    """Plain-text paragraphs (escaped)."""
    return _fragment("".join(f"<p>{esc(t)}</p>" for t in texts if t), "[正文]")


def html_paragraphs(parts: Iterable[str]) -> HtmlFragment:
    """Paragraphs whose markup is already escaped (built in this module)."""
    return _fragment("".join(f"<p>{p}</p>" for p in parts if p), "[正文]")


def bullets(items: Iterable[str], *, empty: str | None = None, escaped: bool = False) -> HtmlFragment:
    """A list; plain-text items are escaped unless ``escaped`` says they are markup built here."""
    items = [i for i in items if i]
    if not items:
        return paragraphs(empty) if empty else _fragment("", "[无]")
    body = "".join(f"<li>{i if escaped else esc(i)}</li>" for i in items)
    return _fragment(f"<ul>{body}</ul>", "[列表]")


def _info_table(rows: Sequence[tuple[str, str]], per_row: int = 2) -> str:
    """Label–value pairs, ``per_row`` pairs on a line (values are markup built here)."""
    head = "text-align:left;background:#f4f6f9;font-weight:600;white-space:nowrap;width:6.5em"
    lines = []
    for i in range(0, len(rows), per_row):
        pairs = list(rows[i : i + per_row])
        cells = "".join(
            f'<th style="{head}">{html.escape(label)}</th><td>{value}</td>' for label, value in pairs
        )
        if len(pairs) < per_row:
            cells += f'<td colspan="{2 * (per_row - len(pairs))}"></td>'
        lines.append(f"<tr>{cells}</tr>")
    return f'<table class="pbm pbm-info" style="width:100%;margin:0">{"".join(lines)}</table>'


def document_header(subtitle: str, rows: Sequence[tuple[str, Any]]) -> HtmlFragment:
    """The line under the title and the document's particulars (报告对象, 单位, 年度 …), all escaped.

    The title itself is the exporter's title block (``notebook_to_html(title=…)``), so it is not repeated.
    """
    info = _info_table([(label, esc(value)) for label, value in rows])
    markup = (
        f'<div class="pbm-docinfo" style="margin:0 0 18px">'
        f'<p style="text-align:center;color:#555;margin:0 0 12px">{esc(subtitle)}</p>{info}</div>'
    )
    return _fragment(markup, "[报告信息]")


def summary_box(
    heading: str, verdict: str, sentences: Iterable[str], figures: Sequence[tuple[str, str]]
) -> HtmlFragment:
    """The summary that opens a report: the verdict (chip and score), key figures, short conclusions.

    ``verdict`` and ``sentences`` are markup built in this module (user text already escaped);
    ``figures`` are (label, value) pairs of plain text.
    """
    cells = "".join(
        '<div style="flex:1 1 9.5em;border:1px solid #d6dbe3;border-radius:4px;padding:6px 10px;background:#fff">'
        f'<div style="font-size:12.5px;color:#555">{esc(label)}</div>'
        f'<div style="font-size:17px;font-weight:700;font-variant-numeric:tabular-nums">{esc(value)}</div></div>'
        for label, value in figures
    )
    body = "".join(f"<p style='margin:.35em 0'>{s}</p>" for s in sentences if s)
    markup = (
        '<section class="pbm-summary" style="border:1px solid #c9ced6;border-top:3px solid #8b1a1a;'
        'background:#f8f9fb;padding:10px 16px 12px;margin:6px 0 20px">'
        f'<p style="margin:0 0 6px;font-weight:700;font-size:16px">{esc(heading)}</p>'
        f'<p style="margin:0 0 10px;font-size:16px">{verdict}</p>'
        f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin:0 0 8px">{cells}</div>{body}</section>'
    )
    return _fragment(markup, f"[{heading}]")


#: Recorded keys holding money (万元), kept to 2 decimals; other numbers keep 4.
_MONEY_KEYS = frozenset(
    {
        "annual",
        "executed",
        "blocked_budget",
        "at_stake",
        "money",
        "total_cut",
        "savings",
        "npv",
        "base",
        "proposed",
    }
)


def _recorded(values: dict[str, Any]) -> dict[str, Any]:
    """Results for :func:`pbm_lib.batch.record`: plain numbers rounded for people reading the index
    (money 2 decimals, scores, rates and shares 4), NaN as None."""

    def plain(key: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(key, v) for k, v in value.items()}
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
            return value if not isinstance(value, np.bool_) else bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        number = _float(value)
        if number is None:
            return None
        return round(number, 2 if key in _MONEY_KEYS else 4)

    return {key: plain(key, value) for key, value in values.items()}


def _value(value: Any, unit: Any = None) -> str:
    """A number with its unit as a reader reads it (:func:`pbm_lib.process.targets.format_value`)."""
    from .process.targets import format_value

    return format_value(value, unit)


def _join(items: Iterable[Any], sep: str = "、") -> str:
    return sep.join(esc(i) for i in items if not _missing(i))


def _float(value: Any) -> float | None:
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _row(frame: pd.DataFrame, column: str, value: Any) -> dict[str, Any] | None:
    hit = frame[frame[column].astype(str) == str(value)]
    return None if hit.empty else hit.iloc[0].to_dict()


def _project(inputs: Inputs, project_id: Any) -> dict[str, Any]:
    if _missing(project_id) or not str(project_id).strip():
        raise ReportInputError("缺少项目编码 project_id / project_id is required")
    row = _row(inputs.data.projects, "project_id", project_id)
    if row is None:
        known = "、".join(map(str, inputs.data.projects["project_id"].head(8)))
        raise ReportInputError(
            f"数据中没有项目 {project_id!r}（{inputs.data_file.name}）；已有项目如：{known} / unknown project"
        )
    units = inputs.data.units.set_index("unit_id")
    row["unit_name"] = units["unit_name"].get(row["unit_id"], row["unit_id"])
    return row


def _unit(inputs: Inputs, unit_id: Any) -> dict[str, Any]:
    if _missing(unit_id) or not str(unit_id).strip():
        raise ReportInputError("缺少单位编码 unit_id / unit_id is required")
    row = _row(inputs.data.units, "unit_id", unit_id)
    if row is None:
        known = "、".join(map(str, inputs.data.units["unit_id"].head(8)))
        raise ReportInputError(
            f"数据中没有单位 {unit_id!r}（{inputs.data_file.name}）；已有单位如：{known} / unknown unit"
        )
    return row


def _project_budget(inputs: Inputs, project_id: str) -> pd.DataFrame:
    """A project's budget by fund source with a 合计 row: ``fund_source``, ``initial``, ``annual``, ``executed``, ``rate``."""
    rows = inputs.data.budget[inputs.data.budget["project_id"].astype(str) == str(project_id)]
    rows = rows[["fund_source", "initial", "annual", "executed"]].reset_index(drop=True)
    total = pd.DataFrame(
        {
            "fund_source": ["合计"],
            "initial": [rows["initial"].sum(min_count=1)],
            "annual": [rows["annual"].sum(min_count=1)],
            "executed": [rows["executed"].sum(min_count=1)],
        }
    )
    out = pd.concat([rows, total], ignore_index=True) if len(rows) else total
    annual = out["annual"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(annual > 0, out["executed"].to_numpy(dtype=float) / annual, np.nan)
    return out


def _score_state(lo: Any, hi: Any) -> str:
    lo, hi = _float(lo), _float(hi)
    if lo is None or hi is None:
        return MISSING
    if abs(hi - lo) < 0.005:
        return points(lo)
    return f"{points(lo)}–{points(hi)}"


# ---------------------------------------------------------------------------------------------
# 项目支出绩效评价报告
# ---------------------------------------------------------------------------------------------


@dataclass
class ProjectEvaluation:
    """Everything a project evaluation report shows (see :func:`project_evaluation`)."""

    inputs: Inputs
    kind: str
    project: dict[str, Any]
    issuer: str
    evaluator: str
    scores: dict[str, Any]  # the project's row of process.evaluation.project_scores
    score: float | None  # the score of this kind of evaluation
    grade: str | None
    rule_lo: float | None
    rule_hi: float | None
    evidence_share: float | None
    budget: pd.DataFrame
    indicators: pd.DataFrame
    level1: pd.DataFrame
    alternatives: pd.DataFrame | None
    alternatives_unit: str
    peers: pd.DataFrame | None
    peer_output: str
    history: pd.DataFrame
    proposal: dict[str, Any] | None
    signals: pd.DataFrame
    uncertainty: dict[str, Any] | None = None  # summary row of pbm_lib.uncertainty.grade_distribution
    draws: pd.DataFrame | None = None  # its per-draw totals and grades
    workbench: dict[str, Any] | None = None  # the saved third-party evaluation used, if any

    # ---- facts ---------------------------------------------------------------------------------

    @property
    def project_id(self) -> str:
        return str(self.project["project_id"])

    @property
    def name(self) -> str:
        return str(self.project["project_name"])

    @property
    def peer_unit(self) -> str:
        """Unit of the comparable projects' output (e.g. 公里)."""
        return "" if self.peers is None else str(self.peers.attrs.get("output_unit", ""))

    @property
    def indicator_columns(self) -> dict[str, str]:
        """Columns of the indicator table: the evaluator's points too when a workbench file was read."""
        columns = {
            "category": "一级／二级指标",
            "level3": "三级指标",
            "target": "年度指标值",
            "actual": "实际完成值",
            "weight": "分值",
            "self_score": "自评得分",
            "rule_lo": "复算得分",
        }
        if "evaluator_score" in self.indicators:
            columns["evaluator_score"] = "评价得分"
        columns.update(met="完成", note="偏差原因及说明")
        return columns

    @property
    def has_indicators(self) -> bool:
        return len(self.indicators) > 0

    @property
    def annual(self) -> float | None:
        return _float(self.budget["annual"].iloc[-1])

    @property
    def executed(self) -> float | None:
        return _float(self.budget["executed"].iloc[-1])

    @property
    def execution_rate(self) -> float | None:
        return _float(self.budget["rate"].iloc[-1])

    @property
    def n_met(self) -> int:
        return int((self.indicators["met"] == "是").sum())

    @property
    def n_known(self) -> int:
        return int(self.indicators["met"].isin(["是", "否"]).sum())

    @property
    def self_total(self) -> float | None:
        return _float(self.scores.get("self_total"))

    @property
    def rule_total(self) -> float | None:
        return _float(self.scores.get("rule_total"))

    # ---- narrative -----------------------------------------------------------------------------

    def header(self) -> HtmlFragment:
        p = self.project
        period = (
            f"{esc(p.get('start_year'))}—{esc(p.get('end_year'))}年"
            if not _missing(p.get("start_year"))
            else MISSING
        )
        rows = [
            ("项目名称", self.name),
            ("项目编码", self.project_id),
            ("实施单位", p["unit_name"]),
            ("项目类型", f"{p.get('project_kind') or MISSING}（{p.get('new_or_continuing') or MISSING}）"),
            ("预算类型", p.get("budget_type")),
            ("专项类别", p.get("special_category")),
            ("实施期限", html.unescape(period)),
            ("评价方式", self.kind),
            ("评价机构", self.evaluator),
            ("评价年度", f"{self.inputs.year}年度"),
        ]
        return document_header(f"{self.inputs.jurisdiction} · {self.inputs.year}年度 · {self.kind}", rows)

    def summary(self) -> HtmlFragment:
        if not self.has_indicators:
            verdict = f"{chip('未评价')}　本项目未设置绩效目标，不具备开展{esc(self.kind)}的条件。"
            sentences = [
                f"项目全年预算 {wan(self.annual)}，执行 {wan(self.executed)}，预算执行率 {pct(self.execution_rate)}。",
                "按照“无目标不安排预算”的要求，应当补设绩效目标后再纳入绩效评价；本报告仅反映预算执行情况。",
            ]
            return summary_box("评价结论", verdict, sentences, self._figures())
        if self.score is None:
            verdict = f"{chip(self.grade or '证据不足')}　评价得分无法确定。"
        else:
            verdict = f"{chip(self.grade)}　{esc(self.kind)}得分 <strong>{points(self.score)}</strong> 分，评价等级为“{esc(self.grade)}”。"
        sentences = [self._attainment_sentence(), self._rule_sentence(), self._proposal_sentence()]
        return summary_box("评价结论", verdict, sentences, self._figures())

    def _figures(self) -> list[tuple[str, str]]:
        figures = [
            ("全年预算数", wan(self.annual)),
            ("全年执行数", wan(self.executed)),
            ("预算执行率", pct(self.execution_rate)),
        ]
        if self.has_indicators:
            figures.append(("绩效指标完成", f"{self.n_met}/{len(self.indicators)} 项"))
            figures.append((f"{self.kind}得分", points(self.score)))
            figures.append(("按方案复算得分", _score_state(self.rule_lo, self.rule_hi)))
        return figures

    def _attainment_sentence(self) -> str:
        n = len(self.indicators)
        unmet = self.indicators[self.indicators["met"] == "否"]
        unknown = n - self.n_known
        text = f"设置绩效指标 {n} 项，已完成 {self.n_met} 项"
        if len(unmet):
            text += f"，未完成 {len(unmet)} 项（{_join(unmet['level3'].head(4))}{'等' if len(unmet) > 4 else ''}）"
        if unknown:
            text += f"，{unknown} 项缺少可核实的实际完成值"
        goal = self.project.get("goal_achieved")
        text += "。"
        if not _missing(goal):
            text += f"单位填报的总体目标完成情况为：{esc(goal)}"
        return text

    def _rule_sentence(self) -> str:
        if self.rule_lo is None:
            return ""
        rule = _score_state(self.rule_lo, self.rule_hi)
        grade = self.scores.get("rule_grade")
        parts = [f"按评价方案 {esc(self.inputs.scheme.id)} 逐项复算，得分为 {rule} 分"]
        if not _missing(grade):
            parts.append(f"（{esc(grade)}）")
        if self.rule_hi is not None and self.rule_lo is not None and self.rule_hi - self.rule_lo >= 0.005:
            parts.append("；因部分指标缺少可核实的实际完成值，复算得分为区间")
        if self.kind == "单位自评" and self.self_total is not None and self.rule_hi is not None:
            if self.self_total > self.rule_hi + 0.005:
                parts.append(f"，自评得分高出复算上限 {points(self.self_total - self.rule_hi)} 分")
            elif self.self_total < self.rule_lo - 0.005:
                parts.append(f"，自评得分低于复算下限 {points(self.rule_lo - self.self_total)} 分")
            elif self.rule_hi - self.rule_lo >= 0.005:
                parts.append("，自评得分在复算区间之内")
            else:
                parts.append("，与自评得分一致")
        return "".join(parts) + "。"

    def _proposal_sentence(self) -> str:
        p = self.proposal
        if not p:
            return ""
        text = f"结果运用建议（供下年度预算安排参考）：{esc(p.get('consequences') or p.get('direction'))}"
        cut = _float(p.get("total_cut"))
        if cut:
            text += f"，建议核减 {wan(cut)}、安排 {wan(p.get('proposed'))}"
        return text + "。"

    def basic_info(self) -> HtmlFragment:
        p = self.project
        parts = [
            f"{esc(self.name)}由{esc(p['unit_name'])}实施，属{esc(p.get('budget_type'))}安排的"
            f"{esc(p.get('new_or_continuing'))}{esc(p.get('project_kind'))}"
            + (
                f"，专项类别为{esc(p.get('special_category'))}"
                if p.get("special_category") not in (None, "无")
                else ""
            )
            + "。",
            f"年度绩效目标：{esc(p.get('goal'))}" if not _missing(p.get("goal")) else "",
            f"全年预算 {wan(self.annual)}，其中年初预算 {wan(self.budget['initial'].iloc[-1])}；"
            f"全年执行 {wan(self.executed)}，预算执行率 {pct(self.execution_rate)}。",
        ]
        balance, balance_prev = _float(p.get("balance")), _float(p.get("balance_prev"))
        if balance is not None:
            parts.append(
                f"年末累计结余 {wan(balance)}"
                + (f"（上年末 {wan(balance_prev)}）" if balance_prev is not None else "")
                + "。"
            )
        return html_paragraphs(parts)

    def method(self) -> HtmlFragment:
        s = self.inputs.scheme
        weights = "、".join(f"{esc(lv.name)} {lv.weight:g} 分" for lv in s.level1)
        bands = s.grades
        grade_text = "、".join(
            f"{g} [{lo:g}, {hi:g}{']' if i == 0 else ')'}"
            for i, (g, lo, hi) in enumerate(
                zip(bands.grades, bands.minimums, (bands.maximum, *bands.minimums[:-1]), strict=True)
            )
        )
        who = {
            "单位自评": f"本报告为{esc(self.project['unit_name'])}对本项目开展的单位自评，自评得分为各指标自评得分与预算执行率得分之和。",
            "财政评价": f"本报告为财政评价，评价得分由{esc(self.evaluator)}评定。",
            "第三方评价": f"本报告为第三方评价，评价机构为{esc(self.evaluator)}。",
        }[self.kind]
        w = self.workbench
        if w is not None:
            who += (
                f"评价得分取自评价人员{esc(w.get('evaluator_name') or '')}在第三方评价工作台保存的评价文件"
                f"（{esc(Path(str(w.get('file'))).name)}，第 {esc(w.get('revision'))} 版，保存于 {esc(w.get('saved_at'))}）："
                "定性指标由评价人员按达成等级在分值区间内评分，定量指标按核实的完成值计分。"
            )
            if w.get("notes"):
                who += f"提示：{_join(w['notes'], '；')}。"
        parts = [
            who,
            f"评价采用方案 {esc(s.id)}（{esc(s.title)}）：{weights}，预算执行率 {s.budget.weight:g} 分"
            f"（得分 = 分值 × 执行率，执行率以 {pct(s.budget.cap, 0)} 为上限）。"
            f"等级划分：{esc(grade_text)}（总分先按四舍五入保留两位小数再定级）。",
            "复算时逐项核对指标值与实际完成值：正向指标按完成比例计分，反向指标按偏离程度扣分，定性指标按达成等级在分值区间内计分；"
            "缺少可核实实际完成值的指标不计为零分也不计为满分，而是以“0 至满分”的区间计入，使总分成为区间。",
        ]
        return html_paragraphs(parts)

    def attainment_notes(self) -> HtmlFragment:
        rows = self.indicators
        items = []
        for r in rows.itertuples(index=False):
            if r.met == "否":
                note = (
                    f"；偏差原因：{esc(r.deviation_note)}"
                    if not _missing(r.deviation_note)
                    else "；未说明偏差原因"
                )
                items.append(f"“{esc(r.level3)}”目标 {esc(r.target)}，实际 {esc(r.actual)}{note}")
        for r in rows.itertuples(index=False):
            if r.state != STATE_LABELS["measured"] and r.met not in ("是", "否"):
                items.append(f"“{esc(r.level3)}”{esc(r.evidence)}，复算按 {esc(r.rule_text)} 分区间计入")
        over = rows[rows["over"]]
        for r in over.itertuples(index=False):
            items.append(f"“{esc(r.level3)}”实际 {esc(r.actual)}，远超目标 {esc(r.target)}，目标可能设定偏低")
        return bullets(items, empty="各项绩效指标均已完成，且均有可核实的实际完成值。", escaped=True)

    def cost_effectiveness_text(self) -> HtmlFragment:
        parts = []
        if self.alternatives is not None:
            f = self.alternatives
            chosen = f[f["proposal"]]
            if len(chosen):
                c = chosen.iloc[0]
                status = FRONTIER_LABELS.get(c["status"], c["status"])
                parts.append(
                    f"立项时比选了 {len(f)} 个备选方案（效果单位：{esc(self.alternatives_unit)}）。"
                    f"所选方案“{esc(c['name'])}”单位效果成本 {points(c['unit_cost'])} 万元，位于{esc(status)}。"
                )
                on = f[f["status"] == "frontier"]
                if len(on) > 1 and c["status"] == "frontier" and not _missing(c["icer"]):
                    parts.append(
                        f"与前沿上相邻的较低成本方案“{esc(c['comparator'])}”相比，每增加一单位效果需增加成本 "
                        f"{points(c['icer'])} 万元（增量成本效果比，ICER）。"
                    )
                elif c["status"] != "frontier":
                    parts.append(
                        "所选方案不在效率前沿上：存在以更低成本取得相同或更好效果的方案（或方案组合），应说明选择理由。"
                    )
        if self.peers is not None:
            me = self.peers[self.peers["is_self"]].iloc[0]
            n = len(self.peers)
            eff = _float(me["efficiency"])
            parts.append(
                f"本级共有同类项目 {n} 个（含本项目）。采用数据包络分析（DEA，CCR 模型，投入导向；"
                f"投入为全年执行数，产出为{esc(self.peer_output)}）比较其投入产出效率，本项目相对效率为 {pct(eff, 1)}。"
            )
            if eff is not None and eff < 0.999:
                parts.append(
                    f"若达到同类最优项目的投入产出水平，取得同样产出约需资金 {wan(me['target_input'])}，"
                    f"可节约 {wan(_float(me['input']) - _float(me['target_input']))}；参照项目：{_join(me['peer_names'])}。"
                )
            else:
                parts.append("本项目位于同类项目的效率前沿。")
            parts.append(
                "同类项目数量较少，DEA 结果用于提示单位成本差异，不单独作为评分依据；产出质量、建设条件等差异需结合实际分析。"
            )
        if not parts:
            parts.append("本项目无备选方案比选资料，本级也无可比的同类项目，未开展成本效益比较分析。")
        return html_paragraphs(parts)

    def uncertainty_text(self) -> HtmlFragment:
        parts = []
        if self.rule_lo is None:
            return paragraphs("本项目无可复算的绩效指标，不进行等级稳健性分析。")
        share = self.evidence_share
        lo, hi = self.rule_lo, self.rule_hi
        from .scoring import grade_points

        grades = grade_points([lo, hi], self.inputs.scheme)
        if hi - lo < 0.005:
            parts.append(
                f"全部计分指标均有可核实的实际完成值（证据覆盖率 {pct(share, 0)}），复算得分 {points(lo)} 分是确定值，"
                f"对应等级“{esc(grades[0])}”不受证据缺失影响。"
            )
        else:
            parts.append(
                f"证据覆盖率（有可核实实际值的指标分值占比）为 {pct(share, 1)}。缺少证据的指标按“0 至满分”计入后，"
                f"复算得分区间为 [{points(lo)}, {points(hi)}]，对应等级从“{esc(grades[0])}”到“{esc(grades[1])}”。"
            )
            if grades[0] == grades[1]:
                parts.append("区间两端等级相同，等级结论不受证据缺失影响。")
            else:
                parts.append("区间跨越等级分界，补充证据前等级结论不确定，应要求单位补充佐证材料。")
        parts.extend(self._monte_carlo_text())
        return html_paragraphs(parts)

    def _monte_carlo_text(self) -> list[str]:
        u = self.uncertainty
        if u is None:
            return []
        from .uncertainty import DEFAULT_CONCENTRATION, DEFAULT_CV, describe

        text = (
            f"进一步考虑指标分值设置和实际完成值计量的合理误差（一级指标内分值按狄利克雷分布随机浮动，集中度 {DEFAULT_CONCENTRATION:g}；"
            f"实际完成值按 {pct(DEFAULT_CV, 0)} 的变异系数随机浮动），按评价方案进行 {int(u['draws']):,} 次蒙特卡罗模拟，"
            f"复算等级为：{esc(describe(pd.Series(u), others=True))}。"
        )
        if not _missing(u.get("total_p5")):
            text += f"总分的 90% 区间为 [{points(u['total_p5'])}, {points(u['total_p95'])}]，中位数 {points(u['total_p50'])} 分。"
        elif not _missing(u.get("total_lo_p5")):
            text += (
                f"由于部分指标缺少证据，每次模拟的总分仍为区间，其范围为 [{points(u['total_lo_p5'])}, {points(u['total_hi_p95'])}]"
                "（下端的 5% 分位数至上端的 95% 分位数）。"
            )
        return [
            text,
            "模拟假设属于本工具的分析设定，不是评分规则；用于说明等级结论的可靠程度，不改变评价得分。",
        ]

    @property
    def grade_probabilities(self) -> pd.DataFrame:
        """The Monte Carlo probability of each label (only those that occur): ``label``, ``probability``."""
        u = self.uncertainty or {}
        rows = [
            (k[2:], float(v))
            for k, v in u.items()
            if isinstance(k, str) and k.startswith("p_") and float(v) > 0
        ]
        return pd.DataFrame(rows, columns=["label", "probability"])

    def problems(self) -> HtmlFragment:
        items = []
        for r in self.signals.itertuples(index=False):
            items.append(f"{esc(r.label)}：{esc(r.detail)}")
        unmet = self.indicators[self.indicators["met"] == "否"]
        if len(unmet):
            items.append(
                f"{len(unmet)} 项绩效指标未完成年度目标：{_join(unmet['level3'].head(6))}{'等' if len(unmet) > 6 else ''}"
            )
        rate = self.execution_rate
        if rate is not None and rate < 0.9:
            items.append(f"预算执行率 {pct(rate)}，低于 90%，资金使用效率有待提高")
        undocumented = self.indicators[
            (self.indicators["met"] == "否") & self.indicators["deviation_note"].map(_missing)
        ]
        if len(undocumented):
            items.append(f"{len(undocumented)} 项未完成指标未说明偏差原因：{_join(undocumented['level3'])}")
        if self.kind == "单位自评" and self.self_total is not None and self.rule_hi is not None:
            if self.self_total > self.rule_hi + 0.005:
                items.append(
                    f"自评得分 {points(self.self_total)} 分高于按方案复算的得分上限 {points(self.rule_hi)} 分，自评偏高"
                )
        return bullets(items, empty="未发现需要说明的突出问题。", escaped=True)

    def suggestions(self) -> HtmlFragment:
        items = []
        unmet = self.indicators[self.indicators["met"] == "否"]
        if len(unmet):
            items.append(
                "针对未完成的绩效指标查找原因，制定整改措施，并在下年度绩效目标和预算安排中予以体现。"
            )
        if (~self.indicators["met"].isin(["是", "否"])).any():
            items.append("完善绩效佐证资料：实际完成值应填写实际数据，不得照抄目标值或以“完成”等表述代替。")
        if self.indicators["over"].any():
            items.append("对大幅超额完成的指标复核目标设定的合理性，下年度适当提高目标值。")
        rate = self.execution_rate
        if rate is not None and rate < 0.9:
            items.append("加快预算执行进度，结合双监控结果及时调整或收回执行缓慢的资金。")
        if self.peers is not None:
            me = self.peers[self.peers["is_self"]].iloc[0]
            if _float(me["efficiency"]) is not None and _float(me["efficiency"]) < 0.9:
                items.append("对照同类项目分析单位成本偏高的原因，加强成本控制。")
        p = self.proposal
        if p and not _missing(p.get("consequences")):
            items.append(f"结果运用：{esc(p.get('consequences'))}。")
        return bullets(items, empty="继续保持良好的绩效管理水平。", escaped=True)

    def results(self) -> dict[str, Any]:
        """What the notebook records for the batch (score, grade, summary and key figures)."""
        if not self.has_indicators:
            summary = "未设置绩效目标，未评价"
        elif self.score is None:
            summary = f"{self.kind}得分无法确定"
        else:
            summary = f"{self.kind}得分{points(self.score)}分，等级{self.grade}"
        return _recorded(
            {
                "score": self.score,
                "grade": self.grade,
                "summary": summary,
                "evaluation_kind": self.kind,
                "self_total": self.self_total,
                "rule_lo": self.rule_lo,
                "rule_hi": self.rule_hi,
                "rule_grade": None
                if _missing(self.scores.get("rule_grade"))
                else self.scores.get("rule_grade"),
                "grade_probabilities": {
                    r.label: r.probability for r in self.grade_probabilities.itertuples(index=False)
                },
                "annual": self.annual,
                "executed": self.executed,
                "execution_rate": self.execution_rate,
                "indicators": len(self.indicators),
                "indicators_met": self.n_met,
            }
        )


def _short(level: Any) -> str:
    """A level name without the trailing 指标: 产出指标 → 产出, 服务对象满意度指标 → 服务对象满意度."""
    text = str(level).strip()
    return text[:-2] if text.endswith("指标") and len(text) > 2 else text


def interval_format(frame: pd.DataFrame, lo: str = "rule_lo", hi: str = "rule_hi"):
    """A :func:`pbm_lib.report.table` formatter for the column ``lo``: the score, or "lo–hi" for an interval.

    The column stays numeric, so the table right-aligns it like the other scores.
    """

    def show(column: pd.Series) -> pd.Series:
        rows = frame.loc[column.index]
        return pd.Series(
            [_score_state(a, b) for a, b in zip(rows[lo], rows[hi], strict=True)], index=column.index
        )

    return show


def _indicator_rows(scored: pd.DataFrame) -> pd.DataFrame:
    """Display rows of a project's scored indicators."""
    rows = (
        scored[~scored["is_parent"].fillna(False).astype(bool)].copy()
        if "is_parent" in scored
        else scored.copy()
    )
    met = rows["met"].astype(object)
    state = rows["state"].astype(object)
    out = pd.DataFrame(
        {
            "seq": rows["seq"].to_numpy() if "seq" in rows else np.arange(1, len(rows) + 1),
            "level1": rows["level1"].to_numpy(),
            "level2": rows["level2"].to_numpy(),
            "level3": rows["level3"].to_numpy(),
            "target": rows["target"].to_numpy(),
            "actual": rows["actual"].to_numpy(),
            "weight": pd.to_numeric(rows["weight"], errors="coerce").to_numpy(dtype=float),
            "self_score": pd.to_numeric(rows["self_score"], errors="coerce").to_numpy(dtype=float),
            "rule_lo": rows["score_lo"].to_numpy(dtype=float),
            "rule_hi": rows["score_hi"].to_numpy(dtype=float),
            "met": [MISSING if _missing(m) else ("是" if bool(m) else "否") for m in met],
            "state": [STATE_LABELS.get(s, s) if not _missing(s) else MISSING for s in state],
            "reason": [
                REASON_LABELS.get(r, r) if not _missing(r) else None for r in rows["reason"].astype(object)
            ],
            "deviation_note": rows["deviation_note"].to_numpy(),
            "over": rows["over_achieved"].fillna(False).astype(bool).to_numpy(),
        }
    )
    out["rule_text"] = [_score_state(lo, hi) for lo, hi in zip(out["rule_lo"], out["rule_hi"], strict=True)]
    out["category"] = [
        "／".join(_short(v) for v in (a, b) if not _missing(v)) or MISSING
        for a, b in zip(out["level1"], out["level2"], strict=True)
    ]
    out["evidence"] = [
        s if _missing(r) else f"{s}（{r}）" for s, r in zip(out["state"], out["reason"], strict=True)
    ]
    out["note"] = [
        n if not _missing(n) else (r if not _missing(r) else None)
        for n, r in zip(out["deviation_note"], out["reason"], strict=True)
    ]
    return out


def _level1_rows(indicators: pd.DataFrame, scores: dict[str, Any], budget_weight: float) -> pd.DataFrame:
    """Weight, self score and rule score (interval) per level-1 category, plus the budget row and the total."""
    if not len(indicators):
        return pd.DataFrame(columns=["category", "weight", "self_score", "rule_lo", "rule_hi", "rule_text"])
    grouped = indicators.groupby("level1", sort=False)
    out = pd.DataFrame(
        {
            "weight": grouped["weight"].sum(min_count=1),
            "self_score": grouped["self_score"].sum(min_count=1),
            "rule_lo": grouped["rule_lo"].sum(min_count=1),
            "rule_hi": grouped["rule_hi"].sum(min_count=1),
        }
    ).reset_index(names="category")
    budget_score = _float(scores.get("budget_score"))
    out = pd.concat(
        [
            out,
            pd.DataFrame(
                {
                    "category": ["预算执行率"],
                    "weight": [budget_weight],
                    "self_score": [budget_score],
                    "rule_lo": [budget_score],
                    "rule_hi": [budget_score],
                }
            ),
        ],
        ignore_index=True,
    )
    total = pd.DataFrame(
        {
            "category": ["合计"],
            "weight": [out["weight"].sum()],
            "self_score": [_float(scores.get("self_total"))],
            "rule_lo": [_float(scores.get("rule_lo"))],
            "rule_hi": [_float(scores.get("rule_hi"))],
        }
    )
    out = pd.concat([out, total], ignore_index=True)
    out["rule_text"] = [_score_state(lo, hi) for lo, hi in zip(out["rule_lo"], out["rule_hi"], strict=True)]
    return out


def _alternatives(inputs: Inputs, project_id: str) -> tuple[pd.DataFrame | None, str]:
    """The project's options on the efficiency frontier (:func:`pbm_lib.cost.icer_frontier`), or None."""
    from .cost import icer_frontier
    from .process.ex_ante import PROPOSAL_MARKERS

    alts = inputs.data.tables.get("alternatives")
    if alts is None:
        return None, ""
    rows = alts[alts["project_id"].astype(str) == project_id]
    rows = rows[
        np.isfinite(pd.to_numeric(rows["cost"], errors="coerce"))
        & np.isfinite(pd.to_numeric(rows["effect"], errors="coerce"))
    ]
    if len(rows) < 2:
        return None, ""
    frontier = icer_frontier(rows.rename(columns={"alternative": "name"})[["name", "cost", "effect"]])
    names = rows["alternative"].astype(str).tolist()
    marked = [n for n in names if any(w in n for w in PROPOSAL_MARKERS)]
    chosen = marked[0] if marked else names[0]
    frontier["proposal"] = frontier["name"] == chosen
    frontier["unit_cost"] = frontier["cost"] / frontier["effect"]
    frontier["status_label"] = frontier["status"].map(FRONTIER_LABELS)
    frontier["icer"] = pd.to_numeric(frontier["icer"], errors="coerce").astype(float)
    unit = rows["effect_unit"].dropna().astype(str)
    return frontier.reset_index(drop=True), (unit.iloc[0] if len(unit) else "")


_STEM = re.compile(r"\s*[(（].*$")


def project_stem(name: str) -> str:
    """The kind of a project, from its name without the trailing place in brackets:
    ``农村公路提质改造(东湖镇)`` → ``农村公路提质改造``."""
    return _STEM.sub("", str(name)).strip()


def peer_projects(
    inputs: Inputs, scored: pd.DataFrame, project_id: str, min_peers: int = 3
) -> tuple[pd.DataFrame | None, str]:
    """Comparable projects of the same kind and their relative efficiency by DEA, or ``(None, "")``.

    Projects are comparable when their names share the stem (:func:`project_stem`) and they report
    the same primary output: the first 数量指标 row of the project (same 三级指标 and unit) with a
    numeric actual. With at least ``min_peers`` such projects (the project included), an
    input-oriented CCR model (:func:`pbm_lib.dea.dea`) with one input (全年执行数, 万元) and one output
    (the primary output's actual) gives each project's efficiency — equal here to the best unit cost
    divided by its own — its target input and its peers.

    Returns
    -------
    (DataFrame or None, str)
        One row per comparable project (``project_id``, ``project_name``, ``unit_name``, ``input``,
        ``output``, ``unit_cost``, ``efficiency``, ``status``, ``target_input``, ``peer_names``,
        ``is_self``), sorted by efficiency; and the output's description, e.g. ``农村公路提质改造里程（公里）``.
    """
    from .dea import dea

    projects = inputs.data.projects
    me = projects[projects["project_id"].astype(str) == project_id]
    if me.empty:
        return None, ""
    stem = project_stem(me["project_name"].iloc[0])
    same = projects[projects["project_name"].map(project_stem) == stem]
    if len(same) < min_peers:
        return None, ""
    rows = scored[scored["project_id"].isin(same["project_id"])]
    mine = rows[(rows["project_id"] == project_id) & (rows["level2"].astype(str).str.contains("数量"))]
    mine = mine[mine["actual_value"].notna()]
    if mine.empty:
        return None, ""
    first = mine.iloc[0]
    key, unit, shown_unit = first["level3"], first["target_unit"], first["measure_unit"]
    outputs = rows[(rows["level3"] == key) & (rows["target_unit"] == unit) & rows["actual_value"].notna()]
    outputs = outputs.drop_duplicates("project_id")[["project_id", "actual_value"]]
    money = inputs.data.project_budget()[["project_id", "executed"]]
    data = (
        same[["project_id", "project_name", "unit_id"]]
        .merge(outputs, on="project_id")
        .merge(money, on="project_id")
    )
    data = data[(data["executed"] > 0) & (data["actual_value"] > 0)]
    if len(data) < min_peers or project_id not in set(data["project_id"]):
        return None, ""
    data = data.rename(columns={"executed": "input", "actual_value": "output"}).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few units: the caveat is worded in the report
        result = dea(data.set_index("project_id")[["input", "output"]], ["input"], ["output"], model="ccr")
    names = dict(zip(data["project_id"], data["project_name"], strict=True))
    units = inputs.data.units.set_index("unit_id")["unit_name"]
    data["unit_name"] = data["unit_id"].map(units)
    data["unit_cost"] = data["input"] / data["output"]
    data["efficiency"] = result["efficiency"].astype(float).to_numpy()
    data["status"] = result["status"].map(DEA_STATUS_LABELS).to_numpy()
    data["target_input"] = result["target_input"].to_numpy(dtype=float)
    data["peer_names"] = [[names[p] for p in peers] for peers in result["peers"]]
    data["is_self"] = data["project_id"] == project_id
    data = data.sort_values("efficiency", ascending=False, kind="stable").reset_index(drop=True)
    shown = shown_unit if not _missing(shown_unit) else unit
    label = f"{key}（{shown}）" if not _missing(shown) else str(key)
    data.attrs["output_unit"] = "" if _missing(shown) else str(shown)
    return data, label


#: Monte Carlo draws of a project report's grade (standard error of a probability ≤ 0.5 percentage points).
MONTE_CARLO_DRAWS = 10_000


def _uncertainty(inputs: Inputs, project_id: str) -> tuple[dict[str, Any] | None, pd.DataFrame | None]:
    """The grade's Monte Carlo (:func:`pbm_lib.uncertainty.grade_distribution`, module defaults, seed 0)."""
    from .uncertainty import grade_distribution

    rows = inputs.data.indicators[inputs.data.indicators["project_id"].astype(str) == project_id]
    if rows.empty:
        return None, None
    summary, draws = grade_distribution(
        rows, inputs.data.project_budget(), inputs.scheme, draws=MONTE_CARLO_DRAWS, seed=0
    )
    return summary.iloc[0].to_dict(), draws.totals


def _with_workbench(
    inputs: Inputs, project_id: str, workbench_file: str | Path
) -> tuple[Any, dict[str, Any]]:
    """The year with the workbench's saved 第三方评价 of the project in its 评价结果 table (replacing a recorded one).

    Reads the file with :func:`pbm_lib.workbench.third_party_scores`; returns the year (a copy whose
    ``evaluations`` table holds the file's row) and that row (``indicator_scores`` included).
    """
    import dataclasses

    from .workbench import EvaluationFileWarning, third_party_scores

    path = Path(str(workbench_file))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EvaluationFileWarning)
        rows = third_party_scores(path, year=inputs.data)
    notes = [str(w.message) for w in caught if issubclass(w.category, EvaluationFileWarning)]
    rows = rows[rows["project_id"].astype(str) == project_id]
    if rows.empty:
        why = "；".join(notes) or f"文件中没有项目 {project_id} 的评价"
        raise ReportInputError(
            f"第三方评价文件 {path.name} 不能用于项目 {project_id}：{why} / unusable workbench file"
        )
    found = rows.iloc[-1].to_dict()
    found["notes"] = notes
    evaluations = inputs.data.tables.get("evaluations")
    keep = (
        evaluations[
            ~(
                (evaluations["project_id"].astype(str) == project_id)
                & (evaluations["evaluation_kind"] == "第三方评价")
            )
        ]
        if evaluations is not None
        else pd.DataFrame(columns=["project_id", "evaluation_kind", "evaluator", "total", "grade"])
    )
    added = pd.DataFrame(
        [{c: found[c] for c in ("project_id", "evaluation_kind", "evaluator", "total", "grade")}]
    )
    table = pd.concat([keep, added.astype({"total": float})], ignore_index=True)
    data = dataclasses.replace(inputs.data, tables={**inputs.data.tables, "evaluations": table})
    return data, found


def _scheme_digest(scheme: Any) -> str:
    """A cache key for a scheme: its repr holds all its rules (a frozen dataclass), so an edited
    scheme file gives another key."""
    import hashlib

    return hashlib.sha256(repr(scheme).encode("utf-8")).hexdigest()


def _year_results(inputs: Inputs, data: Any, *, cached: bool) -> tuple[Any, ...]:
    """The whole year's rule scores, project scores, budget proposals, target checks and audit signals.

    Every project report starts from the same year-wide results, so within a warm kernel they are
    computed once per workbook and scheme (:func:`pbm_lib.batch.year_cache`: only while ``data``
    holds exactly the workbook's tables; each report gets its own copy). ``cached=False`` (a year
    with a workbench file's evaluation) computes them afresh.
    """

    from .batch import year_cache
    from .process.audit import project_signals
    from .process.evaluation import project_scores
    from .process.results import budget_proposals
    from .process.targets import indicator_checks
    from .scoring import score_year

    scheme = inputs.scheme

    def build() -> tuple[Any, ...]:
        scored = score_year(data, scheme)
        scores = project_scores(data, scheme, scored)
        proposals = budget_proposals(
            scores, data.projects, data.budget, scheme, inputs.year, data.tables.get("history")
        )
        checks = indicator_checks(data.indicators, scheme, scored["indicators"])
        signals = project_signals(scores, scored["indicators"], checks, scheme)
        return scored, scores, proposals, checks, signals

    if not cached:
        return build()
    key = ("project_evaluation", inputs.year, _scheme_digest(scheme))
    return year_cache(data, key, build)


def project_evaluation(
    inputs: Inputs,
    project_id: str,
    evaluation_kind: str = "单位自评",
    workbench_file: str | Path | None = None,
) -> ProjectEvaluation:
    """Assemble a project's evaluation report (项目支出绩效评价报告).

    Parameters
    ----------
    inputs : Inputs
    project_id : str
        The project (项目编码).
    evaluation_kind : {"单位自评", "财政评价", "第三方评价"}
        Whose evaluation the report presents. 单位自评: the unit's self-evaluation total (Σ 自评得分 +
        预算执行率得分). 财政评价 / 第三方评价: the total recorded in the 评价结果 sheet; it must exist.
        In every kind the indicators are also re-scored by the scheme's rules, side by side.
    workbench_file : str or Path, optional
        For 第三方评价: the evaluation file the evaluator saved in the workbench
        (:mod:`pbm_lib.workbench`, format ``pbm-third-party-evaluation/1``). Its total, grade,
        evaluator and per-indicator points are used instead of a 评价结果 row; it must be complete.

    Raises
    ------
    ReportInputError
        Unknown project or kind, or no evaluation of that kind recorded for the project.
    """
    if evaluation_kind not in EVALUATION_KINDS:
        raise ReportInputError(
            f"evaluation_kind={evaluation_kind!r} 不是可选的评价类型；应为：{'、'.join(EVALUATION_KINDS)}"
        )
    project = _project(inputs, project_id)
    pid = str(project["project_id"])
    data, scheme = inputs.data, inputs.scheme
    saved = None
    if workbench_file is not None and str(workbench_file).strip():
        if evaluation_kind != "第三方评价":
            raise ReportInputError(
                f"workbench_file 是第三方评价工作台保存的文件，只能与 evaluation_kind=第三方评价 一起使用（现为 {evaluation_kind}）"
            )
        data, saved = _with_workbench(inputs, pid, workbench_file)
    scored, scores, proposals, checks, signals = _year_results(inputs, data, cached=saved is None)
    row = _row(scores, "project_id", pid) or {}
    rule = _row(scored["projects"], "project_id", pid) or {}
    row["budget_score"] = rule.get("budget_score")
    evaluations = data.tables.get("evaluations")
    evaluator = project["unit_name"]
    if evaluation_kind == "单位自评":
        score, grade = _float(row.get("self_total")), row.get("self_grade")
        issuer = project["unit_name"]
    else:
        found = None
        if evaluations is not None:
            hit = evaluations[
                (evaluations["project_id"].astype(str) == pid)
                & (evaluations["evaluation_kind"] == evaluation_kind)
            ]
            found = None if hit.empty else hit.iloc[-1]
        if found is None:
            raise ReportInputError(
                f"项目 {pid} 没有{evaluation_kind}结果（评价结果工作表）；请选择单位自评，或先录入{evaluation_kind}结果 / "
                "no evaluation of this kind recorded"
            )
        key = "finance" if evaluation_kind == "财政评价" else "third_party"
        score, grade = _float(row.get(f"{key}_total")), row.get(f"{key}_grade")
        evaluator = str(found["evaluator"]) if not _missing(found.get("evaluator")) else inputs.finance_bureau
        issuer = evaluator if evaluation_kind == "第三方评价" else inputs.finance_bureau
    indicators = _indicator_rows(scored["indicators"][scored["indicators"]["project_id"] == pid])
    if saved is not None:
        points = saved.get("indicator_scores") or {}
        indicators["evaluator_score"] = [
            _float(points.get(int(q))) if not _missing(q) else None for q in indicators["seq"]
        ]
        indicators["evaluator_score"] = indicators["evaluator_score"].astype(float)
    level1 = _level1_rows(indicators, row, float(scheme.budget.weight or 0.0))
    alternatives, alt_unit = _alternatives(inputs, pid)
    peers, peer_output = peer_projects(inputs, scored["indicators"], pid)
    history = data.tables.get("history")
    history = (
        history[history["project_id"].astype(str) == pid].sort_values("year").reset_index(drop=True)
        if history is not None
        else pd.DataFrame(columns=["year", "total", "grade", "annual", "executed"])
    )
    if len(history):
        annual = history["annual"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            history = history.assign(
                rate=np.where(annual > 0, history["executed"].to_numpy(dtype=float) / annual, np.nan)
            )
    signals = signals[signals["project_id"].astype(str) == pid].reset_index(drop=True)
    has = len(indicators) > 0
    uncertainty, draws = _uncertainty(inputs, pid)
    return ProjectEvaluation(
        inputs=inputs,
        kind=evaluation_kind,
        project=project,
        issuer=str(issuer),
        evaluator=str(evaluator),
        scores=row,
        score=score if has else None,
        grade=None if (_missing(grade) or not has) else str(grade),
        rule_lo=_float(row.get("rule_lo")),
        rule_hi=_float(row.get("rule_hi")),
        evidence_share=_float(row.get("evidence_share")),
        budget=_project_budget(inputs, pid),
        indicators=indicators,
        level1=level1,
        alternatives=alternatives,
        alternatives_unit=alt_unit,
        peers=peers,
        peer_output=peer_output,
        history=history,
        proposal=_row(proposals, "project_id", pid),
        signals=signals,
        uncertainty=uncertainty,
        draws=draws,
        workbench=saved,
    )


# ---------------------------------------------------------------------------------------------
# Charts (drawn on an Axes given by pbm_lib.report.figure)
# ---------------------------------------------------------------------------------------------


def plot_level1(ax: Any, level1: pd.DataFrame, *, score_label: str = "得分") -> None:
    """Bars of weight (outline) and score per level-1 category; an interval score as an error bar."""
    rows = level1[level1["category"] != "合计"]
    x = np.arange(len(rows))
    weight = rows["weight"].to_numpy(dtype=float)
    lo = rows["rule_lo"].to_numpy(dtype=float)
    hi = rows["rule_hi"].to_numpy(dtype=float)
    own = rows["self_score"].to_numpy(dtype=float)
    ax.bar(x - 0.2, weight, width=0.38, color="#FFFFFF", edgecolor="#555555", label="分值")
    ax.bar(x + 0.2, np.nan_to_num(own), width=0.38, color=PALETTE[4], label=score_label)
    interval = ~np.isclose(lo, hi) & ~np.isnan(lo)
    ax.bar(x + 0.2, np.where(np.isnan(lo), 0, lo), width=0.0001, color="none")
    if interval.any():
        ax.errorbar(
            (x + 0.2)[interval],
            ((lo + hi) / 2)[interval],
            yerr=((hi - lo) / 2)[interval],
            fmt="none",
            ecolor=PALETTE[3],
            capsize=5,
            linewidth=1.5,
            label="复算得分区间",
        )
    for xi, w, s in zip(x, weight, own, strict=True):
        if not np.isnan(s):
            ax.annotate(
                f"{s:.2f}",
                (xi + 0.2, s),
                ha="center",
                va="bottom",
                fontsize=8.5,
                xytext=(0, 2),
                textcoords="offset points",
            )
        ax.annotate(
            f"{w:g}",
            (xi - 0.2, w),
            ha="center",
            va="bottom",
            fontsize=8.5,
            color="#555555",
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(x, rows["category"].astype(str).tolist())
    ax.set_ylabel("分")
    ax.set_ylim(0, max(np.nanmax(weight) if len(weight) else 10, 10) * 1.18)
    ax.legend(loc="upper right", fontsize=8.5, frameon=False)


def plot_frontier(ax: Any, frontier: pd.DataFrame, effect_unit: str) -> None:
    """Options in the (effect, cost) plane, the efficiency frontier and the chosen option, labelled in Chinese."""
    styles = {
        "frontier": dict(marker="o", color=PALETTE[0]),
        "extended-dominated": dict(marker="s", color=PALETTE[1]),
        "dominated": dict(marker="x", color="#777777"),
    }
    for status, style in styles.items():
        rows = frontier[frontier["status"] == status]
        if len(rows):
            ax.scatter(rows["effect"], rows["cost"], s=42, zorder=3, label=FRONTIER_LABELS[status], **style)
    on = frontier[frontier["status"] == "frontier"].sort_values("cost")
    ax.plot(on["effect"], on["cost"], color=PALETTE[0], linewidth=1.2, zorder=2)
    chosen = frontier[frontier["proposal"]]
    if len(chosen):
        ax.scatter(
            chosen["effect"],
            chosen["cost"],
            s=260,
            facecolors="none",
            edgecolors=PALETTE[3],
            linewidths=1.6,
            zorder=4,
            label="所选方案",
        )
    for r in frontier.itertuples(index=False):
        ax.annotate(str(r.name), (r.effect, r.cost), textcoords="offset points", xytext=(6, -3), fontsize=8.5)
    ax.set_xlabel(f"效果（{effect_unit}）" if effect_unit else "效果")
    ax.set_ylabel("成本（万元）")
    ax.margins(x=0.18, y=0.12)
    ax.legend(fontsize=8.5, frameon=False, loc="upper left")


def plot_peers(ax: Any, peers: pd.DataFrame) -> None:
    """Horizontal bars of the DEA efficiency of comparable projects; the project itself highlighted."""
    rows = peers.iloc[::-1]
    colours = [PALETTE[3] if s else PALETTE[4] for s in rows["is_self"]]
    y = np.arange(len(rows))
    ax.barh(y, rows["efficiency"] * 100, color=colours)
    for yi, v, c in zip(y, rows["efficiency"], rows["unit_cost"], strict=True):
        ax.annotate(
            f"{v * 100:.1f}%（单位成本 {c:.2f}）",
            (v * 100, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
        )
    ax.set_yticks(y, rows["project_name"].astype(str).tolist())
    ax.set_xlim(0, 135)
    ax.set_xlabel("相对效率（%）")
    ax.axvline(100, color="#777777", linewidth=0.8, linestyle="--")


# ---------------------------------------------------------------------------------------------
# 事前绩效评估报告
# ---------------------------------------------------------------------------------------------


@dataclass
class ExAnteAssessment:
    """Everything an ex-ante assessment report shows (see :func:`ex_ante_assessment`)."""

    inputs: Inputs
    project: dict[str, Any]
    row: dict[str, Any] | None  # the project's row of process.ex_ante.assess
    dimensions: pd.DataFrame
    experts: pd.DataFrame
    outliers: pd.DataFrame
    cash_flows: pd.DataFrame | None
    appraisal: dict[str, Any] | None
    alternatives: pd.DataFrame | None
    alternatives_unit: str
    annual: float | None

    @property
    def name(self) -> str:
        return str(self.project["project_name"])

    @property
    def assessed(self) -> bool:
        return bool(self.row and self.row.get("assessed"))

    @property
    def score(self) -> float | None:
        return None if not self.row else _float(self.row.get("score"))

    @property
    def conclusion(self) -> str | None:
        value = None if not self.row else self.row.get("conclusion")
        return None if _missing(value) else str(value)

    @property
    def flag(self) -> str | None:
        value = None if not self.row else self.row.get("flag")
        return None if _missing(value) else str(value)

    @property
    def n_experts(self) -> int:
        return 0 if not self.row else int(self.row.get("n_experts") or 0)

    def header(self) -> HtmlFragment:
        p = self.project
        rows = [
            ("项目名称", self.name),
            ("项目编码", p["project_id"]),
            ("申报单位", p["unit_name"]),
            (
                "项目类型",
                f"{p.get('project_kind') or MISSING}（{p.get('new_or_continuing') or MISSING}，重大：{p.get('major') or MISSING}）",
            ),
            ("预算类型", p.get("budget_type")),
            ("专项类别", p.get("special_category")),
            (
                "实施期限",
                f"{p.get('start_year')}—{p.get('end_year')}年" if not _missing(p.get("start_year")) else None,
            ),
            ("本年度预算", wan(self.annual)),
            ("评估方式", f"专家评审（{self.n_experts} 名专家）" if self.assessed else "未开展"),
            ("评估年度", f"{self.inputs.year}年度"),
        ]
        return document_header(
            f"{self.inputs.jurisdiction} · {self.inputs.year}年度 · 新增重大项目（政策）事前绩效评估", rows
        )

    def summary(self) -> HtmlFragment:
        if not self.assessed:
            verdict = f"{chip('未评估')}　{esc(self.flag or '未开展事前绩效评估')}。"
            sentences = [
                "本项目属新增重大项目（政策），按规定应在申请预算前开展事前绩效评估，评估报告是预算申请的必备要件。",
                "未提交评估报告的，财政部门不予受理预算申请；请申报单位组织评估后重新申报。",
            ]
            return summary_box(
                "评估结论", verdict, sentences, [("本年度预算", wan(self.annual)), ("评估专家", "0 名")]
            )
        conclusion = self.conclusion or "无结论"
        verdict = (
            f"{chip(conclusion, CONCLUSION_COLOURS.get(conclusion))}　评估得分 <strong>{points(self.score)}</strong> 分，"
            f"评估结论为“{esc('建议' + conclusion if self.conclusion else conclusion)}”。"
        )
        dims = self.dimensions
        weakest = dims.sort_values("used").iloc[0] if len(dims) else None
        sentences = []
        if weakest is not None:
            sentences.append(
                f"五个评估维度中得分最低的是“{esc(weakest['dimension'])}”（{points(weakest['used'])} 分）。"
            )
        n_dispersed = int((dims["dispersed"] == "是").sum())
        if n_dispersed:
            sentences.append(f"{n_dispersed} 个维度专家意见分歧较大，结论应结合专家意见说明审慎使用。")
        if self.row.get("economy_conflict"):
            sentences.append(
                "专家对投入经济性的评分与成本效益测算结果差异较大，已按方案将测算结果计入该维度得分。"
            )
        if self.flag:
            sentences.append(f"提示：{esc(self.flag)}。")
        figures = [("评估得分", points(self.score)), ("评估专家", f"{self.n_experts} 名")]
        if self.appraisal:
            figures += [
                ("净现值（NPV）", wan(self.appraisal.get("npv"))),
                (
                    "效益费用比（BCR）",
                    MISSING if _missing(self.appraisal.get("bcr")) else f"{float(self.appraisal['bcr']):.2f}",
                ),
            ]
        if self.alternatives is not None:
            chosen = self.alternatives[self.alternatives["proposal"]]
            if len(chosen):
                figures.append(("拟选方案", FRONTIER_LABELS.get(chosen.iloc[0]["status"], MISSING)))
        return summary_box("评估结论", verdict, sentences, figures)

    def overview(self) -> HtmlFragment:
        p = self.project
        parts = [
            f"{esc(self.name)}由{esc(p['unit_name'])}申报，属{esc(p.get('budget_type'))}安排的新增"
            f"{'重大' if p.get('major') == '是' else ''}{esc(p.get('project_kind'))}"
            + (
                f"，专项类别为{esc(p.get('special_category'))}"
                if p.get("special_category") not in (None, "无")
                else ""
            )
            + "。",
            f"绩效目标：{esc(p.get('goal'))}" if not _missing(p.get("goal")) else "",
            f"本年度预算 {wan(self.annual)}。",
        ]
        if self.cash_flows is not None:
            parts.append(
                f"项目全寿命期现金流量测算期 {len(self.cash_flows)} 年，投入合计 {wan(self.cash_flows['cost'].sum())}，"
                f"预期效益合计 {wan(self.cash_flows['benefit'].sum())}（均未折现）。"
            )
        return html_paragraphs(parts)

    def method(self) -> HtmlFragment:
        from .process import sections

        s = sections.get(self.inputs.scheme, "ex_ante")
        dims = "、".join(f"{esc(d)} {float(w):g} 分" for d, w in s["dimensions"].items())
        bands = s["conclusions"]
        limits = [None] + [float(b["min"]) for b in bands[:-1]]
        band_text = "；".join(
            f"{esc(b['conclusion'])}：{float(b['min']):g} 分"
            + ("及以上" if upper is None else f"至 {upper:g} 分（不含）")
            for b, upper in zip(bands, limits, strict=True)
        )
        d = s["dispersion"]
        e = s["economy"]
        parts = [
            f"评估从五个维度进行：{dims}。每位专家对各维度按百分制打分，维度得分取全体专家的"
            f"{'平均值' if s['aggregate'] == 'mean' else '中位数'}，总分为各维度得分按分值加权。",
            f"专家意见一致性检查：某位专家评分偏离该维度专家中位数超过 {float(d['max_deviation']):g} 分的，标记为离群；"
            f"维度评分变异系数超过 {float(d['max_cv']):.0%} 或存在离群评分的，视为意见分歧较大。至少需要 {int(s['min_experts'])} 名专家。",
            f"投入经济性维度同时参考成本效益测算：按 {pct(e['discount_rate'], 0)} 的社会折现率计算净现值和效益费用比，"
            f"并比较拟选方案与备选方案的单位效果成本，测算结果以 {pct(e['model_weight'], 0)} 的权重计入该维度得分。",
            f"评估结论按总分确定（四舍五入保留两位小数后）：{band_text}。",
        ]
        return html_paragraphs(parts)

    def dimension_text(self) -> HtmlFragment:
        if not self.assessed:
            return paragraphs("未开展事前绩效评估，无维度评分。")
        dims = self.dimensions
        best, worst = dims.sort_values("used").iloc[-1], dims.sort_values("used").iloc[0]
        parts = [
            f"各维度得分在 {points(worst['used'])} 至 {points(best['used'])} 分之间，"
            f"“{esc(best['dimension'])}”最高，“{esc(worst['dimension'])}”最低。"
        ]
        econ = dims[dims["dimension"] == "投入经济性"]
        if len(econ) and abs(float(econ["used"].iloc[0]) - float(econ["score"].iloc[0])) > 0.005:
            parts.append(
                f"投入经济性专家评分 {points(econ['score'].iloc[0])} 分，计入成本效益测算后为 {points(econ['used'].iloc[0])} 分。"
            )
        return html_paragraphs(parts)

    def expert_text(self) -> HtmlFragment:
        if not self.assessed:
            return paragraphs("未开展事前绩效评估，无专家评分。")
        items = [
            f"{esc(r.expert)}对“{esc(r.dimension)}”评分 {points(r.score)} 分，偏离专家中位数 {points(r.deviation)} 分"
            for r in self.outliers.itertuples(index=False)
        ]
        dispersed = self.dimensions[self.dimensions["dispersed"] == "是"]["dimension"]
        lead = (
            f"{self.n_experts} 名专家评分总体一致。"
            if not items and not len(dispersed)
            else f"{self.n_experts} 名专家中存在意见分歧：{_join(dispersed) or '个别评分离群'}。"
        )
        body = "".join(f"<li>{i}</li>" for i in items)
        return _fragment(f"<p>{lead}</p>" + (f"<ul>{body}</ul>" if body else ""), "[专家意见]")

    def economy_text(self) -> HtmlFragment:
        parts = []
        a = self.appraisal
        if a:
            bcr = _float(a.get("bcr"))
            irr = _float(a.get("irr"))
            payback = _float(a.get("discounted_payback"))
            parts.append(
                f"按 {pct(a.get('rate'), 0)} 的折现率测算，效益现值 {wan(a.get('pv_benefit'))}，费用现值 {wan(a.get('pv_cost'))}，"
                f"净现值 {wan(a.get('npv'))}，效益费用比 {MISSING if bcr is None else f'{bcr:.2f}'}"
                + (f"，内部收益率 {pct(irr)}" if irr is not None else "，内部收益率无唯一解")
                + (f"，动态投资回收期 {payback:.1f} 年" if payback is not None else "，测算期内不能收回投资")
                + "。"
            )
            if bcr is not None and bcr < 1:
                parts.append(
                    "效益费用比小于 1，按测算的效益不足以覆盖费用；应补充论证难以货币化的社会效益，或优化建设方案、压减投资。"
                )
        if self.alternatives is not None:
            f = self.alternatives
            chosen = f[f["proposal"]]
            if len(chosen):
                c = chosen.iloc[0]
                parts.append(
                    f"共比选 {len(f)} 个方案（效果单位：{esc(self.alternatives_unit)}），拟选方案“{esc(c['name'])}”"
                    f"单位效果成本 {points(c['unit_cost'])} 万元，位于{esc(FRONTIER_LABELS.get(c['status'], c['status']))}。"
                )
                if c["status"] != "frontier":
                    parts.append(
                        "拟选方案不在效率前沿上，存在成本更低而效果相同或更好的方案，应说明选择理由或调整方案。"
                    )
        if not parts:
            parts.append("申报材料未提供现金流量测算和备选方案，投入经济性仅依据专家评分。")
        return html_paragraphs(parts)

    def recommendations(self) -> HtmlFragment:
        if not self.assessed:
            return bullets(
                [
                    "组织开展事前绩效评估，从立项必要性、投入经济性、绩效目标合理性、实施方案可行性和筹资合规性五个方面形成评估报告。",
                    "评估报告作为预算申请的必备要件随预算申请一并报送财政部门。",
                ]
            )
        items = []
        conclusion = self.conclusion
        if conclusion == "予以支持":
            items.append("建议予以支持，纳入预算安排；绩效目标随预算一并批复，实施中纳入双监控。")
        elif conclusion == "调整完善后予以支持":
            low = self.dimensions[self.dimensions["used"] < 80]["dimension"]
            items.append(
                "建议调整完善后予以支持：针对得分较低的维度（"
                + (_join(low) or "见上表")
                + "）补充论证、完善方案后再纳入预算安排。"
            )
        elif conclusion == "不予支持":
            items.append("建议不予支持，本年度不安排预算。")
        if self.appraisal and (_float(self.appraisal.get("bcr")) or 0) < 1:
            items.append("优化投资方案，补充效益测算依据，提高投入经济性。")
        if len(self.outliers):
            items.append("对离群评分组织专家复议，说明分歧原因。")
        return bullets(items, escaped=True)

    def results(self) -> dict[str, Any]:
        summary = (
            f"事前评估得分{points(self.score)}分，结论：{self.conclusion}"
            if self.assessed and self.score is not None
            else (self.flag or "未开展事前绩效评估")
        )
        return _recorded(
            {
                "score": self.score,
                "grade": None,
                "summary": summary,
                "conclusion": self.conclusion,
                "assessed": self.assessed,
                "n_experts": self.n_experts,
                "npv": None if not self.appraisal else _float(self.appraisal.get("npv")),
                "bcr": None if not self.appraisal else _float(self.appraisal.get("bcr")),
                "flag": self.flag,
            }
        )


def ex_ante_assessment(inputs: Inputs, project_id: str) -> ExAnteAssessment:
    """Assemble a new major project's (or policy's) ex-ante assessment report (事前绩效评估报告).

    The experts' scores, the dispersion check, the economy evidence and the conclusion are those of
    :func:`pbm_lib.process.ex_ante.run`; the cash flows are appraised with :func:`pbm_lib.cba.appraise`
    at the scheme's discount rate and the options placed on the frontier with
    :func:`pbm_lib.cost.icer_frontier`.
    """
    from .cba import appraise, cash_flow_table
    from .process import ex_ante, sections
    from .workbook.schema import EX_ANTE_DIMENSIONS

    project = _project(inputs, project_id)
    pid = str(project["project_id"])
    tables = ex_ante.run(inputs.data, inputs.scheme)
    row = _row(tables["projects"], "project_id", pid)
    dims = tables["dimensions"][tables["dimensions"]["project_id"].astype(str) == pid].copy()
    dims["order"] = dims["dimension"].map({d: i for i, d in enumerate(EX_ANTE_DIMENSIONS)})
    dims = dims.sort_values("order").reset_index(drop=True)
    used = {d: (row or {}).get(c) for d, c in ex_ante.DIMENSION_COLUMNS.items()}
    dims["used"] = dims["dimension"].map(used).astype(float)
    dims["dispersed"] = np.where(dims["dispersed"].astype(bool), "是", "否")
    experts = tables["experts"][tables["experts"]["project_id"].astype(str) == pid]
    wide = experts.pivot_table(
        index="expert", columns="dimension", values="score", aggfunc="first", sort=False
    )
    wide = wide.reindex(columns=[d for d in EX_ANTE_DIMENSIONS if d in wide.columns])
    weights = {d: float(w) for d, w in sections.get(inputs.scheme, "ex_ante")["dimensions"].items()}
    if len(wide.columns):
        w = np.asarray([weights.get(d, 0.0) for d in wide.columns])
        wide["总分"] = (wide.to_numpy(dtype=float) @ w) / w.sum()
    wide = wide.reset_index()
    wide.columns.name = None
    outliers = experts[experts["outlier"]][
        ["expert", "dimension", "score", "median", "deviation"]
    ].reset_index(drop=True)
    flows = inputs.data.tables.get("cash_flows")
    cash, appraisal = None, None
    rate = float(sections.get(inputs.scheme, "ex_ante")["economy"]["discount_rate"])
    if flows is not None:
        mine = flows[flows["project_id"].astype(str) == pid]
        if len(mine):
            cash = cash_flow_table(mine, rate=rate, year="year_index")
            appraisal = appraise(mine, rate=rate, year="year_index").to_dict()
    alternatives, alt_unit = _alternatives(inputs, pid)
    budget = inputs.data.project_budget()
    annual = _row(budget, "project_id", pid)
    return ExAnteAssessment(
        inputs=inputs,
        project=project,
        row=row,
        dimensions=dims,
        experts=wide,
        outliers=outliers,
        cash_flows=cash,
        appraisal=appraisal,
        alternatives=alternatives,
        alternatives_unit=alt_unit,
        annual=None if annual is None else _float(annual.get("annual")),
    )


def plot_dimensions(ax: Any, dimensions: pd.DataFrame, bands: Sequence[Any] = ()) -> None:
    """Horizontal bars of the ex-ante dimension scores with the conclusion thresholds as lines."""
    rows = dimensions.iloc[::-1]
    y = np.arange(len(rows))
    values = rows["used"].to_numpy(dtype=float)
    ax.barh(y, values, color=PALETTE[0], height=0.6)
    for yi, v in zip(y, values, strict=True):
        if not np.isnan(v):
            ax.annotate(
                f"{v:.2f}", (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9
            )
    for band in bands:
        m = float(band["min"])
        if m > 0:
            ax.axvline(m, color="#777777", linestyle="--", linewidth=0.9)
            ax.text(
                m,
                1.01,
                f"{band['conclusion']} ≥{m:g}",
                transform=ax.get_xaxis_transform(),
                fontsize=8,
                color="#555555",
                ha="center",
                va="bottom",
            )
    ax.set_yticks(y, rows["dimension"].astype(str).tolist())
    ax.set_xlim(0, 108)
    ax.set_xlabel("得分（百分制）")


def plot_cash_flows(ax: Any, cash: pd.DataFrame) -> None:
    """Yearly costs and benefits (bars) and the cumulative discounted net flow (line)."""
    years = cash["year"].to_numpy()
    ax.bar(years - 0.2, cash["cost"], width=0.4, color=PALETTE[3], label="费用")
    ax.bar(years + 0.2, cash["benefit"], width=0.4, color=PALETTE[2], label="效益")
    ax.set_xlabel("年序（0 为评估年度）")
    ax.set_ylabel("万元")
    twin = ax.twinx()
    twin.plot(years, cash["cumulative_pv_net"], color=PALETTE[0], linewidth=1.8, label="累计折现净现金流量")
    twin.axhline(0, color="#777777", linewidth=0.8)
    twin.set_ylabel("累计折现净流量（万元）")
    twin.grid(False)
    from matplotlib.ticker import StrMethodFormatter

    for axis in (ax, twin):
        axis.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    handles = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        fontsize=8.5,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=3,
    )


# ---------------------------------------------------------------------------------------------
# 绩效目标审核意见 (per unit)
# ---------------------------------------------------------------------------------------------


@dataclass
class TargetReview:
    """Everything a unit's target-review opinion shows (see :func:`target_review`)."""

    inputs: Inputs
    unit: dict[str, Any]
    projects: pd.DataFrame
    issues: pd.DataFrame
    department: dict[str, Any] | None
    department_targets: pd.DataFrame
    check_points: dict[str, float]
    benchmarks: pd.DataFrame
    core: pd.DataFrame

    @property
    def name(self) -> str:
        return str(self.unit["unit_name"])

    @property
    def uses_library(self) -> bool:
        """Whether the scheme reviews targets against the indicator library (``target_review.library``)."""
        return "below_benchmark" in self.check_points

    def points_table(self) -> pd.DataFrame:
        """Each reviewed project's points by part — one column per check and library deduction (≤ 0,
        ``points_<part>``, from :func:`pbm_lib.process.targets.review_targets`) — and ``points``, their sum."""
        rows = self.projects[self.projects["has_targets"]]
        columns = ["project_name", *(f"points_{c}" for c in self.check_points), "points", "grade"]
        return rows[columns].reset_index(drop=True)

    def _library_sentence(self) -> str:
        """One summary sentence on the library checks' findings ('' when none or not used)."""
        if not self.uses_library:
            return ""
        n_below = int(self.benchmarks["below_benchmark"].astype(bool).sum())
        n_core = int((self.core["n_missing_core"] > 0).sum()) if len(self.core) else 0
        found = []
        if n_below:
            found.append(f"{n_below} 项指标目标值低于同类项目历史标准")
        if n_core:
            found.append(f"{n_core} 个项目缺少本行业领域核心指标")
        if not found:
            return ""
        return f"对照绩效指标库，{'，'.join(found)}，已按审核方案扣分，请对照建议目标值和核心指标完善（见第三部分）。"

    def benchmark_table(self) -> pd.DataFrame:
        """The historical standards (历史标准) beside the unit's targets, ready to show: ``project_name``,
        ``level3``, ``library_name``, ``target`` (as written), ``suggested`` and ``stretch`` (with their
        unit), ``status`` (低于历史标准 …) and ``source`` (years, scope and number of comparable projects);
        flagged rows first; ``scope`` is the source in short (年度，范围，同类项目数). The numbers are in
        ``benchmarks``."""
        b = self.benchmarks
        short = {
            "低于历史标准": "▲ 偏低",
            "高于历史标准": "▲ 偏高",
            "不低于历史标准": "不低于",
            "不高于历史标准": "不高于",
        }
        out = pd.DataFrame(
            {
                "project_name": b["project_name"].to_numpy(dtype=object),
                "level3": b["level3"].to_numpy(dtype=object),
                "library_name": b["library_name"].to_numpy(dtype=object),
                "target": b["target"].astype(object).to_numpy(),
                "suggested": [_value(v, u) for v, u in zip(b["suggested"], b["unit"], strict=True)],
                "stretch": [_value(v, u) for v, u in zip(b["stretch"], b["unit"], strict=True)],
                "status": b["status"].map(short).fillna(b["status"]).to_numpy(dtype=object),
                "source": b["source"].to_numpy(dtype=object),
                "scope": [
                    f"{y + '年' if isinstance(y, str) else '上年'}，"
                    f"{sector if isinstance(sector, str) else '各行业'}"
                    f"{'，' + size if isinstance(size, str) else ''}，{int(n)}个项目"
                    for y, sector, size, n in zip(
                        b["years"], b["sector"], b["size"], b["n_projects"], strict=True
                    )
                ],
                "_flag": ~b["below_benchmark"].astype(bool).to_numpy(),
            }
        )
        return out.sort_values("_flag", kind="stable").drop(columns="_flag").reset_index(drop=True)

    def core_table(self) -> pd.DataFrame:
        """Per project placed in a field (领域) of its sector system: ``project_name``, ``library_field``
        (体系/领域), ``n_core`` (核心指标 of the field), ``n_present`` and ``missing`` (the missing ones,
        、-joined, or 齐全)."""
        c = self.core
        return pd.DataFrame(
            {
                "project_name": c["project_name"].to_numpy(dtype=object),
                "library_field": c["library_field"].to_numpy(dtype=object),
                "n_core": c["n_core"].to_numpy(dtype=int),
                "n_present": (c["n_core"] - c["n_missing_core"]).to_numpy(dtype=int),
                "missing": c["missing_core"]
                .astype(object)
                .where(c["missing_core"].notna(), "齐全")
                .to_numpy(),
            }
        )

    def library_text(self) -> HtmlFragment:
        """How the library's benchmarks and core indicators were applied, and what they found, in a few sentences."""
        from .process import sections
        from .process.targets import STATISTIC_NAMES

        cfg = sections.get(self.inputs.scheme, "target_review").get("library")
        if cfg is None:
            return paragraphs("本审核方案未启用绩效指标库的历史标准和核心指标审核。")
        statistic = STATISTIC_NAMES[cfg["benchmark"]]
        b = self.benchmarks
        flagged = b[b["below_benchmark"].astype(bool)]
        years = sorted({y for text in b["years"].dropna() for y in str(text).split("、")})
        when = f"{'、'.join(years)}年" if years else "上年"
        scopes = [GROUP_SCOPES.get(g, g) for g in cfg["groups"]]
        wider = (
            f"（不足 {int(cfg['min_projects'])} 个的，依次放宽到{'、'.join(scopes[1:])}）"
            if len(scopes) > 1
            else ""
        )
        texts = [
            f"历史标准取自本年度各项目填报的上年实际完成值（{when}）：每个三级指标先对应到指标库中的标准指标，"
            f"再按{scopes[0] if scopes else '同类项目'}{wider}计算实际完成值的分布，"
            f"中位数为建议目标值，上四分位数（越小越好的指标为下四分位数）为较高目标值；"
            f"目标值低于同类项目{statistic}的（越小越好的指标为高于），视为目标设定偏低。"
            f"只比较{'、'.join(KIND_NAMES.get(k, k) for k in cfg['benchmark_kinds'])}类指标"
            + ("，数量类指标随项目规模而变，不作比较。" if "count" not in cfg["benchmark_kinds"] else "。"),
        ]
        if len(b):
            texts.append(
                f"本单位 {b['project_id'].nunique()} 个项目的 {len(b)} 项指标有可比的历史标准，"
                + (
                    f"其中 {len(flagged)} 项目标值低于历史标准：{_join(esc(f'{n}（{t}）') for n, t in zip(flagged['project_name'], flagged['level3'], strict=True))}。"
                    if len(flagged)
                    else "目标值均不低于历史标准。"
                )
            )
        else:
            texts.append("本单位项目的指标在指标库中没有足够的同类项目数据，未作历史标准比较。")
        c = self.core
        missing = c[c["n_missing_core"] > 0]
        if len(c):
            texts.append(
                f"按指标库的行业领域，本单位 {len(c)} 个项目可确定所属领域，"
                + (
                    f"{len(missing)} 个项目缺少本领域核心指标：{_join(esc(f'{n}（缺{m}）') for n, m in zip(missing['project_name'], missing['missing_core'], strict=True))}。"
                    if len(missing)
                    else "均已设置本领域核心指标。"
                )
            )
        return html_paragraphs(texts)

    def counts(self) -> dict[str, int]:
        from .workbook.schema import GRADES

        grades = self.projects["grade"].astype(object)
        out = {g: int((grades == g).sum()) for g in GRADES}
        out["无绩效目标"] = int((~self.projects["has_targets"]).sum())
        return out

    @property
    def blocked(self) -> pd.DataFrame:
        """Projects that may not enter the budget as submitted (差, or no targets)."""
        return self.projects[(self.projects["grade"] == "差") | ~self.projects["has_targets"]]

    @property
    def to_revise(self) -> pd.DataFrame:
        return self.projects[self.projects["grade"].isin(["良", "中"])]

    def header(self) -> HtmlFragment:
        u = self.unit
        rows = [
            ("单位名称", self.name),
            ("单位编码", u["unit_id"]),
            ("单位类型", u.get("unit_kind")),
            ("行业领域", u.get("sector")),
            ("审核项目", f"{len(self.projects)} 个"),
            ("申报预算", wan(self.projects["annual"].sum())),
            ("审核机关", self.inputs.finance_bureau),
            ("预算年度", f"{self.inputs.year}年度"),
        ]
        return document_header(f"{self.inputs.jurisdiction} · {self.inputs.year}年度 · 预算编制阶段", rows)

    def summary(self) -> HtmlFragment:
        c = self.counts()
        chips = "　".join(f"{chip(g)} {c[g]} 个" for g in ("优", "良", "中", "差") if c[g])
        if c["无绩效目标"]:
            chips += f"　{chip('无绩效目标')} {c['无绩效目标']} 个"
        verdict = f"审核结果：{chips}" if chips else "审核结果：无项目"
        blocked = self.blocked
        sentences = []
        ok = self.projects[self.projects["grade"] == "优"]
        if len(ok):
            sentences.append(f"{len(ok)} 个项目审核等级为“优”，可直接进入预算安排。")
        if len(self.to_revise):
            sentences.append(
                f"{len(self.to_revise)} 个项目需按审核意见完善绩效目标：{_join(self.to_revise['project_name'])}。"
            )
        if len(blocked):
            sentences.append(
                f"{len(blocked)} 个项目（{_join(blocked['project_name'])}）绩效目标缺失或不合理，"
                f"涉及预算 {wan(blocked['annual'].sum())}，按“无目标不安排预算”的要求不得进入预算安排。"
            )
        library = self._library_sentence()
        if library:
            sentences.append(library)
        d = self.department
        if d is not None:
            status = d.get("status")
            sentences.append(
                f"部门整体绩效目标：{esc(status)}"
                + (
                    f"（缺少：{esc(d.get('missing_dimensions'))}）"
                    if not _missing(d.get("missing_dimensions"))
                    else ""
                )
                + "。"
            )
        figures = [
            ("审核项目", f"{len(self.projects)} 个"),
            ("申报预算", wan(self.projects["annual"].sum())),
            ("可直接进入预算", f"{c['优']} 个"),
            ("不得进入预算", f"{len(blocked)} 个"),
            ("不得进入预算金额", wan(blocked["annual"].sum())),
        ]
        return summary_box("审核结论", verdict, sentences, figures)

    def method(self) -> HtmlFragment:
        from .process import sections
        from .process.targets import STATISTIC_NAMES

        s = sections.get(self.inputs.scheme, "target_review")
        p = s["points"]
        required = "；".join(
            f"{esc(k)}" + (f"（{esc('、'.join(v))}）" if v else "") for k, v in s["required"].items()
        )
        grades = "、".join(f"{esc(b['grade'])} {float(b['min']):g} 分及以上" for b in s["grades"][:-1])
        grades += f"、{esc(s['grades'][-1]['grade'])} {float(s['grades'][-2]['min']):g} 分以下"
        consequences = "；".join(f"{esc(g)}：{esc(t)}" for g, t in s["consequences"].items())
        parts = [
            "按照“谁申请资金，谁设置目标”和“无目标不安排预算”的要求，对单位申报的每个项目的绩效目标逐项审核，审核内容及分值如下：",
        ]
        items = [
            f"指标完整性（{float(p['categories']):g} 分）：应包括 {required}；",
            f"目标量化程度（{float(p['quantified']):g} 分）：量化指标占比不低于 {pct(s['min_quantified_share'], 0)}；",
            f"分值设置（{float(p['weights']):g} 分）：指标分值合计及一级指标分值符合评价方案；",
            f"取值依据（{float(p['basis']):g} 分）：指标值应注明计划、行业、历史或其他标准；",
            f"目标合理性（{float(p['not_below_last']):g} 分）：延续项目的目标不应低于上年实际完成值。",
        ]
        cfg = s.get("library")
        if cfg is not None:
            d = cfg["deduct"]
            items += [
                f"历史标准（扣分项，最多扣 {float(d['below_benchmark']):g} 分）：目标值低于同类项目上年实际完成值"
                f"{STATISTIC_NAMES[cfg['benchmark']]}（历史标准）的，按偏低指标占可比指标的比例扣分；",
                f"核心指标（扣分项，最多扣 {float(d['missing_core']):g} 分）：缺少所属行业领域核心指标的，按缺少的比例扣分。",
            ]
        markup = (
            f"<p>{parts[0]}</p><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul>"
            f"<p>审核等级：{grades}。审核结果运用：{consequences}；未设置绩效目标的，{esc(s['no_targets'])}。</p>"
        )
        return _fragment(markup, "[审核依据]")

    def opinions(self) -> HtmlFragment:
        items = []
        for r in self.projects.itertuples(index=False):
            messages = self.issues[self.issues["project_id"] == r.project_id]["message"]
            problems = list(dict.fromkeys(m for text in messages for m in str(text).split("；")))
            detail = f"（{_join(problems[:4], '；')}{'等' if len(problems) > 4 else ''}）" if problems else ""
            if not r.has_targets:
                items.append(f"{esc(r.project_name)}：未设置绩效目标，{esc(r.consequence)}。")
            elif r.grade == "优":
                if problems:
                    items.append(
                        f"{esc(r.project_name)}：审核等级“优”，{esc(r.consequence)}；建议完善{detail}。"
                    )
                continue
            else:
                items.append(
                    f"{esc(r.project_name)}：审核等级“{esc(r.grade)}”，{esc(r.consequence)}{detail}。"
                )
        d = self.department
        if d is not None and d.get("status") != "已设置":
            missing = d.get("missing_dimensions")
            items.append(
                "部门整体绩效目标"
                + (
                    f"缺少{esc(missing)}维度"
                    if not _missing(missing) and d.get("status") != "未设置"
                    else "未设置"
                )
                + "，应在部门预算批复后按运行成本、管理效率、履职效能、社会效应、可持续发展能力和服务对象满意度六个维度设置并报送审核。"
            )
        return bullets(items, empty="所有项目绩效目标均符合要求，同意进入预算安排。", escaped=True)

    def results(self) -> dict[str, Any]:
        c = self.counts()
        blocked = self.blocked
        return _recorded(
            {
                "score": None,
                "grade": None,
                "summary": f"审核项目{len(self.projects)}个：优{c['优']}、良{c['良']}、中{c['中']}、差{c['差']}、无目标{c['无绩效目标']}",
                "n_projects": len(self.projects),
                "grades": {k: v for k, v in c.items()},
                "blocked_budget": float(blocked["annual"].sum()),
                "department_targets": None if self.department is None else self.department.get("status"),
            }
        )


def _target_tables(inputs: Inputs) -> dict[str, pd.DataFrame]:
    """The year's target-review tables (:func:`pbm_lib.process.targets.run`), computed once per warm
    kernel for the workbook, the scheme and the indicator library's files (:func:`pbm_lib.batch.year_cache`):
    every unit's report starts from the same year-wide review."""

    from .batch import year_cache
    from .library.loader import library_stamp
    from .process import sections, targets

    library = sections.get(inputs.scheme, "target_review").get("library")
    stamp = library_stamp(library["extension"]) if library is not None else None
    key = ("target_review", inputs.year, _scheme_digest(inputs.scheme), stamp)
    return year_cache(inputs.data, key, lambda: targets.run(inputs.data, inputs.scheme))


def target_review(inputs: Inputs, unit_id: str) -> TargetReview:
    """Assemble a unit's target-review opinion (绩效目标审核意见) from :func:`pbm_lib.process.targets.run`."""
    from .process import targets

    unit = _unit(inputs, unit_id)
    uid = str(unit["unit_id"])
    tables = _target_tables(inputs)
    projects = tables["projects"][tables["projects"]["unit_id"].astype(str) == uid].copy()
    budget = inputs.data.project_budget()[["project_id", "annual"]]
    projects = projects.merge(budget, on="project_id", how="left").reset_index(drop=True)
    check_points = targets.point_parts(inputs.scheme)
    projects["has_targets"] = projects["has_targets"].astype(bool)
    projects["grade_shown"] = projects["grade"].astype(object).where(projects["has_targets"], "无绩效目标")
    issues = tables["issues"][tables["issues"]["project_id"].isin(projects["project_id"])].copy()
    names = dict(zip(projects["project_id"], projects["project_name"], strict=True))
    issues["project_name"] = issues["project_id"].map(names)
    issues["problems"] = issues["message"]
    issues = (
        # One row per indicator row; a project's missing core indicators (seq 0) one row each.
        issues.groupby(["project_id", "seq", "level3"], sort=False, dropna=False)
        .agg(project_name=("project_name", "first"), message=("message", "；".join))
        .reset_index()
    )
    benchmarks = tables["benchmarks"][tables["benchmarks"]["project_id"].isin(projects["project_id"])].copy()
    benchmarks.insert(1, "project_name", benchmarks["project_id"].map(names))
    core_columns = ["project_id", "project_name", "library_field", "n_core", "n_missing_core", "missing_core"]
    core = (
        projects[projects["library_field"].notna()][core_columns].reset_index(drop=True)
        if "library_field" in projects
        else pd.DataFrame(columns=core_columns)
    )
    dept = _row(tables["departments"], "unit_id", uid)
    dt = inputs.data.department_targets
    dt = dt[dt["unit_id"].astype(str) == uid][
        ["dimension", "indicator", "direction", "target", "measure_unit", "weight"]
    ]
    return TargetReview(
        inputs=inputs,
        unit=unit,
        projects=projects,
        issues=issues.reset_index(drop=True),
        department=dept,
        department_targets=dt.reset_index(drop=True),
        check_points=check_points,
        benchmarks=benchmarks.reset_index(drop=True),
        core=core,
    )


#: Scopes of the comparable groups of ``target_review.library.groups``, as a reader reads them.
GROUP_SCOPES = {
    "sector_size": "同行业同预算规模的同类项目",
    "sector": "同行业同类项目",
    "all": "各行业同类项目",
}
#: Chinese names of the library's indicator kinds (``kind`` in :mod:`pbm_lib.library`).
KIND_NAMES = {
    "rate": "比率",
    "level": "水平",
    "count": "数量",
    "amount": "金额",
    "unit_cost": "单位成本",
    "standard": "标准",
    "duration": "时限",
    "qualitative": "定性",
}
#: Labels of the target-review checks, in the order of the scheme's points.
CHECK_LABELS = {
    "categories": "指标完整性",
    "quantified": "目标量化",
    "weights": "分值设置",
    "basis": "取值依据",
    "not_below_last": "目标合理性",
    "below_benchmark": "低于历史标准扣分",
    "missing_core": "缺少核心指标扣分",
}
#: Short labels of the same, for table headers.
CHECK_SHORT = {
    "categories": "完整性",
    "quantified": "量化",
    "weights": "分值",
    "basis": "依据",
    "not_below_last": "合理性",
    "below_benchmark": "历史标准",
    "missing_core": "核心指标",
}


def plot_review_points(ax: Any, projects: pd.DataFrame, check_points: dict[str, float]) -> None:
    """Stacked horizontal bars: each project's review points by check, with the grade at the bar's end.

    Parts with positive points (the checks) stack from 0; a deduction (negative most points: the
    library checks) is drawn hatched over the end of the stack, so that the solid part of a bar is the
    total shown at its end.
    """
    rows = projects[projects["has_targets"]].iloc[::-1]
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    deductions = [c for c, p in check_points.items() if p < 0]
    for i, check in enumerate(c for c in check_points if c not in deductions):
        values = rows[f"points_{check}"].to_numpy(dtype=float)
        ax.barh(
            y,
            values,
            left=left,
            color=PALETTE[i % len(PALETTE)],
            label=CHECK_LABELS.get(check, check),
            height=0.62,
        )
        left += np.nan_to_num(values)
    ends = left.copy()
    for hatch, check in zip(("////", "xxxx", "\\\\\\\\"), deductions, strict=False):
        lost = -np.nan_to_num(rows[f"points_{check}"].to_numpy(dtype=float))
        left -= lost
        ax.barh(
            y,
            lost,
            left=left,
            color="white",
            edgecolor="#c0392b",
            hatch=hatch,
            linewidth=0.6,
            label=CHECK_LABELS.get(check, check),
            height=0.62,
        )
    for yi, end, total, grade in zip(y, ends, rows["points"], rows["grade"], strict=True):
        ax.annotate(
            f"{float(total):.2f}（{grade}）",
            (float(end), yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
        )
    ax.set_yticks(y, [_clip(n, 16) for n in rows["project_name"].astype(str)])
    ax.set_xlim(0, 118)
    ax.set_xlabel("审核得分（斜线部分为扣分）" if deductions else "审核得分")
    ax.legend(fontsize=8, frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.16))


def _clip(text: str, n: int) -> str:
    """A chart label of at most ``n`` characters per line: a long name is wrapped before its bracketed
    place (``义务教育薄弱环节改善与能力提升(城关第一小学)`` keeps ``(城关第一小学)`` on a second line), else
    cut into lines; never truncated, since the suffix is often what tells projects apart."""
    text = str(text)
    if len(text) <= n:
        return text
    match = re.search(r"[(（]", text)
    if match and 0 < match.start() and len(text) - match.start() <= n:
        head, tail = text[: match.start()], text[match.start() :]
        lines = [head[i : i + n] for i in range(0, len(head), n)] + [tail]
    else:
        lines = [text[i : i + n] for i in range(0, len(text), n)]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# 绩效运行监控报告 (per unit and month)
# ---------------------------------------------------------------------------------------------


@dataclass
class MonitoringReport:
    """Everything a unit's monitoring report for one month shows (see :func:`monitoring_report`)."""

    inputs: Inputs
    unit: dict[str, Any]
    month: int
    time_progress: float
    projects: pd.DataFrame
    curve: pd.DataFrame
    indicators: pd.DataFrame
    projection: pd.DataFrame | None
    december: pd.DataFrame | None
    midyear: pd.DataFrame | None
    midyear_light: str | None
    sanctions: pd.DataFrame
    light: str | None
    bands: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.unit["unit_name"])

    @property
    def midyear_month(self) -> int:
        return int(self.bands.get("midyear_month", 6))

    @property
    def budget(self) -> float:
        return float(np.nansum(self.projects["budget"]))

    @property
    def executed(self) -> float:
        return float(np.nansum(self.projects["executed_cum"]))

    @property
    def rate(self) -> float | None:
        return self.executed / self.budget if self.budget > 0 else None

    def light_counts(self) -> dict[str, int]:
        lights = self.projects["light"].astype(object)
        return {name: int((lights == name).sum()) for name in LIGHT_COLOURS}

    def header(self) -> HtmlFragment:
        u = self.unit
        rows = [
            ("单位名称", self.name),
            ("单位编码", u["unit_id"]),
            ("单位类型", u.get("unit_kind")),
            ("行业领域", u.get("sector")),
            ("监控期间", f"{self.inputs.year}年1—{self.month}月"),
            ("序时进度", pct(self.time_progress, 1)),
            ("监控项目", f"{len(self.projects)} 个"),
            ("全年预算", wan(self.budget)),
        ]
        kind = (
            "年中绩效运行监控（含部门整体绩效目标核查）" if self.month == self.midyear_month else "月度双监控"
        )
        return document_header(
            f"{self.inputs.jurisdiction} · {self.inputs.year}年{self.month}月 · {kind}", rows
        )

    def summary(self) -> HtmlFragment:
        c = self.light_counts()
        verdict = f"{chip(self.light or '无预警')}　单位总体预警等级：{esc(self.light or '无')}（取各项目预警的最严重者）。"
        gap = None if self.rate is None else self.rate - self.time_progress
        sentences = [
            f"截至{self.month}月末，{len(self.projects)} 个项目累计执行 {wan(self.executed)}，预算执行率 {pct(self.rate)}，"
            + (
                f"{'高于' if gap >= 0 else '低于'}序时进度 {abs(gap) * 100:.2f} 个百分点。"
                if gap is not None
                else "无预算。"
            ),
            "项目预警：" + "、".join(f"{k} {v} 个" for k, v in c.items() if v) + "。"
            if any(c.values())
            else "",
        ]
        if len(self.sanctions):
            sentences.append(
                f"{len(self.sanctions)} 个项目存在严重问题，建议{_join(dict.fromkeys(self.sanctions['action']))}，"
                f"涉及尚未支付资金 {wan(self.sanctions['at_stake'].sum())}。"
            )
        if self.midyear is not None:
            sentences.append(
                f"年中部门整体绩效目标核查：{esc(self.midyear_light or '未设置部门整体绩效目标，无法核查')}。"
            )
        if self.projection is not None:
            warn = self.projection[self.projection["warn"]]
            if len(warn):
                sentences.append(
                    f"按近期支出进度预测，{len(warn)} 个项目年末执行率可能低于 90%：{_join(warn['project_name'])}。"
                )
        figures = [
            ("全年预算", wan(self.budget)),
            ("累计执行", wan(self.executed)),
            ("预算执行率", pct(self.rate)),
            ("序时进度", pct(self.time_progress, 1)),
            ("红灯项目", f"{c['红灯']} 个"),
            ("建议暂缓/停止拨款", f"{len(self.sanctions)} 个"),
        ]
        return summary_box("监控结论", verdict, [s for s in sentences if s], figures)

    def method(self) -> HtmlFragment:
        b = self.bands
        execution = (
            "；".join(f"{esc(x['light'])}：{float(x['min']):g} 及以上" for x in b["execution_bands"][:-1])
            + f"；{esc(b['execution_bands'][-1]['light'])}：其余"
        )
        indicator = (
            "；".join(f"{esc(x['light'])}：{float(x['min']):g} 及以上" for x in b["indicator_bands"][:-1])
            + f"；{esc(b['indicator_bands'][-1]['light'])}：其余"
        )
        parts = [
            f"双监控同时跟踪预算执行进度和绩效目标完成进度。序时进度为已过月份占全年的比例（{self.month}/12 = {pct(self.time_progress, 1)}）。",
            f"预算执行预警：以“累计执行率 ÷ 序时进度 × 100”衡量，{execution}。",
            f"绩效目标预警：累计型正向指标以“累计完成值 ÷（目标值 × 序时进度）× 100”衡量，比率型和反向指标以当前水平对照目标，{indicator}"
            "（蓝灯表示进度远超序时，目标可能设定偏低）；定性指标按达成、部分达成、未达成分别为绿灯、黄灯、红灯。",
            "项目预警取预算执行和各项指标预警中最严重者（红灯＞黄灯＞绿灯＞蓝灯），单位预警取所属项目中最严重者。",
        ]
        return html_paragraphs(parts)

    def measures(self) -> HtmlFragment:
        items = []
        for r in self.sanctions.itertuples(index=False):
            items.append(
                f"{esc(r.project_name)}：{esc(r.reasons)}，建议{esc(r.action)}，涉及尚未支付资金 {wan(r.at_stake)}。"
            )
        red = self.projects[self.projects["light"] == "红灯"]
        red = red[~red["project_id"].isin(self.sanctions["project_id"])]
        if len(red):
            items.append(
                f"红灯项目（{_join(red['project_name'])}）应分析原因，限期整改，并在下月监控中重点跟踪。"
            )
        yellow = self.projects[self.projects["light"] == "黄灯"]
        if len(yellow):
            items.append(f"黄灯项目（{_join(yellow['project_name'])}）应加快实施和支出进度。")
        blue = self.indicators[self.indicators["light"] == "蓝灯"]
        if len(blue):
            items.append(f"{len(blue)} 项指标完成进度远超序时进度（蓝灯），应复核目标设定是否偏低。")
        if self.december is not None:
            rush = self.december[self.december["rush"]]
            if len(rush):
                items.append(
                    f"{_join(rush['project_name'])}12月支出占全年比重过高，存在年底突击花钱问题，纳入下年度预算安排考虑。"
                )
        return bullets(items, empty="各项目预算执行和绩效目标完成进度正常，继续按计划实施。", escaped=True)

    def results(self) -> dict[str, Any]:
        c = self.light_counts()
        return _recorded(
            {
                "score": None,
                "grade": None,
                "summary": f"{self.month}月监控：{self.light or '无预警'}；执行率{pct(self.rate)}（序时{pct(self.time_progress, 1)}）",
                "month": self.month,
                "light": self.light,
                "execution_rate": self.rate,
                "time_progress": self.time_progress,
                "lights": c,
                "sanctions": len(self.sanctions),
                "at_stake": float(self.sanctions["at_stake"].sum()) if len(self.sanctions) else 0.0,
                "midyear_light": self.midyear_light,
            }
        )


def monitoring_report(inputs: Inputs, unit_id: str, month: int) -> MonitoringReport:
    """Assemble a unit's monitoring report for month ``month`` from :func:`pbm_lib.process.monitoring.run`.

    Only data up to the end of ``month`` are shown (no December actuals in a June report). The
    end-of-June whole-department check is included when ``month`` is the scheme's ``midyear_month``,
    the December-rush check when ``month`` is 12, and the year-end projection before December.
    """
    from .process import monitoring, sections

    if isinstance(month, bool) or not isinstance(month, (int, np.integer)) or not 1 <= int(month) <= 12:
        raise ReportInputError(f"month={month!r} 应为 1–12 的整数 / month must be 1–12")
    month = int(month)
    unit = _unit(inputs, unit_id)
    uid = str(unit["unit_id"])
    s = dict(sections.get(inputs.scheme, "monitoring"))
    tables = monitoring.run(inputs.data, inputs.scheme, as_of=month)
    projects = inputs.data.projects[inputs.data.projects["unit_id"].astype(str) == uid][
        ["project_id", "project_name"]
    ]
    ids = set(projects["project_id"])
    ex = tables["execution"]
    ex = ex[ex["project_id"].isin(ids)]
    at = ex[ex["month"] == month][["project_id", "executed_cum", "budget", "rate", "time_progress", "light"]]
    at = at.rename(columns={"light": "execution_light"})
    pm = tables["projects"]
    pm = pm[(pm["month"] == month) & pm["project_id"].isin(ids)][
        ["project_id", "indicator_light", "light", "n_红灯", "n_黄灯"]
    ]
    table = projects.merge(at, on="project_id", how="left").merge(pm, on="project_id", how="left")
    table["time_progress"] = (
        month / 12 if s.get("time_progress", "month") == "month" else table["time_progress"]
    )
    for column in ("execution_light", "indicator_light", "light"):
        table[column] = table[column].astype(object)
    curve = ex[ex["month"] <= month].groupby("month", as_index=False)[["executed_cum", "budget"]].sum()
    curve["rate"] = safe_div(curve["executed_cum"], curve["budget"])
    curve["time_progress"] = curve["month"] / 12
    ind = tables["indicators"]
    ind = ind[(ind["month"] == month) & ind["project_id"].isin(ids)].copy()
    names = dict(zip(projects["project_id"], projects["project_name"], strict=True))
    ind["project_name"] = ind["project_id"].map(names)
    targets = inputs.data.indicators[["project_id", "seq", "target"]]
    ind = ind.drop(columns=[c for c in ("target",) if c in ind]).merge(
        targets, on=["project_id", "seq"], how="left"
    )
    ind["light"] = ind["light"].astype(object)
    progress = inputs.data.tables.get("progress")
    if progress is not None and len(progress):
        raw = progress[progress["month"] == month][["project_id", "seq", "value"]].rename(
            columns={"value": "value_text"}
        )
        ind = ind.merge(raw, on=["project_id", "seq"], how="left")
    else:
        ind["value_text"] = None
    flagged = ind[ind["light"].isin(["红灯", "黄灯", "蓝灯"])].copy()
    flagged["order"] = flagged["light"].map({"红灯": 0, "黄灯": 1, "蓝灯": 2})
    flagged = flagged.sort_values(["order", "project_id", "seq"]).reset_index(drop=True)
    projection = None
    if month < 12:
        pr = tables["projection"]
        projection = pr[pr["project_id"].isin(ids)][
            ["project_id", "executed_as_of", "budget", "rate_as_of", "projected", "projected_rate", "warn"]
        ]
        projection = projection.merge(projects, on="project_id", how="left").reset_index(drop=True)
    december = None
    if month == 12:
        dec = tables["december"]
        december = (
            dec[dec["project_id"].isin(ids)]
            .merge(projects, on="project_id", how="left")
            .reset_index(drop=True)
        )
    midyear, midyear_light = None, None
    if month == int(s.get("midyear_month", 6)):
        mid = tables["midyear"]
        midyear = mid[mid["unit_id"].astype(str) == uid].reset_index(drop=True)
        midyear["light"] = midyear["light"].astype(object)
        mu = _row(tables["midyear_units"], "unit_id", uid)
        if mu is not None and not _missing(mu.get("light")):
            midyear_light = (
                f"{mu['light']}，{int(mu['n_绿灯'] + mu['n_蓝灯'])}/{len(midyear)} 项整体目标进度正常"
            )
    sanctions = tables["sanctions"]
    sanctions = (
        sanctions[sanctions["project_id"].isin(ids)]
        .merge(projects, on="project_id", how="left")
        .reset_index(drop=True)
    )
    units = tables["units"]
    light = units[(units["unit_id"].astype(str) == uid) & (units["month"] == month)]["light"]
    light = None if light.empty or _missing(light.iloc[0]) else str(light.iloc[0])
    return MonitoringReport(
        inputs=inputs,
        unit=unit,
        month=month,
        time_progress=month / 12,
        projects=table.reset_index(drop=True),
        curve=curve,
        indicators=flagged,
        projection=projection,
        december=december,
        midyear=midyear,
        midyear_light=midyear_light,
        sanctions=sanctions,
        light=light,
        bands=s,
    )


def safe_div(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, else NaN."""
    n = np.asarray(numerator, dtype=float)
    d = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / d, np.nan)


def plot_execution(ax: Any, projects: pd.DataFrame, time_progress: float) -> None:
    """Each project's execution rate (bars coloured by its execution light) against the time progress."""
    rows = projects.iloc[::-1]
    y = np.arange(len(rows))
    rates = rows["rate"].to_numpy(dtype=float) * 100
    colours = [LIGHT_COLOURS.get(str(c), NEUTRAL_COLOUR) for c in rows["execution_light"]]
    ax.barh(y, np.nan_to_num(rates), color=colours, height=0.62, edgecolor="#555555", linewidth=0.4)
    for yi, r, light in zip(y, rates, rows["execution_light"], strict=True):
        if not np.isnan(r):
            ax.annotate(
                f"{r:.1f}%（{light}）",
                (r, yi),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8.5,
            )
    ax.axvline(time_progress * 100, color="#333333", linestyle="--", linewidth=1)
    ax.annotate(
        f"序时进度 {time_progress * 100:.1f}%",
        (time_progress * 100, len(rows) - 0.4),
        fontsize=8.5,
        xytext=(3, 0),
        textcoords="offset points",
    )
    ax.set_yticks(y, [_clip(n, 16) for n in rows["project_name"].astype(str)])
    ax.set_xlim(
        0, max(120, float(np.nanmax(rates)) * 1.25 if len(rates) and not np.isnan(rates).all() else 120)
    )
    ax.set_xlabel("累计预算执行率（%）")


def plot_curve(ax: Any, curve: pd.DataFrame, year: int) -> None:
    """The unit's cumulative execution rate by month against the time-progress line."""
    ax.plot(curve["month"], curve["rate"] * 100, marker="o", color=PALETTE[0], label="累计预算执行率")
    ax.plot(curve["month"], curve["time_progress"] * 100, linestyle="--", color="#555555", label="序时进度")
    ax.set_xticks(range(1, 13), [f"{m}月" for m in range(1, 13)])
    ax.set_xlim(0.5, 12.5)
    ax.set_ylim(0, 110)
    ax.set_ylabel("%")
    ax.legend(fontsize=8.5, frameon=False, loc="upper left")


# ---------------------------------------------------------------------------------------------
# 自评复核意见 (per unit)
# ---------------------------------------------------------------------------------------------


def self_evaluation_table(inputs: Inputs, project_id: str):
    """A project's self-evaluation as a :class:`pbm_lib.review.SelfEvaluationTable` (for :func:`pbm_lib.review.review_table`).

    The budget block is the 年度资金总额 row (weight from the scheme) and one row per 资金来源; the
    indicator block is the project's 绩效指标 rows with their 自评得分. The workbook has no printed
    total or budget score, so neither is given (and neither can be found inconsistent).
    """
    from .review import table_from_mapping

    project = _project(inputs, project_id)
    pid = str(project["project_id"])
    budget = inputs.data.budget[inputs.data.budget["project_id"].astype(str) == pid]
    total = {
        "row": "年度资金总额",
        "initial": float(budget["initial"].sum()),
        "annual": float(budget["annual"].sum()),
        "executed": float(budget["executed"].sum()),
        "weight": None if inputs.scheme.budget.weight is None else float(inputs.scheme.budget.weight),
    }
    rows = [total] + [
        {
            "row": {"上年结转": "上年结转资金"}.get(r.fund_source, r.fund_source),
            "initial": _float(r.initial),
            "annual": _float(r.annual),
            "executed": _float(r.executed),
        }
        for r in budget.itertuples(index=False)
    ]
    ind = inputs.data.indicators[inputs.data.indicators["project_id"].astype(str) == pid].sort_values("seq")

    def plain(value: Any) -> Any:
        if _missing(value):
            return None
        if isinstance(value, np.generic):
            return value.item()
        return value

    indicators = [
        {
            "level1": plain(r.level1),
            "level2": plain(r.level2),
            "level3": plain(r.level3),
            "direction": plain(r.direction),
            "unit": plain(r.measure_unit),
            "target": plain(r.target),
            "actual": plain(r.actual),
            "weight": plain(r.weight),
            "score_reported": plain(r.self_score),
            "deviation_note": plain(r.deviation_note),
        }
        for r in ind.itertuples(index=False)
    ]
    mapping = {
        "format": "pbm-self-evaluation/1",
        "title": f"{inputs.year}年度项目支出绩效自评表",
        "jurisdiction": inputs.jurisdiction,
        "department": project["unit_name"],
        "unit": project["unit_name"],
        "year": inputs.year,
        "money_unit": "万元",
        "budget": rows,
        "indicators": indicators,
        "goals": {"expected": plain(project.get("goal")), "achieved": plain(project.get("goal_achieved"))},
    }
    return table_from_mapping(mapping, f"{inputs.data_file.name} · {pid}")


#: Review opinions on one self-evaluation (复核意见), most favourable first.
OPINIONS = ("认可自评结果", "规范填报", "补充佐证材料", "调整自评结果")
OPINION_COLOURS = {
    "认可自评结果": GRADE_COLOURS["优"],
    "规范填报": GRADE_COLOURS["良"],
    "补充佐证材料": GRADE_COLOURS["中"],
    "调整自评结果": GRADE_COLOURS["差"],
}
#: Flags whose error means the self score itself is wrong (调整自评结果).
SCORE_FLAGS = frozenset(
    {
        "score-over-weight",
        "qualitative-band",
        "parent-child-double",
        "score-above-rule",
        "total-mismatch",
        "grade-mismatch",
    }
)
#: Flags whose error means the evidence does not support the score (补充佐证材料).
EVIDENCE_FLAGS = frozenset(
    {"actual-copies-target", "missing-value-scored", "blank-table", "output-spend-mismatch"}
)
#: Short Chinese names of the review flags, for tables.
FLAG_LABELS = {
    "weights-sum": "分值设置不符",
    "total-mismatch": "总分计算不符",
    "score-over-weight": "得分超过分值",
    "qualitative-band": "定性得分越档",
    "actual-copies-target": "完成值照抄目标",
    "missing-value-scored": "无完成值却得分",
    "parent-child-double": "上下级重复计分",
    "docked-without-note": "扣分未说明原因",
    "score-below-rule": "得分低于规则",
    "score-above-rule": "得分高于规则",
    "rate-mismatch": "执行率计算不符",
    "budget-score-mismatch": "执行率得分不符",
    "output-spend-mismatch": "产出与资金不匹配",
    "zero-total": "资金总额为零",
    "over-achievement": "超额完成未说明",
    "blank-table": "自评表空白",
    "grade-mismatch": "等级与总分不符",
}


@dataclass
class SelfEvaluationReview:
    """Everything a unit's self-evaluation review shows (see :func:`self_evaluation_review`)."""

    inputs: Inputs
    unit: dict[str, Any]
    projects: pd.DataFrame
    flags: pd.DataFrame
    signals: pd.DataFrame
    not_submitted: pd.DataFrame

    @property
    def name(self) -> str:
        return str(self.unit["unit_name"])

    def counts(self) -> dict[str, int]:
        return {o: int((self.projects["opinion"] == o).sum()) for o in OPINIONS}

    def header(self) -> HtmlFragment:
        u = self.unit
        rows = [
            ("单位名称", self.name),
            ("单位编码", u["unit_id"]),
            ("单位类型", u.get("unit_kind")),
            ("行业领域", u.get("sector")),
            ("复核项目", f"{len(self.projects)} 个"),
            ("涉及预算", wan(self.projects["annual"].sum())),
            ("复核机关", self.inputs.finance_bureau),
            ("评价年度", f"{self.inputs.year}年度"),
        ]
        return document_header(
            f"{self.inputs.jurisdiction} · {self.inputs.year}年度 · 项目支出绩效自评复核", rows
        )

    def summary(self) -> HtmlFragment:
        c = self.counts()
        verdict = (
            "　".join(f"{chip(o, OPINION_COLOURS[o])} {c[o]} 份" for o in OPINIONS if c[o])
            or "无可复核的自评表"
        )
        errors = self.flags[self.flags["severity"] == "错误"]
        sentences = [
            f"对{esc(self.name)}报送的 {len(self.projects)} 份项目支出绩效自评表逐表复核真实性和完整性，"
            f"发现问题 {len(errors)} 处、提示 {len(self.flags) - len(errors)} 处。"
        ]
        adjust = self.projects[self.projects["opinion"] == "调整自评结果"]
        if len(adjust):
            sentences.append(f"需调整自评结果的项目：{_join(adjust['project_name'])}。")
        evidence = self.projects[self.projects["opinion"] == "补充佐证材料"]
        if len(evidence):
            sentences.append(f"需补充佐证材料的项目：{_join(evidence['project_name'])}。")
        if len(self.not_submitted):
            sentences.append(
                f"{len(self.not_submitted)} 个项目未报送自评表：{_join(self.not_submitted['project_name'])}。"
            )
        if len(self.signals):
            sentences.append(f"移送审计关注线索 {len(self.signals)} 条。")
        figures = [
            ("复核自评表", f"{len(self.projects)} 份"),
            ("认可", f"{c['认可自评结果']} 份"),
            ("规范填报", f"{c['规范填报']} 份"),
            ("补充佐证", f"{c['补充佐证材料']} 份"),
            ("调整", f"{c['调整自评结果']} 份"),
            ("问题", f"{len(errors)} 处"),
        ]
        return summary_box("复核结论", verdict, sentences, figures)

    def method(self) -> HtmlFragment:
        tol = self.inputs.scheme.review
        parts = [
            f"依据评价方案 {esc(self.inputs.scheme.id)}，对每份自评表按评分规则逐项复算，并检查表内常见问题：分值设置、得分超过分值、"
            "定性指标得分是否在达成等级对应区间内、实际完成值照抄指标值、缺少完成值却给分、已完成却扣分且未说明、超额完成未说明、"
            "产出指标全部完成而资金执行不足等。",
            f"复核意见分四类：自评得分高于复算得分上限（容差 {getattr(tol, 'score_tolerance', 0.01):g} 分）或存在计分错误的，调整自评结果；"
            "实际完成值缺失或照抄目标值、导致复算得分为区间的，要求补充佐证材料；得分无误但表式填报不规范的，要求规范填报；其余认可自评结果。",
        ]
        return html_paragraphs(parts)

    def opinions(self) -> HtmlFragment:
        items = []
        for r in self.projects.itertuples(index=False):
            if r.opinion == "认可自评结果":
                continue
            items.append(f"{esc(r.project_name)}：{esc(r.opinion)}。{esc(r.reason)}")
        return bullets(items, empty="各项目自评结果真实、完整，予以认可。", escaped=True)

    def results(self) -> dict[str, Any]:
        c = self.counts()
        errors = int((self.flags["severity"] == "错误").sum())
        return _recorded(
            {
                "score": None,
                "grade": None,
                "summary": (
                    f"复核自评表{len(self.projects)}份：认可{c['认可自评结果']}、规范填报{c['规范填报']}、"
                    f"补充佐证{c['补充佐证材料']}、调整{c['调整自评结果']}"
                ),
                "n_reviewed": len(self.projects),
                "opinions": c,
                "errors": errors,
                "warnings": len(self.flags) - errors,
                "signals": len(self.signals),
                "not_submitted": len(self.not_submitted),
            }
        )


def self_evaluation_review(inputs: Inputs, unit_id: str) -> SelfEvaluationReview:
    """Review every self-evaluation a unit submitted (自评复核意见) with :func:`pbm_lib.review.review_table`.

    A project's self-evaluation is its indicator rows with 自评得分 (:func:`self_evaluation_table`);
    projects without any self-score are listed as not submitted. The opinion per table is
    调整自评结果 when the self total exceeds the rule total's upper end by more than the scheme's
    ``review.score_tolerance`` or a scoring error is flagged (:data:`SCORE_FLAGS`); 补充佐证材料 when
    the rule total is an interval (missing evidence) or an evidence flag is raised
    (:data:`EVIDENCE_FLAGS`); 规范填报 for other errors (the form, not the score); else 认可自评结果. The unit's audit signals
    (:func:`pbm_lib.process.audit.run`) are listed beside.
    """
    from .process import audit
    from .review import FLAG_CODES, review_table
    from .scoring import grade_points

    unit = _unit(inputs, unit_id)
    uid = str(unit["unit_id"])
    projects = inputs.data.projects[inputs.data.projects["unit_id"].astype(str) == uid]
    ind = inputs.data.indicators
    scored_ids = set(ind.loc[ind["self_score"].notna(), "project_id"].astype(str))
    budget = inputs.data.project_budget().set_index("project_id")
    tol = float(getattr(inputs.scheme.review, "score_tolerance", 0.01))
    rows, flags = [], []
    for p in projects.itertuples(index=False):
        pid = str(p.project_id)
        if pid not in scored_ids:
            continue
        review = review_table(self_evaluation_table(inputs, pid), inputs.scheme)
        counted = review.indicators["counted"].to_numpy()
        self_total = float(np.nansum(review.indicators["self_score"].to_numpy(dtype=float)[counted])) + (
            review.budget_score or 0.0
        )
        self_grade = grade_points([self_total], inputs.scheme)[0]
        errors = [f for f in review.flags if f.severity == "error"]
        codes = {f.code for f in errors}
        lo, hi = review.total_lo, review.total_hi
        interval = lo is not None and hi is not None and hi - lo >= 0.005
        above = hi is not None and self_total > hi + tol
        lower_grade = None if lo is None else grade_points([lo], inputs.scheme)[0]
        if above or codes & SCORE_FLAGS:
            opinion = "调整自评结果"
            reason = (
                f"自评 {points(self_total)} 分（{self_grade}），按方案复算为 {_score_state(lo, hi)} 分"
                f"（{review.rule_grade or '证据不足'}），应按复算结果调整。"
            )
        elif interval or codes & EVIDENCE_FLAGS:
            opinion = "补充佐证材料"
            reason = (
                f"部分指标的实际完成值无法核实，复算得分为 {_score_state(lo, hi)} 分；"
                f"应补充真实的实际完成值和佐证材料，未能补充的按复算下限 {points(lo)} 分（{lower_grade}）确定。"
                if interval
                else "实际完成值填报不实，应补充真实的实际完成值和佐证材料。"
            )
        elif errors:
            opinion = "规范填报"
            reason = f"得分无误，但自评表填报不规范（{_join(dict.fromkeys(FLAG_LABELS.get(c, c) for c in codes))}），下年度应按规定格式填报。"
        else:
            opinion = "认可自评结果"
            reason = ""
        rows.append(
            {
                "project_id": pid,
                "project_name": p.project_name,
                "annual": _float(budget["annual"].get(pid)),
                "self_total": self_total,
                "self_grade": self_grade,
                "rule_lo": lo,
                "rule_hi": hi,
                "rule_grade": review.rule_grade,
                "difference": None if hi is None else self_total - (hi if not interval else hi),
                "n_errors": len(errors),
                "n_warnings": len(review.flags) - len(errors),
                "opinion": opinion,
                "reason": reason,
            }
        )
        for f in review.flags:
            flags.append(
                {
                    "project_id": pid,
                    "project_name": p.project_name,
                    "row": f.row,
                    "problem": FLAG_LABELS.get(f.code, FLAG_CODES.get(f.code, f.code)),
                    "message": f.message,
                    "severity": "错误" if f.severity == "error" else "提示",
                }
            )
    columns = [
        "project_id",
        "project_name",
        "annual",
        "self_total",
        "self_grade",
        "rule_lo",
        "rule_hi",
        "rule_grade",
        "difference",
        "n_errors",
        "n_warnings",
        "opinion",
        "reason",
    ]
    table = pd.DataFrame(rows, columns=columns)
    for c in ("annual", "self_total", "rule_lo", "rule_hi", "difference"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    flag_table = pd.DataFrame(
        flags, columns=["project_id", "project_name", "row", "problem", "message", "severity"]
    )
    signals = audit.run(inputs.data, inputs.scheme)["signals"]
    signals = signals[signals["unit_id"].astype(str) == uid].reset_index(drop=True)
    missing = projects[~projects["project_id"].astype(str).isin(scored_ids)][
        ["project_id", "project_name"]
    ].reset_index(drop=True)
    return SelfEvaluationReview(
        inputs=inputs, unit=unit, projects=table, flags=flag_table, signals=signals, not_submitted=missing
    )


def plot_self_vs_rule(ax: Any, projects: pd.DataFrame) -> None:
    """Self totals (dots) against the rule totals (interval bars) per project."""
    rows = projects.iloc[::-1]
    y = np.arange(len(rows))
    lo = rows["rule_lo"].to_numpy(dtype=float)
    hi = rows["rule_hi"].to_numpy(dtype=float)
    ax.hlines(y, lo, hi, color=PALETTE[0], linewidth=6, alpha=0.55, label="复算得分（区间）")
    ax.scatter(lo, y, marker="|", s=160, color=PALETTE[0])
    ax.scatter(rows["self_total"], y, color=PALETTE[3], zorder=3, s=36, label="自评得分")
    for m, g in ((90, "优"), (80, "良"), (60, "中")):
        ax.axvline(m, color="#999999", linestyle=":", linewidth=0.9)
        ax.annotate(
            f"{g}≥{m}",
            (m, len(rows) - 0.45),
            fontsize=8,
            color="#555555",
            xytext=(2, 0),
            textcoords="offset points",
        )
    ax.set_yticks(y, [_clip(n, 16) for n in rows["project_name"].astype(str)])
    ax.set_xlim(max(0, min(40, float(np.nanmin(lo)) - 5) if len(lo) else 0), 101)
    ax.set_xlabel("得分")
    ax.legend(fontsize=8.5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)


# ---------------------------------------------------------------------------------------------
# 部门整体绩效评价报告 (per unit)
# ---------------------------------------------------------------------------------------------


@dataclass
class DepartmentEvaluation:
    """Everything a whole-department evaluation shows (see :func:`department_evaluation`)."""

    inputs: Inputs
    unit: dict[str, Any]
    row: dict[str, Any]
    dimensions: pd.DataFrame
    targets: pd.DataFrame
    projects: pd.DataFrame
    money: pd.DataFrame
    proposals: pd.DataFrame
    blend: dict[str, float]

    @property
    def name(self) -> str:
        return str(self.unit["unit_name"])

    @property
    def score(self) -> float | None:
        return _float(self.row.get("department_total"))

    @property
    def grade(self) -> str | None:
        g = self.row.get("department_grade")
        return None if _missing(g) else str(g)

    @property
    def has_targets(self) -> bool:
        return int(self.row.get("n_targets") or 0) > 0

    def header(self) -> HtmlFragment:
        u = self.unit
        parent = u.get("parent_unit_id")
        parent_name = None
        if not _missing(parent):
            hit = _row(self.inputs.data.units, "unit_id", parent)
            parent_name = None if hit is None else hit["unit_name"]
        total = self.money[self.money["item"] == "合计"].iloc[0]
        rows = [
            ("单位名称", self.name),
            ("单位编码", u["unit_id"]),
            ("单位类型", u.get("unit_kind")),
            ("行业领域", u.get("sector")),
            ("主管部门", parent_name or "无（一级预算单位）"),
            ("编制人数", MISSING if _missing(u.get("staff")) else f"{int(u['staff'])} 人"),
            ("预算总额", wan(total["annual"])),
            ("评价年度", f"{self.inputs.year}年度"),
        ]
        return document_header(
            f"{self.inputs.jurisdiction} · {self.inputs.year}年度 · 部门整体支出绩效评价", rows
        )

    def summary(self) -> HtmlFragment:
        total = self.money[self.money["item"] == "合计"].iloc[0]
        if self.score is None:
            verdict = f"{chip('未评价')}　既无部门整体绩效目标，也无已评价的项目，无法评价。"
        else:
            verdict = f"{chip(self.grade)}　部门整体绩效得分 <strong>{points(self.score)}</strong> 分，评价等级为“{esc(self.grade)}”。"
        f, p = _float(self.row.get("framework_total")), _float(self.row.get("projects_total"))
        sentences = []
        if f is not None:
            sentences.append(
                f"整体绩效目标完成得分 {points(f)} 分（{esc(self.row.get('framework_grade'))}）。"
            )
        else:
            sentences.append("本单位未设置部门整体绩效目标，整体得分仅依据项目支出绩效，应补设整体绩效目标。")
        if p is not None:
            sentences.append(
                f"{int(self.row.get('n_projects') or 0)} 个项目按预算加权的绩效得分 {points(p)} 分（{esc(self.row.get('projects_grade'))}）"
                + (
                    f"，其中 {int(self.row['n_unscored'])} 个项目未评价"
                    if int(self.row.get("n_unscored") or 0)
                    else ""
                )
                + "。"
            )
        cut = float(np.nansum(self.proposals["total_cut"])) if len(self.proposals) else 0.0
        if cut > 0:
            sentences.append(f"结果运用：建议下年度项目预算核减 {wan(cut)}。")
        figures = [
            ("部门整体得分", points(self.score)),
            ("整体目标得分", points(f)),
            ("项目支出绩效", points(p)),
            ("预算总额", wan(total["annual"])),
            ("预算执行率", pct(total["rate"])),
        ]
        return summary_box("评价结论", verdict, sentences, figures)

    def method(self) -> HtmlFragment:
        wf, wp = self.blend["framework"], self.blend["projects"]
        parts = [
            "部门整体绩效从两方面评价：一是部门整体绩效目标完成情况，按运行成本、管理效率、履职效能、社会效应、可持续发展能力和服务对象满意度六个维度，"
            "对每项整体绩效指标按与项目指标相同的规则计分；二是部门所属项目的支出绩效，按各项目全年预算加权平均其最终评价得分"
            "（有财政评价或第三方评价的取外部评价，否则取按方案复算的得分）。",
            f"部门整体得分 = 整体目标得分 × {wf / (wf + wp):.0%} + 项目支出绩效 × {wp / (wf + wp):.0%}；"
            "一方缺失时以另一方计。等级按评价方案的等级区间确定。",
        ]
        return html_paragraphs(parts)

    def problems(self) -> HtmlFragment:
        items = []
        if not self.has_targets:
            items.append("未设置部门整体绩效目标，不符合“部门和单位应设置整体绩效目标”的要求。")
        weak = self.targets[self.targets["met"] == "否"]
        for r in weak.itertuples(index=False):
            items.append(
                f"整体绩效指标“{esc(r.indicator)}”目标 {esc(r.target)}，实际 {esc(r.actual)}，未完成。"
            )
        poor = self.projects[self.projects["final_grade"].isin(["中", "差"])]
        if len(poor):
            items.append(f"项目绩效偏低：{_join(poor['project_name'])}。")
        total = self.money[self.money["item"] == "合计"].iloc[0]
        if _float(total["rate"]) is not None and float(total["rate"]) < 0.9:
            items.append(f"预算执行率 {pct(total['rate'])}，低于 90%。")
        return bullets(items, empty="整体绩效目标基本完成，未发现突出问题。", escaped=True)

    def suggestions(self) -> HtmlFragment:
        items = []
        if not self.has_targets:
            items.append("按六个维度设置部门整体绩效目标，随部门预算一并报送审核。")
        if (self.targets["met"] == "否").any():
            items.append("针对未完成的整体绩效指标制定整改措施，纳入下年度整体绩效目标。")
        poor = self.projects[self.projects["final_grade"].isin(["中", "差"])]
        if len(poor):
            items.append("对绩效等级为“中”“差”的项目压减或取消下年度预算，督促整改。")
        cut = self.proposals[self.proposals["total_cut"] > 0]
        if len(cut):
            items.append(
                f"结果运用：{len(cut)} 个项目建议核减下年度预算合计 {wan(cut['total_cut'].sum())}"
                f"，收回结转资金 {wan(self.proposals['carryover_recovered'].sum())}。"
            )
        return bullets(items, empty="保持现有管理水平，持续提升整体绩效。", escaped=True)

    def results(self) -> dict[str, Any]:
        return _recorded(
            {
                "score": self.score,
                "grade": self.grade,
                "summary": f"部门整体得分{points(self.score)}分，等级{self.grade}"
                if self.score is not None
                else "未评价",
                "framework_total": _float(self.row.get("framework_total")),
                "projects_total": _float(self.row.get("projects_total")),
                "n_projects": int(self.row.get("n_projects") or 0),
            }
        )


def department_evaluation(inputs: Inputs, unit_id: str) -> DepartmentEvaluation:
    """Assemble a unit's whole-department evaluation (部门整体绩效评价报告) from :func:`pbm_lib.process.department.run`."""
    from .process import department, sections
    from .process.evaluation import SOURCE_LABELS, project_scores
    from .process.results import budget_proposals
    from .scoring import score_year
    from .workbook.schema import DEPARTMENT_DIMENSIONS

    unit = _unit(inputs, unit_id)
    uid = str(unit["unit_id"])
    data, scheme = inputs.data, inputs.scheme
    scored = score_year(data, scheme)
    scores = project_scores(data, scheme, scored)
    tables = department.run(data, scheme, scores)
    row = _row(tables["departments"], "unit_id", uid) or {}
    t = tables["targets"]
    t = t[t["unit_id"].astype(str) == uid].copy()
    t["met"] = [MISSING if _missing(m) else ("是" if bool(m) else "否") for m in t["met"].astype(object)]
    t["score_lo"] = t["score_lo"].astype(float)
    t["score_hi"] = t["score_hi"].astype(float)
    dims = []
    for d in DEPARTMENT_DIMENSIONS:
        rows = t[t["dimension"] == d]
        dims.append(
            {
                "dimension": d,
                "n": len(rows),
                "weight": float(rows["weight"].sum()) if len(rows) else np.nan,
                "rule_lo": float(rows["score_lo"].sum()) if len(rows) else np.nan,
                "rule_hi": float(rows["score_hi"].sum()) if len(rows) else np.nan,
                "self_score": float(pd.to_numeric(rows["self_score"], errors="coerce").sum())
                if len(rows)
                else np.nan,
            }
        )
    dims = pd.DataFrame(dims)
    projects = scores[scores["unit_id"].astype(str) == uid].copy()
    projects["final_source"] = projects["final_source"].map(lambda s: SOURCE_LABELS.get(s, s))
    projects = projects.reset_index(drop=True)
    basic_budget, basic_exec = _float(unit.get("basic_budget")), _float(unit.get("basic_executed"))
    project_budget = float(np.nansum(projects["annual"]))
    project_exec = float(np.nansum(projects["executed"]))
    money = pd.DataFrame(
        {
            "item": ["基本支出", "项目支出", "合计"],
            "annual": [basic_budget, project_budget, (basic_budget or 0.0) + project_budget],
            "executed": [basic_exec, project_exec, (basic_exec or 0.0) + project_exec],
        }
    )
    money["rate"] = safe_div(money["executed"], money["annual"])
    proposals = budget_proposals(
        scores, data.projects, data.budget, scheme, inputs.year, data.tables.get("history")
    )
    proposals = proposals[proposals["unit_id"].astype(str) == uid].reset_index(drop=True)
    blend = {k: float(v) for k, v in sections.get(scheme, "department")["blend"].items()}
    return DepartmentEvaluation(
        inputs=inputs,
        unit=unit,
        row=row,
        dimensions=dims,
        targets=t.reset_index(drop=True),
        projects=projects,
        money=money,
        proposals=proposals,
        blend=blend,
    )


def plot_department_dimensions(ax: Any, dimensions: pd.DataFrame) -> None:
    """Weight (outline) and rule score per whole-department dimension."""
    rows = dimensions[dimensions["n"] > 0]
    frame = pd.DataFrame(
        {
            "category": rows["dimension"],
            "weight": rows["weight"],
            "self_score": (rows["rule_lo"] + rows["rule_hi"]) / 2,
            "rule_lo": rows["rule_lo"],
            "rule_hi": rows["rule_hi"],
        }
    )
    plot_level1(ax, frame, score_label="得分")


def plot_project_scores(ax: Any, projects: pd.DataFrame) -> None:
    """Horizontal bars of the projects' final scores, coloured by grade, with the grade bands."""
    rows = projects.iloc[::-1]
    y = np.arange(len(rows))
    values = rows["final_total"].to_numpy(dtype=float)
    colours = [GRADE_COLOURS.get(str(g), NEUTRAL_COLOUR) for g in rows["final_grade"]]
    ax.barh(y, np.nan_to_num(values), color=colours, height=0.62, edgecolor="#555555", linewidth=0.4)
    for yi, v, g in zip(y, values, rows["final_grade"], strict=True):
        label = "未评价" if np.isnan(v) else f"{v:.2f}（{g}）"
        ax.annotate(
            label,
            (0 if np.isnan(v) else v, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
        )
    for m in (60, 80, 90):
        ax.axvline(m, color="#999999", linestyle=":", linewidth=0.9)
    ax.set_yticks(y, [_clip(n, 16) for n in rows["project_name"].astype(str)])
    ax.set_xlim(0, 118)
    ax.set_xlabel("最终评价得分")


# ---------------------------------------------------------------------------------------------
# 本级政府预算绩效管理情况总结报告
# ---------------------------------------------------------------------------------------------


@dataclass
class CitySummary:
    """Everything the city's annual summary shows (see :func:`city_summary`)."""

    inputs: Inputs
    stages: dict[str, dict[str, pd.DataFrame]]
    n_units: int
    n_projects: int
    money: float

    @property
    def government(self) -> dict[str, pd.DataFrame]:
        return self.stages["government"]

    def share(self, stage: str) -> float | None:
        m = self.government["managed"]
        hit = m[m["stage"] == stage]
        return None if hit.empty else _float(hit["money_share"].iloc[0])

    @property
    def grades(self) -> pd.DataFrame:
        return self.government["grades"]

    @property
    def good_share(self) -> float | None:
        g = self.grades
        graded = g[g["grade"].isin(["优", "良", "中", "差"])]
        total = graded["n_projects"].sum()
        good = graded[graded["grade"].isin(["优", "良"])]["n_projects"].sum()
        return None if total == 0 else float(good / total)

    @property
    def total_cut(self) -> float:
        return float(np.nansum(self.stages["results"]["units"]["total_cut"]))

    @property
    def savings(self) -> float:
        return float(np.nansum(self.stages["results"]["units"]["savings"]))

    def header(self) -> HtmlFragment:
        rows = [
            ("本级政府", self.inputs.jurisdiction),
            ("报告年度", f"{self.inputs.year}年度"),
            ("部门单位", f"{self.n_units} 个"),
            ("项目和政策", f"{self.n_projects} 个"),
            ("项目资金", wan(self.money)),
            ("报送", "州人民政府、州财政部门"),
        ]
        return document_header(
            f"{self.inputs.jurisdiction}人民政府 · {self.inputs.year}年度 · 全面实施预算绩效管理", rows
        )

    def summary(self) -> HtmlFragment:
        verdict = (
            f"{self.inputs.year}年度，{esc(self.inputs.jurisdiction)}本级 {self.n_units} 个部门单位的 {self.n_projects} 个项目和政策"
            f"（资金 {wan(self.money)}）全部纳入预算绩效管理。"
        )
        g = self.grades.set_index("grade")
        sentences = [
            f"绩效目标覆盖项目资金的 {pct(self.share('targets'), 1)}，双监控覆盖 {pct(self.share('monitored'), 1)}，"
            f"绩效评价覆盖 {pct(self.share('evaluated'), 1)}；新增重大项目开展事前绩效评估的资金占比 {pct(self.share('ex_ante'), 1)}。",
            "项目评价等级："
            + "、".join(
                f"{k} {int(g.loc[k, 'n_projects'])} 个" for k in g.index if int(g.loc[k, "n_projects"])
            )
            + "。",
            f"结果运用：建议下年度核减项目预算 {wan(self.total_cut)}，连同收回结转资金共节约 {wan(self.savings)}。",
        ]
        audit = self.stages["audit"]["projects"]
        if len(audit):
            sentences.append(f"自评审计线索 {len(audit)} 条，已移送审计部门。")
        figures = [
            ("项目和政策", f"{self.n_projects} 个"),
            ("项目资金", wan(self.money)),
            ("目标覆盖率", pct(self.share("targets"), 1)),
            ("评价覆盖率", pct(self.share("evaluated"), 1)),
            ("优良率", pct(self.good_share, 1)),
            ("建议核减", wan(self.total_cut)),
        ]
        return summary_box("总体情况", verdict, sentences, figures)

    def budgets_text(self) -> HtmlFragment:
        b = self.government["budgets"]
        parts = []
        for r in b.itertuples(index=False):
            parts.append(
                f"{esc(r.budget_type)}：收入完成预算的 {pct(r.revenue_rate, 1)}，支出完成预算的 {pct(r.expenditure_rate, 1)}；"
                f"安排项目和政策 {int(r.n_projects)} 个、资金 {wan(r.project_annual)}，均纳入绩效管理。"
            )
        low = b[b["revenue_rate"] < 0.9]
        if len(low):
            parts.append(f"{_join(low['budget_type'])}收入未完成预算的 90%，应分析原因，据实调整支出安排。")
        return bullets(parts, escaped=True)

    @property
    def results_units(self) -> pd.DataFrame:
        """Next year's proposals per unit (:func:`pbm_lib.process.results.unit_totals`) with a 合计 row."""
        from .process.results import UNIT_SUMS

        units = self.stages["results"]["units"]
        total = {c: float(np.nansum(units[c])) for c in UNIT_SUMS if c in units}
        total.update(unit_id="", unit_name="合计", n_projects=int(units["n_projects"].sum()))
        return pd.concat([units, pd.DataFrame([total])], ignore_index=True)

    @property
    def special_categories(self) -> pd.DataFrame:
        """Coverage by special category, with 无 shown as 其他项目."""
        t = self.government["special_categories"].copy()
        t["special_category"] = t["special_category"].replace({"无": "其他项目（无专项类别）"})
        return t

    def next_steps(self) -> HtmlFragment:
        items = []
        ex = self.stages["ex_ante"]["projects"]
        missing = ex[ex["required"] & ~ex["assessed"]]
        if len(missing):
            items.append(
                f"严格事前绩效评估：{_join(missing['project_name'])}未开展评估，评估报告作为预算申请必备要件，未评估的不予安排。"
            )
        no_targets = self.stages["targets"]["projects"]
        no_targets = no_targets[~no_targets["has_targets"].astype(bool)]
        if len(no_targets):
            items.append(
                f"坚持“无目标不安排预算”：{_join(no_targets['project_name'])}（含年中追加）未设置绩效目标，应补设。"
            )
        sanctions = self.stages["monitoring"]["sanctions"]
        if len(sanctions):
            items.append(
                f"强化双监控结果运用：对 {len(sanctions)} 个预算执行严重滞后的项目暂缓或停止拨款，督促整改。"
            )
        audit = self.stages["audit"]["projects"]
        if len(audit):
            items.append(
                f"提高自评质量：{len(audit)} 个项目存在自评偏高、完成值照抄目标值等问题，已移送审计部门，并纳入部门考核。"
            )
        poor = self.grades.set_index("grade")
        if "差" in poor.index and int(poor.loc["差", "n_projects"]):
            items.append(
                "落实结果运用：评价等级为“差”的项目一律核减或取消下年度预算，连续两年为“差”的予以取消。"
            )
        items.append("推进预算绩效信息公开：绩效目标和评价结果随部门预决算一并公开，接受社会监督。")
        return bullets(items, escaped=True)

    def process_text(self) -> HtmlFragment:
        ex = self.stages["ex_ante"]["projects"]
        req = ex[ex["required"]]
        conclusions = ex["conclusion"].dropna().value_counts()
        tr = self.stages["targets"]["projects"]
        counts = tr["result"].value_counts()
        order = ["优", "良", "中", "差"] + [k for k in counts.index if k not in ("优", "良", "中", "差")]
        grades = counts.reindex([k for k in order if k in counts.index])
        mon = self.stages["monitoring"]
        sanctions = mon["sanctions"]
        rush = mon["december"][mon["december"]["rush"]]
        items = [
            f"事前绩效评估：新增重大项目和政策 {len(req)} 个，已评估 {int(req['assessed'].sum())} 个；评估结论"
            + "、".join(f"{esc(k)} {int(v)} 个" for k, v in conclusions.items())
            + (
                f"；{len(req) - int(req['assessed'].sum())} 个未开展评估，不得申请预算"
                if len(req) - int(req["assessed"].sum())
                else ""
            )
            + "。",
            "绩效目标审核：" + "、".join(f"{esc(k)} {int(v)} 个" for k, v in grades.items()) + "。",
            f"双监控：对 {mon['execution']['project_id'].nunique()} 个项目按月开展预算执行和绩效目标双监控，"
            f"{len(sanctions)} 个项目建议暂缓或停止拨款（涉及 {wan(sanctions['at_stake'].sum())}）"
            + (f"；{len(rush)} 个项目存在年底集中支出" if len(rush) else "")
            + "。",
        ]
        midyear = mon["midyear_units"]
        on_track = int(midyear["light"].astype(object).isin(["绿灯", "蓝灯"]).sum())
        absent = self.n_units - len(midyear)
        items.append(
            f"年中部门整体绩效目标核查：{len(midyear)} 个部门单位报送，{on_track} 个全部目标进度正常，"
            f"{len(midyear) - on_track} 个存在滞后指标"
            + (f"；{absent} 个单位未设置部门整体绩效目标" if absent > 0 else "")
            + "。"
        )
        return bullets(items, escaped=True)

    def results(self) -> dict[str, Any]:
        g = self.grades.set_index("grade")["n_projects"]
        return _recorded(
            {
                "score": None,
                "grade": None,
                "summary": f"{self.n_projects}个项目，优良率{pct(self.good_share, 1)}，建议核减{wan(self.total_cut)}",
                "n_units": self.n_units,
                "n_projects": self.n_projects,
                "money": self.money,
                "targets_share": self.share("targets"),
                "monitored_share": self.share("monitored"),
                "evaluated_share": self.share("evaluated"),
                "ex_ante_share": self.share("ex_ante"),
                "grades": {str(k): int(v) for k, v in g.items()},
                "total_cut": self.total_cut,
                "savings": self.savings,
                "audit_signals": len(self.stages["audit"]["projects"]),
            }
        )


def city_summary(inputs: Inputs) -> CitySummary:
    """Assemble the city's annual summary (本级政府预算绩效管理情况总结报告) from :func:`pbm_lib.process.run_all`."""
    from .process import run_all

    stages = run_all(inputs.data, inputs.scheme)
    projects = stages["evaluation"]["projects"]
    units = inputs.data.units[["unit_id", "unit_name"]]
    app = stages["results"]["appraisal"]
    stages["results"]["appraisal"] = app
    ranked = stages["audit"]["projects"]
    ranked["unit_name"] = ranked["unit_id"].map(dict(zip(units["unit_id"], units["unit_name"], strict=True)))
    return CitySummary(
        inputs=inputs,
        stages=stages,
        n_units=len(inputs.data.units),
        n_projects=len(projects),
        money=float(np.nansum(projects["annual"])),
    )


def plot_grades(ax: Any, grades: pd.DataFrame) -> None:
    """Number of projects and share of money per final grade."""
    rows = grades[grades["n_projects"] > 0]
    x = np.arange(len(rows))
    colours = [GRADE_COLOURS.get(str(g), NEUTRAL_COLOUR) for g in rows["grade"]]
    ax.bar(x, rows["n_projects"], color=colours, edgecolor="#555555", linewidth=0.4)
    for xi, n, share in zip(x, rows["n_projects"], rows["money_share"], strict=True):
        ax.annotate(
            f"{int(n)} 个\n资金 {share * 100:.1f}%",
            (xi, n),
            ha="center",
            va="bottom",
            fontsize=8.5,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(x, rows["grade"].astype(str).tolist())
    ax.set_ylabel("项目数（个）")
    ax.set_ylim(0, float(rows["n_projects"].max()) * 1.3 if len(rows) else 1)


def plot_budgets(ax: Any, budgets: pd.DataFrame) -> None:
    """Final ÷ budget of revenue and expenditure for each of the four budgets."""
    x = np.arange(len(budgets))
    ax.bar(x - 0.2, budgets["revenue_rate"] * 100, width=0.38, color=PALETTE[0], label="收入完成率")
    ax.bar(x + 0.2, budgets["expenditure_rate"] * 100, width=0.38, color=PALETTE[1], label="支出完成率")
    for xi, r, e in zip(x, budgets["revenue_rate"], budgets["expenditure_rate"], strict=True):
        ax.annotate(
            f"{r * 100:.1f}%",
            (xi - 0.2, r * 100),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
        ax.annotate(
            f"{e * 100:.1f}%",
            (xi + 0.2, e * 100),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.axhline(100, color="#777777", linestyle="--", linewidth=0.8)
    ax.set_xticks(x, budgets["budget_type"].astype(str).tolist())
    ax.set_ylabel("决算数 ÷ 预算数（%）")
    ax.set_ylim(0, 125)
    ax.legend(fontsize=8.5, frameon=False, loc="upper right", ncol=2)


def plot_appraisal(ax: Any, appraisal: pd.DataFrame) -> None:
    """Departments ranked by appraisal score, bars coloured by grade."""
    rows = appraisal.iloc[::-1]
    y = np.arange(len(rows))
    values = rows["appraisal_total"].to_numpy(dtype=float)
    colours = [GRADE_COLOURS.get(str(g), NEUTRAL_COLOUR) for g in rows["appraisal_grade"]]
    ax.barh(y, np.nan_to_num(values), color=colours, height=0.62, edgecolor="#555555", linewidth=0.4)
    for yi, v, g in zip(y, values, rows["appraisal_grade"], strict=True):
        if not np.isnan(v):
            ax.annotate(
                f"{v:.2f}（{g}）",
                (v, yi),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8.5,
            )
    ax.set_yticks(
        y, [f"{int(r)}. {n}" for r, n in zip(rows["rank"], rows["unit_name"].astype(str), strict=True)]
    )
    ax.set_xlim(0, 118)
    ax.set_xlabel("绩效考核得分")


def plot_draws(ax: Any, draws: pd.DataFrame, scheme: Any) -> None:
    """Histogram of the Monte Carlo totals with the grade bands shaded in their colours."""
    totals = draws["total"].to_numpy(dtype=float)
    totals = totals[~np.isnan(totals)]
    bands = scheme.grades
    uppers = (bands.maximum, *bands.minimums[:-1])
    lo = max(0.0, float(np.floor(totals.min())) - 2) if len(totals) else 0.0
    hi = min(float(bands.maximum), float(np.ceil(totals.max())) + 2) if len(totals) else float(bands.maximum)
    for grade, low, up in zip(bands.grades, bands.minimums, uppers, strict=True):
        if up > lo and low < hi:
            ax.axvspan(
                max(low, lo),
                min(up, hi),
                color=GRADE_COLOURS.get(grade, NEUTRAL_COLOUR),
                alpha=0.12,
                linewidth=0,
            )
            ax.text(
                (max(low, lo) + min(up, hi)) / 2,
                1.01,
                grade,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=9,
            )
    ax.hist(totals, bins=40, range=(lo, hi), color=PALETTE[0], edgecolor="white", linewidth=0.3)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("模拟总分")
    ax.set_ylabel("模拟次数")
