"""The plan: every job of a year (which notebook, for which object, with which parameters, written where).

:func:`build_plan` derives it from the year's data and the ``parameters/`` folder, and validates every
job's parameters against its notebook's declaration before any kernel starts.

Parameter precedence for one job, lowest first:

1. automatic parameters from the data (``data_path``, ``year``, ``object_id``, ``project_id``,
   ``unit_id``), given only to notebooks that declare them and never settable in YAML;
2. ``defaults`` (both files), given only to notebooks that declare them;
3. the report's ``parameters``, then its ``vary`` value (strict: the notebook must declare them);
4. ``overrides`` without ``report``: given to each of the object's reports that declares the name
   (an error when none does);
5. ``overrides`` with ``report`` (strict).

String values of parameters whose name ends in ``_path`` or ``_file`` are paths relative to the
project root (the parent of ``parameters/``): they are made absolute, must exist, and their content
hash is part of the job's identity, so editing an evaluator's saved workbench file reruns the report.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..workbook import YearData
from ..workbook.reader import file_sha256
from .config import AUTOMATIC_PARAMETERS, BatchConfig, ReportSpec, load_config
from .errors import NotebookParametersError, ParameterError, PlanError
from .objects import object_table, select
from .params import NotebookParameters, ParameterProblem, read_parameters, validate_parameters


@dataclass(frozen=True)
class Job:
    """One notebook run for one object. Output paths are relative to ``outputs/<year>/``."""

    id: str
    report_id: str
    report_title: str
    object_kind: str
    object_id: str
    object_name: str
    unit_id: str | None
    unit_name: str | None
    notebook: str  # absolute path of the source notebook
    notebook_sha256: str
    kernel_name: str
    language: str
    parameters: dict[str, Any]
    variant: dict[str, Any]
    notebook_out: str
    failed_out: str
    html_out: str
    timeout: float | None
    cwd: str  # the notebook's folder: kernels run there, as in Jupyter
    input_files: dict[str, str] = field(default_factory=dict)  # absolute path -> sha256

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Job:
        return cls(**values)


@dataclass(frozen=True)
class SkippedObject:
    """An object the parameter files say not to run."""

    report_id: str
    object_id: str
    reason: str
    origin: str


@dataclass
class Plan:
    """Every job of one year, and what was deliberately left out."""

    year: int
    jurisdiction: str | None
    data_path: str
    data_sha256: str
    root: str
    config_files: list[str]
    jobs: list[Job]
    skipped: list[SkippedObject]
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "jurisdiction": self.jurisdiction,
            "data_path": self.data_path,
            "data_sha256": self.data_sha256,
            "root": self.root,
            "config_files": self.config_files,
            "jobs": [job.as_dict() for job in self.jobs],
            "skipped": [asdict(s) for s in self.skipped],
            "warnings": self.warnings,
        }


def slug(text: str) -> str:
    """A file-name-safe form of an object id; a short hash keeps altered ids distinct."""
    clean = re.sub(r"[^\w.-]", "_", text, flags=re.UNICODE).strip("._") or "_"
    if clean != text:
        clean = f"{clean[:60]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return clean


def _variant_suffix(variant: dict[str, Any]) -> str:
    if not variant:
        return ""
    return "~" + "~".join(
        slug(f"{k}-{json.dumps(v, ensure_ascii=False)}".replace('"', "")) for k, v in variant.items()
    )


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def build_plan(
    data: YearData,
    parameters_dir: str | Path | None = None,
    *,
    config: BatchConfig | None = None,
    only: list[str] | None = None,
) -> Plan:
    """Derive and validate the year's jobs.

    Parameters
    ----------
    data : YearData
        The validated year (:func:`pbm_lib.workbook.read_year`).
    parameters_dir : str or Path, optional
        The ``parameters/`` folder (default: ``./parameters`` or the source tree's).
    config : BatchConfig, optional
        An already loaded configuration (overrides ``parameters_dir``).
    only : list of str, optional
        Report ids to plan; all enabled reports when omitted.

    Raises
    ------
    ConfigError
        A malformed parameter file.
    PlanError
        Missing notebooks, unknown filter columns, overrides for objects not in the data.
    ParameterError
        Invalid parameters for any job (all of them listed, each with its file and object).
    """
    config = config or load_config(parameters_dir, data.year)
    root = config.root
    data_path = str(Path(data.source).resolve())
    problems: list[str] = []
    parameter_problems: list[ParameterProblem] = []
    jobs: list[Job] = []
    skipped: list[SkippedObject] = []
    warnings: list[str] = []
    used_override_keys: set[tuple[int, str]] = set()
    objects_seen: set[str] = set()
    reports = [r for r in config.reports.values() if r.enabled and (only is None or r.id in only)]
    if only is not None:
        unknown = sorted(set(only) - set(config.reports))
        if unknown:
            raise PlanError(f"登记表中没有报告 {', '.join(unknown)} / unknown report id")
    for report in reports:
        notebook_path = (root / report.notebook).resolve()
        try:
            declared = read_parameters(notebook_path)
        except NotebookParametersError as error:
            problems.append(f"{report.origin} · notebook: {error}")
            continue
        try:
            table = select(object_table(data, report.object), report.where, report.origin)
        except PlanError as error:
            problems.append(str(error))
            continue
        objects_seen.update(table["object_id"].map(str))
        variants = [
            dict(zip(report.vary, combo, strict=True)) for combo in itertools.product(*report.vary.values())
        ] or [{}]
        for row in table.to_dict("records"):
            object_id = str(row["object_id"])
            skip = _skip_for(config, report, object_id)
            if skip is not None:
                skipped.append(SkippedObject(report.id, object_id, skip.reason, skip.origin))
                continue
            for variant in variants:
                job = _job(config, report, declared, row, variant, data, data_path, used_override_keys)
                if isinstance(job, list):
                    parameter_problems.extend(job)
                else:
                    jobs.append(job)
    all_objects = set(objects_seen)
    for kind in ("project", "unit"):
        all_objects.update(object_table(data, kind)["object_id"].map(str))
    all_objects.add("city")
    for i, override in enumerate(config.overrides):
        if override.object not in all_objects:
            problems.append(
                f"{override.origin} · object: 数据中没有对象 {override.object} / no such object in the data"
            )
            continue
        if override.report is None:
            for name in override.parameters:
                if (i, name) not in used_override_keys and override.object in objects_seen:
                    problems.append(
                        f"{override.origin} · parameters.{name}: 对象 {override.object} 的各报告笔记本都未声明此参数 / no report of this object declares it"
                    )
    for skip in config.skips:
        if skip.object not in all_objects:
            warnings.append(f"{skip.origin}: 数据中没有对象 {skip.object}，跳过设置无效 / no such object")
    if problems:
        raise PlanError(
            "无法生成运行计划 / cannot build the plan:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    if parameter_problems:
        lines = [p.message for p in parameter_problems]
        shown = lines[:50] + (
            [f"……另有 {len(lines) - 50} 处 / and {len(lines) - 50} more"] if len(lines) > 50 else []
        )
        raise ParameterError(
            "参数校验未通过 / invalid parameters:\n" + "\n".join(f"  - {m}" for m in shown),
            parameter_problems,
        )
    ids = [job.id for job in jobs]
    if len(set(ids)) != len(ids):  # pragma: no cover - slugs carry a hash, so only a registry bug gets here
        raise PlanError("运行计划中有重复的任务 / duplicate job ids")
    return Plan(
        year=data.year,
        jurisdiction=data.jurisdiction,
        data_path=data_path,
        data_sha256=data.sha256,
        root=str(root),
        config_files=[str(f) for f in config.files],
        jobs=jobs,
        skipped=skipped,
        warnings=warnings,
    )


def _skip_for(config: BatchConfig, report: ReportSpec, object_id: str):
    for skip in config.skips:
        if skip.object == object_id and skip.report in (None, report.id):
            return skip
    return None


def _job(
    config: BatchConfig,
    report: ReportSpec,
    declared: NotebookParameters,
    row: dict[str, Any],
    variant: dict[str, Any],
    data: YearData,
    data_path: str,
    used_override_keys: set[tuple[int, str]],
) -> Job | list[ParameterProblem]:
    object_id = str(row["object_id"])
    unit_id = _text(row.get("unit_id"))
    where = f"报告 {report.id} · 对象 {object_id}"
    automatic = {
        "data_path": data_path,
        "year": int(data.year),
        "object_id": object_id,
        "project_id": _text(row.get("project_id")),
        "unit_id": unit_id,
    }
    values: dict[str, Any] = {k: v for k, v in automatic.items() if k in declared and v is not None}
    origins: dict[str, str] = {}
    for name, value in config.defaults.items():
        if name in declared:
            values[name] = value
            origins[name] = config.default_origins.get(name, "defaults")
    for name, value in [*report.parameters.items(), *variant.items()]:
        values[name] = value
        origins[name] = report.origin
    for i, override in enumerate(config.overrides):
        if override.object != object_id or override.report not in (None, report.id):
            continue
        for name, value in override.parameters.items():
            if override.report is None and name not in declared:
                continue
            used_override_keys.add((i, name))
            values[name] = value
            origins[name] = override.origin
    input_files: dict[str, str] = {}
    problems: list[ParameterProblem] = []
    root = config.root
    for name, value in list(values.items()):
        if name in AUTOMATIC_PARAMETERS or not name.endswith(("_path", "_file")):
            continue
        if isinstance(value, str) and value:
            path = Path(value) if Path(value).is_absolute() else (root / value)
            path = path.resolve()
            if not path.exists():
                problems.append(
                    ParameterProblem(
                        "type",
                        name,
                        f"{origins.get(name, where)} · {where}: 参数 {name} 指向的文件不存在：{path} / file not found",
                    )
                )
                continue
            values[name] = str(path)
            input_files[str(path)] = file_sha256(path)
    try:
        validate_parameters(declared, values, where)
    except ParameterError as error:
        for p in error.problems:
            origin = origins.get(p.name, report.origin)
            problems.append(
                ParameterProblem(
                    p.kind, p.name, f"{origin} · {where} · 笔记本 {declared.path.name}: {p.message}"
                )
            )
    if problems:
        return problems
    name = slug(object_id) + _variant_suffix(variant)
    return Job(
        id=f"{report.id}/{name}",
        report_id=report.id,
        report_title=report.title,
        object_kind=report.object,
        object_id=object_id,
        object_name=str(row.get("object_name") or object_id),
        unit_id=unit_id,
        unit_name=_text(row.get("unit_name")),
        notebook=str(declared.path.resolve()),
        notebook_sha256=declared.sha256,
        kernel_name=declared.kernel_name,
        language=declared.language,
        parameters=values,
        variant=dict(variant),
        notebook_out=f"notebooks/{report.id}/{name}.ipynb",
        failed_out=f"failed/{report.id}/{name}.ipynb",
        html_out=f"site/{report.id}/{name}.html",
        timeout=report.timeout,
        cwd=str(declared.path.resolve().parent),
        input_files=input_files,
    )


def plan_year(workbook: str | Path, parameters_dir: str | Path | None = None, **kwargs: Any) -> Plan:
    """Read the workbook and build its plan (see :func:`build_plan`)."""
    from ..workbook import read_year

    return build_plan(read_year(workbook), parameters_dir, **kwargs)
