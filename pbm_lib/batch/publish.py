"""Publishing a year's outputs under ``outputs/<year>/``.

Layout::

    notebooks/<report>/<object>.ipynb   executed notebooks of the reports that succeeded
    failed/<report>/<object>.ipynb      executed notebooks of failures (papermill's error markers in)
    site/index.html                     the index (city summary, then every report), offline
    site/<report>/<object>.html         each report, as exported by pbm_lib.report.export
    评价结果汇总表.xlsx, results.json    every object's scores and grades (from pbm_lib.batch.record)
    预决算公开/<单位编码>_<单位名称>/      per unit: targets and evaluation results, CSV and XLSX
    manifest.json, run.log

Every file is written to a temporary name and renamed (:mod:`pbm_lib.iorw`), so a reader (or a
crash) never sees half a file. A job's files are written before its manifest entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..iorw import write_text
from ..workbook import YearData
from ..workbook import schema as ws
from .manifest import Manifest
from .objects import OBJECT_LABELS
from .plan import Job, Plan
from .site import STATUS_LABELS, Row, china_now, describe_error, link_for, render_index, shown_time
from .tables import write_csv, write_xlsx

RESULTS_WORKBOOK = "评价结果汇总表.xlsx"
RESULTS_JSON = "results.json"
DISCLOSURE_DIR = "预决算公开"


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def write_outcome(out_dir: Path, job: Job, outcome: dict[str, Any], key: str) -> dict[str, Any]:
    """Write one job's executed notebook (and HTML when it succeeded); return its manifest entry.

    A success removes an earlier failure's notebook; a failure removes the earlier success's
    notebook and HTML, so nothing stale is ever published next to a failure.
    """
    ok = outcome["status"] == "ok"
    notebook_rel = job.notebook_out if ok else job.failed_out
    if outcome.get("notebook") is not None:
        write_text(out_dir / notebook_rel, outcome["notebook"])
    else:
        notebook_rel = None
    html_rel = None
    if ok and outcome.get("html") is not None:
        write_text(out_dir / job.html_out, outcome["html"])
        html_rel = job.html_out
    if ok:
        _remove(out_dir / job.failed_out)
        if html_rel is None:
            _remove(out_dir / job.html_out)
    else:
        _remove(out_dir / job.notebook_out)
        _remove(out_dir / job.html_out)
    return {
        "key": key,
        "status": outcome["status"],
        "report_id": job.report_id,
        "report_title": job.report_title,
        "object_kind": job.object_kind,
        "object_id": job.object_id,
        "object_name": job.object_name,
        "unit_id": job.unit_id,
        "unit_name": job.unit_name,
        "notebook": notebook_rel,
        "html": html_rel,
        "results": outcome.get("results") or {},
        "error": outcome.get("error"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration": round(float(outcome.get("duration") or 0.0), 3),
        "engine": outcome.get("engine"),
        "kernel": outcome.get("kernel"),  # the kernel's pid (pool engine): shows reuse and recycling
    }


def remove_entry_files(out_dir: Path, entry: dict[str, Any]) -> None:
    """Delete the files of a job no longer in the plan."""
    for name in ("notebook", "html"):
        rel = entry.get(name)
        if rel:
            _remove(out_dir / rel)


def _rows(plan: Plan, manifest: Manifest) -> list[Row]:
    rows = []
    for job in plan.jobs:
        entry = manifest.entries.get(job.id, {})
        results = entry.get("results") or {}
        status = entry.get("status", "pending")
        rows.append(
            Row(
                report_id=job.report_id,
                report_title=job.report_title,
                object_kind=job.object_kind,
                object_id=job.object_id,
                object_name=job.object_name,
                unit_id=job.unit_id,
                unit_name=job.unit_name,
                status=status,
                score=results.get("score"),
                grade=results.get("grade"),
                link=link_for(entry["html"]) if entry.get("html") else None,
                error=entry.get("error"),
                results=results,
            )
        )
    return rows


def publish_year(
    out_dir: str | Path, plan: Plan, manifest: Manifest, data: YearData, jobs: int = 1
) -> dict[str, Path]:
    """Write the index, the results workbook and JSON, and the per-unit disclosure folders.

    Returns
    -------
    dict
        ``index``, ``results_xlsx``, ``results_json``, ``disclosure`` paths.
    """
    out_dir = Path(out_dir)
    rows = _rows(plan, manifest)
    now = china_now()
    generated = now.isoformat(timespec="seconds")
    title = f"{data.jurisdiction or ''}{data.year}年度预算绩效评价报告"
    ok = sum(r.status == "ok" for r in rows)
    failed = sum(r.status == "failed" for r in rows)
    meta = [
        f"共 {len(rows)} 份报告：完成 {ok} 份，失败 {failed} 份，未运行 {len(rows) - ok - failed} 份。",
        f"数据文件 {Path(data.source).name}（SHA-256 {data.sha256[:16]}…）；pbm {__version__}；生成于 {shown_time(now)}。",
    ]
    skipped = [{"report_id": s.report_id, "object_id": s.object_id, "reason": s.reason} for s in plan.skipped]
    index = out_dir / "site" / "index.html"
    write_text(index, render_index(title=title, year=data.year, meta_lines=meta, rows=rows, skipped=skipped))
    paths = {"index": index}
    paths.update(_results(out_dir, plan, rows, data, generated))
    digests = manifest.meta.get("disclosure") or {}
    paths["disclosure"], manifest.meta["disclosure"] = _disclosure(out_dir, rows, data, digests, jobs)
    manifest.save()
    return paths


_RESULT_HEADERS = [
    "报告类型",
    "报告编号",
    "对象类型",
    "对象编码",
    "对象名称",
    "单位编码",
    "单位名称",
    "得分",
    "等级",
    "状态",
    "报告文件",
    "错误",
]


def _result_row(r: Row) -> list[Any]:
    return [
        r.report_title,
        r.report_id,
        OBJECT_LABELS.get(r.object_kind, r.object_kind),
        r.object_id,
        r.object_name,
        r.unit_id,
        r.unit_name,
        r.score if isinstance(r.score, (int, float)) and not isinstance(r.score, bool) else None,
        r.grade,
        STATUS_LABELS.get(r.status, r.status),
        f"site/{r.link}" if r.link else None,
        describe_error(r.error) or None,
    ]


def _results(out_dir: Path, plan: Plan, rows: list[Row], data: YearData, generated: str) -> dict[str, Path]:
    records = [
        {
            "report_id": r.report_id,
            "report_title": r.report_title,
            "object_kind": r.object_kind,
            "object_id": r.object_id,
            "object_name": r.object_name,
            "unit_id": r.unit_id,
            "unit_name": r.unit_name,
            "status": r.status,
            "score": r.score,
            "grade": r.grade,
            "results": r.results,
            "html": f"site/{r.link}" if r.link else None,
            "error": r.error,
        }
        for r in rows
    ]
    document = {
        "year": data.year,
        "jurisdiction": data.jurisdiction,
        "data_file": Path(data.source).name,
        "data_sha256": data.sha256,
        "pbm_version": __version__,
        "generated": generated,
        "reports": records,
    }
    json_path = write_text(out_dir / RESULTS_JSON, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    values = [
        [r.report_title, r.object_id, r.object_name, key, value]
        for r in rows
        for key, value in r.results.items()
    ]
    about = [
        ["年度", data.year],
        ["行政区划", data.jurisdiction],
        ["数据文件", Path(data.source).name],
        ["数据 SHA-256", data.sha256],
        ["pbm 版本", __version__],
        ["生成时间（中国标准时间）", generated],
    ]
    xlsx_path = write_xlsx(
        out_dir / RESULTS_WORKBOOK,
        {
            "评价结果": (_RESULT_HEADERS, [_result_row(r) for r in rows]),
            "记录值": (["报告类型", "对象编码", "对象名称", "名称", "值"], values),
            "说明": (["项目", "内容"], about),
        },
    )
    return {"results_json": json_path, "results_xlsx": xlsx_path}


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip(". ") or "_"


def _columns(sheet: ws.Sheet, names: list[str]) -> list[str]:
    return [sheet.column(n).header for n in names]


_TARGET_COLUMNS = [
    "project_id",
    "seq",
    "level1",
    "level2",
    "level3",
    "direction",
    "target",
    "measure_unit",
    "weight",
    "actual",
]
_DEPT_COLUMNS = ["seq", "dimension", "indicator", "direction", "target", "measure_unit", "weight", "actual"]


def _write_unit_folder(files: list[Path], tables: list[tuple[str, list[str], list[list[Any]]]]) -> None:
    """One unit's disclosure files: a CSV per table and one XLSX with all of them."""
    for path, (_title, headers, rows) in zip(files, tables, strict=False):
        write_csv(path, headers, rows)
    write_xlsx(files[-1], {title: (headers, rows) for title, headers, rows in tables})


def _write_unit_folder_star(args: tuple) -> None:
    _write_unit_folder(*args)


def _disclosure(
    out_dir: Path, rows: list[Row], data: YearData, digests: dict[str, str], jobs: int = 1
) -> tuple[Path, dict[str, str]]:
    """Per unit: its project targets, its whole-department targets and its evaluation results.

    A unit's folder is rewritten only when its content changed (digests kept in the manifest);
    many folders are written by ``jobs`` processes at once.
    """
    root = out_dir / DISCLOSURE_DIR
    new_digests: dict[str, str] = {}
    pending: list[tuple] = []
    names = dict(zip(data.projects["project_id"], data.projects["project_name"], strict=True))
    target_headers = ["项目名称", *_columns(ws.INDICATORS, _TARGET_COLUMNS)]
    dept_headers = _columns(ws.DEPARTMENT_TARGETS, _DEPT_COLUMNS)
    result_headers = ["报告类型", "对象编码", "对象名称", "得分", "等级", "状态", "结论"]
    unit_of_project = dict(zip(data.projects["project_id"], data.projects["unit_id"], strict=True))
    indicators_by_unit: dict[str, list] = {}
    for row in data.indicators.to_dict("records"):
        indicators_by_unit.setdefault(unit_of_project.get(row["project_id"]), []).append(row)
    department_by_unit: dict[str, list] = {}
    for row in data.department_targets.to_dict("records"):
        department_by_unit.setdefault(row["unit_id"], []).append(row)
    for unit in data.units.to_dict("records"):
        unit_id, unit_name = str(unit["unit_id"]), str(unit["unit_name"])
        folder = root / _safe_name(f"{unit_id}_{unit_name}")
        target_rows = [
            [names.get(row["project_id"]), *[row.get(c) for c in _TARGET_COLUMNS]]
            for row in indicators_by_unit.get(unit_id, [])
        ]
        dept_rows = [[row.get(c) for c in _DEPT_COLUMNS] for row in department_by_unit.get(unit_id, [])]
        result_rows = [
            [
                r.report_title,
                r.object_id,
                r.object_name,
                r.score if isinstance(r.score, (int, float)) and not isinstance(r.score, bool) else None,
                r.grade,
                STATUS_LABELS.get(r.status, r.status),
                r.results.get("summary"),
            ]
            for r in rows
            if r.unit_id == unit_id
        ]
        tables = [
            ("项目绩效目标", target_headers, target_rows),
            ("部门整体绩效目标", dept_headers, dept_rows),
            ("绩效评价结果", result_headers, result_rows),
        ]
        files = [folder / f"{title}.csv" for title, _, _ in tables]
        files.append(folder / f"{_safe_name(unit_name)}绩效信息公开.xlsx")
        digest = hashlib.sha256(
            json.dumps([str(folder), tables], ensure_ascii=False, default=str).encode()
        ).hexdigest()
        new_digests[unit_id] = digest
        if digests.get(unit_id) != digest or not all(f.is_file() for f in files):
            pending.append((files, tables))
    import multiprocessing
    import threading

    # Forked helpers only from a single-threaded parent (a Dask client may leave threads behind).
    forkable = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if jobs > 1 and len(pending) > 4 and forkable:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(_write_unit_folder_star, pending, chunksize=max(1, len(pending) // (jobs * 4))))
    else:
        for args in pending:
            _write_unit_folder(*args)
    return root, new_digests


def clean_temporaries(out_dir: Path) -> int:
    """Remove temporary files a killed run left behind (``.~name.*`` from :func:`pbm_lib.iorw.atomic_path`)."""
    removed = 0
    if not out_dir.is_dir():
        return 0
    for dirpath, _dirnames, filenames in os.walk(out_dir):
        for name in filenames:
            if name.startswith(".~"):
                _remove(Path(dirpath) / name)
                removed += 1
    return removed
