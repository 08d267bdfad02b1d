"""``site/index.html``: the city summary first, then every report in a table that sorts and filters offline.

The page is one self-contained file: inline CSS and a small inline script written here (no external
URL of any kind), with a Content-Security-Policy that allows only that script (by its hash) and no
network access. Every text that comes from the workbook or from a notebook is HTML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _china_tz() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):  # no tz database: UTC+8 without daylight saving since 1991
        return timezone(timedelta(hours=8), "CST")


#: 中国标准时间 (Asia/Shanghai): the time zone of every time the site shows.
CHINA_TZ = _china_tz()


def china_now() -> datetime:
    """Now, in China Standard Time (ISO form ``…+08:00``)."""
    return datetime.now(CHINA_TZ)


def shown_time(moment: datetime) -> str:
    """A time as a reader in China reads it: ``2025-06-01 14:03:22（中国标准时间）``."""
    return f"{moment.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}（中国标准时间）"


_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2rem auto;max-width:1200px;
padding:0 1rem;color:#222;line-height:1.5}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #0072B2}
.meta{color:#555;font-size:.9rem}
#city-summary{background:#f3f7fb;border-left:4px solid #0072B2;padding:.8rem 1rem;margin:1rem 0}
#city-summary h2{margin-top:0}
#city-summary dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
#city-summary dt{color:#555}
.controls{display:flex;gap:.8rem;flex-wrap:wrap;align-items:center;margin:.8rem 0}
.controls input,.controls select{padding:.3rem .5rem;font-size:.95rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0;white-space:nowrap;position:sticky;top:0;box-shadow:inset 0 -1px #ccc}
th[tabindex]{cursor:pointer;user-select:none}th[tabindex]:hover{background:#e2eaf2}
th[tabindex]:focus-visible{outline:2px solid #0072B2;outline-offset:-2px}
th[tabindex]::after{content:" ↕";color:#999}
th[aria-sort=ascending]::after{content:" ▲";color:#0072B2}th[aria-sort=descending]::after{content:" ▼";color:#0072B2}
th[data-type=number],td.num{text-align:right}td.num{font-variant-numeric:tabular-nums}
td:nth-child(n+4){white-space:nowrap}
.status-ok{color:#007a4d}.status-failed{color:#b3261e;font-weight:bold}
.error{font-family:monospace;font-size:.85rem;white-space:pre-wrap;color:#b3261e}
.count{color:#555;font-size:.9rem}
"""

_SCRIPT = """
(function(){
'use strict';
document.documentElement.classList.add('js-ready');
var table=document.getElementById('reports');if(!table){return;}
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var text=document.getElementById('filter-text'),kind=document.getElementById('filter-kind'),
status=document.getElementById('filter-status'),count=document.getElementById('shown-count');
var collator=new Intl.Collator('zh-CN',{numeric:true});
function apply(){var q=text.value.trim().toLowerCase(),k=kind.value,s=status.value,n=0;
rows.forEach(function(r){var ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0)
&&(!k||r.getAttribute('data-kind')===k)&&(!s||r.getAttribute('data-status')===s);
r.hidden=!ok;if(ok){n++;}});count.textContent=String(n);}
[text,kind,status].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
function key(cell,numeric){
var v=cell.hasAttribute('data-value')?cell.getAttribute('data-value'):cell.textContent.trim();
if(numeric){var f=parseFloat(v);return isFinite(f)?f:null;}return v===''||v==='—'?null:v;}
var heads=Array.prototype.slice.call(table.tHead.rows[0].cells);
function sortBy(th,i){
var dir=th.getAttribute('aria-sort')==='ascending'?-1:1,numeric=th.getAttribute('data-type')==='number';
heads.forEach(function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',dir===1?'ascending':'descending');
var keyed=rows.map(function(r,pos){return {row:r,key:key(r.cells[i],numeric),pos:pos};});
keyed.sort(function(a,b){
if(a.key===null||b.key===null){return a.key===b.key?a.pos-b.pos:(a.key===null?1:-1);}
var c=numeric?a.key-b.key:collator.compare(a.key,b.key);return c*dir||a.pos-b.pos;});
var frag=document.createDocumentFragment();
rows=keyed.map(function(k){frag.appendChild(k.row);return k.row;});body.appendChild(frag);}
heads.forEach(function(th,i){if(th.getAttribute('data-type')==='none'){return;}
th.tabIndex=0;th.title='点击排序';
th.addEventListener('click',function(){sortBy(th,i);});
th.addEventListener('keydown',function(ev){if(ev.key==='Enter'||ev.key===' '){ev.preventDefault();sortBy(th,i);}});});
apply();})();
"""

STATUS_LABELS = {"ok": "完成", "failed": "失败", "pending": "未运行"}


@dataclass
class Row:
    """One report in the index."""

    report_id: str
    report_title: str
    object_kind: str
    object_id: str
    object_name: str
    unit_id: str | None
    unit_name: str | None
    status: str
    score: Any
    grade: Any
    link: str | None  # relative to site/
    error: dict[str, Any] | None
    results: dict[str, Any]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _score(value: Any) -> tuple[str, str]:
    """(sort value, shown text) of a score cell; a missing score shows a dash and sorts last."""
    if value is None or value == "":
        return ("", "—")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ("", _e(value))
    return (repr(float(value)), f"{value:.2f}" if isinstance(value, float) else str(value))


def link_for(html_rel: str) -> str:
    """The href from ``site/index.html`` to a report at ``site/<...>`` (percent-encoded)."""
    inner = html_rel.split("/", 1)[1] if html_rel.startswith("site/") else html_rel
    return "/".join(quote(part) for part in inner.split("/"))


def describe_error(error: dict[str, Any] | None) -> str:
    """One line: where and what failed."""
    if not error:
        return ""
    where = []
    if error.get("cell_index") is not None:
        where.append(f"第 {error['cell_index']} 个单元格（从 0 起）")
    if error.get("execution_count") is not None:
        where.append(f"In [{error['execution_count']}]")
    prefix = "，".join(where)
    text = f"{error.get('ename') or error.get('kind')}: {error.get('evalue') or ''}".strip()
    return f"{prefix}：{text}" if prefix else text


def render_index(
    *,
    title: str,
    year: int,
    meta_lines: Iterable[str],
    rows: list[Row],
    skipped: list[dict[str, str]],
) -> str:
    """The whole ``index.html`` text."""
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{script_hash}'"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "".join(f'<p class="meta">{_e(line)}</p>' for line in meta_lines),
        _city_section(rows),
        _table(rows),
        _failures(rows),
        _skipped(skipped),
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# Key figures the city summary notebook records, in the order and wording a reader expects.
CITY_FACTS = {
    "n_units": ("预算单位（个）", "count"),
    "n_projects": ("政策和项目（个）", "count"),
    "money": ("项目资金（万元）", "wan"),
    "targets_share": ("设定绩效目标的资金占比", "share"),
    "monitored_share": ("纳入双监控的资金占比", "share"),
    "evaluated_share": ("开展绩效评价的资金占比", "share"),
    "ex_ante_share": ("新增重大项目事前评估资金占比", "share"),
    "total_cut": ("建议核减下年预算（万元）", "wan"),
    "savings": ("节约资金（万元）", "wan"),
    "audit_signals": ("审计关注信号（条）", "count"),
}


def _format_fact(value: float, kind: str) -> str:
    if kind == "share":
        return f"{value:.1%}"
    if kind == "wan":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def _city_section(rows: list[Row]) -> str:
    city = [r for r in rows if r.object_kind == "city"]
    out = ['<section id="city-summary"><h2>本级政府预算绩效管理情况总结</h2>']
    if not city:
        out.append("<p>本年度运行计划中没有本级政府总结报告。</p>")
    for row in city:
        if row.status == "ok" and row.link:
            out.append(f'<p><a href="{_e(row.link)}">{_e(row.report_title)}：{_e(row.object_name)}</a></p>')
        else:
            out.append(f"<p>{_e(row.report_title)}：{_e(STATUS_LABELS.get(row.status, row.status))}</p>")
        if isinstance(row.results.get("summary"), str):
            out.append(f"<p>{_e(row.results['summary'])}</p>")
        facts = [
            (label, _format_fact(row.results[key], kind))
            for key, (label, kind) in CITY_FACTS.items()
            if isinstance(row.results.get(key), (int, float)) and not isinstance(row.results.get(key), bool)
        ]
        if facts:
            out.append("<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>")
    out.append("</section>")
    return "\n".join(out)


def _table(rows: list[Row]) -> str:
    kinds = sorted({(r.report_id, r.report_title) for r in rows})
    options = "".join(f'<option value="{_e(k)}">{_e(t)}</option>' for k, t in kinds)
    present = {r.status for r in rows}
    statuses = "".join(
        f'<option value="{_e(s)}">{_e(label)}</option>' for s, label in STATUS_LABELS.items() if s in present
    )
    out = [
        "<h2>评价报告</h2>",
        '<div class="controls">',
        '<label>筛选 <input id="filter-text" type="search" placeholder="单位、项目、等级…"></label>',
        f'<label>报告类型 <select id="filter-kind"><option value="">全部</option>{options}</select></label>',
        f'<label>状态 <select id="filter-status"><option value="">全部</option>{statuses}</select></label>',
        f'<span class="count">显示 <span id="shown-count">{len(rows)}</span> / {len(rows)} 份</span>',
        "</div>",
        '<table id="reports"><thead><tr><th scope="col">单位</th><th scope="col">对象</th>'
        '<th scope="col">报告类型</th><th scope="col" data-type="number">得分</th><th scope="col">等级</th>'
        '<th scope="col">状态</th><th scope="col" data-type="none">报告</th></tr></thead><tbody>',
    ]
    for r in rows:
        sort_value, shown = _score(r.score)
        unit = f"{_e(r.unit_name)}（{_e(r.unit_id)}）" if r.unit_id else _e(r.unit_name or "—")
        # the city's id is the internal "city": a reader sees what the object is instead
        about = "本级政府" if r.object_kind == "city" else r.object_id
        link = f'<a href="{_e(r.link)}">查看</a>' if r.link and r.status == "ok" else "—"
        status = _e(STATUS_LABELS.get(r.status, r.status))
        out.append(
            f'<tr data-kind="{_e(r.report_id)}" data-status="{_e(r.status)}">'
            f"<td>{unit}</td><td>{_e(r.object_name)}（{_e(about)}）</td><td>{_e(r.report_title)}</td>"
            f'<td class="num" data-value="{_e(sort_value)}">{shown}</td><td>{_e(r.grade) or "—"}</td>'
            f'<td class="status-{_e(r.status)}">{status}</td><td>{link}</td></tr>'
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def _failures(rows: list[Row]) -> str:
    failed = [r for r in rows if r.status == "failed"]
    if not failed:
        return ""
    items = "".join(
        f"<li><strong>{_e(r.report_title)}：{_e(r.object_name)}（{_e(r.object_id)}）</strong>"
        f'<div class="error">{_e(describe_error(r.error))}</div></li>'
        for r in failed
    )
    return f'<h2 id="failures">运行失败（{len(failed)}）</h2><ul>{items}</ul>'


def _skipped(skipped: list[dict[str, str]]) -> str:
    if not skipped:
        return ""
    items = "".join(
        f"<li>{_e(s['report_id'])}：{_e(s['object_id'])}"
        + (f"（{_e(s['reason'])}）" if s.get("reason") else "")
        + "</li>"
        for s in skipped
    )
    return f'<h2 id="skipped">按参数文件跳过（{len(skipped)}）</h2><ul>{items}</ul>'
