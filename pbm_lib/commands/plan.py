"""``pbm plan``: the year's jobs (notebook, object, parameters, outputs) as ``pbm run`` would run them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..batch.plan import plan_year
from ..errors import PbmError

NAME = "plan"
HELP = """显示运行计划 / show the year's plan.

根据年度数据和 parameters/ 中的登记表、默认参数、逐对象覆盖和跳过设置，列出每个任务：
报告、对象、笔记本、参数和输出文件。所有参数在启动任何内核之前校验，错误会指出参数文件和对象。
Lists every job (report, object, notebook, parameters, outputs) derived from the data and the
registry, defaults, overrides and skips in parameters/; parameters are validated, and errors name
the parameter file and the object."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workbook", nargs="?", default=None, help="年度数据工作簿（默认：示范市样例）/ year workbook"
    )
    parser.add_argument(
        "--parameters", default=None, help="参数文件夹（默认 ./parameters）/ parameters folder"
    )
    parser.add_argument(
        "--only", action="append", default=None, help="只列出此报告（可重复）/ only this report id"
    )
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")


def _sample() -> Path:
    try:
        from ..data import SAMPLE_WORKBOOK
    except ImportError:
        raise PbmError("未找到内置样例数据，请指定工作簿 / no bundled sample: give a workbook") from None
    return Path(SAMPLE_WORKBOOK)


def run(args: argparse.Namespace) -> int:
    workbook = Path(args.workbook) if args.workbook else _sample()
    plan = plan_year(workbook, args.parameters, only=args.only)
    if args.json:
        print(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(
        f"{plan.jurisdiction or ''} {plan.year} 年度：{len(plan.jobs)} 个任务，按参数文件跳过 {len(plan.skipped)} 个"
        f"（参数文件：{', '.join(plan.config_files) or '无'}）"
    )
    for job in plan.jobs:
        shown = {k: v for k, v in job.parameters.items() if k != "data_path"}
        print(f"  {job.id}  {job.report_title}：{job.object_name}")
        print(f"      笔记本 {Path(job.notebook).name}  参数 {json.dumps(shown, ensure_ascii=False)}")
    for skip in plan.skipped:
        print(f"  跳过 / skip  {skip.report_id}/{skip.object_id}  {skip.reason}  [{skip.origin}]")
    for warning in plan.warnings:
        print(f"  [警告] {warning}")
    if not plan.jobs:
        print("  （登记表中没有启用的报告；见 parameters/README.md）/ no enabled report in the registry")
    return 0
