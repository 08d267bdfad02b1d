"""``pbm score``: review one self-evaluation table — rule scores beside printed scores, and every defect."""

from __future__ import annotations

import argparse
import json
import unicodedata

from ..review import FLAG_CODES, Review, load_table, review_table
from ..schemes import load_scheme, scheme_ids

NAME = "score"
HELP = """复核项目支出绩效自评表 / review a self-evaluation table (YAML or Excel).

按评分方案计算规则得分并与自评得分并列，列出全部问题（标志码、所在行、说明）。
TABLE 为 pbm-self-evaluation/1 格式的 .yaml 文件，或打印版式的 .xlsx 自评表。
--scheme 取方案编号（如 cz2020-10-self、yunnan-county-self@1）或方案 YAML 文件路径；
默认 auto：按行政区划和表名自动选择。
Computes the rule score of every row beside the printed score and lists every defect
(flag code, row, message). TABLE is a pbm-self-evaluation/1 .yaml file or a printed-layout .xlsx;
--scheme takes a scheme id or a scheme YAML path (default: auto, chosen by jurisdiction and title)."""

STATE_LABELS = {"measured": "已计量", "claimed": "仅声称", "missing": "缺失", "not_applicable": "不适用",
                "unparseable": "无法计分"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", help="自评表 .yaml 或 .xlsx / self-evaluation table")
    ids = ", ".join(scheme_ids())
    parser.add_argument("--scheme", default="auto",
                        help=f"评分方案编号或 YAML 路径，默认 auto / scheme id or YAML path (default auto; shipped: {ids})")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")


def run(args: argparse.Namespace) -> int:
    table = load_table(args.table)
    scheme = None if args.scheme == "auto" else load_scheme(args.scheme)
    review = review_table(table, scheme)
    if args.json:
        print(json.dumps(review.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(review))
    return 0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: object, width: int) -> str:
    text = "—" if value is None else str(value)
    while _width(text) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text + " " * max(0, width - _width(text))


def _num(value: object, digits: int = 2) -> str | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    return f"{number:.{digits}f}".rstrip("0").rstrip(".")


def render(review: Review) -> str:
    """The review as a readable Chinese report (the default output of ``pbm score``)."""
    data = review.to_dict()
    lines = [f"自评表复核：{data['title'] or '（无标题）'}"]
    lines.append(f"行政区划：{data['jurisdiction'] or '—'}　年度：{data['year'] or '—'}　文件：{data['file']}")
    lines.append(f"评分方案：{review.scheme.title}（{review.scheme.ref}；{review.scheme_reason}）")
    lines.append("")
    total_row = review.budget
    printed_rate = printed_score = None
    if len(total_row):
        weighted = total_row[total_row["weight"].notna()]
        first = weighted.iloc[0] if len(weighted) else total_row.iloc[0]
        printed_rate, printed_score = first["rate_reported"], _num(first["score_reported"])
    rate = "—" if data["budget_rate"] is None else f"{100 * data['budget_rate']:.2f}%"
    lines.append(f"预算执行：分值 {_num(data['budget_weight']) or '—'}　执行率 {rate}（表中 {printed_rate or '—'}）　"
                 f"规则得分 {_num(data['budget_score']) or '—'}　自评得分 {printed_score or '—'}")
    lines.append("")
    widths = (4, 10, 12, 24, 12, 12, 6, 8, 10, 8)
    header = ("序号", "一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "自评得分", "规则得分", "状态")
    lines.append(" ".join(_cell(h, w) for h, w in zip(header, widths, strict=True)))
    for row in data["indicators"]:
        rule = _num(row["rule_score"])
        if rule is None and row["band"] is not None:
            rule = f"[{_num(row['band'][0])},{_num(row['band'][1])}]"
        state = STATE_LABELS.get(row["state"], row["state"])
        if not row["counted"]:
            state += "*"
        values = (row["index"], row["level1"], row["level2"], row["level3"], row["target"], row["actual"],
                  _num(row["weight"]), _num(row["score_reported"]), rule, state)
        lines.append(" ".join(_cell(v, w) for v, w in zip(values, widths, strict=True)))
    lines.append("（* 不计入总分：上级指标或“其中”分项）")
    lines.append("")
    interval = data["rule_total_interval"]
    if data["rule_total"] is not None:
        total = f"{data['rule_total']:.2f}"
    elif interval is not None:
        total = f"[{interval[0]:.2f}, {interval[1]:.2f}]（区间：部分指标缺少证据）"
    else:
        total = "无法计算（部分指标缺少分值）"
    grade = data["rule_grade"] or {"blank": "不评级（空表）", "out_of_range": "无（总分超出0–100）",
                                   "unknown": "无"}.get(data["grade_status"], "—")
    share = "—" if data["evidence_share"] is None else f"{data['evidence_share']:.0%}"
    lines.append(f"规则总分：{total}　等级：{grade}　有证据的分值占比：{share}")
    lines.append(f"自评总分：{_num(data['reported_total']) or '—'}　自评等级：{data['reported_grade'] or '—'}")
    lines.append("")
    if data["flags"]:
        lines.append(f"发现问题 {len(data['flags'])} 项：")
        for f in data["flags"]:
            level = "" if f["severity"] == "error" else "（提示）"
            lines.append(f"  [{f['code']}] {FLAG_CODES.get(f['code'], '')}{level}")
            lines.append(f"      {f['row']}：{f['message']}")
    else:
        lines.append("未发现问题。")
    if data["notes"]:
        lines.append("")
        lines.append("说明：")
        lines.extend(f"  - {n}" for n in data["notes"])
    return "\n".join(lines)
