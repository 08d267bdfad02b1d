"""One place for the report look: colours for grades and monitoring lights, and number formatting.

Colours come from the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies). A colour never carries meaning alone: chips and legends always show the label too,
so a report printed in black and white stays readable.

The formatters take a scalar, a list/array or a :class:`pandas.Series` and return ``str``, a list of
``str`` or a Series of ``str`` (same index and name). Missing values (``None``, ``NaN``, ``pd.NA``,
``NaT``, empty text) are shown as :data:`MISSING` ("—"), never as "nan". Text that is not a number
(for example "90%" typed into a workbook) is passed through unchanged; escaping is the table's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

#: Shown for every missing value.
MISSING = "—"

#: Okabe–Ito palette (Okabe & Ito 2008), used as the chart colour cycle.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")

#: Grades (评价等级) in order, best first.
GRADES = ("优", "良", "中", "差", "证据不足")
#: Grade → colour: a blue–orange diverging scale, safe for red–green colour blindness.
GRADE_COLOURS = {
    "优": "#0072B2",
    "良": "#56B4E9",
    "中": "#E69F00",
    "差": "#D55E00",
    "证据不足": "#BBBBBB",
}
#: Monitoring lights (运行监控预警) in order of severity.
LIGHTS = ("红灯", "黄灯", "绿灯", "蓝灯")
#: Light → colour: the Okabe–Ito red, yellow, green and blue.
LIGHT_COLOURS = {
    "红灯": "#D55E00",
    "黄灯": "#F0E442",
    "绿灯": "#009E73",
    "蓝灯": "#0072B2",
}
#: Hatches that tell grades apart in a black-and-white print of a chart.
GRADE_HATCHES = {"优": "", "良": "//", "中": "..", "差": "xx", "证据不足": "\\\\"}

#: Colour of anything without a known grade or light.
NEUTRAL_COLOUR = "#E0E0E0"

_GRADE_ALIASES = {"优秀": "优", "良好": "良", "中等": "中", "较差": "差", "insufficient": "证据不足"}
_LIGHT_ALIASES = {
    "红": "红灯",
    "黄": "黄灯",
    "绿": "绿灯",
    "蓝": "蓝灯",
    "red": "红灯",
    "yellow": "黄灯",
    "green": "绿灯",
    "blue": "蓝灯",
}


def grade_label(value: Any) -> str | None:
    """The canonical grade (优/良/中/差/证据不足) for ``value``, or ``None`` if it is not one."""
    text = str(value).strip()
    text = _GRADE_ALIASES.get(text, text)
    return text if text in GRADE_COLOURS else None


def light_label(value: Any) -> str | None:
    """The canonical light (红灯/黄灯/绿灯/蓝灯) for ``value``, or ``None`` if it is not one."""
    text = str(value).strip()
    text = _LIGHT_ALIASES.get(text.lower(), _LIGHT_ALIASES.get(text, text))
    return text if text in LIGHT_COLOURS else None


def grade_colour(value: Any) -> str:
    """Hex colour of a grade; :data:`NEUTRAL_COLOUR` for anything else."""
    label = grade_label(value)
    return GRADE_COLOURS[label] if label else NEUTRAL_COLOUR


def light_colour(value: Any) -> str:
    """Hex colour of a monitoring light; :data:`NEUTRAL_COLOUR` for anything else."""
    label = light_label(value)
    return LIGHT_COLOURS[label] if label else NEUTRAL_COLOUR


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_colour_on(background: str) -> str:
    """Black or white, whichever has the higher WCAG contrast on ``background`` (``#RRGGBB``)."""
    lum = _luminance(background)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


# ---------------------------------------------------------------------------------------------
# Number formatting
# ---------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, ``pd.NA``, ``NaT`` and blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if np.ndim(value) != 0:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _one(value: Any, render: Callable[[float], str]) -> str:
    if is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    return render(number)


def _apply(values: Any, render: Callable[[float], str]) -> Any:
    if isinstance(values, pd.Series):
        return pd.Series(
            [_one(v, render) for v in values], index=values.index, name=values.name, dtype=object
        )
    if isinstance(values, list | tuple | np.ndarray | pd.Index):
        return [_one(v, render) for v in values]
    return _one(values, render)


def _fixed(number: float, decimals: int, grouping: bool = True) -> str:
    number = round(number, decimals)
    if number == 0:
        number = 0.0  # no "-0.00"
    return f"{number:,.{decimals}f}" if grouping else f"{number:.{decimals}f}"


def format_number(values: Any, decimals: int = 2) -> Any:
    """Numbers with thousands separators and a fixed number of decimals: ``1234.5`` → ``"1,234.50"``.

    Parameters
    ----------
    values : scalar, sequence or Series
    decimals : int

    Returns
    -------
    str, list of str or Series of str
    """
    return _apply(values, lambda x: _fixed(x, decimals))


def format_integer(values: Any) -> Any:
    """Whole numbers with thousands separators: ``12500`` → ``"12,500"``."""
    return format_number(values, 0)


def format_wan(values: Any, decimals: int = 2, *, unit: bool = False) -> Any:
    """Money in 万元: thousands separators and 2 decimals, ``"1,234.56"`` (``"1,234.56万元"`` with ``unit``).

    The values must already be in 万元 (the workbook reader converts 元); put the unit in the
    column header ("金额（万元）") and leave ``unit`` off inside tables.
    """
    suffix = "万元" if unit else ""
    return _apply(values, lambda x: _fixed(x, decimals) + suffix)


def format_percent(values: Any, decimals: int = 2, *, ratio: bool = True) -> Any:
    """Percentages: ``0.9345`` → ``"93.45%"``.

    Parameters
    ----------
    values : scalar, sequence or Series
    decimals : int
    ratio : bool
        True (default) when the values are fractions (0.93); False when they are already
        percentages (93).
    """
    scale = 100.0 if ratio else 1.0
    return _apply(values, lambda x: _fixed(x * scale, decimals) + "%")


def format_score(values: Any, decimals: int = 2) -> Any:
    """Scores with 2 decimals and no thousands separator: ``85.5`` → ``"85.50"``."""
    return _apply(values, lambda x: _fixed(x, decimals, grouping=False))


def format_text(values: Any) -> Any:
    """Any value as text (``str(value)``), with missing values as :data:`MISSING`."""

    def one(value: Any) -> str:
        return MISSING if is_missing(value) else str(value)

    if isinstance(values, pd.Series):
        return pd.Series([one(v) for v in values], index=values.index, name=values.name, dtype=object)
    if isinstance(values, list | tuple | np.ndarray | pd.Index):
        return [one(v) for v in values]
    return one(values)
