"""The indicator library (绩效指标库): common framework, sector systems, matching and historical standards.

The seed plan (昌市政办发〔2019〕11号, rules.md §2 steps 3–4) asks the finance bureau to build and update a
common indicator framework (共性绩效指标框架) every year before budgets are drawn up, and every unit to
build sector-, field- and level-specific indicator and standard systems inside it. This package holds:

- the library as versioned data (``data/*.v1.yaml``), loaded and validated by :func:`load_library`,
  which also takes a city's own files (additions and overrides);
- :func:`match_indicators`, mapping free-text indicator names to library indicators;
- :func:`indicator_observations` / :func:`year_observations`, :func:`history_standards`,
  :func:`lookup_benchmarks` and :func:`cost_standards`: standards drawn from history (历史标准) and
  unit-cost standards (成本标准);
- :func:`write_library_xlsx`, the export that units fill their targets from.

See ``pbm_lib/library/README.md`` for the file format and the sector mapping.
"""

from .export import write_library_xlsx
from .loader import (
    COMMON,
    INTENSIVE_KINDS,
    KINDS,
    LibraryError,
    framework,
    library_files,
    load_library,
    sector_mask,
    shipped_files,
    systems,
)
from .matching import DEFAULT_THRESHOLD, match_indicators, normalise_name, rank_indicators
from .standards import (
    cost_standards,
    history_standards,
    indicator_observations,
    lookup_benchmarks,
    size_bands,
    unit_factor,
    year_observations,
)

__all__ = [
    "COMMON",
    "DEFAULT_THRESHOLD",
    "INTENSIVE_KINDS",
    "KINDS",
    "LibraryError",
    "cost_standards",
    "framework",
    "history_standards",
    "indicator_observations",
    "library_files",
    "load_library",
    "lookup_benchmarks",
    "match_indicators",
    "normalise_name",
    "rank_indicators",
    "sector_mask",
    "shipped_files",
    "size_bands",
    "systems",
    "unit_factor",
    "write_library_xlsx",
    "year_observations",
]
