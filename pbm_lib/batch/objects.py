"""The objects a report can be written for, as tables derived from the year's data.

Every table has ``object_id``, ``object_name``, ``unit_id`` and ``unit_name`` first, then the columns
of its source sheet (English names from :mod:`pbm_lib.workbook.schema`), which ``where`` filters in
the registry may test. Filters are equality or inclusion checks only: nothing is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..workbook import YearData
from .config import Condition
from .errors import PlanError

#: Short Chinese labels of the object kinds, for listings.
OBJECT_LABELS = {
    "project": "项目",
    "unit": "单位",
    "city": "本级政府",
    "new_major_project": "新增重大项目",
    "self_evaluation": "自评项目",
    "evaluated_project": "财政/第三方评价项目",
}

CITY_ID = "city"

_FIRST = ["object_id", "object_name", "unit_id", "unit_name"]


def _projects(data: YearData) -> pd.DataFrame:
    projects = data.projects.merge(data.units[["unit_id", "unit_name"]], on="unit_id", how="left")
    projects = projects.assign(object_id=projects["project_id"], object_name=projects["project_name"])
    return projects[_FIRST + [c for c in projects.columns if c not in _FIRST]]


def object_table(data: YearData, kind: str) -> pd.DataFrame:
    """The objects of one kind, one row each, in workbook order.

    Parameters
    ----------
    data : YearData
        The validated year.
    kind : str
        ``project`` (every project and policy), ``unit``, ``city`` (one row: the government of the
        jurisdiction, id ``city``), ``new_major_project`` (新增 and 重大: 事前绩效评估),
        ``self_evaluation`` (projects with at least one 自评得分), ``evaluated_project`` (projects with a
        row in 评价结果: 财政评价 or 第三方评价).
    """
    if kind == "unit":
        units = data.units.assign(object_id=data.units["unit_id"], object_name=data.units["unit_name"])
        return units[_FIRST + [c for c in units.columns if c not in _FIRST]].reset_index(drop=True)
    if kind == "city":
        name = data.jurisdiction or "本级政府"
        return pd.DataFrame(
            {
                "object_id": [CITY_ID],
                "object_name": [name],
                "unit_id": [None],
                "unit_name": [None],
                "year": [data.year],
            }
        )
    projects = _projects(data)
    if kind == "project":
        keep = pd.Series(True, index=projects.index)
    elif kind == "new_major_project":
        keep = (projects["new_or_continuing"] == "新增") & (projects["major"] == "是")
    elif kind == "self_evaluation":
        scored = data.indicators.loc[data.indicators["self_score"].notna(), "project_id"]
        keep = projects["project_id"].isin(set(scored))
    elif kind == "evaluated_project":
        keep = projects["project_id"].isin(set(data.evaluations["project_id"]))
    else:
        raise PlanError(f"未知对象类型 {kind!r} / unknown object kind")
    return projects[keep.to_numpy()].reset_index(drop=True)


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def select(table: pd.DataFrame, conditions: Iterable[Condition], origin: str) -> pd.DataFrame:
    """Keep the rows meeting every condition; values compare as text (``1`` matches ``"1"``).

    Raises
    ------
    PlanError
        A condition names a column the object table does not have.
    """
    keep = pd.Series(True, index=table.index)
    for condition in conditions:
        if condition.column not in table.columns:
            raise PlanError(
                f"{origin} · where.{condition.column}: 对象表没有这一列；可用列：{'、'.join(map(str, table.columns))} / unknown column"
            )
        wanted = {_as_text(v) for v in condition.values}
        hit = table[condition.column].map(_as_text).isin(wanted)
        keep &= ~hit if condition.negate else hit
    return table[keep.to_numpy()]
