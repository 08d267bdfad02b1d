"""The year's input: one workbook per fiscal year (or a folder of CSV files), read into validated tables.

The schema (every sheet and column) is declared once in :mod:`pbm_lib.workbook.schema`.
"""

from .problems import InputFileError, Problem
from .reader import YearData, read_year, validate_year

__all__ = ["InputFileError", "Problem", "YearData", "read_year", "validate_year"]
