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

不带参数时使用内置的示范市样例年度。校验数据，汇总四本预算和各单位情况，再按 parameters/ 中的
报告登记表为每个项目、单位和本级政府运行评价笔记本（并行、预热内核、增量），发布离线 HTML 网站到
outputs/<年度>/site/。
With no argument, runs the bundled sample year (示范市): validates the workbook, summarises the
four budgets and every unit, then runs every registered report notebook for every project, unit
and the city (in parallel on warm kernels, incrementally) and publishes an offline HTML site
under outputs/<year>/site/."""

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
    parser.add_argument(
        "--jobs", type=int, default=None, help="并行进程数（默认每核一个）/ workers (default: one per core)"
    )
    parser.add_argument(
        "--engine",
        choices=("pool", "papermill"),
        default="pool",
        help="pool：预热内核池（默认）；papermill：每份报告新启内核 / warm-kernel pool or plain papermill",
    )
    parser.add_argument(
        "--executor", choices=("local", "dask"), default="local", help="local（默认）或 dask / local or dask"
    )
    parser.add_argument("--scheduler", default=None, help="Dask 调度器地址 / Dask scheduler address")
    parser.add_argument("--force", action="store_true", help="全部重新运行 / rerun every report")
    parser.add_argument(
        "--timeout", type=float, default=None, help="每份报告限时（秒）/ per-notebook time limit (s)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        help="只运行此报告或对象（可重复）/ only this job (repeatable)",
    )
    parser.add_argument(
        "--summary-only", action="store_true", help="只校验和汇总，不运行笔记本 / validate and summarise only"
    )


def run(args: argparse.Namespace) -> int:
    if args.path is None:
        from ..data import SAMPLE_WORKBOOK

        path = Path(SAMPLE_WORKBOOK)
        print(f"使用示范市样例数据 / using the bundled sample: {path.name}")
    else:
        path = Path(args.path)
    steps = 2 if args.summary_only else 3
    print(f"[1/{steps}] 校验 / validating {path} …", flush=True)
    data, problems = validate_year(path)
    for p in problems:
        print(f"  [{p.severity}] {p}")
    if data is None:
        errors = sum(p.is_error for p in problems)
        print(f"校验未通过：{errors} 处错误，未写入任何输出 / invalid: nothing written")
        return 1
    out = Path(args.out) / str(data.year)
    print(f"[2/{steps}] 汇总 / summarising {data.year} 年度 …", flush=True)
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
    if args.summary_only:
        print(f"结果已写入 / results are in: {out.resolve()}")
        return 0
    from ..batch import run_year  # starts kernels: only loaded when reports are run

    print("[3/3] 运行评价报告 / running the report notebooks …", flush=True)
    options = {"timeout": args.timeout} if args.timeout is not None else {}
    summary_run = run_year(
        path,
        args.out,
        jobs=args.jobs,
        engine=args.engine,
        executor=args.executor,
        scheduler=args.scheduler,
        force=args.force,
        only=args.only,
        **options,
    )
    print(summary_run.describe())
    site = summary_run.paths.get("index") or out / "site" / "index.html"
    print(f"结果已写入 / results are in: {out.resolve()}")
    print(f"报告网站 / report site: {Path(site).resolve()}")
    return summary_run.exit_code
