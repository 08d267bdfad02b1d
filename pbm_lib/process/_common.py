"""Shared helpers of the stage modules: half-open bands, light order, empty tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..scoring import round_half_up
from ..workbook.schema import SHEETS_BY_NAME
from .sections import LIGHTS

#: Code of "no light" in light-code arrays (rolled up as absent, never as a colour).
NO_LIGHT = -1


def band(
    values: Any, bands: Sequence[Mapping[str, Any]], label: str, decimals: int | None = None
) -> np.ndarray:
    """Label of each value under half-open bands ``[min_i, min_{i−1})`` (highest band first).

    ``bands`` is a scheme list such as ``[{conclusion: 予以支持, min: 90}, …, {…, min: 0}]``. A value
    falls in the band whose ``min`` is the largest one ``≤ value``; the top band is unbounded above,
    and a finite value below 0 falls in the lowest band. With ``decimals`` the value is first
    rounded half-up (rules.md §3.3: 89.995 → 90.00 is 优); otherwise it is snapped to 1e-9 so that
    float noise (216/1.08 = 199.99999999999997) does not cross a boundary. NaN gives None.
    """
    x = np.asarray(values, dtype=float)
    x = round_half_up(x, decimals) if decimals is not None else np.round(x, 9)
    minimums = np.asarray([float(b["min"]) for b in bands][::-1])
    labels = np.asarray([b[label] for b in bands][::-1], dtype=object)
    index = np.clip(
        np.searchsorted(minimums, np.nan_to_num(x, nan=0.0), side="right") - 1, 0, len(labels) - 1
    )
    return np.where(np.isnan(x), None, labels[index])


def band_value(values: Any, bands: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """Numeric attribute ``key`` (e.g. ``points``) of each value's band (see :func:`band`; values snapped
    to 1e-9); NaN → NaN."""
    x = np.round(np.asarray(values, dtype=float), 9)
    minimums = np.asarray([float(b["min"]) for b in bands][::-1])
    points = np.asarray([float(b[key]) for b in bands][::-1])
    index = np.clip(
        np.searchsorted(minimums, np.nan_to_num(x, nan=0.0), side="right") - 1, 0, len(points) - 1
    )
    return np.where(np.isnan(x), np.nan, points[index])


def light_codes(labels: Any) -> np.ndarray:
    """Severity code of each light label: 红灯 0, 黄灯 1, 绿灯 2, 蓝灯 3; no light → :data:`NO_LIGHT`."""
    codes = pd.Categorical(np.asarray(labels, dtype=object), categories=list(LIGHTS)).codes
    return codes.astype(np.int64)


def lights(codes: Any) -> pd.Categorical:
    """Ordered categorical of lights from severity codes (:data:`NO_LIGHT` → NaN)."""
    codes = np.asarray(codes, dtype=np.int64)
    return pd.Categorical.from_codes(np.where(codes < 0, -1, codes), categories=list(LIGHTS), ordered=True)


def worst(*arrays: Any) -> np.ndarray:
    """Row-wise worst (lowest code) of several light-code arrays, ignoring :data:`NO_LIGHT`."""
    stacked = np.vstack([np.where(np.asarray(a) < 0, len(LIGHTS), a) for a in arrays])
    best = stacked.min(axis=0)
    return np.where(best >= len(LIGHTS), NO_LIGHT, best)


def worst_by(frame: pd.DataFrame, keys: list[str], code_column: str) -> pd.DataFrame:
    """Worst light per group (rules.md §3.12 roll-up: red > yellow > green > blue), ignoring no-light rows.

    Returns the group keys, ``code`` (severity, :data:`NO_LIGHT` when the group has no light) and
    the count of each light (``n_红灯`` … ``n_蓝灯``).
    """
    codes = frame[code_column].to_numpy()
    work = frame[keys].copy()
    work["_c"] = np.where(codes < 0, len(LIGHTS), codes)
    for i, name in enumerate(LIGHTS):
        work[f"n_{name}"] = (codes == i).astype(np.int64)
    grouped = work.groupby(keys, sort=False, dropna=False)
    out = grouped[[f"n_{name}" for name in LIGHTS]].sum()
    out.insert(0, "code", grouped["_c"].min())
    out = out.reset_index()
    out["code"] = np.where(out["code"] >= len(LIGHTS), NO_LIGHT, out["code"])
    return out


def table(year: Any, name: str) -> pd.DataFrame:
    """A table of the year, or an empty one with the schema's columns when the sheet is absent."""
    tables = getattr(year, "tables", None) or {}
    found = tables.get(name)
    if found is not None:
        return found
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in SHEETS_BY_NAME[name].columns})


def text_mask(values: pd.Series) -> np.ndarray:
    """True where a text cell holds something other than blanks."""
    s = values.astype(object)
    return (s.notna() & (s.astype(str).str.strip() != "")).to_numpy()


def safe_ratio(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, else NaN."""
    n = np.asarray(numerator, dtype=float)
    d = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / d, np.nan)


def join_labels(mask: np.ndarray, labels: Sequence[str], sep: str = "、") -> np.ndarray:
    """Row-wise join of the labels whose column is True in an ``n × k`` mask; None where none is.

    Vectorised over rows (one pass per label): ``[[True, False, True]]`` with labels ``a, b, c`` → ``"a、c"``.
    """
    mask = np.asarray(mask, dtype=bool)
    text = pd.Series([""] * mask.shape[0], dtype=object)
    for j, label in enumerate(labels):
        text = text + np.where(mask[:, j], f"{label}{sep}", "")
    text = text.str[: -len(sep)] if len(sep) else text
    return np.where(mask.any(axis=1), text.to_numpy(dtype=object), None)
