"""The report notebooks (``notebooks/*.ipynb``): parameters, execution, recorded results, HTML and nbval.

What is checked
---------------
* Every notebook declares typed, documented parameters that the batch can read and validate.
* The committed notebooks carry the outputs of a papermill run on the sample year for their default
  object (the ``injected-parameters`` cell says which). They are checked as published documents
  (no code, warnings or raw DataFrames in the reader's view; HTML without scripts, with its title), their
  recorded results are checked against the library, and nbval re-runs them and compares every output
  (run-dependent values blanked by ``pbm_lib/report/nbval_sanitize.cfg``).
* Every notebook is also executed fresh with papermill (a real ``python3`` kernel, cwd the repo root)
  for other objects: a project with alternatives evaluated by a third party from a file saved in the
  evaluator's workbench, one without indicators, a project that never had
  its ex-ante assessment, a township (乡镇) in December and without whole-department targets, a
  sub-district (街道), the city; and a tiny year whose project and unit names are hostile (the HTML must
  show them as text) and whose project id and data path are full of quotes (they must stay literals
  when injected).

nbval on its own (the same check as :func:`test_nbval_replays_the_committed_notebooks`; the report
notebooks are named because ``notebooks/`` also holds the interactive workbench)::

    .venv/bin/python -m pytest -p no:cacheprovider --nbval-sanitize-with pbm_lib/report/nbval_sanitize.cfg \\
        --nbval notebooks/ex_ante_assessment.ipynb notebooks/target_review.ipynb notebooks/monitoring.ipynb \\
        notebooks/project_evaluation.ipynb notebooks/self_evaluation_review.ipynb \\
        notebooks/department_evaluation.ipynb notebooks/city_summary.ipynb

Refreshing the committed outputs after changing a notebook or the library::

    .venv/bin/python tests/test_notebooks.py --refresh            # every notebook
    .venv/bin/python tests/test_notebooks.py --refresh monitoring # some of them
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from html import escape
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SANITIZE = ROOT / "pbm_lib" / "report" / "nbval_sanitize.cfg"
PWNED = Path("/tmp/pwned")
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_UNIT = '"); import os; os.system("touch /tmp/pwned") #'

#: Report notebook → the object its committed outputs were produced for (the injected parameters).
REPORTS: dict[str, dict[str, Any]] = {
    "ex_ante_assessment": {"project_id": "104-006"},
    "target_review": {"unit_id": "111"},  # a unit with targets below their historical benchmark
    "monitoring": {"unit_id": "101"},
    "project_evaluation": {"project_id": "104-001"},
    "self_evaluation_review": {"unit_id": "105"},
    "department_evaluation": {"unit_id": "101"},
    "city_summary": {},
}
#: More objects executed fresh with papermill: (notebook, parameters, why this one).
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("project_evaluation", {"project_id": "105-004"}, "no-indicators"),
    ("ex_ante_assessment", {"project_id": "102001-001"}, "not-assessed"),
    ("target_review", {"unit_id": "2001"}, "township"),
    ("monitoring", {"unit_id": "2002", "month": 12}, "township-december"),
    ("self_evaluation_review", {"unit_id": "2003"}, "sub-district"),
    ("department_evaluation", {"unit_id": "2002"}, "township-no-targets"),
    ("city_summary", {}, "city"),
]
#: Largest HTML of one project report, and of the average one (issue 7: under 150 KB on average).
MAX_HTML = 160_000
MAX_PROJECT_AVERAGE = 150_000


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _sample():
    from pbm_lib import reports

    return reports.load_inputs("", 2025, "cz2020-10-self")


def execute(name: str, parameters: dict[str, Any], output: Path) -> nbformat.NotebookNode:
    """Run a notebook with papermill in a fresh ``python3`` kernel, cwd the repository root."""
    import papermill as pm

    pm.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(ROOT),
        progress_bar=False,
        log_output=False,
    )
    return nbformat.read(output, as_version=4)


def object_name(inputs, name: str, parameters: dict[str, Any]) -> str:
    """The object's name as the batch titles the report ("项目支出绩效评价报告：<name>")."""
    if "project_id" in parameters:
        projects = inputs.data.projects.set_index("project_id")
        return str(projects.loc[parameters["project_id"], "project_name"])
    if "unit_id" in parameters:
        return str(inputs.data.units.set_index("unit_id").loc[parameters["unit_id"], "unit_name"])
    return str(inputs.data.jurisdiction)


def export(nb: nbformat.NotebookNode, out: Path, title: str) -> str:
    """The published HTML, as the batch writes it (title only)."""
    from pbm_lib.report import notebook_to_html

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbconvert notes it cannot show the recorded-results output
        notebook_to_html(nb, out, title=title)
    return out.read_text(encoding="utf-8")


def check_html(html: str, title: str) -> None:
    from pbm_lib.batch.record import RESULT_MIME

    assert "<script" not in html.lower()
    assert f"<h1>{escape(title)}</h1>" in html
    assert "一、" in html and "报告出处信息" in html  # the numbered sections and the provenance footer
    assert 'class="dataframe' not in html and "Traceback" not in html and "In&nbsp;[" not in html
    assert RESULT_MIME not in html and '"summary":' not in html
    assert len(html.encode("utf-8")) < MAX_HTML


def check_results(inputs, name: str, parameters: dict[str, Any], results: dict[str, Any]) -> None:
    """The recorded results equal what the library computes on the same data (not via pbm_lib.reports)."""
    from pbm_lib.process import audit, department, ex_ante, monitoring, targets
    from pbm_lib.process import results as results_stage
    from pbm_lib.scoring import score_year

    data, scheme = inputs.data, inputs.scheme
    assert results.get("summary")
    if name == "project_evaluation":
        pid = parameters["project_id"]
        kind = parameters.get("evaluation_kind", "单位自评")
        scored = score_year(data, scheme)
        projects = scored["projects"].set_index("project_id")
        comparison = scored["comparison"].set_index("project_id")
        if pid not in projects.index:  # no indicators: no score
            assert results["score"] is None and results["grade"] is None
            return
        column = {"单位自评": "self", "财政评价": "finance", "第三方评价": "third_party"}[kind]
        assert results["score"] == pytest.approx(comparison.loc[pid, f"{column}_total"], abs=1e-4)
        assert results["grade"] == comparison.loc[pid, f"{column}_grade"]
        assert results["rule_lo"] == pytest.approx(projects.loc[pid, "total_lo"], abs=1e-4)
        assert results["rule_hi"] == pytest.approx(projects.loc[pid, "total_hi"], abs=1e-4)
        budget = data.project_budget().set_index("project_id").loc[pid]
        assert results["execution_rate"] == pytest.approx(budget["execution_rate"], abs=1e-4)
    elif name == "ex_ante_assessment":
        row = ex_ante.run(data, scheme)["projects"].set_index("project_id").loc[parameters["project_id"]]
        if row["assessed"]:
            assert results["score"] == pytest.approx(row["score"], abs=1e-4)
            assert results["conclusion"] == row["conclusion"]
        else:
            assert results["score"] is None and results["flag"] == row["flag"]
    elif name == "target_review":
        review = targets.run(data, scheme)["projects"]
        mine = review[review["unit_id"] == parameters["unit_id"]]
        assert results["n_projects"] == len(mine)
        for grade in ("优", "良", "中", "差"):
            assert results["grades"][grade] == int((mine["grade"] == grade).sum())
    elif name == "monitoring":
        month = parameters.get("month", 6)
        units = monitoring.run(data, scheme, as_of=month)["units"]
        light = units[(units["unit_id"] == parameters["unit_id"]) & (units["month"] == month)]["light"].iloc[
            0
        ]
        assert results["light"] == light and results["month"] == month
        ids = set(data.projects.loc[data.projects["unit_id"] == parameters["unit_id"], "project_id"])
        spent = data.monthly[(data.monthly["month"] == month) & data.monthly["project_id"].isin(ids)]
        budget = data.project_budget()
        annual = budget[budget["project_id"].isin(ids)]["annual"].sum()
        assert results["execution_rate"] == pytest.approx(spent["executed_cum"].sum() / annual, abs=1e-4)
    elif name == "self_evaluation_review":
        ind = data.indicators
        ids = set(data.projects.loc[data.projects["unit_id"] == parameters["unit_id"], "project_id"])
        assert (
            results["n_reviewed"]
            == ind[ind["project_id"].isin(ids) & ind["self_score"].notna()]["project_id"].nunique()
        )
        signals = audit.run(data, scheme)["signals"]
        assert results["signals"] == int((signals["unit_id"] == parameters["unit_id"]).sum())
    elif name == "department_evaluation":
        row = department.run(data, scheme)["departments"].set_index("unit_id").loc[parameters["unit_id"]]
        assert results["score"] == pytest.approx(row["department_total"], abs=1e-4)
        assert results["grade"] == row["department_grade"]
    elif name == "city_summary":
        units = results_stage.run(data, scheme)["units"]
        assert results["n_projects"] == len(data.projects) and results["n_units"] == len(data.units)
        assert results["total_cut"] == pytest.approx(units["total_cut"].sum(), abs=0.006)
    else:  # pragma: no cover - a new notebook needs its check here
        raise AssertionError(f"no results check for {name}")


def check_executed(nb, inputs, name, parameters, tmp_path) -> str:
    """Problems, recorded results and the exported HTML of one executed notebook; returns the HTML."""
    from pbm_lib.batch import read_results
    from pbm_lib.report import report_problems
    from pbm_lib.reports import REPORT_TITLES

    assert report_problems(nb) == []
    check_results(inputs, name, parameters, read_results(nb))
    title = f"{REPORT_TITLES[name]}：{object_name(inputs, name, parameters)}"
    html = export(nb, tmp_path / f"{name}.html", title)
    check_html(html, title)
    return html


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_every_report_notebook_is_listed_and_run_with_papermill() -> None:
    # the interactive workbench (someone else's notebook) is not a report
    found = {p.stem for p in NOTEBOOKS.glob("*.ipynb")} - {"workbench"}
    assert found == set(REPORTS)
    assert {c[0] for c in CASES} == set(REPORTS)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_parameters_are_declared_for_the_batch(name: str) -> None:
    from pbm_lib.batch.params import read_parameters, validate_parameters

    declared = read_parameters(NOTEBOOKS / f"{name}.ipynb")
    assert declared.kernel_name == "python3" and declared.cell_index == 1
    by_name = declared.by_name
    assert by_name["year"].kind == "int" and by_name["year"].default == 2025
    assert by_name["data_path"].kind == "str" and by_name["data_path"].default == ""
    assert by_name["scheme_id"].default == "cz2020-10-self"
    for p in declared.parameters:
        assert p.help and p.type_name, f"{name}.{p.name}: every parameter has a type and a comment"
    object_ids = [n for n in ("project_id", "unit_id") if n in by_name]
    assert len(object_ids) == (0 if name == "city_summary" else 1)
    for n in object_ids:
        assert by_name[n].required and by_name[n].help.startswith("必填")
    if name == "project_evaluation":
        assert by_name["evaluation_kind"].default == "单位自评"
    if name == "monitoring":
        assert by_name["month"].kind == "int" and by_name["month"].default == 6
    validate_parameters(declared, {"year": 2025, "data_path": str(ROOT / "x.xlsx"), **REPORTS[name]}, name)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_committed_notebook_is_a_clean_published_run(name: str, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == (1 if REPORTS[name] else 0), (
        "refresh with: python tests/test_notebooks.py --refresh"
    )
    for key, value in REPORTS[name].items():
        assert f"{key} = {value!r}".replace("'", '"') in injected[0].source
    code = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and not set(c.metadata.get("tags", [])) & {"parameters", "injected-parameters"}
    ]
    assert all(c.outputs for c in code), "every content cell has its output (refresh the notebook)"
    assert "papermill" not in nb.metadata and all("papermill" not in c.metadata for c in nb.cells)
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in code), "code hidden in JupyterLab"
    check_executed(nb, _sample(), name, REPORTS[name], tmp_path)


#: The committed notebooks in two nbval runs (one pytest start-up each, balanced for two workers).
NBVAL_GROUPS = (
    ("project_evaluation", "ex_ante_assessment", "target_review"),
    ("monitoring", "self_evaluation_review", "department_evaluation", "city_summary"),
)


@pytest.mark.parametrize(
    "names", NBVAL_GROUPS, ids=["project-ex_ante-targets", "monitoring-review-department-city"]
)
def test_nbval_replays_the_committed_notebooks(names: tuple[str, ...]) -> None:
    """nbval re-executes each committed notebook and compares every output with the committed one."""
    assert sorted(n for g in NBVAL_GROUPS for n in g) == sorted(REPORTS)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--nbval",
            *[f"notebooks/{name}.ipynb" for name in names],
            "--nbval-sanitize-with",
            str(SANITIZE.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    "name,parameters", [(c[0], c[1]) for c in CASES], ids=[f"{c[0]}-{c[2]}" for c in CASES]
)
def test_papermill_runs_more_objects(name: str, parameters: dict[str, Any], tmp_path: Path) -> None:
    nb = execute(name, parameters, tmp_path / f"{name}.ipynb")
    html = check_executed(nb, _sample(), name, parameters, tmp_path)
    if parameters.get("project_id") == "104-006":
        assert "备选方案成本效果比较" in html and "效率前沿" in html
    if parameters.get("project_id") == "105-004":
        assert "未设置绩效目标" in html
    if parameters.get("month") == 12:
        assert "12月支出占全年支出的比重" in html
    if name == "department_evaluation" and parameters["unit_id"] == "2002":
        assert "未设置部门整体绩效目标" in html


def save_workbench_evaluation(inputs, project_id: str, path: Path) -> Path:
    """A complete third-party evaluation saved through the workbench's own API (qualitative rows 部分达成, lowest score)."""
    from pbm_lib import workbench

    state = workbench.EvaluationState.new(
        inputs.data, project_id, evaluator="李评价", organisation="示范正衡工程咨询有限公司"
    )
    for seq in state.qualitative_seqs:
        state.set_level(seq, "部分达成")
        state.set_score(seq, state.band(seq, "部分达成").lo)
    assert state.complete, state.problems()
    return workbench.save(state, path).path


def test_third_party_report_from_the_workbench_file(tmp_path: Path) -> None:
    """The evaluator's saved workbench file becomes the 第三方评价 of a project with alternatives."""
    from pbm_lib.batch import read_results
    from pbm_lib.report import report_problems
    from pbm_lib.scoring import score_year
    from pbm_lib.workbench import third_party_scores

    inputs = _sample()
    saved = save_workbench_evaluation(inputs, "104-006", tmp_path / "104-006.yaml")
    expected = third_party_scores(saved).iloc[0]
    parameters = {"project_id": "104-006", "evaluation_kind": "第三方评价", "workbench_file": str(saved)}
    nb = execute("project_evaluation", parameters, tmp_path / "p.ipynb")
    assert report_problems(nb) == []
    results = read_results(nb)
    assert (
        results["score"] == pytest.approx(expected["total"], abs=1e-4)
        and results["grade"] == expected["grade"]
    )
    projects = score_year(inputs.data, inputs.scheme)["projects"].set_index("project_id")
    assert results["rule_lo"] == pytest.approx(projects.loc["104-006", "total_lo"], abs=1e-4)
    html = export(nb, tmp_path / "p.html", "项目支出绩效评价报告：示范市至东湖镇公路改建工程")
    check_html(html, "项目支出绩效评价报告：示范市至东湖镇公路改建工程")
    assert "示范正衡工程咨询有限公司" in html and "第三方评价工作台" in html and "评价得分" in html
    assert "备选方案成本效果比较" in html and "效率前沿" in html


def test_project_reports_are_light(tmp_path: Path) -> None:
    """The HTML of the committed project report is well under the 150 KB average target."""
    nb = nbformat.read(NOTEBOOKS / "project_evaluation.ipynb", as_version=4)
    html = export(nb, tmp_path / "p.html", "项目支出绩效评价报告：农村公路提质改造(南河片区)")
    assert len(html.encode("utf-8")) < MAX_PROJECT_AVERAGE


def test_hostile_names_stay_text_and_parameters_stay_literal(tmp_path: Path) -> None:
    """Names become text in the HTML; a project id and a data path full of quotes stay literals when injected."""
    from conftest import TINY_META, tiny_tables

    from pbm_lib import reports
    from pbm_lib.batch import read_results
    from pbm_lib.report import report_problems
    from pbm_lib.workbook.writer import write_workbook

    marker = tmp_path / "pwned"
    hostile_id = '");open("' + str(marker) + '","w")#'
    tables = tiny_tables()
    tables["projects"].loc[0, ["project_id", "project_name"]] = [hostile_id, HOSTILE_NAME]
    for name in ("budget", "monthly", "indicators", "progress"):
        table = tables[name]
        table.loc[table["project_id"] == "P001", "project_id"] = hostile_id
    tables["units"].loc[0, "unit_name"] = HOSTILE_UNIT
    folder = tmp_path / "\"'); open('x','w') #"
    folder.mkdir()
    path = folder / "hostile.xlsx"
    write_workbook(path, tables, TINY_META)
    before = PWNED.stat().st_mtime_ns if PWNED.exists() else None

    project_id = reports.load_inputs(path, 2025, "cz2020-10-self").data.projects["project_id"].iloc[0]
    assert project_id == hostile_id
    nb = execute(
        "project_evaluation", {"data_path": str(path), "project_id": project_id}, tmp_path / "p.ipynb"
    )
    assert report_problems(nb) == [] and read_results(nb)["score"] is not None
    html = export(nb, tmp_path / "p.html", f"项目支出绩效评价报告：{HOSTILE_NAME}")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE_UNIT in html  # as text: quotes need no escaping outside attributes
    assert escape(hostile_id, quote=False) in html  # the id is shown, not run
    assert not marker.exists() and not (ROOT / "x").exists()
    assert (PWNED.stat().st_mtime_ns if PWNED.exists() else None) == before


# ---------------------------------------------------------------------------------------------
# Refreshing the committed outputs
# ---------------------------------------------------------------------------------------------


def refresh(name: str) -> Path:
    """Re-execute a notebook for its default object and store it with its outputs (papermill's bookkeeping removed)."""
    import tempfile

    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / f"{name}.ipynb"
        nbformat.write(nb, clean)
        import papermill as pm

        pm.execute_notebook(
            str(clean),
            str(clean),
            parameters=REPORTS[name],
            kernel_name="python3",
            cwd=str(ROOT),
            progress_bar=False,
        )
        done = nbformat.read(clean, as_version=4)
    done.metadata.pop("papermill", None)
    for cell in done.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata["tags"] = ["injected-parameters"]
            cell.id = "injected-parameters"  # papermill draws a new id each run: keep diffs small
    nbformat.write(done, path)
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "--refresh":
        sys.exit("usage: python tests/test_notebooks.py --refresh [NOTEBOOK ...]")
    for item in args[1:] or sorted(REPORTS):
        print("refreshed", refresh(item))
