"""``pbm indicators``: browse, search and export the indicator library (绩效指标库)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from ..errors import PbmError

NAME = "indicators"
HELP = """浏览、检索和导出绩效指标库 / browse, search and export the indicator library.

显示共性绩效指标框架和分行业指标体系的三级指标（编码、名称、一级/二级指标、计量单位、指标方向、核心指标）。
SECTOR 可为行业体系（教育、水利……）、工作簿的行业领域代码（农林水……）或「共性」。--search 按名称、别名和解释检索，
无直接命中时按相似度列出；--export 导出 Excel（中文表头），供各单位设置绩效目标；--year 另附该年度数据的历史标准和成本标准。
Lists the common framework and the sector systems (id, name, level 1/2, unit, direction, core).
SECTOR is a library sector (教育, 水利 …), a workbook sector code (农林水 …) or 共性. --search looks in
names, aliases and definitions, then by similarity; --export writes an .xlsx with Chinese headers;
--year adds historical and unit-cost standards drawn from a year workbook."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sector", nargs="?", default=None, help="行业 / sector (教育, 水利, 农林水, 共性 …)")
    parser.add_argument(
        "--search", metavar="TEXT", help="检索名称、别名和解释 / search names, aliases, definitions"
    )
    parser.add_argument("--core", action="store_true", help="只列核心指标 / core indicators only")
    parser.add_argument("--export", metavar="FILE.xlsx", help="导出 Excel / export to an .xlsx workbook")
    parser.add_argument(
        "--force", action="store_true", help="覆盖已有导出文件 / overwrite an existing export"
    )
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    parser.add_argument(
        "--extension",
        metavar="PATH",
        action="append",
        help="本市扩展指标库文件或文件夹，可重复 / a city's own library file or folder (repeatable)",
    )
    parser.add_argument(
        "--year",
        metavar="WORKBOOK",
        help="据此年度数据计算历史标准和成本标准 / draw historical and unit-cost standards from a year workbook",
    )


def _select(library: pd.DataFrame, args: argparse.Namespace) -> tuple[pd.DataFrame, str | None]:
    from ..library import normalise_name, rank_indicators, sector_mask

    selected = library[sector_mask(library, args.sector).to_numpy()]
    if args.core:
        selected = selected[selected["core"]]
    how = None
    if args.search:
        key = normalise_name(args.search) or ""
        raw = args.search.strip().lower()

        def hits(row: pd.Series) -> bool:
            texts = [row["id"], row["name"], *row["aliases"], row["definition"] or ""]
            return any(raw in str(t).lower() or (key and key in (normalise_name(t) or "")) for t in texts)

        found = selected[selected.apply(hits, axis=1)] if len(selected) else selected
        if len(found):
            selected, how = found, "text"
        else:
            ranked = rank_indicators(args.search, selected, None, limit=10)
            selected = selected.set_index("id").loc[ranked["id"]].reset_index()
            selected["score"] = ranked["score"].to_numpy()
            how = "similar"
    return selected.reset_index(drop=True), how


def _budget_codes(library: pd.DataFrame, sector: str | None) -> set[str] | None:
    """Workbook 行业领域 codes a sector argument stands for (None: all)."""
    from ..workbook.schema import SECTORS

    if sector is None or sector == "共性":
        return None
    if sector in SECTORS:
        return {sector}
    return {c for codes in library.loc[library["sector"] == sector, "budget_sectors"] for c in codes}


def _keep(standards: pd.DataFrame, selected: pd.DataFrame, codes: set[str] | None) -> pd.DataFrame:
    """Standards of the selected indicators, in the selected sectors (and across all sectors)."""
    keep = standards["library_id"].isin(set(selected["id"]))
    if codes is not None:
        keep &= standards["sector"].isna() | standards["sector"].isin(codes)
    return standards[keep].reset_index(drop=True)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, float) and pd.isna(value):
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = value
        out.append(clean)
    return out


def run(args: argparse.Namespace) -> int:
    from ..library import cost_standards, framework, history_standards, library_files, load_library
    from ..library.export import write_library_xlsx

    library = load_library(args.extension)
    selected, how = _select(library, args)
    standards = cost = None
    if args.year:
        from ..workbook import read_year

        data = read_year(args.year)
        codes = _budget_codes(library, args.sector)
        standards = _keep(history_standards(data, library), selected, codes)
        cost = _keep(cost_standards(data, library), selected, codes)
    if args.export:
        out = Path(args.export)
        if out.suffix.lower() != ".xlsx":
            raise PbmError(f"{out}: 导出文件应为 .xlsx / the export must be an .xlsx file")
        if out.exists() and not args.force:
            raise PbmError(f"{out}: 已存在，未覆盖；如需覆盖请加 --force / exists, not overwritten")
        if not len(selected):
            raise PbmError("没有符合条件的指标，未导出 / no indicator matches; nothing exported")
        write_library_xlsx(out, selected, standards=standards, cost=cost)
    if args.json:
        columns = [
            "id",
            "name",
            "aliases",
            "sector",
            "field",
            "level1",
            "level2",
            "unit",
            "direction",
            "kind",
            "core",
            "definition",
            "formula",
            "basis",
            "guidance",
        ]
        if how == "similar":
            columns.append("score")
        report = {
            "files": library_files(library),
            "sector": args.sector,
            "search": args.search,
            "match": how,
            "n_indicators": len(selected),
            "framework": _records(framework(library)),
            "indicators": _records(selected[columns]),
        }
        if standards is not None:
            report["standards"] = _records(standards)
            report["cost_standards"] = _records(cost)
        if args.export:
            report["export"] = str(Path(args.export))
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if not len(selected):
        print("没有符合条件的指标 / no indicator matches")
        return 0
    if how == "similar":
        print(f"未找到包含「{args.search}」的指标，以下为相近指标 / no direct hit; similar indicators:")
    for sector, group in selected.groupby("sector", sort=False):
        print(f"【{'共性指标' if sector == '共性' else sector}】")
        for row in group.itertuples():
            core = " ★核心" if row.core else ""
            field = f"［{row.field}］" if isinstance(row.field, str) else ""
            print(
                f"  {row.id:<34} {row.name}（{row.unit}，{row.direction}）{row.level1}/{row.level2}{field}{core}"
            )
    print(f"共 {len(selected)} 项 / {len(selected)} indicator(s)")
    if standards is not None and len(standards):
        enough = standards[standards["enough"]]
        print(f"历史标准 / historical standards（{len(enough)} 组样本充足）:")
        for row in enough.itertuples():
            where = "、".join(str(x) for x in (row.sector, row.size) if isinstance(x, str)) or "全部"
            print(
                f"  {row.name}［{where}，{row.n_projects}个项目］中位数 {row.median:.4g}{row.unit}，"
                f"较高目标 {row.stretch:.4g}{row.unit}"
            )
    if args.export:
        print(f"已导出 / exported: {args.export}")
    return 0
