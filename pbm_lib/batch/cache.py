"""Data loaded once per kernel: the year's workbook read by many report notebooks in a row.

In a warm kernel (:mod:`pbm_lib.batch.kernels`) every notebook of a run reads the same workbook;
:func:`read_year_cached` reads it once per kernel and hands each notebook its own copy, so a notebook
that changes its tables cannot affect the next one, and the executed notebook is the same as with
:func:`pbm_lib.workbook.read_year` (the cache lives in the kernel's private state module, which the
reset between notebooks keeps). Outside a warm kernel (plain papermill, JupyterLab) the cache lives in
this process.

:func:`kernel_cache` is the general form, for other pure, expensive loads. Its ``build`` function must
have no visible effect (no output, no warnings shown): a cached call skips it, a fresh kernel runs it.
:func:`year_cache` is the form for results computed from a year's tables (e.g. the whole year's
scores that every project report starts from): shared while the notebook's year is exactly the one
read from the workbook, computed afresh for a year a notebook has changed.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import sys
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

#: Entries kept per kernel; the oldest is dropped first.
MAX_ENTRIES = 8
_LOCAL: dict[Hashable, Any] = {}


def _store() -> dict[Hashable, Any]:
    side = sys.modules.get("_pbm_kernel_side")
    if side is not None and isinstance(getattr(side, "_state", None), dict):
        return side._state.setdefault("cache", {})
    return _LOCAL


def _check_plain(value: Any) -> None:
    """Refuse objects of pbm's own classes: their modules are imported afresh for every notebook."""
    items = [value]
    if isinstance(value, dict):
        items += list(value.values())
    elif isinstance(value, (list, tuple)):
        items += list(value)
    for item in items:
        module = type(item).__module__ or ""
        if module == "pbm_lib" or module.startswith("pbm_lib."):
            raise TypeError(
                f"kernel_cache: {type(item).__name__} 是 pbm 自身的类，不能跨笔记本缓存；请缓存其数据（表格、字典）"
                " / cache plain data, not pbm objects"
            )


def kernel_cache(key: Hashable, build: Callable[[], Any]) -> Any:
    """A deep copy of ``build()``'s value, computed once per kernel for ``key``.

    Parameters
    ----------
    key : hashable
        Identifies the value; include whatever it depends on (e.g. a file's path, size and mtime).
    build : callable
        Computes the value: plain data (pandas objects, numbers, text, containers of these), and no
        visible effect.

    Returns
    -------
    object
        A deep copy, private to the caller.
    """
    store = _store()
    if key not in store:
        value = build()
        _check_plain(value)
        while len(store) >= MAX_ENTRIES:
            store.pop(next(iter(store)))
        store[key] = value
    return copy.deepcopy(store[key])


def year_cache(data: Any, key: Hashable, build: Callable[[], Any]) -> Any:
    """:func:`kernel_cache` for a value computed from the tables of ``data`` (a year).

    Shared by the notebooks of a kernel while ``data`` holds exactly the tables
    :func:`read_year_cached` read from its workbook (compared table by table, a few milliseconds);
    a year with any table changed, added or removed gets ``build()`` afresh, not cached.

    Parameters
    ----------
    data : pbm_lib.workbook.YearData
        The year the value is computed from.
    key : hashable
        Identifies the computation and whatever else it depends on (e.g. the scheme's content).
    build : callable
        Computes the value from ``data``: plain data, no visible effect.

    Returns
    -------
    object
        A deep copy, private to the caller.
    """
    read = _read_fields(data)
    if read is None or not _same_tables(data.tables, read["tables"]):
        return build()
    return kernel_cache(("pbm_lib.batch.year_cache", read["source"], read["sha256"], key), build)


def _read_fields(data: Any) -> dict[str, Any] | None:
    """The fields :func:`read_year_cached` stored for the workbook ``data`` was read from, if any."""
    for stored_key, value in _store().items():
        if (
            isinstance(stored_key, tuple)
            and stored_key[:1] == ("pbm_lib.workbook.read_year",)
            and isinstance(value, dict)
            and all(
                value.get(name) == getattr(data, name, None)
                for name in ("sha256", "source", "year", "jurisdiction", "money_unit")
            )
        ):
            return value
    return None


def _same_tables(tables: dict[str, Any], read: dict[str, Any]) -> bool:
    if not isinstance(tables, dict) or tables.keys() != read.keys():
        return False
    for name, table in tables.items():
        original = read[name]
        if type(table) is not type(original):
            return False
        if hasattr(table, "columns") and (
            list(table.columns) != list(original.columns) or not table.index.equals(original.index)
        ):
            return False
        if not (table.equals(original) if hasattr(table, "equals") else table == original):
            return False
    return True


def file_key(path: str | Path) -> tuple[str, int, int]:
    """(absolute path, size, modification time in ns) of a file or folder of files: changes when it does."""
    path = Path(path).resolve()
    if path.is_dir():
        stats = [p.stat() for p in sorted(path.iterdir()) if p.is_file()]
        return (str(path), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0))
    stat = os.stat(path)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def read_year_cached(path: str | Path) -> Any:
    """:func:`pbm_lib.workbook.read_year`, reading each workbook once per kernel.

    Returns a new :class:`pbm_lib.workbook.YearData` with its own copy of every table.
    """
    from ..workbook import YearData, read_year
    from ..workbook.problems import Problem

    def build() -> dict[str, Any]:
        data = read_year(path)
        fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
        fields["warnings"] = [dataclasses.asdict(p) for p in data.warnings]
        return fields

    fields = kernel_cache(("pbm_lib.workbook.read_year", *file_key(path)), build)
    fields["warnings"] = [Problem(**p) for p in fields["warnings"]]
    return YearData(**fields)
