"""Where jobs run: local worker processes, or the workers of a Dask cluster.

Both executors send a job *payload* (the job, the notebook's text, its published path) to a
:class:`pbm_lib.batch.execute.Worker` and hand every outcome back to the caller as it arrives; the
caller alone writes files, so the outcome of a local and of a Dask run is the same.

- ``local``: ``jobs`` worker processes (forked), each warming its kernel as soon as it starts.
  A worker whose parent disappears (killed run) kills its kernel and exits.
- ``dask``: ``distributed`` (optional extra ``pbm[distributed]``). With a scheduler address the jobs
  go to that cluster, whose workers need pbm installed and the same paths for notebooks and data
  (a shared file system); without one, a ``LocalCluster`` of ``jobs`` single-threaded workers is
  started for the run. Each Dask worker thread keeps its own warm kernel between tasks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .errors import ExecutionSetupError
from .execute import Worker, WorkerConfig

log = logging.getLogger("pbm.batch")

OnOutcome = Callable[[dict[str, Any], dict[str, Any]], None]
EXECUTORS = ("local", "dask")

# -- worker-process side ---------------------------------------------------------------------
_WORKER: Worker | None = None


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            if _WORKER is not None:
                _WORKER.kill_kernels()
            os._exit(3)


def _init_local_worker(config: dict[str, Any], parent: int, level: int) -> None:
    global _WORKER
    import gc
    import multiprocessing.util

    # Objects inherited from the parent stay untouched by this process's garbage collector, so their
    # memory pages stay shared with the parent instead of being copied one collection at a time.
    gc.freeze()

    logging.getLogger("pbm.batch").setLevel(level)
    logging.getLogger("papermill").setLevel(logging.WARNING)  # its per-notebook INFO line is noise here
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="pbm-parent-watch").start()
    _WORKER = Worker(WorkerConfig(**config))
    multiprocessing.util.Finalize(None, _WORKER.close, exitpriority=10)
    try:
        _WORKER.warm()
    except Exception:  # the first job reports it with the job's context
        log.exception("warm-up")


def _run_local(payload: dict[str, Any]) -> dict[str, Any]:
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.run(payload)


_DASK_WORKERS: dict[tuple[int, int, str], Worker] = {}


def _run_dask(payload: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """A Dask task: run one job on this worker thread's warm kernel (created on first use)."""
    import atexit
    import json

    key = (os.getpid(), threading.get_ident(), json.dumps(config, sort_keys=True, default=str))
    worker = _DASK_WORKERS.get(key)
    if worker is None:
        worker = _DASK_WORKERS[key] = Worker(WorkerConfig(**config))
        atexit.register(worker.close)
    return worker.run(payload)


# -- parent side -----------------------------------------------------------------------------
def _failed(payload: dict[str, Any], message: str) -> dict[str, Any]:
    return {
        "job_id": payload["job"]["id"],
        "status": "failed",
        "notebook": None,
        "html": None,
        "results": {},
        "error": {"kind": "internal", "ename": "WorkerError", "evalue": message},
        "started": time.time(),
        "duration": 0.0,
        "engine": None,
    }


class LocalExecutor:
    """``jobs`` worker processes on this machine, each with its warm kernel."""

    def __init__(self, jobs: int, config: WorkerConfig, attempts: int = 2) -> None:
        self.jobs = jobs
        self.config = config
        self.attempts = attempts

    def run(self, payloads: list[dict[str, Any]], on_outcome: OnOutcome) -> None:
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        remaining = list(payloads)
        for attempt in range(1, self.attempts + 1):
            if not remaining:
                return
            pool = ProcessPoolExecutor(
                max_workers=min(self.jobs, len(remaining)),
                mp_context=_context(),
                initializer=_init_local_worker,
                initargs=(
                    asdict(self.config),
                    os.getpid(),
                    logging.getLogger("pbm.batch").getEffectiveLevel(),
                ),
            )
            # Finished futures are dropped at once (as_completed would keep every result, i.e. every
            # executed notebook and its HTML, alive until the end: memory growing with the year).
            pending = {pool.submit(_run_local, p): p for p in remaining}
            done: set[str] = set()
            broken = False
            try:
                while pending and not broken:
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        payload = pending.pop(future)
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            broken = True
                            continue
                        done.add(payload["job"]["id"])
                        on_outcome(payload, outcome)
                        del outcome
            except BaseException:
                _terminate(pool)
                raise
            if not broken:
                pool.shutdown(wait=True)
                return
            _terminate(pool)
            remaining = [p for p in remaining if p["job"]["id"] not in done]
            log.error("工作进程意外退出，重新启动（第 %d 次）/ a worker process died; restarting", attempt)
        for payload in remaining:
            on_outcome(payload, _failed(payload, "工作进程多次意外退出 / the worker process died repeatedly"))


def _context() -> Any:
    """``fork`` where available: workers inherit the parent's imports (papermill and nbformat take seconds
    to import), and the parent has started no kernel, event loop or thread of its own at that point."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _terminate(pool: Any) -> None:
    """Stop a process pool now: cancel what has not started and terminate the workers."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


class DaskExecutor:
    """Jobs as Dask tasks, on an existing cluster (``scheduler``) or a local one."""

    def __init__(self, jobs: int, config: WorkerConfig, scheduler: str | None = None) -> None:
        self.jobs = jobs
        self.config = config
        self.scheduler = scheduler

    def run(self, payloads: list[dict[str, Any]], on_outcome: OnOutcome) -> None:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise ExecutionSetupError(
                "--executor dask 需要可选依赖 dask.distributed；请安装：pip install 'pbm[distributed]' "
                "（或 pip install 'dask[distributed]'）/ dask.distributed is not installed"
            ) from None
        if not payloads:
            return
        config = asdict(self.config)
        cluster = None
        if self.scheduler:
            try:
                client = Client(self.scheduler, timeout="30s")
            except OSError as error:
                raise ExecutionSetupError(
                    f"无法连接 Dask 调度器 {self.scheduler}: {error} / cannot reach the scheduler"
                ) from None
        else:
            cluster = LocalCluster(
                n_workers=min(self.jobs, len(payloads)),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
        run = uuid.uuid4().hex[:12]  # keys unique to this run: a shared cluster may serve several
        try:
            futures = {
                client.submit(_run_dask, p, config, pure=False, key=f"pbm-{run}-{i}"): p
                for i, p in enumerate(payloads)
            }
            for future in as_completed(futures):
                payload = futures.pop(future)
                try:
                    outcome = future.result()
                except Exception as error:  # the task itself failed (worker lost, serialisation …)
                    outcome = _failed(
                        payload, f"Dask 任务失败 / dask task failed: {type(error).__name__}: {error}"
                    )
                future.release()  # the cluster forgets the result once it is written here
                on_outcome(payload, outcome)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
