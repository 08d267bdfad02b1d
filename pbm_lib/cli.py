"""The ``pbm`` command: a thin layer that parses arguments and calls the library.

Each subcommand is a module in :mod:`pbm_lib.commands` defining ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMAND_MODULES` lists them.
Errors derived from :class:`pbm_lib.errors.PbmError` are printed without a traceback and
give a non-zero exit status; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import PbmError

DESCRIPTION = """pbm：预算绩效管理工具 / budget performance management toolkit.

常用命令 / common commands:
  pbm run                  对示范市样例年度运行主任务 / run the main job on the bundled sample year
  pbm validate 文件.xlsx    校验年度数据工作簿 / validate a year workbook
  pbm template 文件.xlsx    生成空白填报模板 / write a blank input template
  pbm synth --projects N   生成合成年度数据 / generate a synthetic year
"""

# Order is the order shown in ``pbm --help``.
COMMAND_MODULES = [
    "run",
    "plan", "params",
    "validate",
    "template",
    "synth",
    "cea", "dea",
    "score",
    "indicators",
]


def _load_commands():
    return [importlib.import_module(f"pbm_lib.commands.{name}") for name in COMMAND_MODULES]


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(
        prog="pbm", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"pbm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令/command")
    runners = {}
    for module in _load_commands():
        p = sub.add_parser(
            module.NAME,
            help=module.HELP.splitlines()[0],
            description=module.HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        runners[module.NAME] = module.run
    return parser, runners


def main(argv: list[str] | None = None) -> int:
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return runners[args.command](args)
    except PbmError as error:
        print(f"错误 / error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
