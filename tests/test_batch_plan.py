"""The plan from a small workbook and parameter files: objects, filters, precedence, errors before any kernel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_support import PROJECT_REPORT, UNIT_REPORT, project, write_parameters
from conftest import TINY_META, tiny_tables

from pbm_lib.batch.config import load_config
from pbm_lib.batch.errors import ConfigError, ParameterError, PlanError
from pbm_lib.batch.manifest import job_key
from pbm_lib.batch.plan import build_plan, slug
from pbm_lib.cli import main
from pbm_lib.workbook import YearData, read_year
from pbm_lib.workbook.writer import write_workbook


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> YearData:
    """The tiny year, read once for the module (reading is the slow part of planning)."""
    path = tmp_path_factory.mktemp("year") / "测试县2025.xlsx"
    write_workbook(path, tiny_tables(), TINY_META)
    return read_year(path)


def _plan(root: Path, data: YearData, reports: list[dict], **extra):
    return build_plan(data, project(root, reports, **extra))


def test_one_job_per_object_with_automatic_parameters(tmp_path: Path, data: YearData) -> None:
    plan = _plan(tmp_path, data, [PROJECT_REPORT, UNIT_REPORT])
    assert [j.id for j in plan.jobs] == [
        "project_eval/P001",
        "project_eval/P002",
        "project_eval/P003",
        "unit_eval/101",
        "unit_eval/201",
    ]
    job = plan.jobs[1]
    assert job.parameters == {
        "data_path": str(Path(data.source).resolve()),
        "year": 2025,
        "object_id": "P002",
        "unit_id": "201",
    }
    assert (job.object_name, job.unit_name) == ("农村公路养护", "东湖镇人民政府")
    assert (
        job.notebook_out == "notebooks/project_eval/P002.ipynb"
        and job.html_out == "site/project_eval/P002.html"
    )
    # the unit notebook declares neither year nor unit_id: they are not passed
    assert plan.jobs[3].parameters == {"data_path": str(Path(data.source).resolve()), "object_id": "101"}


@pytest.mark.parametrize(
    ("kind", "where", "expected"),
    [
        ("new_major_project", None, ["P003"]),
        ("self_evaluation", None, ["P001", "P002", "P003"]),
        ("evaluated_project", None, []),
        ("project", {"budget_type": "政府性基金预算"}, ["P003"]),
        ("project", {"special_category": ["政府采购", "无"]}, ["P001", "P002"]),
        ("project", {"unit_id": {"not": 101}}, ["P002", "P003"]),
        ("project", {"unit_name": "教育局", "major": "否"}, ["P001"]),
    ],
)
def test_object_kinds_and_filters(tmp_path: Path, data: YearData, kind, where, expected) -> None:
    report = {**PROJECT_REPORT, "object": kind, **({"where": where} if where else {})}
    assert [j.object_id for j in _plan(tmp_path, data, [report]).jobs] == expected


def test_city_object(tmp_path: Path, data: YearData) -> None:
    report = {**UNIT_REPORT, "id": "city", "object": "city"}
    (job,) = _plan(tmp_path, data, [report]).jobs
    assert (job.object_id, job.object_name, job.unit_id) == ("city", "测试县", None)


def test_precedence_vary_overrides_and_skips(tmp_path: Path, data: YearData) -> None:
    params = project(
        tmp_path,
        [
            {**PROJECT_REPORT, "parameters": {"evaluation_kind": "财政评价"}, "vary": {"sleep": [0, 0.5]}},
            UNIT_REPORT,
        ],
        defaults={"fail": False, "not_declared_anywhere": 1},
    )
    write_parameters(
        params,
        {
            "year": 2025,
            "overrides": [
                {"object": "P001", "parameters": {"evaluation_kind": "第三方评价"}},
                {"object": "P001", "report": "project_eval", "parameters": {"fail": True}},
            ],
            "skip": [{"object": "P002", "reason": "项目终止"}, {"object": "X9", "reason": "不存在"}],
        },
        name="2025.yaml",
    )
    plan = build_plan(data, params)
    ids = [j.id for j in plan.jobs]
    assert ids[:2] == ["project_eval/P001~sleep-0", "project_eval/P001~sleep-0.5"]
    assert "project_eval/P002~sleep-0" not in ids
    p1 = plan.jobs[1].parameters
    assert (p1["evaluation_kind"], p1["fail"], p1["sleep"]) == ("第三方评价", True, 0.5)
    p3 = plan.jobs[2].parameters
    assert (p3["evaluation_kind"], p3["fail"]) == ("财政评价", False)  # defaults given to declaring notebooks
    assert "not_declared_anywhere" not in p3 and "fail" not in plan.jobs[-1].parameters
    assert [(s.object_id, s.reason) for s in plan.skipped] == [("P002", "项目终止")]
    assert any("X9" in w for w in plan.warnings)


def test_parameter_errors_name_the_file_and_the_object(tmp_path: Path, data: YearData) -> None:
    params = project(tmp_path, [PROJECT_REPORT])
    write_parameters(
        params,
        {
            "overrides": [
                {"object": "P002", "report": "project_eval", "parameters": {"sleep": "long", "colour": 1}}
            ]
        },
        name="2025.yaml",
    )
    with pytest.raises(ParameterError) as caught:
        build_plan(data, params)
    message = str(caught.value)
    assert "2025.yaml · overrides[0] · 报告 project_eval · 对象 P002 · 笔记本 project.ipynb" in message
    assert {(p.kind, p.name) for p in caught.value.problems} == {("type", "sleep"), ("unknown", "colour")}


def test_missing_required_parameter(tmp_path: Path, data: YearData) -> None:
    # the unit notebook requires object_id; declare a new required one the plan cannot fill
    params = project(tmp_path, [UNIT_REPORT])
    nb = tmp_path / "notebooks" / "unit.ipynb"
    nb.write_text(
        nb.read_text().replace("object_id: str = None", "scheme_id: str = None  # 必填：方案\\n", 1)
    )
    with pytest.raises(ParameterError, match="对象 101.*缺少必填参数 scheme_id"):
        build_plan(data, params)


def test_override_checks(tmp_path: Path, data: YearData) -> None:
    params = project(tmp_path, [PROJECT_REPORT, UNIT_REPORT])
    write_parameters(
        params, {"overrides": [{"object": "P404", "parameters": {"fail": True}}]}, name="2025.yaml"
    )
    with pytest.raises(PlanError, match="overrides\\[0\\] · object: 数据中没有对象 P404"):
        build_plan(data, params)
    write_parameters(
        params, {"overrides": [{"object": "101", "parameters": {"fail": True}}]}, name="2025.yaml"
    )
    with pytest.raises(PlanError, match="未声明此参数"):
        build_plan(data, params)


def test_missing_notebook_is_an_error_only_when_planned(tmp_path: Path, data: YearData) -> None:
    later = {"id": "later", "notebook": "notebooks/not_yet.ipynb", "object": "unit", "enabled": False}
    assert len(_plan(tmp_path, data, [PROJECT_REPORT, later]).jobs) == 3
    with pytest.raises(PlanError, match="reports\\[1\\]（later） · notebook: .*not_yet.ipynb: 笔记本不存在"):
        _plan(tmp_path, data, [PROJECT_REPORT, {**later, "enabled": True}])


def test_filter_on_unknown_column(tmp_path: Path, data: YearData) -> None:
    with pytest.raises(PlanError, match="where.colour: 对象表没有这一列"):
        _plan(tmp_path, data, [{**PROJECT_REPORT, "where": {"colour": "red"}}])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("reports: [", "YAML 格式错误"),
        ("reports: {}", "reports: 应为列表"),
        ("colour: 1", "未知的键 colour"),
        ("reports:\n  - {id: a, notebook: n.ipynb, object: planet}", "未知对象类型 'planet'"),
        ("reports:\n  - {id: 'a b', notebook: n.ipynb, object: unit}", "id: 'a b' 只能含"),
        (
            "reports:\n  - {id: a, notebook: n.ipynb, object: unit, parameters: {object_id: x}}",
            "由数据自动填写",
        ),
        ("reports:\n  - {id: a, notebook: n.ipynb, object: unit, where: {unit_id: {like: 1}}}", "只支持"),
        ("year: 2024", "数据年度为 2025"),
        ("skip:\n  - {object: '1', report: nope}", "登记表中没有报告 nope"),
    ],
)
def test_malformed_parameter_files(tmp_path: Path, content: str, message: str) -> None:
    folder = tmp_path / "parameters"
    folder.mkdir()
    (folder / "2025.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(folder, 2025)
    assert "2025.yaml" in str(caught.value)


def test_path_parameters_are_resolved_and_hashed(tmp_path: Path, data: YearData) -> None:
    nb = tmp_path / "notebooks" / "unit.ipynb"
    params = project(tmp_path, [UNIT_REPORT])
    nb.write_text(
        nb.read_text().replace(
            "object_id: str = None", "workbench_file: str = None  # 工作台\\nobject_id: str = None", 1
        )
    )
    saved = tmp_path / "workbench" / "101.json"
    saved.parent.mkdir()
    saved.write_text("{}")
    write_parameters(
        params,
        {"overrides": [{"object": "101", "parameters": {"workbench_file": "workbench/101.json"}}]},
        name="2025.yaml",
    )
    job = build_plan(data, params).jobs[0]
    assert job.parameters["workbench_file"] == str(saved.resolve())
    before = job_key(job, data.sha256, "1")
    saved.write_text('{"score": 1}')
    after = job_key(build_plan(data, params).jobs[0], data.sha256, "1")
    assert before != after
    saved.unlink()
    with pytest.raises(ParameterError, match="指向的文件不存在"):
        build_plan(data, params)


def test_job_key_changes_with_each_input(tmp_path: Path, data: YearData) -> None:
    job = build_plan(data, project(tmp_path, [UNIT_REPORT])).jobs[0]
    base = job_key(job, data.sha256, "1.0")
    assert job_key(job, data.sha256, "1.0") == base
    assert job_key(job, "other", "1.0") != base
    assert job_key(job, data.sha256, "1.1") != base
    assert job_key(job, data.sha256, "1.0", notebook_sha256="0" * 64) != base


def test_slug_keeps_safe_ids_and_disambiguates_others() -> None:
    assert slug("P001") == "P001" and slug("项目-1.2") == "项目-1.2"
    assert slug("a/b") != slug("a_b") and "/" not in slug("a/b") and slug("../x").startswith("x-")


def test_pbm_plan_command(tmp_path: Path, tiny_workbook: Path, capsys: pytest.CaptureFixture) -> None:
    params = project(tmp_path, [PROJECT_REPORT])
    assert main(["plan", str(tiny_workbook), "--parameters", str(params)]) == 0
    text = capsys.readouterr().out
    assert "3 个任务" in text and "project_eval/P003" in text
    assert main(["plan", str(tiny_workbook), "--parameters", str(params), "--json"]) == 0
    content = json.loads(capsys.readouterr().out)
    assert [j["object_id"] for j in content["jobs"]] == ["P001", "P002", "P003"]
    write_parameters(
        params,
        {"overrides": [{"object": "P001", "report": "project_eval", "parameters": {"x": 1}}]},
        name="2025.yaml",
    )
    assert main(["plan", str(tiny_workbook), "--parameters", str(params)]) == 2
    assert "未知参数 x" in capsys.readouterr().err


def test_repository_parameter_files_load() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "parameters", 2025)
    assert len(config.files) == 2
