"""``run_year``: plan, execute what changed, publish — the year's batch from one call."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..workbook import read_year
from .errors import ExecutionSetupError, PlanError
from .execute import DEFAULT_EXPORTER, ENGINES, WorkerConfig, resolve_exporter
from .executors import EXECUTORS, DaskExecutor, LocalExecutor
from .kernels import DEFAULT_MAX_RUNS
from .manifest import Manifest, job_key
from .plan import Job, Plan, build_plan
from .progress import Progress
from .publish import clean_temporaries, publish_year, remove_entry_files, write_outcome
from .site import describe_error

log = logging.getLogger("pbm.batch")

DEFAULT_TIMEOUT = 600.0
LOG_NAME = "run.log"


@dataclass(frozen=True)
class FailedJob:
    """A job that failed: where (cell) and what (error name and message)."""

    job_id: str
    report_title: str
    object_id: str
    object_name: str
    kind: str
    ename: str | None
    evalue: str | None
    cell_index: int | None
    execution_count: int | None
    notebook: str | None  # the error notebook, relative to the year's output folder

    def describe(self) -> str:
        where = describe_error(
            {
                "ename": self.ename,
                "evalue": self.evalue,
                "kind": self.kind,
                "cell_index": self.cell_index,
                "execution_count": self.execution_count,
            }
        )
        return f"{self.report_title}：{self.object_name}（{self.object_id}）— {where}"


@dataclass
class RunSummary:
    """What a run did; ``exit_code`` is non-zero when any job failed."""

    year: int
    out_dir: Path
    planned: int
    executed: int
    up_to_date: int
    skipped_by_config: int
    succeeded: int
    failed: list[FailedJob] = field(default_factory=list)
    duration: float = 0.0
    engine: str = "pool"
    executor: str = "local"
    workers: int = 1
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def describe(self) -> str:
        """A multi-line summary in Chinese (with English key words)."""
        rate = self.executed / self.duration * 60 if self.duration > 0 and self.executed else 0.0
        lines = [
            f"{self.year} 年度：计划 {self.planned} 份报告，运行 {self.executed} 份（成功 {self.succeeded}，失败 {len(self.failed)}），"
            f"未变化跳过 {self.up_to_date} 份，按参数文件跳过 {self.skipped_by_config} 份；"
            f"用时 {self.duration:.1f} 秒（{rate:.1f} 份/分钟，{self.workers} 个工作进程，引擎 {self.engine}，执行器 {self.executor}）。",
        ]
        if self.failed:
            lines.append(f"失败 / failed ({len(self.failed)}):")
            lines.extend(
                f"  - {f.describe()}" + (f"  [{f.notebook}]" if f.notebook else "") for f in self.failed
            )
        if "index" in self.paths:
            lines.append(f"网站首页 / site: {self.paths['index']}")
        return "\n".join(lines)


def default_jobs() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _file_logger(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.setLevel(logging.INFO)
    return handler


def run_year(
    workbook: str | Path,
    out_root: str | Path = "outputs",
    *,
    jobs: int | None = None,
    engine: str = "pool",
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: bool = True,
    parameters_dir: str | Path | None = None,
    exporter: str | None = DEFAULT_EXPORTER,
    max_runs: int = DEFAULT_MAX_RUNS,
    only: list[str] | None = None,
    stream: TextIO | None = None,
    plan: Plan | None = None,
) -> RunSummary:
    """Run every report of a year that changed since the last run, then publish the year.

    Parameters
    ----------
    workbook : str or Path
        The year workbook (or CSV folder).
    out_root : str or Path
        Output root; the year's outputs go to ``out_root/<year>/``.
    jobs : int, optional
        Parallel workers (default: one per core).
    engine : {"pool", "papermill"}
        ``pool`` runs papermill on warm kernels; ``papermill`` runs plain ``papermill.execute_notebook``
        (a fresh kernel per notebook), the baseline and fallback.
    executor : {"local", "dask"}
        Local worker processes, or Dask (``scheduler`` address, or a local cluster when ``None``).
    scheduler : str, optional
        Address of an existing Dask scheduler (with ``executor="dask"``).
    force : bool
        Rerun every job, even those up to date.
    timeout : float or None
        Time limit per notebook in seconds (a report entry's ``timeout`` takes precedence); the
        kernel is killed and replaced when it is exceeded. With ``engine="papermill"`` it is papermill's
        per-cell ``execution_timeout``.
    progress : bool
        Show a progress bar (a redrawn line on a terminal, a line every 10 s otherwise).
    parameters_dir : str or Path, optional
        The ``parameters/`` folder (default: ``./parameters``, else the source tree's).
    exporter : str or None
        ``module:function`` producing each report's HTML (default
        ``pbm_lib.report.export:notebook_to_html``); ``None`` publishes no report HTML.
    max_runs : int
        Notebooks per kernel before it is replaced.
    only : list of str, optional
        Report ids to run; the other reports keep their earlier outputs and still appear in the index.
    stream : text stream, optional
        Where progress and messages go (default: standard error).
    plan : Plan, optional
        A plan built already (by :func:`pbm_lib.batch.plan.build_plan` on the same workbook).

    Returns
    -------
    RunSummary
        Counts, failures with their cell and error, and the published paths.

    Raises
    ------
    InputFileError, ConfigError, PlanError, ParameterError, ExecutionSetupError
        Before any kernel starts: bad data, parameter files, parameters, or a missing exporter/extra.
    """
    started = time.perf_counter()
    stream = stream or sys.stderr
    if engine not in ENGINES:
        raise ExecutionSetupError(f"未知引擎 {engine!r}；应为 {'、'.join(ENGINES)} / unknown engine")
    if executor not in EXECUTORS:
        raise ExecutionSetupError(f"未知执行器 {executor!r}；应为 {'、'.join(EXECUTORS)} / unknown executor")
    if scheduler and executor != "dask":
        raise ExecutionSetupError(
            "--scheduler 需与 --executor dask 一起使用 / --scheduler needs --executor dask"
        )
    jobs = jobs or default_jobs()
    data = read_year(workbook)
    plan = plan or build_plan(data, parameters_dir)
    if only is not None:
        unknown = sorted(set(only) - {job.report_id for job in plan.jobs})
        if unknown:
            raise PlanError(f"运行计划中没有报告 {', '.join(unknown)} / no such report in the plan")
    out_dir = Path(out_root) / str(data.year)
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = _file_logger(out_dir / LOG_NAME)
    log.addHandler(handler)
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        return _run(
            data,
            plan,
            out_dir,
            started,
            stream,
            jobs,
            engine,
            executor,
            scheduler,
            force,
            timeout,
            progress,
            exporter,
            max_runs,
            only,
        )
    finally:
        log.removeHandler(handler)
        handler.close()


def _run(
    data: Any,
    plan: Plan,
    out_dir: Path,
    started: float,
    stream: TextIO,
    jobs: int,
    engine: str,
    executor: str,
    scheduler: str | None,
    force: bool,
    timeout: float | None,
    progress: bool,
    exporter: str | None,
    max_runs: int,
    only: list[str] | None,
) -> RunSummary:
    removed = clean_temporaries(out_dir)
    log.info(
        "===== 开始 / start: %s 年度，%d 个任务，数据 %s（%s），引擎 %s，执行器 %s，%d 个工作进程，pbm %s =====",
        data.year,
        len(plan.jobs),
        data.source,
        data.sha256[:12],
        engine,
        executor,
        jobs,
        __version__,
    )
    if removed:
        log.info(
            "清理上次中断留下的临时文件 %d 个 / removed %d temporary files of an interrupted run",
            removed,
            removed,
        )
    for warning in plan.warnings:
        log.warning(warning)
    manifest = Manifest.load(out_dir)
    manifest.meta.update({"year": data.year, "data_sha256": data.sha256, "pbm_version": __version__})
    # Notebook texts are read once; the key uses the hash of exactly the text that is run.
    texts: dict[str, tuple[str, str]] = {}
    todo: list[tuple[Job, str]] = []
    up_to_date = 0
    for job in plan.jobs:
        if only is not None and job.report_id not in only:
            continue
        if job.notebook not in texts:
            raw = Path(job.notebook).read_bytes()
            texts[job.notebook] = (raw.decode("utf-8"), hashlib.sha256(raw).hexdigest())
        key = job_key(job, data.sha256, __version__, texts[job.notebook][1])
        if not force and manifest.is_current(job, key, out_dir):
            up_to_date += 1
            continue
        todo.append((job, key))
    # Longest first, so that the last worker finishes sooner: by the last run's duration; jobs never
    # run come first, those of reports with the fewest objects (city, units: long aggregate reports)
    # before the many short per-project ones, which then fill the end of the run evenly.
    objects = Counter(job.report_id for job, _ in todo)

    def longest_first(item: tuple[Job, str]) -> tuple[int, float]:
        duration = manifest.entries.get(item[0].id, {}).get("duration")
        return (1, -duration) if duration else (0, objects[item[0].report_id])

    todo.sort(key=longest_first)
    if only is None:
        for entry in manifest.drop(set(manifest.entries) - {j.id for j in plan.jobs}):
            remove_entry_files(out_dir, entry)
    if todo and exporter:
        resolve_exporter(exporter)  # fail before any kernel starts if the exporter is missing
    config = WorkerConfig(
        engine=engine,
        timeout=timeout,
        max_runs=max_runs,
        exporter=exporter,
        kernel_log=str((out_dir / "kernels.log").resolve()) if executor == "local" else None,
    )
    keys = {job.id: key for job, key in todo}
    by_id = {job.id: job for job, _ in todo}
    payloads = [
        {
            "job": job.as_dict(),
            "notebook_text": texts[job.notebook][0],
            "output_path": str((out_dir / job.notebook_out).resolve()),
        }
        for job, _ in todo
    ]
    failures: list[FailedJob] = []
    succeeded = 0
    bar = Progress(len(todo), stream=stream, enabled=progress)
    if up_to_date:
        log.info("未变化、跳过 %d 个任务 / %d jobs up to date", up_to_date, up_to_date)

    def on_outcome(payload: dict[str, Any], outcome: dict[str, Any]) -> None:
        nonlocal succeeded
        job = by_id[payload["job"]["id"]]
        entry = write_outcome(out_dir, job, outcome, keys[job.id])
        manifest.record(job.id, entry)
        if outcome["status"] == "ok":
            succeeded += 1
            log.info("完成 / ok      %s（%.1f 秒）", job.id, outcome.get("duration") or 0)
        else:
            error = outcome.get("error") or {}
            failures.append(
                FailedJob(
                    job_id=job.id,
                    report_title=job.report_title,
                    object_id=job.object_id,
                    object_name=job.object_name,
                    kind=error.get("kind", "internal"),
                    ename=error.get("ename"),
                    evalue=error.get("evalue"),
                    cell_index=error.get("cell_index"),
                    execution_count=error.get("execution_count"),
                    notebook=entry.get("notebook"),
                )
            )
            log.error("失败 / failed  %s: %s", job.id, describe_error(error))
            if error.get("traceback"):
                log.error("%s", error["traceback"])
        bar.update(outcome["status"])

    if payloads:
        runner = DaskExecutor(jobs, config, scheduler) if executor == "dask" else LocalExecutor(jobs, config)
        try:
            runner.run(payloads, on_outcome)
        finally:
            bar.close()
    manifest.save()
    paths = publish_year(out_dir, plan, manifest, data, jobs)
    paths["manifest"] = manifest.path
    paths["log"] = out_dir / LOG_NAME
    summary = RunSummary(
        year=data.year,
        out_dir=out_dir,
        planned=len(plan.jobs),
        executed=len(todo),
        up_to_date=up_to_date,
        skipped_by_config=len(plan.skipped),
        succeeded=succeeded,
        failed=failures,
        duration=time.perf_counter() - started,
        engine=engine,
        executor=executor,
        workers=jobs,
        paths=paths,
    )
    for line in summary.describe().splitlines():
        log.info(line)
    log.info("===== 结束 / end (exit %d) =====", summary.exit_code)
    return summary
