"""Warm kernels: started and warmed (common imports done) ahead of need, reset between notebooks.

Each worker process owns one :class:`KernelSlot`. Its kernel is a ``jupyter_client`` kernel started
the way nbclient starts one for papermill (same kernelspec, in-memory IPython history). After every
notebook the slot either sends the reset (:mod:`pbm_lib.batch.kernel_side`) without waiting for it,
so the kernel resets while the worker writes the results, or, after a failure, a timeout or
``max_runs`` notebooks, kills the kernel and starts its replacement at once, warming it while the
worker is busy elsewhere. The next :meth:`KernelSlot.acquire` waits only for what is not done yet.

Kernels are started with ``--IPKernelApp.parent_handle`` set to the worker's pid, so a kernel whose
worker dies (even by SIGKILL) exits on its own instead of lingering.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path
from queue import Empty
from typing import IO, Any

from .errors import ExecutionSetupError

log = logging.getLogger("pbm.batch")

#: Imported at warm-up. Heavy third-party modules stay loaded for every notebook.
DEFAULT_WARM_MODULES = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "scipy",
    "pbm_lib",
    "pbm_lib.workbook",
)
#: Module prefixes purged and imported again at each reset, so their module state starts anew.
DEFAULT_FRESH_PREFIXES = ("pbm_lib",)
#: A kernel is replaced after this many notebooks (bounds memory growth from leaks in libraries).
#: A report kernel's memory stays flat over a run (about 200 MB from the 1st to the 64th project
#: report of the sample year), so one kernel per worker serves a year like the sample's (66 reports
#: per worker) without the seconds of CPU a replacement's start and warm-up take.
DEFAULT_MAX_RUNS = 100


class KernelError(RuntimeError):
    """A kernel could not be started, warmed or reset."""


def _run(coro_or_value: Any) -> Any:
    """Run a coroutine on this thread's event loop (the same loop nbclient uses via ``run_sync``)."""
    from jupyter_core.utils import ensure_event_loop

    if asyncio.iscoroutine(coro_or_value) or isinstance(coro_or_value, asyncio.Future):
        return ensure_event_loop().run_until_complete(coro_or_value)
    return coro_or_value


def _kernel_side_code(modules: tuple[str, ...], fresh: tuple[str, ...]) -> str:
    source = (Path(__file__).with_name("kernel_side.py")).read_text(encoding="utf-8")
    return (
        "import sys as _pbm_sys, types as _pbm_types\n"
        "_pbm_m = _pbm_types.ModuleType('_pbm_kernel_side')\n"
        f"exec(compile({source!r}, '<pbm kernel side>', 'exec'), _pbm_m.__dict__)\n"
        "_pbm_sys.modules['_pbm_kernel_side'] = _pbm_m\n"
        f"_pbm_m._state['warm_failed'] = _pbm_m.warm_up({list(modules)!r}, {list(fresh)!r})\n"
        "_pbm_m.reset()\n"
    )


_RESET_CODE = "__import__('_pbm_kernel_side').reset()"


class WarmKernel:
    """One kernel process and its client, driven from one thread of one worker process."""

    def __init__(
        self,
        kernel_name: str = "python3",
        warm_modules: tuple[str, ...] = DEFAULT_WARM_MODULES,
        fresh_prefixes: tuple[str, ...] = DEFAULT_FRESH_PREFIXES,
        startup_timeout: float = 60.0,
        stderr: IO | None = None,
    ) -> None:
        self.kernel_name = kernel_name
        self.warm_modules = tuple(warm_modules)
        self.fresh_prefixes = tuple(fresh_prefixes)
        self.startup_timeout = startup_timeout
        self.stderr = stderr
        self.km: Any = None
        self.kc: Any = None
        self.runs = 0
        self.pid: int | None = None
        self._pending: list[tuple[str, str]] = []  # (msg_id, what) sent but not yet answered
        self.warm_failed: list[str] = []

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> WarmKernel:
        """Start the process and send the warm-up (not waited for: see :meth:`ready`)."""
        from jupyter_client.manager import AsyncKernelManager

        started = time.perf_counter()
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        extra = ["--HistoryManager.hist_file=:memory:", f"--IPKernelApp.parent_handle={os.getpid()}"]
        kwargs: dict[str, Any] = {}
        if self.stderr is not None:
            kwargs.update(stdout=self.stderr, stderr=self.stderr)
        try:
            _run(self.km.start_kernel(extra_arguments=extra, **kwargs))
            self.pid = getattr(self.km.provisioner, "pid", None)
            self.kc = self.km.client()
            self.kc.start_channels()
            _run(self.kc.wait_for_ready(timeout=self.startup_timeout))
        except Exception as error:
            self.shutdown()
            raise KernelError(
                f"内核 {self.kernel_name} 启动失败 / kernel failed to start: {error}"
            ) from error
        self.kc.allow_stdin = False
        self._send(_kernel_side_code(self.warm_modules, self.fresh_prefixes), "warm-up")
        log.debug("kernel %s started in %.2fs", self.pid, time.perf_counter() - started)
        return self

    def _send(self, code: str, what: str) -> str:
        msg_id = self.kc.execute(
            code,
            silent=True,
            store_history=False,
            allow_stdin=False,
            user_expressions={"failed": "__import__('_pbm_kernel_side')._state.get('warm_failed', [])"},
        )
        self._pending.append((msg_id, what))
        return msg_id

    async def _reply(self, msg_id: str, deadline: float) -> dict:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelError("内核响应超时 / kernel did not answer in time")
            try:
                msg = await self.kc.get_shell_msg(timeout=min(remaining, 1.0))
            except Empty:
                if not await self.km.is_alive():
                    raise KernelError("内核已退出 / kernel died") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg

    def ready(self, timeout: float | None = None) -> None:
        """Wait until the warm-up or reset sent earlier has finished; raise :class:`KernelError` if it failed."""
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        while self._pending:
            msg_id, what = self._pending[0]
            reply = _run(self._reply(msg_id, deadline))
            self._pending.pop(0)
            content = reply.get("content", {})
            if content.get("status") != "ok":
                raise KernelError(
                    f"内核{what}失败 / kernel {what} failed: {content.get('ename')}: {content.get('evalue')}"
                )
            if what == "warm-up":
                failed = content.get("user_expressions", {}).get("failed", {})
                text = failed.get("data", {}).get("text/plain", "[]") if isinstance(failed, dict) else "[]"
                if text not in ("[]", ""):
                    self.warm_failed = [text]
                    log.warning("预热时无法导入 / could not import at warm-up: %s", text)
        self._drain_iopub()

    def _drain_iopub(self) -> None:
        async def drain() -> None:
            while True:
                try:
                    await self.kc.get_iopub_msg(timeout=0)
                except Empty:
                    return

        _run(drain())

    def prepare(self, cwd: str) -> None:
        """Wait for readiness, then enter the notebook's folder."""
        self.ready()
        self._send(f"__import__('_pbm_kernel_side').chdir({cwd!r})", "chdir")
        self.ready()

    def send_reset(self) -> None:
        """Ask the kernel to reset itself; the reply is collected by the next :meth:`ready`."""
        self._send(_RESET_CODE, "reset")

    def is_alive(self) -> bool:
        try:
            return bool(self.km is not None and _run(self.km.is_alive()))
        except Exception:
            return False

    def kill(self) -> None:
        """Kill the kernel's process group at once (safe to call from a watchdog thread).

        Does nothing once the process has been reaped, so a recycled pid is never signalled.
        """
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if not self.pid or (process is not None and process.returncode is not None):
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def shutdown(self) -> None:
        """Stop the kernel now and release its resources (idempotent)."""
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # pragma: no cover - best effort
                pass
        if self.km is not None:
            try:
                if _run(self.km.is_alive()):
                    _run(self.km.shutdown_kernel(now=True))
            except Exception:
                self.kill()
            try:
                _run(self.km.cleanup_resources())
            except Exception:  # pragma: no cover - best effort
                pass
        if self.pid:  # not stopped by the manager (or killed by the watchdog): kill, and reap our child
            deadline = time.monotonic() + 2
            while _child_running(self.pid) and time.monotonic() < deadline:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                time.sleep(0.02)
            self.pid = None
        self.km = self.kc = None
        self._pending.clear()


def _child_running(pid: int) -> bool:
    """Whether ``pid`` is a child of this process that has not exited; reaps it if it has.

    A pid that is not (or no longer) our child is reported as not running: it may belong to anyone.
    """
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


class KernelSlot:
    """A worker's warm kernel, replaced after a failure or after ``max_runs`` notebooks."""

    def __init__(self, max_runs: int = DEFAULT_MAX_RUNS, **kernel_options: Any) -> None:
        if max_runs < 1:
            raise ExecutionSetupError("max_runs 应为正整数 / max_runs must be positive")
        self.max_runs = max_runs
        self.kernel_options = kernel_options
        self.kernel: WarmKernel | None = None
        self.started = 0  # kernels started by this slot (for statistics and tests)

    def _new(self) -> WarmKernel:
        self.started += 1
        return WarmKernel(**self.kernel_options).start()

    def warm(self) -> None:
        """Start the kernel ahead of need (warm-up runs in the background)."""
        if self.kernel is None:
            self.kernel = self._new()

    def acquire(self, cwd: str) -> WarmKernel:
        """A ready kernel in ``cwd``; a kernel that fails to reset is replaced (once)."""
        self.warm()
        assert self.kernel is not None
        try:
            self.kernel.prepare(cwd)
        except KernelError as error:
            log.warning("内核重置失败，重新启动 / kernel reset failed, restarting: %s", error)
            self.kernel.shutdown()
            self.kernel = self._new()
            self.kernel.prepare(cwd)
        return self.kernel

    def release(self, healthy: bool) -> None:
        """After a notebook: reset in the background, or replace the kernel when unhealthy or used up."""
        kernel = self.kernel
        if kernel is None:
            return
        kernel.runs += 1
        if healthy and kernel.runs < self.max_runs and kernel.is_alive():
            kernel.send_reset()
            return
        kernel.shutdown()
        self.kernel = None
        self.warm()

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None
