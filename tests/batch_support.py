"""Helpers for the batch tests: small notebooks, a parameters folder, and a placeholder HTML exporter.

The placeholder stands in for ``pbm_lib.report.export.notebook_to_html`` (written elsewhere) and lives
here, in the tests, only. It escapes every text and emits no script.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import yaml

#: ``module:function`` of the placeholder exporter, for ``run_year(exporter=...)``.
EXPORTER = "batch_support:notebook_to_html"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def notebook_to_html(nb_or_path: Any, out_path: str | Path, title: str = "") -> Path:
    """Minimal offline HTML: the escaped title and each output's text or image; no code, no script."""
    nb = nb_or_path if not isinstance(nb_or_path, (str, Path)) else nbformat.read(nb_or_path, as_version=4)
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
    ]
    parts.append(f"<h1>{html.escape(title)}</h1>")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f"<p>{html.escape(cell.source)}</p>")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.pbm.result+json" in data:
                raise AssertionError("recorded results must be stripped before export")
            if "image/png" in data:
                parts.append(f"<img alt='' src='data:image/png;base64,{data['image/png']}'>")
            elif "text/plain" in data:
                parts.append(f"<pre>{html.escape(data['text/plain'])}</pre>")
            elif output.get("output_type") == "stream":
                parts.append(f"<pre>{html.escape(output.get('text', ''))}</pre>")
    parts.append("</body></html>")
    Path(out_path).write_text("\n".join(parts), encoding="utf-8")
    return Path(out_path)


def write_notebook(path: Path, cells: list[tuple[str, str] | tuple[str, str, list[str]]]) -> Path:
    """Write a notebook from ``(kind, source[, tags])`` tuples; kind is ``code`` or ``md``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for item in cells:
        kind, source = item[0], item[1]
        tags = item[2] if len(item) > 2 else []
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


PROJECT_PARAMETERS = """\
from typing import Optional
data_path: str = None  # 必填：年度数据工作簿 / required: year workbook
year: int = 2025  # 年度 / fiscal year
object_id: str = None  # 必填：项目编码 / required: project id
unit_id: Optional[str] = None  # 单位编码 / unit id
evaluation_kind: str = "单位自评"  # 评价类型 / evaluation kind
sleep: float = 0.0  # 测试用：暂停秒数 / test only: seconds to sleep
fail: bool = False  # 测试用：是否抛出异常 / test only: raise on purpose
"""

PROJECT_BODY = """\
import time
import pandas as pd
import matplotlib.pyplot as plt
from pbm_lib.batch import record
from pbm_lib.workbook import read_year

data = read_year(data_path)
project = data.projects.set_index("project_id").loc[object_id]
budget = data.project_budget().set_index("project_id").loc[object_id]
time.sleep(sleep)
if fail:
    raise ValueError(f"故意失败 {object_id}")
rate = float(budget["execution_rate"])
score = round(60 + 40 * min(rate, 1.0), 2)
grade = "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"
print(project["project_name"])
"""

PROJECT_CHART = """\
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["预算", "执行"], [budget["annual"], budget["executed"]])
plt.show()
pd.DataFrame({"项目": [project["project_name"]], "执行率": [rate]})
"""

PROJECT_RECORD = """\
record(score=score, grade=grade, execution_rate=rate, name=project["project_name"], kind=evaluation_kind)
"""


def project_notebook(path: Path) -> Path:
    """A small report-like notebook: parameters, read the year, a chart, a table, recorded results."""
    return write_notebook(
        path,
        [
            ("md", "# 项目支出绩效评价报告（测试）"),
            ("code", PROJECT_PARAMETERS, ["parameters"]),
            ("code", PROJECT_BODY),
            ("code", PROJECT_CHART),
            ("code", PROJECT_RECORD),
        ],
    )


UNIT_PARAMETERS = """\
from typing import Optional
data_path: str = None  # 必填：年度数据工作簿 / required
object_id: str = None  # 必填：单位编码 / required: unit id
"""

UNIT_BODY = """\
from pbm_lib.batch import record

print("单位", object_id)
record(score=88.0, grade="良", summary="单位整体运行良好")
"""


def unit_notebook(path: Path) -> Path:
    return write_notebook(path, [("code", UNIT_PARAMETERS, ["parameters"]), ("code", UNIT_BODY)])


LIGHT_PARAMETERS = """\
object_id: str = None  # 必填：项目编码 / required: project id
evaluation_kind: str = "单位自评"  # 评价类型 / evaluation kind
sleep: float = 0.0  # 测试用：暂停秒数 / test only: seconds to sleep
"""

LIGHT_BODY = """\
import time
import matplotlib.pyplot as plt
import pandas as pd
from pbm_lib.batch import record

time.sleep(sleep)
fig, ax = plt.subplots(figsize=(2, 1.2))
ax.bar(["a", "b"], [len(object_id), 2])
plt.show()
record(score=70.0 + len(object_id), grade="中", kind=evaluation_kind)
pd.DataFrame({"object": [object_id], "kind": [evaluation_kind]})
"""


def light_notebook(path: Path) -> Path:
    """A report-like notebook that does not read the workbook (fast): a chart, a table, results."""
    return write_notebook(path, [("code", LIGHT_PARAMETERS, ["parameters"]), ("code", LIGHT_BODY)])


def write_parameters(folder: Path, content: dict[str, Any], name: str = "defaults.yaml") -> Path:
    """Write one YAML file of a parameters folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def project(root: Path, reports: list[dict[str, Any]], **extra: Any) -> Path:
    """A project root with ``notebooks/`` and ``parameters/defaults.yaml``; returns the parameters folder."""
    project_notebook(root / "notebooks" / "project.ipynb")
    unit_notebook(root / "notebooks" / "unit.ipynb")
    light_notebook(root / "notebooks" / "light.ipynb")
    write_parameters(root / "parameters", {"reports": reports, **extra})
    return root / "parameters"


PROJECT_REPORT = {
    "id": "project_eval",
    "title": "项目支出绩效评价报告",
    "notebook": "notebooks/project.ipynb",
    "object": "project",
}
LIGHT_REPORT = {
    "id": "light",
    "title": "项目绩效简报",
    "notebook": "notebooks/light.ipynb",
    "object": "project",
}
UNIT_REPORT = {
    "id": "unit_eval",
    "title": "部门整体绩效评价报告",
    "notebook": "notebooks/unit.ipynb",
    "object": "unit",
}

_VOLATILE_KEYS = {"start_time", "end_time", "duration", "input_path", "output_path"}
_TMP_PATH = re.compile(r"/tmp/ipykernel_\d+/")


def sanitise(nb: Any) -> dict[str, Any]:
    """A notebook as plain data without what differs between any two runs (times, ids, pids)."""
    data = json.loads(nbformat.writes(nb)) if not isinstance(nb, dict) else json.loads(json.dumps(nb))

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: clean(v)
                for k, v in value.items()
                if k not in _VOLATILE_KEYS and k != "id" and not k.startswith(("iopub.", "shell."))
            }
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            return _TMP_PATH.sub("/tmp/ipykernel_PID/", value)
        return value

    return clean(data)


SCRIPT_NAME = "<script>alert(1)</script>"
CODE_NAME = '"); import os; os.system("touch /tmp/pwned") #'
IMG_NAME = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
FORMULA_NAME = "=1+1"


def hostile_tables() -> dict[str, Any]:
    """The tiny year with hostile names, and two more projects (P004, P005) copied from P002."""
    import pandas as pd
    from conftest import tiny_tables

    tables = tiny_tables()
    projects = tables["projects"]
    extra = projects[projects["project_id"] == "P002"].copy()
    extra = pd.concat(
        [
            extra.assign(project_id="P004", project_name="失败项目"),
            extra.assign(project_id="P005", project_name="超时项目"),
        ]
    )
    projects = pd.concat([projects, extra], ignore_index=True)
    projects.loc[projects["project_id"] == "P001", "project_name"] = SCRIPT_NAME
    projects.loc[projects["project_id"] == "P002", "project_name"] = CODE_NAME
    tables["projects"] = projects
    for name in ("budget", "indicators"):
        table = tables[name]
        rows = table[table["project_id"] == "P002"]
        tables[name] = pd.concat(
            [table, rows.assign(project_id="P004"), rows.assign(project_id="P005")], ignore_index=True
        )
    units = tables["units"]
    units.loc[units["unit_id"] == "101", "unit_name"] = FORMULA_NAME
    units.loc[units["unit_id"] == "201", "unit_name"] = IMG_NAME
    return tables


def hostile_workbook(path: Path) -> Path:
    """The hostile year as a folder of CSV files (text stays text: ``=1+1`` is a name, not a formula)."""
    from conftest import TINY_META

    from pbm_lib.workbook.writer import write_csv_folder

    write_csv_folder(path, hostile_tables(), TINY_META)
    return path
