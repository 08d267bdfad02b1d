"""``pbm validate``: check a year workbook and list every problem with its location."""

from __future__ import annotations

import argparse
import json

from ..workbook import validate_year

NAME = "validate"
HELP = """校验年度数据工作簿 / validate a year workbook (.xlsx or CSV folder).

列出全部问题，格式为「文件 · 工作表 · 第N行 · 列: 问题；应为……」；有错误时以非零状态退出。
Lists every problem as `file · sheet · row · column: what is wrong; what was expected`,
and exits non-zero when there is any error (warnings alone exit 0)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="工作簿 .xlsx 或 CSV 文件夹 / workbook or CSV folder")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    parser.add_argument("--no-warnings", action="store_true", help="只显示错误 / show errors only")


def run(args: argparse.Namespace) -> int:
    data, problems = validate_year(args.path)
    shown = [p for p in problems if p.is_error or not args.no_warnings]
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if args.json:
        print(
            json.dumps(
                {
                    "valid": data is not None,
                    "errors": errors,
                    "warnings": warnings,
                    "problems": [
                        {
                            "severity": p.severity,
                            "file": p.file,
                            "sheet": p.sheet,
                            "row": p.row,
                            "column": p.column,
                            "message": p.message,
                            "text": str(p),
                        }
                        for p in shown
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for p in shown:
            print(f"[{p.severity}] {p}")
        if data is None:
            print(
                f"校验未通过：{errors} 处错误，{warnings} 处警告 / invalid: {errors} error(s), {warnings} warning(s)"
            )
        else:
            print(
                f"校验通过：{data.year} 年度，{len(data.units)} 个单位，{len(data.projects)} 个项目，"
                f"{len(data.indicators)} 条绩效指标；{warnings} 处警告 / valid"
            )
    return 0 if data is not None else 1
