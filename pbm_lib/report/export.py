"""An executed notebook → one self-contained, offline HTML report for the public.

What the reader gets: the title block, the narrative (markdown cells and ``Markdown`` outputs),
tables, figures (as ``data:`` URIs) and the provenance footer, styled by one inline stylesheet.
What the reader never gets: code, prompts, stderr (warnings), error tracebacks, ``text/plain``
reprs, widgets, scripts, or anything fetched from a network address.
"""

from __future__ import annotations

import copy
import html
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from .. import __version__
from ..errors import PbmError
from ..iorw import atomic_path
from .offline import make_offline
from .stylesheet import REPORT_CSS

#: Permissions of a written report: readable by the web server and everyone, writable by the owner.
PUBLISHED_MODE = 0o644
#: Cells with any of these tags are left out of the report entirely.
REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell", "pbm-hide"})
#: Cells with any of these tags keep no outputs.
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
#: Output types that never reach the reader.
DROPPED_MIME = frozenset(
    {
        "application/vnd.jupyter.widget-view+json",
        "application/vnd.jupyter.widget-state+json",
        "application/javascript",
        "text/javascript",
        "application/x-javascript",
        "application/vnd.pbm.result+json",  # results a notebook hands to the batch (pbm_lib.batch.record)
    }
)


class ReportExportError(PbmError):
    """The notebook cannot be published as is (for example it stopped on an error)."""


def _load(nb_or_path: Any) -> tuple[nbformat.NotebookNode, Path | None]:
    if isinstance(nb_or_path, str | Path):
        path = Path(nb_or_path)
        try:
            return nbformat.read(path, as_version=4), path
        except FileNotFoundError as error:
            raise ReportExportError(f"找不到笔记本文件：{path}") from error
        except Exception as error:  # nbformat raises several kinds for a damaged file
            raise ReportExportError(f"无法读取笔记本 {path}：{error}") from error
    if isinstance(nb_or_path, Mapping):
        # from_dict builds new containers throughout; nothing below changes the caller's notebook
        return nbformat.from_dict(dict(nb_or_path)), None
    raise ReportExportError(f"notebook_to_html 需要笔记本或其路径，得到的是 {type(nb_or_path).__name__}")


def _reader_outputs(outputs: list[Any], where: str) -> list[Any]:
    kept = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "error":
            raise ReportExportError(
                f"{where}执行出错（{output.get('ename', '')}: {output.get('evalue', '')}），不能发布为报告；"
                "请先修正并重新运行笔记本。"
            )
        if kind == "stream":
            text = output.get("text", "")
            if output.get("name") == "stdout" and "".join(text).strip():
                kept.append(output)
            continue
        if kind not in ("display_data", "execute_result"):
            continue
        data = output.get("data", {})
        if any(mime in data for mime in DROPPED_MIME if mime.startswith("application/vnd.jupyter.widget")):
            continue  # a widget: its text/plain stand-in ("IntSlider(value=3)") means nothing to a reader
        data = {mime: value for mime, value in data.items() if mime not in DROPPED_MIME}
        if set(data) - {"text/plain"}:
            data.pop("text/plain", None)
        else:
            continue  # only a repr (e.g. "<Figure size …>", "Text(0.5, 1.0, '…')"): not for readers
        output = copy.deepcopy(output)
        output["data"] = data
        output.setdefault("metadata", {})
        # "isolated" HTML would become an <iframe>: render it inline instead.
        output["metadata"] = {
            mime: {k: v for k, v in meta.items() if k != "isolated"} if isinstance(meta, Mapping) else meta
            for mime, meta in output["metadata"].items()
            if mime in data
        }
        kept.append(output)
    return kept


def reader_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` holding only what a reader sees (see the module docstring).

    Parameters
    ----------
    nb : NotebookNode
        An executed notebook; it is not changed.

    Returns
    -------
    NotebookNode
        A new notebook sharing no mutable part with ``nb``.

    Raises
    ------
    ReportExportError
        If a cell's outputs contain an error.
    """
    # Copied cell by cell, leaving out what is dropped: left-out cells (code, reprs, the batch's
    # results) are never copied, and kept outputs are copied once, by _reader_outputs.
    cells = []
    for number, cell in enumerate(nb.cells, start=1):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS or cell.cell_type == "raw":
            continue
        if cell.cell_type == "code":
            where = f"第 {number} 个单元格"
            outputs = _reader_outputs(cell.get("outputs", []), where)
            if tags & REMOVE_OUTPUT_TAGS or not outputs:
                continue
            kept = {key: value for key, value in cell.items() if key != "outputs"}
            kept = copy.deepcopy(kept)
            kept["source"] = ""
            kept["outputs"] = outputs
        else:
            kept = copy.deepcopy(dict(cell))
        cells.append(nbformat.from_dict(kept))
    reader = nbformat.from_dict({key: copy.deepcopy(value) for key, value in nb.items() if key != "cells"})
    reader.cells = cells
    reader.metadata.pop("widgets", None)
    return reader


def report_problems(nb_or_path: Any) -> list[str]:
    """What in an executed notebook would look wrong or be lost in the published report.

    For notebook authors' tests (``assert report_problems(executed) == []``). Lists, by cell:
    errors; stderr output (warnings); raw pandas DataFrame HTML (use :func:`pbm_lib.report.table`);
    results that are only a ``text/plain`` repr (left out of the report); widgets (left out).

    Parameters
    ----------
    nb_or_path : NotebookNode, dict, str or Path

    Returns
    -------
    list of str
        One line per problem, in Chinese; empty when the notebook is ready to publish.
    """
    nb, _ = _load(nb_or_path)
    problems = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        where = f"第 {number} 个单元格"
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            data = output.get("data", {})
            if kind == "error":
                problems.append(f"{where}：执行出错 {output.get('ename', '')}: {output.get('evalue', '')}")
            elif kind == "stream" and output.get("name") == "stderr":
                first = output.get("text", "").strip().splitlines()[:1]
                problems.append(f"{where}：有标准错误输出（警告等，不会发布）：{first[0] if first else ''}")
            elif any(mime.startswith("application/vnd.jupyter.widget") for mime in data):
                problems.append(f"{where}：交互控件不会出现在发布的报告中")
            elif 'class="dataframe' in str(data.get("text/html", "")):
                problems.append(
                    f"{where}：直接显示了 DataFrame，请改用 pbm_lib.report.table（单位、格式、表号、来源）"
                )
            elif kind in ("display_data", "execute_result") and set(data) <= {"text/plain"}:
                problems.append(
                    f"{where}：只有文本形式的对象表示，不会发布：{str(data.get('text/plain', ''))[:60]}"
                )
    return problems


_EXPORTERS = threading.local()


def _html_exporter() -> Any:
    """This thread's nbconvert exporter: made once, as it compiles its Jinja templates on first use."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = _EXPORTERS.html = HTMLExporter(
            template_name="basic",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            exclude_anchor_links=True,
            embed_images=True,
            # Validate once after all preprocessors, not after each of them: same check, same output.
            optimistic_validation=True,
        )
    return exporter


def _body_html(nb: nbformat.NotebookNode, base_dir: Path | None) -> str:
    resources = {"metadata": {"path": str(base_dir)}} if base_dir is not None else {}
    body, _ = _html_exporter().from_notebook_node(nb, resources=resources)
    return body


def render_report(
    nb: nbformat.NotebookNode,
    title: str,
    *,
    subtitle: str | None = None,
    issuer: str | None = None,
    base_dir: str | Path | None = None,
) -> str:
    """The report HTML for an executed notebook, as a string (see :func:`notebook_to_html`)."""
    body = _body_html(reader_notebook(nb), Path(base_dir) if base_dir is not None else None)
    block = []
    if issuer:
        block.append(f'<p class="pbm-issuer">{html.escape(issuer)}</p>')
    block.append(f"<h1>{html.escape(title)}</h1>")
    if subtitle:
        block.append(f'<p class="pbm-subtitle">{html.escape(subtitle)}</p>')
    document = (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="pbm {html.escape(__version__)}">\n'
        f"<title>{html.escape(title)}</title>\n<style>{REPORT_CSS}</style>\n</head>\n<body>\n"
        '<main class="pbm-report">\n'
        f'<header class="pbm-titleblock">\n{chr(10).join(block)}\n</header>\n'
        f'<article class="pbm-content">\n{body}\n</article>\n'
        "</main>\n</body>\n</html>\n"
    )
    document = make_offline(document)
    if "<script" in document.lower():  # pragma: no cover - make_offline removes every script
        raise ReportExportError("报告中仍含有脚本，已停止发布")
    return document


def notebook_to_html(
    nb_or_path: Any,
    out_path: str | Path,
    title: str,
    *,
    subtitle: str | None = None,
    issuer: str | None = None,
) -> Path:
    """Write an executed notebook as one self-contained, offline HTML report.

    Code cells' inputs and prompts, stderr streams, errors, widgets, JavaScript and
    ``text/plain`` reprs are left out; markdown cells and ``Markdown``/HTML/image outputs stay.
    Images are embedded as ``data:`` URIs; the stylesheet is inline; no script is kept and nothing
    refers to a network address (see :mod:`pbm_lib.report.offline`). The file is written
    atomically (readers see the old report or the new one, never half of one) with mode 0644.

    Parameters
    ----------
    nb_or_path : NotebookNode, dict, str or Path
        The executed notebook (e.g. papermill's output) or its path.
    out_path : str or Path
        Where to write the ``.html`` file; parent directories are created.
    title : str
        Document title, shown in the title block and the browser tab.
    subtitle : str, optional
        A line under the title (e.g. "2025年度 · 第三方评价").
    issuer : str, optional
        The issuing body shown above the title (e.g. "某某市财政局").

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    ReportExportError
        If the notebook cannot be read or stopped on an error.

    Notes
    -----
    Cells tagged ``remove-cell`` or ``pbm-hide`` are left out; cells tagged ``remove-output`` keep no
    output. An execute result or display that is only ``text/plain`` is a repr and is left out;
    use ``IPython.display.Markdown`` or ``print`` for text meant for readers.
    """
    nb, path = _load(nb_or_path)
    base_dir = path.parent if path is not None else None
    document = render_report(nb, title, subtitle=subtitle, issuer=issuer, base_dir=base_dir)
    out_path = Path(out_path)
    with atomic_path(out_path) as temp:
        temp.write_text(document, encoding="utf-8")
        os.chmod(temp, PUBLISHED_MODE)  # the temporary file is private (0600); a published page is not
    return out_path
