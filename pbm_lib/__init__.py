"""pbm: 预算绩效管理 (budget performance management) toolkit.

Data flows one way: the year's workbook → validated tables (:mod:`pbm_lib.workbook`)
→ scores and judgements (the model modules) → notebooks and published reports.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pbm")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
