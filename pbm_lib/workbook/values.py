"""Cell values as people type them: full-width digits, ``%``, thousands separators, 元/万元, stray spaces.

All functions are vectorised over a pandas Series of raw cells (strings, numbers or empty) and
return parsed values plus a boolean mask of cells that could not be understood, so that the
validator can name each bad cell. Nothing here raises on user data.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd

# Placeholders that mean "nothing here" in real tables (rules.md §5, loader rules).
BLANK_MARKERS = frozenset({"", "/", "-", "—", "——", "－", "nan", "NaN", "None", "null", "无数据"})

_SPACES = str.maketrans("", "", " \t\r\n\u3000\u00a0")


def to_text(value: object) -> str | None:
    """One cell as stripped text (NFKC-normalised), or None when empty.

    Numbers typed into Excel come back as floats: ``95.0`` is written ``"95"``.
    """
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return format_number(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def format_number(value: float) -> str:
    """Shortest plain (non-scientific) text for a number: 95.0 → "95", 0.125 → "0.125"."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text


def per_unique(raw: pd.Series, function, missing: object) -> np.ndarray:
    """Apply ``function`` once per distinct cell value: real columns repeat a few values many times."""
    codes, uniques = pd.factorize(raw.to_numpy(dtype=object), use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [function(u) for u in uniques]
    results[-1] = missing  # factorize codes missing cells as -1, which picks this last slot
    return results[codes]


def text_series(raw: pd.Series) -> pd.Series:
    """Normalise a column of raw cells to stripped text, with None for empty cells."""
    return pd.Series(per_unique(raw, to_text, None), index=raw.index, dtype=object)


def is_blank(text: pd.Series) -> pd.Series:
    """True where a normalised text cell is empty or a placeholder such as "/" or "—"."""
    return text.isna() | text.isin(BLANK_MARKERS)


def parse_numbers(raw: pd.Series, money_unit: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers written the way finance officers write them.

    Understood: full-width digits (``１２３``), thousands separators (``1,234.5``), a trailing ``%``
    (the value stays in percentage points), stray spaces, and — when ``money_unit`` is given — a
    ``万元`` or ``元`` suffix, converted to ``money_unit``.

    Parameters
    ----------
    raw : Series
        Raw cells (numbers, strings or empty).
    money_unit : {"万元", "元"}, optional
        For money columns: the file's unit for plain numbers. The result is always in 万元;
        cells that carry their own ``元``/``万元`` suffix are converted from that unit instead.

    Returns
    -------
    values : Series of float
        Parsed numbers (万元 for money columns), NaN where blank or bad.
    bad : Series of bool
        True where a non-blank cell could not be read as a number.
    """
    plain_scale = 1.0 / 10000.0 if money_unit == "元" else 1.0

    def parse(cell: object) -> float:
        """One distinct cell → number; NaN for blank; -inf marks a cell that is not a number."""
        if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
            return float(cell) * plain_scale
        text = unicodedata.normalize("NFKC", str(cell)).translate(_SPACES)
        if text in BLANK_MARKERS:
            return np.nan
        scale = plain_scale
        if money_unit is not None:
            if text.endswith("万元"):
                text, scale = text[:-2], 1.0
            elif text.endswith("元"):
                text, scale = text[:-1], 1.0 / 10000.0
        if text.endswith("%"):
            text = text[:-1]
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return -np.inf
        return number * scale if math.isfinite(number) else -np.inf

    values = per_unique(raw, parse, np.nan).astype(float)
    bad = np.isneginf(values)
    values[bad] = np.nan
    return pd.Series(values, index=raw.index), pd.Series(bad, index=raw.index)


def match_codes(
    text: pd.Series, codes: tuple[str, ...], aliases: dict[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map text cells to a code list, accepting aliases and ignoring inner spaces.

    Returns the canonical codes (None where blank or unknown) and a mask of unknown non-blank cells.
    """
    lookup = {c: c for c in codes}
    lookup.update({k: v for k, v in (aliases or {}).items() if k})
    lookup.update({c.translate(_SPACES): c for c in codes})
    compact = [None if not isinstance(t, str) else t.translate(_SPACES) for t in text.tolist()]
    default = (aliases or {}).get("") if aliases and "" in aliases else None
    mapped, unknown = [], []
    for t in compact:
        if not t:  # blank: an empty cell may have a default meaning (e.g. 专项类别 → 无)
            mapped.append(default)
            unknown.append(False)
            continue
        code = lookup.get(t, lookup.get(t.upper()))
        mapped.append(code)
        unknown.append(code is None)
    mapped = pd.Series(mapped, index=text.index, dtype=object)
    unknown = pd.Series(unknown, index=text.index, dtype=bool)
    return mapped.astype(object), unknown
