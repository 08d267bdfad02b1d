"""The ``parameters/`` folder: the registry of report notebooks, defaults, per-object overrides and skips.

Two YAML files are read, the second over the first (both optional): ``parameters/defaults.yaml`` for
every year and ``parameters/<year>.yaml`` for one fiscal year. ``parameters/README.md`` documents the
format for the people who edit them. Nothing read here is ever evaluated as code: filters are
equality/inclusion checks on named columns, parameter values are plain YAML data injected literally
by papermill.

A notebook named in the registry need not exist while the registry is loaded; planning a report
whose notebook is missing is an error (:class:`pbm_lib.batch.errors.PlanError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

#: Kinds of object a report can be planned for (see :mod:`pbm_lib.batch.objects`).
OBJECT_KINDS = (
    "project",
    "unit",
    "city",
    "new_major_project",
    "self_evaluation",
    "evaluated_project",
)

#: Parameters the plan fills in itself from the data (only for notebooks that declare them).
AUTOMATIC_PARAMETERS = {
    "data_path": "年度数据工作簿的绝对路径 / absolute path of the year workbook",
    "year": "年度 / fiscal year (int)",
    "object_id": "对象编码：项目编码、单位编码，或本级政府为 city / the object's id",
    "project_id": "项目编码（项目类对象）/ project id (project objects)",
    "unit_id": "单位编码（项目所属单位或单位本身）/ unit id",
}

_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_TOP_KEYS = {"version", "year", "defaults", "reports", "overrides", "skip"}
_REPORT_KEYS = {"id", "title", "notebook", "object", "where", "parameters", "vary", "timeout", "enabled"}
_OVERRIDE_KEYS = {"object", "report", "parameters"}
_SKIP_KEYS = {"object", "report", "reason"}


@dataclass(frozen=True)
class Condition:
    """One filter on an object column: the value must (``negate=False``) or must not be in ``values``."""

    column: str
    values: tuple[Any, ...]
    negate: bool = False

    def describe(self) -> str:
        shown = "、".join(str(v) for v in self.values)
        return f"{self.column} {'∉' if self.negate else '∈'} {{{shown}}}"


@dataclass(frozen=True)
class ReportSpec:
    """One entry of the registry: which notebook is run for which objects, with which parameters."""

    id: str
    title: str
    notebook: str  # relative to the project root (the parent of ``parameters/``)
    object: str
    where: tuple[Condition, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    vary: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    timeout: float | None = None
    enabled: bool = True
    origin: str = ""


@dataclass(frozen=True)
class Override:
    """Parameters for one object, for one report or (``report`` is ``None``) for all its reports."""

    object: str
    report: str | None
    parameters: dict[str, Any]
    origin: str


@dataclass(frozen=True)
class Skip:
    """An object (for one report, or for all when ``report`` is ``None``) that is not run."""

    object: str
    report: str | None
    reason: str
    origin: str


@dataclass
class BatchConfig:
    """The merged content of ``defaults.yaml`` and ``<year>.yaml``."""

    root: Path  # the project root; notebook and ``*_path``/``*_file`` values are relative to it
    files: list[Path] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    default_origins: dict[str, str] = field(default_factory=dict)
    reports: dict[str, ReportSpec] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


def _where(entry: Any, origin: str) -> tuple[Condition, ...]:
    if entry is None:
        return ()
    if not isinstance(entry, dict):
        raise ConfigError(f"{origin} · where: 应为「列名: 值」的映射 / expected a mapping of column to value")
    conditions = []
    for column, value in entry.items():
        if not isinstance(column, str) or not re.fullmatch(r"\w+", column):
            raise ConfigError(f"{origin} · where: 列名 {column!r} 无效 / invalid column name")
        negate = False
        if isinstance(value, dict):
            if set(value) != {"not"}:
                raise ConfigError(
                    f"{origin} · where.{column}: 只支持 {{not: 值或列表}} / only {{not: value-or-list}} is supported"
                )
            negate, value = True, value["not"]
        values = tuple(value) if isinstance(value, list) else (value,)
        for v in values:
            if isinstance(v, (dict, list)):
                raise ConfigError(f"{origin} · where.{column}: 值应为文本或数字 / values must be scalars")
        conditions.append(Condition(column, values, negate))
    return tuple(conditions)


def _mapping(value: Any, origin: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{origin} · {what}: 应为「名称: 值」的映射 / expected a mapping")
    return dict(value)


def _check_keys(entry: dict, allowed: set[str], origin: str) -> None:
    unknown = sorted(str(k) for k in entry if k not in allowed)
    if unknown:
        raise ConfigError(
            f"{origin}: 未知的键 {', '.join(unknown)}；可用：{', '.join(sorted(allowed))} / unknown key"
        )


def _report(entry: Any, origin: str) -> ReportSpec:
    if not isinstance(entry, dict):
        raise ConfigError(f"{origin}: 应为映射（id、title、notebook、object…）/ expected a mapping")
    _check_keys(entry, _REPORT_KEYS, origin)
    for key in ("id", "notebook", "object"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"{origin}: 缺少 {key}（文本）/ missing {key}")
    report_id = entry["id"]
    if not _ID.fullmatch(report_id):
        raise ConfigError(
            f"{origin} · id: {report_id!r} 只能含英文字母、数字、_ . -（用于文件名）/ id must be [A-Za-z0-9_.-]"
        )
    origin = f"{origin}（{report_id}）"
    if entry["object"] not in OBJECT_KINDS:
        raise ConfigError(
            f"{origin} · object: 未知对象类型 {entry['object']!r}；应为 {'、'.join(OBJECT_KINDS)} / unknown object kind"
        )
    parameters = _mapping(entry.get("parameters"), origin, "parameters")
    _no_automatic(parameters, origin)
    vary: dict[str, tuple[Any, ...]] = {}
    for name, values in _mapping(entry.get("vary"), origin, "vary").items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{origin} · vary.{name}: 应为非空列表 / expected a non-empty list")
        vary[name] = tuple(values)
    _no_automatic(vary, origin)
    timeout = entry.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise ConfigError(f"{origin} · timeout: 应为正数（秒）/ expected seconds > 0")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{origin} · enabled: 应为 true 或 false / expected a boolean")
    return ReportSpec(
        id=report_id,
        title=str(entry.get("title") or report_id),
        notebook=entry["notebook"],
        object=entry["object"],
        where=_where(entry.get("where"), origin),
        parameters=parameters,
        vary=vary,
        timeout=float(timeout) if timeout is not None else None,
        enabled=enabled,
        origin=origin,
    )


def _no_automatic(parameters: dict[str, Any], origin: str) -> None:
    reserved = sorted(set(parameters) & set(AUTOMATIC_PARAMETERS))
    if reserved:
        raise ConfigError(
            f"{origin}: 参数 {', '.join(reserved)} 由数据自动填写，不能在参数文件中设置 / set automatically from the data"
        )


def _object_id(entry: dict, origin: str) -> str:
    value = entry.get("object")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{origin}: 缺少 object（对象编码，建议加引号）/ missing object id")
    return value.strip()


def _list(content: dict, key: str, shown: str) -> list:
    value = content.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{shown} · {key}: 应为列表 / expected a list")
    return value


def _load_file(path: Path, config: BatchConfig, year: int | None) -> None:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: 应为 UTF-8 编码的 YAML / expected UTF-8") from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" · 第{mark.line + 1}行" if mark is not None else ""
        raise ConfigError(
            f"{shown}{where}: YAML 格式错误 / invalid YAML: {getattr(error, 'problem', error)}"
        ) from None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise ConfigError(f"{shown}: 顶层应为映射 / the top level must be a mapping")
    _check_keys(content, _TOP_KEYS, shown)
    if year is not None and content.get("year") not in (None, year):
        raise ConfigError(f"{shown} · year: 写的是 {content['year']}，但数据年度为 {year} / year mismatch")
    defaults = _mapping(content.get("defaults"), shown, "defaults")
    _no_automatic(defaults, f"{shown} · defaults")
    config.defaults.update(defaults)
    config.default_origins.update({k: f"{shown} · defaults" for k in defaults})
    reports = _list(content, "reports", shown)
    ids_here: set[str] = set()
    for i, entry in enumerate(reports):
        spec = _report(entry, f"{shown} · reports[{i}]")
        if spec.id in ids_here:
            raise ConfigError(f"{shown} · reports[{i}]: 报告 id {spec.id} 重复 / duplicate report id")
        ids_here.add(spec.id)
        config.reports[spec.id] = spec  # a later file replaces an entry with the same id
    for i, entry in enumerate(_list(content, "overrides", shown)):
        origin = f"{shown} · overrides[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{origin}: 应为映射（object、report、parameters）/ expected a mapping")
        _check_keys(entry, _OVERRIDE_KEYS, origin)
        parameters = _mapping(entry.get("parameters"), origin, "parameters")
        _no_automatic(parameters, origin)
        report = entry.get("report")
        if report is not None and not isinstance(report, str):
            raise ConfigError(f"{origin} · report: 应为报告 id / expected a report id")
        config.overrides.append(Override(_object_id(entry, origin), report, parameters, origin))
    for i, entry in enumerate(_list(content, "skip", shown)):
        origin = f"{shown} · skip[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{origin}: 应为映射（object、report、reason）/ expected a mapping")
        _check_keys(entry, _SKIP_KEYS, origin)
        report = entry.get("report")
        if report is not None and not isinstance(report, str):
            raise ConfigError(f"{origin} · report: 应为报告 id / expected a report id")
        config.skips.append(Skip(_object_id(entry, origin), report, str(entry.get("reason") or ""), origin))
    config.files.append(path)


def default_parameters_dir() -> Path:
    """``./parameters`` when it exists, else the ``parameters/`` folder of the pbm source tree."""
    here = Path.cwd() / "parameters"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "parameters"


def load_config(parameters_dir: str | Path | None = None, year: int | None = None) -> BatchConfig:
    """Read ``defaults.yaml`` and ``<year>.yaml`` from the parameters folder.

    Parameters
    ----------
    parameters_dir : str or Path, optional
        The folder (default: :func:`default_parameters_dir`). Its parent is the project root against
        which notebook paths and ``*_path``/``*_file`` parameter values are resolved.
    year : int, optional
        The fiscal year; ``<year>.yaml`` is read when it exists.

    Raises
    ------
    ConfigError
        Malformed YAML or entries, with the file and the entry index.
    """
    folder = Path(parameters_dir) if parameters_dir is not None else default_parameters_dir()
    config = BatchConfig(root=folder.resolve().parent)
    if not folder.is_dir():
        return config
    _load_file_if(folder / "defaults.yaml", config, year)
    if year is not None:
        _load_file_if(folder / f"{year}.yaml", config, year)
    known = set(config.reports)
    for item in [*config.overrides, *config.skips]:
        if item.report is not None and item.report not in known:
            raise ConfigError(
                f"{item.origin} · report: 登记表中没有报告 {item.report}；已登记：{'、'.join(sorted(known)) or '（无）'} / unknown report"
            )
    return config


def _load_file_if(path: Path, config: BatchConfig, year: int | None) -> None:
    if path.is_file():
        _load_file(path, config, year)
