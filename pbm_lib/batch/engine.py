"""A papermill engine that runs a notebook on an already started (warm) kernel.

It is papermill's own :class:`papermill.engines.NBClientEngine` with one change: the nbclient client
is handed the warm kernel's manager and client instead of starting a kernel, and does not shut it
down afterwards. Everything else (the execution manager's metadata, cell timing, the
``language_info`` fetched from the kernel at the end) is papermill's code, so the executed notebook
is what a fresh ``papermill.execute_notebook`` gives.

The engine is registered with papermill under :data:`ENGINE_NAME` when this module is imported.
"""

from __future__ import annotations

from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

ENGINE_NAME = "pbm-warm"


class WarmKernelEngine(NBClientEngine):
    """papermill engine executing on a :class:`pbm_lib.batch.kernels.WarmKernel` (``warm_kernel=``)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        warm_kernel: Any = None,
        **kwargs: Any,
    ) -> Any:
        if warm_kernel is None or warm_kernel.km is None or warm_kernel.kc is None:
            raise RuntimeError("pbm-warm engine needs a started warm_kernel")
        # Same argument handling as NBClientEngine.execute_managed_notebook.
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=warm_kernel.km, **final_kwargs)
        # With a client already set, nbclient's setup_kernel neither starts a kernel nor a client,
        # and since it does not own the manager it leaves both running afterwards.
        client.kc = warm_kernel.kc
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
