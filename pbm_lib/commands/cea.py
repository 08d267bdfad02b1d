"""``pbm cea``: incremental cost-effectiveness ratios and dominance for alternatives in a CSV file."""

from __future__ import annotations

import argparse
import json

import pandas as pd

from .. import cost
from ..errors import ModelInputError, PbmError
from ._csvtable import fmt, format_table, json_value, read_csv_table

NAME = "cea"
HELP = """成本效果分析：增量成本效果比与占优判断 / cost-effectiveness: ICERs, dominance and the frontier.

读取 CSV 文件（列：name,cost,effect，也可用 方案,成本,效果），按 rules.md §4.1 剔除强占优和扩展占优方案，
列出效率前沿上的增量成本效果比（ICER）；给出 --wtp 时按净货币效益选出最优方案。
Reads a CSV with columns name,cost,effect; marks dominated and extendedly dominated alternatives
(iterated, collinear points kept), gives ICERs along the frontier and, with --wtp, the alternative
with the highest net monetary benefit λ·effect − cost (ties go to the more effective one)."""

ALIASES = {"方案": "name", "名称": "name", "成本": "cost", "费用": "cost", "效果": "effect", "效益": "effect"}
STATUS_ZH = {
    cost.STATUS_FRONTIER: "前沿",
    cost.STATUS_DOMINATED: "被占优",
    cost.STATUS_EXTENDED: "被扩展占优",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV 文件，列 name,cost,effect / CSV file with columns name,cost,effect")
    parser.add_argument(
        "--wtp", type=float, help="意愿支付 λ（每单位效果的金额）/ willingness to pay per unit of effect"
    )
    parser.add_argument(
        "--tie",
        choices=cost.TIE_RULES,
        default="effective",
        help="λ 恰等于 ICER 时选更有效（默认）或更便宜的方案 / tie rule at λ = ICER",
    )
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")


def _explain(row: pd.Series) -> str:
    if row["status"] == cost.STATUS_FRONTIER:
        return "参照方案" if row["reference"] else f"相对 {row['comparator']}"
    if row["status"] == cost.STATUS_EXTENDED:
        return f"被 {row['bracket_lower']} 与 {row['bracket_upper']} 的组合扩展占优"
    if not pd.isna(row["duplicate_of"]):
        return f"与 {row['duplicate_of']} 完全相同（重复方案）"
    return f"被 {row['dominated_by']} 占优"


def run(args: argparse.Namespace) -> int:
    table = read_csv_table(
        args.file,
        numeric=["cost", "effect"],
        name="name",
        aliases=ALIASES,
        minimum={"cost": 0},
        expected_example="name,cost,effect",
    )
    data = pd.DataFrame({"name": table.names, "cost": table.values["cost"], "effect": table.values["effect"]})
    if args.wtp is not None and not (args.wtp >= 0 and args.wtp != float("inf")):
        raise PbmError(f"--wtp {args.wtp:g}：意愿支付应为不小于 0 的有限数 / λ must be finite and ≥ 0")
    try:
        if args.wtp is None:
            result = cost.icer_frontier(data)
        else:
            result = cost.net_benefit(data, args.wtp, tie=args.tie)
    except ModelInputError as error:
        raise PbmError(f"{table.path}: {error}") from None

    if args.json:
        records = []
        for _, row in result.iterrows():
            record = {
                "name": row["name"],
                "cost": float(row["cost"]),
                "effect": float(row["effect"]),
                "status": row["status"],
                "icer": json_value(row["icer"]),
                "delta_cost": json_value(row["delta_cost"]),
                "delta_effect": json_value(row["delta_effect"]),
                "reference": bool(row["reference"]),
                "comparator": json_value(row["comparator"]),
                "dominated_by": json_value(row["dominated_by"]),
                "bracket": None
                if pd.isna(row["bracket_lower"])
                else [row["bracket_lower"], row["bracket_upper"]],
                "note": row["note"],
            }
            if args.wtp is not None:
                record["nmb"] = float(row["nmb"])
                record["optimal"] = bool(row["optimal"])
            records.append(record)
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0

    headers = ["方案", "成本", "效果", "状态", "增量成本", "增量效果", "增量成本效果比", "说明"]
    right = [False, True, True, False, True, True, True, False]
    if args.wtp is not None:
        headers.insert(7, "净货币效益")
        right.insert(7, True)
    rows = []
    for _, row in result.iterrows():
        cells = [
            row["name"],
            fmt(row["cost"]),
            fmt(row["effect"]),
            STATUS_ZH[row["status"]],
            fmt(row["delta_cost"]),
            fmt(row["delta_effect"]),
            fmt(row["icer"], 2),
            _explain(row),
        ]
        if args.wtp is not None:
            cells.insert(7, fmt(row["nmb"], 2))
        rows.append(cells)
    print(format_table(headers, rows, right))
    if args.wtp is not None:
        best = result.loc[result["optimal"], "name"].iloc[0]
        print(f"\n意愿支付 λ = {args.wtp:g} 时净货币效益最高的方案 / optimal at λ = {args.wtp:g}: {best}")
    return 0
