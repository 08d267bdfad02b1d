"""``pbm run``: the finance bureau's main job for one year (at this stage: validate and summarise)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import __version__
from ..iorw import write_text
from ..overview import budget_overview, unit_overview
from ..workbook import validate_year

NAME = "run"
HELP = """运行年度主任务 / run the year's main job.

不带参数时使用内置的示范市样例年度。校验数据、汇总四本预算和各单位情况，写入 outputs/<年度>/。
With no argument, runs the bundled sample year (示范市): validates the workbook, summarises the
four budgets and every unit, and writes the results under outputs/<year>/."""

BUDGET_HEADERS = {
    "budget_type": "预算类型",
    "projects": "项目数",
    "initial": "年初预算数（万元）",
    "annual": "全年预算数（万元）",
    "executed": "全年执行数（万元）",
    "execution_rate": "执行率",
}
UNIT_HEADERS = {
    "unit_id": "单位编码",
    "unit_name": "单位名称",
    "unit_kind": "单位类型",
    "sector": "行业领域",
    "projects": "项目数",
    "indicators": "绩效指标数",
    "annual": "全年预算数（万元）",
    "executed": "全年执行数（万元）",
    "execution_rate": "执行率",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=None, help="年度数据工作簿（默认：示范市样例）/ year workbook"
    )
    parser.add_argument("--out", default="outputs", help="输出根目录 / output root (default: outputs)")


def run(args: argparse.Namespace) -> int:
    if args.path is None:
        from ..data import SAMPLE_WORKBOOK

        path = Path(SAMPLE_WORKBOOK)
        print(f"使用示范市样例数据 / using the bundled sample: {path.name}")
    else:
        path = Path(args.path)
    print(f"[1/2] 校验 / validating {path} …", flush=True)
    data, problems = validate_year(path)
    for p in problems:
        print(f"  [{p.severity}] {p}")
    if data is None:
        errors = sum(p.is_error for p in problems)
        print(f"校验未通过：{errors} 处错误，未写入任何输出 / invalid: nothing written")
        return 1
    out = Path(args.out) / str(data.year)
    print(f"[2/2] 汇总 / summarising {data.year} 年度 …", flush=True)
    budgets = budget_overview(data)
    units = unit_overview(data)
    with_pct = budgets.assign(execution_rate=(budgets["execution_rate"] * 100).round(2))
    write_text(out / "overview_by_budget.csv", with_pct.rename(columns=BUDGET_HEADERS).to_csv(index=False))
    write_text(
        out / "overview_by_unit.csv",
        units.assign(execution_rate=(units["execution_rate"] * 100).round(2))
        .rename(columns=UNIT_HEADERS)
        .to_csv(index=False),
    )
    write_text(out / "validation.txt", "\n".join(f"[{p.severity}] {p}" for p in problems) + "\n")
    summary = {
        "year": data.year,
        "jurisdiction": data.jurisdiction,
        "source": str(path),
        "sha256": data.sha256,
        "pbm_version": __version__,
        "units": len(data.units),
        "projects": len(data.projects),
        "indicators": len(data.indicators),
        "warnings": len(problems),
        "budgets": json.loads(budgets.to_json(orient="records", force_ascii=False)),
    }
    write_text(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    print()
    print(with_pct.rename(columns=BUDGET_HEADERS).to_string(index=False))
    print()
    print(
        f"{data.jurisdiction or ''} {data.year} 年度：{len(data.units)} 个单位，{len(data.projects)} 个项目，"
        f"{len(data.indicators)} 条绩效指标，{len(problems)} 处警告。"
    )
    print(f"结果已写入 / results are in: {out.resolve()}")
    return 0
