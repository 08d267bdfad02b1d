"""``pbm dea``: relative efficiency (DEA) of the units in a CSV file."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np
import pandas as pd

from .. import dea
from ..errors import ModelInputError, PbmError
from ..workbook.problems import InputFileError
from ._csvtable import fmt, format_table, json_value, normalise_header, read_csv_table, split_columns

NAME = "dea"
HELP = """数据包络分析：可比单位或项目的相对效率 / data envelopment analysis of comparable units.

读取 CSV 文件（第一列为单位名称），按 --inputs 与 --outputs 指定的投入、产出列计算 CCR 或 BCC 效率，
给出松弛、参照单位；--super 计算超效率（不可行时标为 infeasible，不给数值）。
Reads a CSV whose first column names the units; computes CCR or BCC efficiency (input or output
orientation) with two-phase slacks and peers; --super gives Andersen–Petersen super-efficiency,
reporting infeasible LPs as status "infeasible" with no number."""

STATUS_ZH = {
    dea.STATUS_EFFICIENT: "有效",
    dea.STATUS_WEAK: "弱有效",
    dea.STATUS_INEFFICIENT: "非有效",
    dea.STATUS_INFEASIBLE: "不可行",
    dea.STATUS_FAILED: "求解失败",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV 文件，第一列为单位名称 / CSV file, first column = unit name")
    parser.add_argument("--inputs", required=True, help="投入列，逗号分隔 / input columns, comma-separated")
    parser.add_argument("--outputs", required=True, help="产出列，逗号分隔 / output columns, comma-separated")
    parser.add_argument("--model", choices=("ccr", "bcc"), default="ccr", help="规模报酬不变 ccr 或可变 bcc")
    parser.add_argument("--orientation", choices=dea.ORIENTATIONS, default="input", help="投入导向或产出导向")
    parser.add_argument("--super", action="store_true", help="超效率 / super-efficiency (Andersen–Petersen)")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")


def _check_units(table, inputs: list[str], outputs: list[str]) -> None:
    """Zero rows and columns located in the file, before the model sees them."""
    problems = []
    for columns, zh in ((inputs, "投入"), (outputs, "产出")):
        values = table.values[columns].to_numpy()
        for k in np.flatnonzero(~(values > 0).any(axis=1)):
            problems.append(
                table.problem(
                    table.rows[k],
                    None,
                    f"单位「{table.names[k]}」的{zh}全为 0；每个单位至少应有一项大于 0 的{zh}",
                )
            )
        for j in np.flatnonzero((values == 0).all(axis=0)):
            problems.append(
                table.problem(None, columns[j], f"所有单位的{zh}均为 0；应至少有一个单位大于 0，或去掉该列")
            )
    if problems:
        raise InputFileError(problems, table.path)


def run(args: argparse.Namespace) -> int:
    inputs = [normalise_header(c) for c in split_columns(args.inputs)]
    outputs = [normalise_header(c) for c in split_columns(args.outputs)]
    if not inputs or not outputs:
        raise PbmError("--inputs 与 --outputs 都至少要有一列 / give at least one input and one output column")
    both = sorted(set(inputs) & set(outputs))
    if both:
        raise PbmError(f"列 {', '.join(both)} 同时作为投入和产出 / used as both input and output")
    table = read_csv_table(
        args.file,
        numeric=inputs + outputs,
        minimum=dict.fromkeys(inputs + outputs, 0),
        expected_example="单位名称, " + ", ".join(inputs + outputs),
    )
    _check_units(table, inputs, outputs)
    data = table.values.set_axis(pd.Index(table.names, name="unit"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            result = dea.dea(
                data,
                inputs,
                outputs,
                model=args.model,
                orientation=args.orientation,
                super_efficiency=args.super,
            )
        except ModelInputError as error:
            raise PbmError(f"{table.path}: {error}") from None
    for warning in caught:
        print(f"警告 / warning: {warning.message}", file=sys.stderr)

    headers = {c: table.headers.get(c, c) for c in inputs + outputs}
    if args.json:
        records = []
        for unit, row in result.iterrows():
            record = {
                "unit": unit,
                "efficiency": json_value(row["efficiency"]),
                "score": json_value(row["score"]),
                "status": row["status"],
                "peers": list(row["peers"]),
                "lambdas": {k: float(v) for k, v in row["lambdas"].items()},
                "slacks": {headers[c]: json_value(row[f"slack_{c}"]) for c in inputs + outputs},
                "targets": {headers[c]: json_value(row[f"target_{c}"]) for c in inputs + outputs},
                "model": args.model,
                "orientation": args.orientation,
                "note": row["note"],
            }
            if args.super:
                record["standard_efficiency"] = json_value(row["standard_efficiency"])
            records.append(record)
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0

    score_name = "θ" if args.orientation == "input" else "φ"
    columns = ["单位", "超效率" if args.super else "效率", score_name, "状态", "参照单位 (λ)", "松弛"]
    rows = []
    for unit, row in result.iterrows():
        peers = ", ".join(f"{p} {row['lambdas'][p]:.3f}" for p in row["peers"]) or "—"
        slacks = ", ".join(
            f"{headers[c]} {fmt(row[f'slack_{c}'])}"
            for c in inputs + outputs
            if not pd.isna(row[f"slack_{c}"]) and row[f"slack_{c}"] > 0
        )
        rows.append(
            [unit, fmt(row["efficiency"]), fmt(row["score"]), STATUS_ZH[row["status"]], peers, slacks or "—"]
        )
    print(format_table(columns, rows, [False, True, True, False, False, False]))
    label = {"ccr": "CCR（规模报酬不变）", "bcc": "BCC（规模报酬可变）"}[args.model]
    direction = "投入导向" if args.orientation == "input" else "产出导向"
    print(f"\n模型 / model: {label}，{direction}；参照单位与 λ 为一组最优解，不一定唯一。")
    for unit, row in result[result["status"] == dea.STATUS_INFEASIBLE].iterrows():
        print(f"{unit}: 超效率模型不可行 / infeasible — {row['note']}")
    return 0
