"""A year at a glance: projects, money and execution by budget type and by unit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .workbook import YearData, schema


def _with_rate(frame: pd.DataFrame) -> pd.DataFrame:
    annual = frame["annual"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["execution_rate"] = np.where(
            annual > 0, frame["executed"].to_numpy(dtype=float) / annual, np.nan
        )
    return frame


def budget_overview(data: YearData) -> pd.DataFrame:
    """Projects and money by budget type (四本预算), in 万元.

    ``execution_rate`` = Σ全年执行数 ÷ Σ全年预算数 (rules.md §3.7, denominator 全年预算数).
    Every one of the four budgets appears, with zero projects where the year has none.
    """
    money = data.project_budget().merge(data.projects[["project_id", "budget_type"]], on="project_id")
    grouped = money.groupby("budget_type").agg(
        projects=("project_id", "count"),
        initial=("initial", "sum"),
        annual=("annual", "sum"),
        executed=("executed", "sum"),
    )
    grouped = (
        grouped.reindex(list(schema.BUDGET_TYPES), fill_value=0).rename_axis("budget_type").reset_index()
    )
    return _with_rate(grouped)


def unit_overview(data: YearData) -> pd.DataFrame:
    """Projects, indicators and money per unit (部门/单位, 乡镇, 街道), in 万元."""
    money = data.project_budget().merge(data.projects[["project_id", "unit_id"]], on="project_id")
    per_unit = money.groupby("unit_id").agg(
        projects=("project_id", "count"), annual=("annual", "sum"), executed=("executed", "sum")
    )
    indicators = data.indicators.merge(data.projects[["project_id", "unit_id"]], on="project_id")
    per_unit["indicators"] = indicators.groupby("unit_id").size()
    out = data.units[["unit_id", "unit_name", "unit_kind", "sector"]].merge(
        per_unit.reset_index(), on="unit_id", how="left"
    )
    out[["projects", "indicators"]] = out[["projects", "indicators"]].fillna(0).astype(int)
    out[["annual", "executed"]] = out[["annual", "executed"]].fillna(0.0)
    return _with_rate(out)
