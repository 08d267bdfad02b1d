"""Running one job in a worker: papermill on a warm kernel (or plain papermill), a time limit, the HTML.

:func:`execute_on_kernel` follows :func:`papermill.execute_notebook` step by step with papermill's own
functions (load, parameterize, metadata, engine, error markers), the engine being
:class:`pbm_lib.batch.engine.WarmKernelEngine`. It records the *published* input and output paths in
the notebook's papermill metadata and never writes a file: the worker sends the executed notebook and
its HTML back to the parent, which alone writes the year's outputs (atomically).

The per-notebook time limit is a watchdog that kills the kernel; the cell that was running is marked
failed as papermill marks a failing cell, with a ``TimeoutError`` output, and the kernel is replaced.
With ``engine="papermill"`` the limit is papermill's ``execution_timeout`` (per cell).
"""

from __future__ import annotations

import copy
import importlib
import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .imports import defer_iri_grammar

defer_iri_grammar()  # before nbformat: saves seconds of start-up (see pbm_lib.batch.imports)

import nbformat  # noqa: E402

from .errors import ExecutionSetupError  # noqa: E402
from .kernels import (  # noqa: E402
    DEFAULT_FRESH_PREFIXES,
    DEFAULT_MAX_RUNS,
    DEFAULT_WARM_MODULES,
    KernelError,
    KernelSlot,
)
from .record import RESULT_MIME, read_results  # noqa: E402

log = logging.getLogger("pbm.batch")

#: The exporter used to publish reports unless another is named (``module:function``).
DEFAULT_EXPORTER = "pbm_lib.report.export:notebook_to_html"
ENGINES = ("pool", "papermill")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class WorkerConfig:
    """How a worker runs jobs; plain data so it can travel to worker processes and Dask workers."""

    engine: str = "pool"
    timeout: float | None = 600.0
    max_runs: int = DEFAULT_MAX_RUNS
    warm_modules: tuple[str, ...] = DEFAULT_WARM_MODULES
    fresh_prefixes: tuple[str, ...] = DEFAULT_FRESH_PREFIXES
    exporter: str | None = DEFAULT_EXPORTER
    kernel_log: str | None = None  # file receiving the kernels' stdout/stderr
    kernel_name: str = "python3"
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_exporter(spec: str) -> Any:
    """Import ``module:function``; a missing module is an :class:`ExecutionSetupError` saying who provides it."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        if module_name == DEFAULT_EXPORTER.split(":")[0]:
            raise ExecutionSetupError(
                f"HTML 导出模块 {module_name} 尚不可用（{error}）；它由报告导出功能提供（pbm_lib.report.export.notebook_to_html），"
                "请更新 pbm 后重试 / the HTML exporter is not available yet"
            ) from None
        raise ExecutionSetupError(
            f"无法导入 HTML 导出函数 {spec}: {error} / cannot import the exporter"
        ) from None
    function = getattr(module, attr or "notebook_to_html", None)
    if not callable(function):
        raise ExecutionSetupError(f"{spec}: 找不到导出函数 / exporter function not found")
    return function


def _error_from_outputs(nb: Any) -> dict[str, Any] | None:
    """papermill's own error search (``raise_for_execution_errors``), which also inserts its markers."""
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    try:
        raise_for_execution_errors(nb, None)  # output_path None: papermill writes nothing
    except PapermillExecutionError as error:
        traceback = "\n".join(_ANSI.sub("", line) for line in (error.traceback or []))
        cells = _unmarked(nb)
        source = cells[error.cell_index].source if error.cell_index < len(cells) else ""
        return {
            "kind": "cell",
            "ename": error.ename,
            "evalue": str(error.evalue),
            # papermill's index counts the injected-parameters cell; cell_index is the source notebook's
            "executed_cell_index": error.cell_index,
            "cell_index": _source_cell_index(nb, error.cell_index),
            "execution_count": error.exec_count,
            "source": source[:300],
            "traceback": traceback[-4000:],
        }
    return None


def _mark_interrupted(nb: Any, ename: str, evalue: str) -> None:
    """Mark the cell that was running when the kernel was killed, as papermill marks a failing cell."""
    started = [
        i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if not started:
        return
    index = started[-1]
    cell = nb.cells[index]
    if cell.cell_type == "code":
        cell.setdefault("outputs", []).append(
            nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        )
    cell.metadata.papermill["exception"] = True
    cell.metadata.papermill["status"] = "failed"
    nb.metadata.papermill["exception"] = True
    for later in nb.cells[index + 1 :]:
        if later.get("metadata", {}).get("papermill", {}).get("status") == "completed":
            later.metadata.papermill["status"] = "pending"


def _unmarked(nb: Any) -> list[Any]:
    """The cells without papermill's error-marker cells (whose indices papermill's error refers to)."""
    return [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]


def _source_cell_index(nb: Any, executed_index: int | None) -> int | None:
    """Index in the source notebook of a cell of the executed notebook (papermill's index)."""
    if executed_index is None:
        return None
    before = _unmarked(nb)[:executed_index]
    return executed_index - sum("injected-parameters" in c.metadata.get("tags", []) for c in before)


class Worker:
    """Runs jobs one after another on one warm kernel (``engine="pool"``) or with plain papermill."""

    def __init__(self, config: WorkerConfig) -> None:
        if config.engine not in ENGINES:
            raise ExecutionSetupError(
                f"未知引擎 {config.engine!r}；应为 {'、'.join(ENGINES)} / unknown engine"
            )
        self.config = config
        self._log_handle = open(config.kernel_log, "a", encoding="utf-8") if config.kernel_log else None  # noqa: SIM115
        self.slot: KernelSlot | None = None
        if config.engine == "pool":
            from . import engine  # noqa: F401  (registers the papermill engine)

            self.slot = KernelSlot(
                max_runs=config.max_runs,
                kernel_name=config.kernel_name,
                warm_modules=tuple(config.warm_modules),
                fresh_prefixes=tuple(config.fresh_prefixes),
                stderr=self._log_handle,
            )
        self._exporter = None
        self._kernel_pid: int | None = None

    def warm(self) -> None:
        if self.slot is not None:
            self.slot.warm()

    def close(self) -> None:
        if self.slot is not None:
            self.slot.close()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def kill_kernels(self) -> None:
        """Kill the kernel now (used when the parent process has gone)."""
        if self.slot is not None and self.slot.kernel is not None:
            self.slot.kernel.kill()

    # -- one job ------------------------------------------------------------------------------
    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Execute one job; never raises for a notebook's own failure (it is in the outcome)."""
        job = payload["job"]
        started = time.time()
        clock = time.perf_counter()
        self._kernel_pid = None
        timeout = job.get("timeout") or self.config.timeout
        nb_source = nbformat.reads(payload["notebook_text"], as_version=4)
        try:
            if self.config.engine == "pool":
                nb, error = self._run_pool(nb_source, job, payload["output_path"], timeout)
            else:
                nb, error = self._run_papermill(nb_source, job, payload["output_path"], timeout)
        except Exception as exc:  # an engine failure: the job fails, the worker carries on
            log.exception("job %s", job["id"])
            nb, error = None, {"kind": "internal", "ename": type(exc).__name__, "evalue": str(exc)}
        html = None
        results: dict[str, Any] = {}
        # Written out before the export, which reads a shallow copy of nb (strip_results)
        text = nbformat.writes(nb) if nb is not None else None
        if nb is not None:
            results = read_results(nb)
            if error is None and self.config.exporter:
                html, error = self._export(nb, job)
        return {
            "job_id": job["id"],
            "status": "ok" if error is None else "failed",
            "notebook": text,
            "html": html,
            "results": results,
            "error": error,
            "started": started,
            "duration": time.perf_counter() - clock,
            "worker": os.getpid(),
            "engine": self.config.engine,
            "kernel": self._kernel_pid,
        }

    def _run_pool(
        self, nb_source: Any, job: dict[str, Any], output_path: str, timeout: float | None
    ) -> tuple[Any, dict[str, Any] | None]:
        from nbclient.exceptions import DeadKernelError
        from papermill.engines import papermill_engines
        from papermill.execute import prepare_notebook_metadata, remove_error_markers
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        from .engine import ENGINE_NAME

        assert self.slot is not None
        parameters = job["parameters"]
        # papermill.execute_notebook, step by step (kernel_name and language left to the notebook).
        nb = load_notebook_node(nb_source)
        if parameters:
            nb = parameterize_notebook(
                nb, parameters, False, kernel_name=None, language=None, engine_name=ENGINE_NAME
            )
        nb = prepare_notebook_metadata(nb, job["notebook"], output_path, False)
        nb = remove_error_markers(nb)
        kernel_name = papermill_engines.nb_kernel_name(engine_name=ENGINE_NAME, nb=nb, name=None)
        try:
            kernel = self.slot.acquire(job["cwd"])
            self._kernel_pid = kernel.pid
        except KernelError as exc:
            self.slot.release(healthy=False)
            raise RuntimeError(str(exc)) from exc
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            kernel.kill()

        watchdog = threading.Timer(timeout, on_timeout) if timeout else None
        if watchdog is not None:
            watchdog.daemon = True
            watchdog.start()
        error: dict[str, Any] | None = None
        try:
            nb = papermill_engines.execute_notebook_with_engine(
                ENGINE_NAME,
                nb,
                input_path=job["notebook"],
                output_path=None,
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                start_timeout=60,
                stdout_file=None,
                stderr_file=None,
                warm_kernel=kernel,
                shell_timeout_interval=1,
            )
        except Exception as exc:
            if timed_out.is_set():
                evalue = f"运行超过时限 {timeout:g} 秒，内核已终止 / exceeded the time limit of {timeout:g} s"
                _mark_interrupted(nb, "TimeoutError", evalue)
                error = {"kind": "timeout"}
            elif isinstance(exc, DeadKernelError) or not kernel.is_alive():
                _mark_interrupted(nb, "DeadKernelError", f"内核意外退出 / the kernel died: {exc}")
                error = {"kind": "kernel"}
            else:
                self.slot.release(healthy=False)
                raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
        found = _error_from_outputs(nb)
        if error is not None and found is not None:
            found["kind"] = error["kind"]
        error = found or error
        healthy = error is None and not timed_out.is_set()
        self.slot.release(healthy=healthy)
        return nb, error

    def _run_papermill(
        self, nb_source: Any, job: dict[str, Any], output_path: str, timeout: float | None
    ) -> tuple[Any, dict[str, Any] | None]:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        with tempfile.TemporaryDirectory(prefix="pbm-papermill-") as tmp:
            input_path = job["notebook"]
            source_text = nbformat.writes(nb_source)
            if not Path(input_path).is_file():  # a remote worker: run a local copy of the shipped notebook
                input_path = str(Path(tmp) / Path(job["notebook"]).name)
                Path(input_path).write_text(source_text, encoding="utf-8")
            out = str(Path(tmp) / "executed.ipynb")
            error: dict[str, Any] | None = None
            try:
                papermill.execute_notebook(
                    input_path,
                    out,
                    parameters=job["parameters"] or None,
                    progress_bar=False,
                    cwd=job["cwd"],
                    execution_timeout=timeout,
                )
            except PapermillExecutionError:
                pass  # papermill has written the notebook with its error markers
            except TimeoutError:  # nbclient interrupted the cell: say so as the pool engine does
                error = {
                    "kind": "timeout",
                    "ename": "TimeoutError",
                    "evalue": f"运行超过时限 {timeout:g} 秒，单元格已中断 / exceeded the time limit of {timeout:g} s",
                }
            except Exception as exc:
                error = {"kind": "kernel", "ename": type(exc).__name__, "evalue": str(exc)}
            if not Path(out).exists():
                raise RuntimeError(f"papermill 未写出笔记本 / papermill wrote no notebook: {error}")
            nb = nbformat.read(out, as_version=4)
        nb.metadata.papermill["input_path"] = job["notebook"]
        nb.metadata.papermill["output_path"] = output_path
        if error is not None:
            _mark_interrupted(nb, error["ename"], error["evalue"])
            found = _error_from_outputs(nb)
            if found is not None:  # the cell's location, with the reason the run stopped
                error = {**found, "kind": error["kind"], "ename": error["ename"], "evalue": error["evalue"]}
        else:
            error = (
                _error_from_outputs(_without_markers(nb)) if nb.metadata.papermill.get("exception") else None
            )
        return nb, error

    def _export(self, nb: Any, job: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
        if self._exporter is None:
            self._exporter = resolve_exporter(self.config.exporter or DEFAULT_EXPORTER)
        clean = strip_results(nb)
        title = f"{job['report_title']}：{job['object_name']}"
        try:
            with tempfile.TemporaryDirectory(prefix="pbm-html-") as tmp:
                out = Path(tmp) / "report.html"
                self._exporter(clean, out, title=title)
                html = out.read_text(encoding="utf-8")
        except Exception as exc:
            return None, {
                "kind": "export",
                "ename": type(exc).__name__,
                "evalue": f"HTML 导出失败 / export failed: {exc}",
            }
        if re.search(r"<\s*script", html, re.IGNORECASE):
            return None, {
                "kind": "export",
                "ename": "UnsafeHTML",
                "evalue": "报告 HTML 含有 <script>，未发布 / the report HTML contains a script; not published",
            }
        return html, None


def _without_markers(nb: Any) -> Any:
    """A copy without papermill's error-marker cells, so its error search reports the failing cell index."""
    from papermill.execute import remove_error_markers

    return remove_error_markers(copy.deepcopy(nb))


def strip_results(nb: Any) -> Any:
    """``nb`` without the recorded-results outputs (:data:`RESULT_MIME`), for publishing.

    A shallow copy: new notebook, cell list and output lists, sharing the cells' unchanged parts with
    ``nb`` (the exporter reads its input without changing it). ``nb`` itself is not changed.
    """
    clean = nbformat.NotebookNode(nb)
    clean.cells = []
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if outputs and any(RESULT_MIME in (o.get("data") or {}) for o in outputs):
            cell = nbformat.NotebookNode(cell)
            cell.outputs = [o for o in outputs if RESULT_MIME not in (o.get("data") or {})]
        clean.cells.append(cell)
    return clean
