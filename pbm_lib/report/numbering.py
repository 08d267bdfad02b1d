"""Running numbers for tables (表N) and figures (图N) within one report.

One report is one kernel run, so the counters live in this module. A runner that reuses a kernel for
several notebooks (a warm kernel pool) must call :func:`reset_numbering` before each notebook.
"""

from __future__ import annotations

_counters: dict[str, int] = {}


def next_number(kind: str) -> int:
    """The next number for ``kind`` ("table" or "figure"), starting at 1."""
    _counters[kind] = _counters.get(kind, 0) + 1
    return _counters[kind]


def reset_numbering() -> None:
    """Start numbering tables and figures from 1 again (call at the start of each report)."""
    _counters.clear()
