"""``pbm template``: write a blank year workbook with headers, drop-downs and 填表说明."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import PbmError
from ..workbook.writer import write_workbook

NAME = "template"
HELP = """生成空白年度数据填报模板 / write a blank year-workbook template.

含全部工作表和中文表头、下拉选项（代码表）和填表说明。已存在的文件不会被覆盖，除非加 --force。
All sheets with Chinese headers, drop-down lists for coded columns and an instructions sheet.
An existing file is never overwritten unless --force is given."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="输出文件 .xlsx / output workbook")
    parser.add_argument("--year", type=int, default=None, help="预填年度 / fiscal year to pre-fill")
    parser.add_argument("--jurisdiction", default=None, help="预填行政区划 / jurisdiction to pre-fill")
    parser.add_argument("--force", action="store_true", help="覆盖已有文件 / overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.suffix.lower() != ".xlsx":
        raise PbmError(f"{path}: 模板文件名应以 .xlsx 结尾 / the template must be an .xlsx file")
    if path.exists() and not args.force:
        raise PbmError(f"{path}: 文件已存在，未覆盖；如需覆盖请加 --force / file exists, not overwritten")
    write_workbook(path, meta={"year": args.year, "jurisdiction": args.jurisdiction})
    print(f"已生成模板 / template written: {path}")
    return 0
