"""``pbm synth``: generate a synthetic year (same workbook format) for scale tests."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import PbmError

NAME = "synth"
HELP = """生成合成年度数据（与正式填报格式相同），用于规模测试 / generate a synthetic year for scale tests.

按 --projects 指定的项目数生成单位、项目、预算执行、月度执行、绩效指标等全部工作表；同一 --seed 结果相同。
Writes every sheet for N projects in the year-workbook format; the same --seed gives the same data."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--projects", type=int, required=True, help="项目数 / number of projects")
    parser.add_argument("--seed", type=int, default=0, help="随机种子 / random seed (default 0)")
    parser.add_argument("--year", type=int, default=2025, help="年度 / fiscal year (default 2025)")
    parser.add_argument(
        "--out", default=None, help="输出 .xlsx 或文件夹（配合 --csv）/ output file (or folder with --csv)"
    )
    parser.add_argument("--csv", action="store_true", help="输出为 CSV 文件夹 / write a folder of CSV files")
    parser.add_argument("--force", action="store_true", help="覆盖已有输出 / overwrite existing output")


def run(args: argparse.Namespace) -> int:
    if args.projects < 1:
        raise PbmError(
            f"--projects {args.projects}: 项目数应为正整数 / the number of projects must be positive"
        )
    from ..workbook.synth import synthetic_year  # loaded only when needed
    from ..workbook.writer import write_csv_folder, write_workbook

    default = f"synthetic_{args.year}_{args.projects}" + ("" if args.csv else ".xlsx")
    out = Path(args.out or default)
    if out.exists() and not args.force:
        raise PbmError(f"{out}: 已存在，未覆盖；如需覆盖请加 --force / exists, not overwritten")
    started = time.perf_counter()
    print(f"正在生成 {args.projects} 个项目 / generating {args.projects} projects …", flush=True)
    tables, meta = synthetic_year(args.projects, seed=args.seed, year=args.year)
    rows = sum(len(t) for t in tables.values())
    print(f"正在写入 {rows} 行 / writing {rows} rows to {out} …", flush=True)
    if args.csv:
        write_csv_folder(out, tables, meta)
    else:
        write_workbook(out, tables, meta)
    print(f"已生成 / written: {out}（{time.perf_counter() - started:.1f} 秒）")
    return 0
