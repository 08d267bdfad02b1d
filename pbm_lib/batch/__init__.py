"""The annual batch: plan every report of a year, run the notebooks on warm kernels, publish the site.

Light to import (notebooks import :func:`record` from here inside report kernels); everything else
is loaded on first use.

- :func:`record` — a notebook hands its results (score, grade, key figures) to the batch;
- :func:`read_year_cached` — ``read_year`` reading each workbook once per warm kernel;
  :func:`year_cache` — results computed from that year, once per warm kernel;
- :func:`read_parameters`, :func:`validate_parameters` — a notebook's declared parameters;
- :func:`build_plan`, :func:`plan_year` — the jobs of a year from the data and ``parameters/``;
- :func:`run_year` — run what changed and publish ``outputs/<year>/``; returns a :class:`RunSummary`.
"""

from __future__ import annotations

from typing import Any

from .record import RESULT_MIME, read_results, record

_LAZY = {
    "read_parameters": "params",
    "validate_parameters": "params",
    "NotebookParameters": "params",
    "build_plan": "plan",
    "plan_year": "plan",
    "Plan": "plan",
    "Job": "plan",
    "run_year": "runner",
    "RunSummary": "runner",
    "FailedJob": "runner",
    "load_config": "config",
    "read_year_cached": "cache",
    "kernel_cache": "cache",
    "year_cache": "cache",
    "file_key": "cache",
}

__all__ = ["RESULT_MIME", "read_results", "record", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
