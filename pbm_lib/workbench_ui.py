"""The evaluator's workbench in JupyterLab: ipywidgets over :class:`pbm_lib.workbench.EvaluationState`.

Everything here is presentation: each widget change calls one setter of the state (which validates
and scores through :mod:`pbm_lib.scoring`), then :meth:`Workbench.refresh` copies the state back into
the widgets. A rejected edit shows its message in the status line and the widget returns to the
state's value. Widgets are built without a browser, so tests drive the workbench by setting
``.value`` on widgets (their observers run synchronously) or by calling the ``on_*`` handlers.

Layout, top to bottom: unit → project dropdowns and the scheme dropdown; evaluator and organisation;
the project's budget line with its weight; one row per indicator (target, actual, evidence state,
weight, and for a qualitative row the level dropdown, a score slider bounded to the level's band and
a 确认 button while the row is unscored; for a quantitative row a 核实完成值 field; a note for
every row; the row's points); the overall opinion; the total, grade and its uncertainty; problems;
the file path with 保存 and 载入 buttons and a status line.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ipywidgets as w

from .errors import PbmError
from .schemes import available_schemes
from .workbench import (
    EvaluationFileWarning,
    EvaluationState,
    default_path,
    load,
    save,
)

_COLUMNS = "3em 13em 7em 7em 5em 5.5em 7em 19em 9em 12em 8em"
_HEADERS = (
    "序号",
    "指标",
    "目标值",
    "完成值",
    "证据",
    "分值",
    "达成等级",
    "得分",
    "核实完成值",
    "评价说明",
    "计分",
)
_NO_LEVEL = "（未评定）"  # shown for the "" value: a None value would show an empty dropdown
_OK, _ERROR, _INFO = "#1a7f37", "#c62828", "#555"
GRADE_COLOURS = {"优": "#1a7f37", "良": "#1565c0", "中": "#ef6c00", "差": "#c62828"}


def _cell(text: Any, *, title: str | None = None) -> w.HTML:
    shown = "—" if text is None or text == "" or text != text else str(text)
    tip = f' title="{html.escape(title)}"' if title else ""
    return w.HTML(f"<span{tip}>{html.escape(shown)}</span>", layout=w.Layout(overflow="hidden"))


def _num(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


class _Row:
    """The widgets of one indicator row."""

    def __init__(self, bench: Workbench, seq: int, data: dict[str, Any], qualitative: bool):
        self.seq = seq
        self.qualitative = qualitative
        name = f"{data['level1'] or ''} / {data['level3'] or ''}"
        self.name = _cell(data["level3"], title=name)
        self.target = _cell(data["target"])
        self.actual = _cell(data["actual"], title="单位填报的全年完成值")
        self.state = w.HTML()
        self.weight = w.FloatText(layout=w.Layout(width="5em"))
        self.note = w.Text(placeholder="评价说明", layout=w.Layout(width="12em"))
        self.points = w.HTML()
        self.level = w.Dropdown(layout=w.Layout(width="7em"))
        self.score = w.FloatSlider(
            step=0.01, readout_format=".2f", continuous_update=False, layout=w.Layout(width="14em")
        )
        self.confirm = w.Button(
            description="确认",
            button_style="warning",
            layout=w.Layout(width="4em"),
            tooltip="待打分：按滑块当前值打分",
        )
        self.verified = w.Text(placeholder="如 96.5%", layout=w.Layout(width="9em"))
        self.weight.observe(lambda c: bench.on_weight(seq, c), names="value")
        self.note.observe(lambda c: bench.on_note(seq, c), names="value")
        if qualitative:
            self.level.observe(lambda c: bench.on_level(seq, c), names="value")
            self.score.observe(lambda c: bench.on_score(seq, c), names="value")
            self.confirm.on_click(lambda _: bench.on_confirm(seq))
            score_box: w.Widget = w.HBox([self.score, self.confirm])
            level_box: w.Widget = self.level
            verified_box: w.Widget = _cell(None)
        else:
            self.verified.observe(lambda c: bench.on_verified(seq, c), names="value")
            score_box = _cell("按完成值计分")
            level_box = _cell(None)
            verified_box = self.verified
        self.cells = [
            _cell(seq),
            self.name,
            self.target,
            self.actual,
            self.state,
            self.weight,
            level_box,
            score_box,
            verified_box,
            self.note,
            self.points,
        ]


class Workbench:
    """The workbench widget: pick a unit and project, evaluate it, save and load.

    Parameters
    ----------
    year : YearData
        The year's data (:func:`pbm_lib.workbook.reader.read_year`).
    evaluator, organisation : str
        评价人员 and 评价机构, written into every saved file.
    save_dir : str or Path
        Folder of the evaluation files (``<save_dir>/<项目编码>.yaml``, :func:`pbm_lib.workbench.default_path`).
    scheme : str, optional
        Scheme reference for new evaluations (default: the one chosen for the year's 行政区划).
    project_id : str, optional
        Project shown first (default: the first project of the first unit).
    autoload : bool
        When a project is first shown and its evaluation file exists, load it.

    Attributes
    ----------
    state : EvaluationState
        The current project's state. States of projects visited stay in memory (``states``), so
        switching back keeps unsaved edits.
    root : ipywidgets.VBox
        The whole workbench (displayed by ``display(workbench)``).
    """

    def __init__(
        self,
        year: Any,
        *,
        evaluator: str = "",
        organisation: str = "",
        save_dir: str | Path = "outputs/workbench",
        scheme: str | None = None,
        project_id: str | None = None,
        autoload: bool = True,
    ):
        self.year = year
        self.save_dir = Path(save_dir)
        self.default_scheme = scheme
        self.autoload = autoload
        self.states: dict[str, EvaluationState] = {}
        self.rows: dict[int, _Row] = {}
        self._syncing = 0
        projects = year.projects
        units = year.units[year.units["unit_id"].isin(projects["unit_id"])]
        self.unit = w.Dropdown(
            options=[(f"{u.unit_id} {u.unit_name}", u.unit_id) for u in units.itertuples()],
            description="预算单位",
            layout=w.Layout(width="24em"),
        )
        self.project = w.Dropdown(description="项目", layout=w.Layout(width="40em"))
        self.scheme = w.Dropdown(
            options=[
                (f"{s['title']}（{s['id']}@{s['version']}）", f"{s['id']}@{s['version']}")
                for s in available_schemes()
            ],
            description="评分方案",
            layout=w.Layout(width="64em"),
        )
        self.evaluator = w.Text(value=evaluator, description="评价人员", layout=w.Layout(width="20em"))
        self.organisation = w.Text(value=organisation, description="评价机构", layout=w.Layout(width="30em"))
        self.info = w.HTML()
        self.budget_weight = w.FloatText(
            description="预算执行率分值",
            style={"description_width": "initial"},
            layout=w.Layout(width="14em"),
        )
        self.budget_info = w.HTML()
        self.grid = w.GridBox(layout=w.Layout(grid_template_columns=_COLUMNS, grid_gap="2px 6px"))
        self.opinion = w.Textarea(
            description="总体意见", placeholder="总体评价意见", layout=w.Layout(width="64em", height="4em")
        )
        self.total_label = w.HTML()
        self.grade_label = w.HTML()
        self.uncertainty_label = w.HTML()
        self.problems_label = w.HTML()
        self.path = w.Text(description="评价文件", layout=w.Layout(width="48em"))
        self.save_button = w.Button(description="保存", button_style="primary", icon="save")
        self.load_button = w.Button(description="载入", icon="folder-open")
        self.status = w.HTML()

        self.unit.observe(self.on_unit, names="value")
        self.project.observe(self.on_project, names="value")
        self.scheme.observe(self.on_scheme, names="value")
        self.evaluator.observe(self.on_evaluator, names="value")
        self.organisation.observe(self.on_evaluator, names="value")
        self.budget_weight.observe(self.on_budget_weight, names="value")
        self.opinion.observe(self.on_opinion, names="value")
        self.save_button.on_click(self.on_save)
        self.load_button.on_click(self.on_load)

        self.root = w.VBox(
            [
                w.HTML("<h3 style='margin:0'>第三方评价工作台</h3>"),
                w.HBox([self.unit, self.project]),
                self.scheme,
                w.HBox([self.evaluator, self.organisation]),
                self.info,
                w.HBox([self.budget_weight, self.budget_info]),
                self.grid,
                self.opinion,
                w.HBox([self.total_label, self.grade_label]),
                self.uncertainty_label,
                self.problems_label,
                w.HBox([self.path, self.save_button, self.load_button]),
                self.status,
            ]
        )
        start = project_id if project_id is not None else str(projects["project_id"].iloc[0])
        self.select(start)

    # -- display -----------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    # -- selection ---------------------------------------------------------------------------------

    def select(self, project_id: str) -> None:
        """Show project ``project_id`` (its unit is selected too)."""
        match = self.year.projects[self.year.projects["project_id"] == project_id]
        if match.empty:
            self._say(f"数据中没有项目「{project_id}」", _ERROR)
            return
        unit_id = match["unit_id"].iloc[0]
        with self._hold():
            self.unit.value = unit_id
            self._fill_projects(unit_id)
            self.project.value = project_id
        self._show(project_id)

    def _fill_projects(self, unit_id: str) -> None:
        projects = self.year.projects[self.year.projects["unit_id"] == unit_id]
        self.project.options = [
            (f"{p.project_id} {p.project_name}", p.project_id) for p in projects.itertuples()
        ]

    def _show(self, project_id: str) -> None:
        message = None
        if project_id not in self.states:
            path = default_path(self.save_dir, project_id)
            state = None
            if self.autoload and path.exists():
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", EvaluationFileWarning)
                        state = load(path, self.year, project_id=project_id)
                    message = (f"已载入保存的评价 {path}（第 {state.revision} 版）", _OK)
                    if state.warnings:
                        message = (message[0] + "；注意：" + "；".join(state.warnings), _ERROR)
                except PbmError as error:
                    message = (f"未能载入 {path}：{error}", _ERROR)
            if state is None:
                state = EvaluationState.new(
                    self.year,
                    project_id,
                    self.default_scheme,
                    evaluator=self.evaluator.value,
                    organisation=self.organisation.value,
                )
            self.states[project_id] = state
        self.state = self.states[project_id]
        self._build_rows()
        with self._hold():
            self.path.value = str(default_path(self.save_dir, project_id))
        self.refresh()
        if message:
            self._say(*message)
        else:
            self._say("")

    def _build_rows(self) -> None:
        state = self.state
        table = state.indicator_table()
        self.rows = {}
        cells: list[w.Widget] = [w.HTML(f"<b>{h}</b>") for h in _HEADERS]
        for record in table.to_dict("records"):
            seq = int(record["seq"])
            row = _Row(self, seq, record, state.is_qualitative(seq))
            self.rows[seq] = row
            cells.extend(row.cells)
        self.grid.children = cells
        self._fill_scheme_options()

    def _fill_scheme_options(self) -> None:
        ref = self.state.scheme.ref
        values = [v for _, v in self.scheme.options]
        if ref not in values:
            self.scheme.options = [*self.scheme.options, (f"{self.state.scheme.title}（{ref}）", ref)]

    # -- state → widgets ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Copy the state into every widget and recompute total, grade, uncertainty and problems."""
        state = self.state
        table = state.indicator_table().set_index("seq")
        result = state.result()
        with self._hold():
            self.scheme.value = state.scheme.ref
            self.evaluator.value = state.evaluator
            self.organisation.value = state.organisation
            self.opinion.value = state.opinion
            self.budget_weight.value = state.budget_weight
            for seq, row in self.rows.items():
                entry = state.entries[seq]
                data = table.loc[seq]
                row.weight.value = entry.weight
                row.note.value = entry.note
                colour = _OK if data["state"] == "measured" else _ERROR
                row.state.value = (
                    f"<span style='color:{colour}'>{html.escape(str(data['state_label']))}</span>"
                )
                lo, hi = data["points_lo"], data["points_hi"]
                row.points.value = _num(lo) if abs(lo - hi) < 1e-9 else f"{_num(lo)}–{_num(hi)}"
                if row.qualitative:
                    self._sync_qualitative(row)
                else:
                    row.verified.value = entry.verified_actual or ""
        project = state.project
        self.info.value = (
            f"<b>{html.escape(str(project['project_name']))}</b>（{html.escape(state.project_id)}）· "
            f"{html.escape(state.unit_name)} · 定性指标 {len(state.qualitative_seqs)} 项"
        )
        rate = "—" if result.rate is None else f"{result.rate * 100:.2f}%"
        score = _num(result.budget_score)
        self.budget_info.value = f"预算执行率 {rate}，得分 {score}"
        if result.total is not None:
            total = _num(result.total)
        else:
            total = f"{_num(result.total_lo)}–{_num(result.total_hi)}（区间）"
        pending = f"；尚有 {len(result.unscored)} 项定性指标未打分" if result.unscored else ""
        self.total_label.value = f"<b>总分：{total}</b>{pending}"
        grade = result.grade or "未定级"
        colour = GRADE_COLOURS.get(grade, _INFO)
        self.grade_label.value = (
            f"&nbsp;&nbsp;<b>等级：<span style='color:{colour}'>{html.escape(grade)}</span></b>"
        )
        self.uncertainty_label.value = self._uncertainty_text()
        problems = state.problems()
        if problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
            self.problems_label.value = f"<div style='color:{_ERROR}'>需处理的问题：<ul>{items}</ul></div>"
        elif state.complete:
            self.problems_label.value = (
                f"<div style='color:{_OK}'>评价完整，保存后可供年度批量运行使用。</div>"
            )
        else:
            self.problems_label.value = ""

    def _uncertainty_text(self) -> str:
        info = self.state.uncertainty()
        if info is None:
            return f"<span style='color:{_INFO}'>等级不确定性：不确定性模块不可用</span>"
        if "error" in info:
            return (
                f"<span style='color:{_INFO}'>等级不确定性：无法计算（{html.escape(info['error'])}）</span>"
            )
        band = ""
        if info.get("total_p5") is not None and info.get("total_p95") is not None:
            band = f"；总分 90% 区间 {_num(info['total_p5'])}–{_num(info['total_p95'])}"
        return f"等级不确定性（蒙特卡罗 {info['draws']} 次，分值和完成值扰动）：{html.escape(info['text'])}{band}"

    def _sync_qualitative(self, row: _Row) -> None:
        state = self.state
        entry = state.entries[row.seq]
        options = [(_NO_LEVEL, ""), *[(x, x) for x in state.levels]]
        if entry.level is not None and entry.level not in state.levels:
            options.append((f"{entry.level}（方案无此等级）", entry.level))
        if list(row.level.options) != options:  # resetting options resets the value: only on change
            row.level.options = options
        row.level.value = entry.level or ""
        if entry.level is None or entry.level not in state.levels:
            row.score.disabled = True
            row.score.layout.visibility = "hidden"  # no level, no band: nothing to score yet
            row.confirm.layout.display = "none"
            return
        band = state.band(row.seq)
        row.score.disabled = False
        row.score.layout.visibility = "visible"
        # Widen first, then narrow: traitlets clamps value into [min, max] at every step.
        row.score.min, row.score.max = min(row.score.min, band.lo), max(row.score.max, band.max_score)
        value = band.lo if entry.score is None else entry.score
        row.score.value = min(max(value, band.lo), band.max_score)
        row.score.min, row.score.max = band.lo, band.max_score
        row.score.value = min(max(value, band.lo), band.max_score)
        row.confirm.layout.display = "none" if entry.score is not None else None  # shown while unscored
        row.score.tooltip = f"「{entry.level}」得分区间 {band.text()}"

    # -- widgets → state ---------------------------------------------------------------------------

    def on_unit(self, change: dict) -> None:
        if self._syncing:
            return
        self._fill_projects(change["new"])
        first = self.project.options[0][1] if self.project.options else None
        if first is not None:
            with self._hold():
                self.project.value = first
            self._show(first)

    def on_project(self, change: dict) -> None:
        if self._syncing or change["new"] is None:
            return
        self._show(change["new"])

    def on_scheme(self, change: dict) -> None:
        if self._syncing or change["new"] is None:
            return
        self._apply(lambda: self.state.set_scheme(change["new"]), rebuild=True)

    def on_evaluator(self, change: dict) -> None:
        if self._syncing:
            return
        self.state.evaluator = self.evaluator.value
        self.state.organisation = self.organisation.value

    def on_opinion(self, change: dict) -> None:
        if not self._syncing:
            self.state.opinion = change["new"]

    def on_budget_weight(self, change: dict) -> None:
        if not self._syncing:
            self._apply(lambda: self.state.set_budget_weight(change["new"]))

    def on_weight(self, seq: int, change: dict) -> None:
        if not self._syncing:
            self._apply(lambda: self.state.set_weight(seq, change["new"]))

    def on_level(self, seq: int, change: dict) -> None:
        if not self._syncing:
            self._apply(lambda: self.state.set_level(seq, change["new"] or None))

    def on_score(self, seq: int, change: dict) -> None:
        if not self._syncing:
            self._apply(lambda: self.state.set_score(seq, float(change["new"])))

    def on_confirm(self, seq: int) -> None:
        """Score the row at the slider's current value (needed when that value is the default)."""
        self._apply(lambda: self.state.set_score(seq, float(self.rows[seq].score.value)))

    def on_note(self, seq: int, change: dict) -> None:
        if not self._syncing:
            self.state.set_note(seq, change["new"])

    def on_verified(self, seq: int, change: dict) -> None:
        if not self._syncing:
            self._apply(lambda: self.state.set_verified_actual(seq, change["new"]))

    def on_save(self, _button: Any = None) -> None:
        """Save the current evaluation to the path field (atomically, keeping the previous version)."""
        self.state.evaluator = self.evaluator.value
        self.state.organisation = self.organisation.value
        try:
            saved = save(self.state, self.path.value)
        except (PbmError, OSError) as error:
            self._say(f"保存失败：{error}", _ERROR)
            return
        kept = f"；上一版本已保存为 {saved.previous}" if saved.previous else ""
        complete = "" if self.state.complete else "（评价尚未完成，年度批量运行不会采用）"
        self._say(f"已保存 {saved.path}（第 {saved.revision} 版）{kept}{complete}", _OK)

    def on_load(self, _button: Any = None) -> None:
        """Load the file in the path field; a file of another project switches to that project."""
        path = Path(self.path.value)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EvaluationFileWarning)
                state = load(path, self.year)
        except PbmError as error:
            self._say(f"载入失败：{error}", _ERROR)
            return
        self.states[state.project_id] = state
        switched = state.project_id != self.state.project_id
        self.select(state.project_id)
        with self._hold():
            self.path.value = str(path)
        text = f"已载入 {path}（第 {state.revision} 版，{state.evaluator or '未署名'}）"
        if switched:
            text += f"；该文件是项目「{state.project_id}」的评价，已切换到该项目"
        if state.warnings:
            self._say(text + "；注意：" + "；".join(state.warnings), _ERROR)
        else:
            self._say(text, _OK)

    # -- helpers -----------------------------------------------------------------------------------

    def _apply(self, edit: Callable[[], None], *, rebuild: bool = False) -> bool:
        try:
            edit()
        except PbmError as error:
            self.refresh()  # put the widget back to the state's value
            self._say(str(error), _ERROR)
            return False
        if rebuild:
            self._build_rows()
        self.refresh()
        self._say("")
        return True

    def _say(self, text: str, colour: str = _INFO) -> None:
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>" if text else ""

    @contextmanager
    def _hold(self) -> Iterator[None]:
        """Programmatic widget updates inside do not call the handlers."""
        self._syncing += 1
        try:
            yield
        finally:
            self._syncing -= 1


def project_root(start: str | Path | None = None) -> Path:
    """The project root: the nearest folder (from ``start``, default the working directory, upwards)
    that holds ``parameters/defaults.yaml``, as the batch resolves relative paths; else ``start``.

    A notebook opened in JupyterLab runs in ``notebooks/``; resolving ``save_dir`` against the root
    puts the evaluation files where the batch's parameter files point, wherever the kernel started.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "parameters" / "defaults.yaml").is_file():
            return folder
    return here


def build_workbench(
    data_path: str | Path = "",
    evaluator: str = "",
    save_dir: str | Path = "outputs/workbench",
    *,
    organisation: str = "",
    scheme: str | None = None,
    project_id: str | None = None,
    autoload: bool = True,
) -> Workbench:
    """Read the year's data and build the workbench (display it with ``display(...)``).

    Parameters
    ----------
    data_path : str or Path
        The year workbook; ``""`` means the bundled sample :data:`pbm_lib.data.SAMPLE_WORKBOOK`.
    evaluator : str
        评价人员.
    save_dir : str or Path
        Folder of the evaluation files; a relative path is taken from :func:`project_root`.
    organisation, scheme, project_id, autoload
        As for :class:`Workbench`.
    """
    from .workbook.reader import read_year

    if not str(data_path):
        from .data import SAMPLE_WORKBOOK

        data_path = SAMPLE_WORKBOOK
    year = read_year(data_path)
    folder = Path(save_dir)
    if not folder.is_absolute():
        folder = project_root() / folder
    return Workbench(
        year,
        evaluator=evaluator,
        organisation=organisation,
        save_dir=folder,
        scheme=scheme,
        project_id=project_id,
        autoload=autoload,
    )


__all__ = ["Workbench", "build_workbench", "project_root"]
