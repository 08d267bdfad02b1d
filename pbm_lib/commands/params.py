"""``pbm params``: list a notebook's declared parameters (type, default, required, documentation)."""

from __future__ import annotations

import argparse
import json

from ..batch.params import read_parameters

NAME = "params"
HELP = """列出笔记本声明的参数 / list a notebook's declared parameters.

读取带 parameters 标签的单元格：每个参数的类型、默认值、是否必填和说明（行尾注释）。
默认值为 None 且注释以「必填」或 required 开头的参数为必填参数。
Reads the cell tagged `parameters`: each parameter's type, default, whether it is required and its
documentation (the trailing comment). A None default whose comment starts with 必填/required is required."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", help="笔记本 .ipynb / notebook")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")


def run(args: argparse.Namespace) -> int:
    declared = read_parameters(args.notebook)
    if args.json:
        content = {
            "notebook": str(declared.path),
            "kernel_name": declared.kernel_name,
            "language": declared.language,
            "parameters_cell": declared.cell_index,
            "parameters": [p.as_dict() for p in declared.parameters],
        }
        print(json.dumps(content, ensure_ascii=False, indent=2))
        return 0
    if declared.cell_index < 0:
        print(f"{declared.path}: 没有带 parameters 标签的单元格 / no cell tagged 'parameters'")
        return 0
    print(f"{declared.path}（内核 {declared.kernel_name}）：{len(declared.parameters)} 个参数 / parameters")
    rows = [("名称 name", "类型 type", "默认值 default", "必填 required", "说明 help")]
    rows += [
        (p.name, p.kind, p.default_source, "是" if p.required else "", p.help) for p in declared.parameters
    ]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(4)]
        print("  ".join([*cells, row[4]]).rstrip())
    return 0


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
