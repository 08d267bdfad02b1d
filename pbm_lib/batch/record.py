"""How a report notebook hands its results (score, grade, key figures) to the batch.

A notebook calls :func:`record` once or more; each call displays one output whose only MIME type is
:data:`RESULT_MIME`. Front ends show nothing for it, the HTML exporter drops it, and the batch reads it
back from the executed notebook with :func:`read_results` to build the results workbook, the JSON and
the index of the published site.

This module is imported inside report kernels, so it imports nothing heavy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

#: MIME type of a recorded-results output. The HTML exporter must drop outputs of this type.
RESULT_MIME = "application/vnd.pbm.result+json"

#: Keys with a meaning for the batch; any other JSON-serialisable key is kept as well.
STANDARD_KEYS = {
    "score": "总分（0–100）/ total score",
    "grade": "等级（优/良/中/差）/ grade",
    "summary": "一句话结论 / one-sentence conclusion",
}


def _plain(value: Any, key: str) -> Any:
    """Convert numpy/pandas scalars and containers to JSON types; NaN and NaT become ``None``."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{key}[{i}]") for i, v in enumerate(value)]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _plain(item(), key)
        except (TypeError, ValueError):
            pass
    if value != value:  # pandas NA / NaT
        return None
    raise TypeError(
        f"record(): {key} 的值 {value!r} 不能写入 JSON；应为数字、文本、布尔值或其列表/字典 / not JSON-serialisable"
    )


def result_bundle(values: Mapping[str, Any]) -> dict[str, Any]:
    """The display bundle :func:`record` shows: ``{RESULT_MIME: values}`` with plain JSON values."""
    plain = {str(k): _plain(v, str(k)) for k, v in values.items()}
    json.dumps(plain, allow_nan=False)  # fails loudly rather than writing an unreadable notebook
    return {RESULT_MIME: plain}


def record(**values: Any) -> None:
    """Record this report's results for the batch (hidden in the report).

    Parameters
    ----------
    **values
        ``score`` (float, 0–100), ``grade`` (``优``/``良``/``中``/``差``), ``summary`` (str) have a meaning
        for the index and the results workbook; any other key (key figures) is kept in the results
        JSON. Values must be JSON-like: numbers (numpy scalars accepted), text, booleans, ``None``, or
        lists/dicts of these. Several calls merge, a later value replacing an earlier one.

    Examples
    --------
    >>> from pbm_lib.batch import record
    >>> record(score=87.5, grade="良", execution_rate=0.93)  # doctest: +SKIP
    """
    from IPython.display import display

    display(result_bundle(values), raw=True)


def read_results(nb: Mapping[str, Any]) -> dict[str, Any]:
    """Merge every recorded result of an executed notebook (later outputs win).

    Parameters
    ----------
    nb : Mapping
        The executed notebook (``nbformat.NotebookNode`` or the parsed JSON).

    Returns
    -------
    dict
        The merged values; empty when the notebook recorded nothing.
    """
    merged: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            value = data.get(RESULT_MIME)
            if isinstance(value, str):  # some writers store JSON MIME bundles as text
                value = json.loads(value)
            if isinstance(value, Mapping):
                merged.update(value)
    return merged
