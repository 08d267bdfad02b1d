"""Data shipped with pbm: the bundled sample year 示范市 2025.

Regenerate the workbook with ``python -m pbm_lib.workbook.synth --sample pbm_lib/data/sample_2025.xlsx``.
"""

from __future__ import annotations

from pathlib import Path

#: The sample year workbook (示范市, fiscal year 2025), written by :func:`pbm_lib.workbook.synth.write_sample`.
SAMPLE_WORKBOOK: Path = Path(__file__).resolve().parent / "sample_2025.xlsx"

__all__ = ["SAMPLE_WORKBOOK"]
