"""A notebook's declared parameters, validation before any kernel starts, and the results convention."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from batch_support import project_notebook, write_notebook

from pbm_lib.batch.errors import NotebookParametersError, ParameterError
from pbm_lib.batch.params import read_parameters, validate_parameters
from pbm_lib.batch.record import RESULT_MIME, read_results, result_bundle
from pbm_lib.cli import main


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return project_notebook(tmp_path / "project.ipynb")


def test_reads_types_defaults_help_and_required(notebook: Path) -> None:
    declared = read_parameters(notebook)
    assert declared.kernel_name == "python3" and declared.language == "python"
    assert declared.cell_index == 1
    assert declared.names == ["data_path", "year", "object_id", "unit_id", "evaluation_kind", "sleep", "fail"]
    assert declared.required == ["data_path", "object_id"]
    year = declared.by_name["year"]
    assert (year.kind, year.default, year.help) == ("int", 2025, "年度 / fiscal year")
    assert declared.by_name["unit_id"].kind == "Optional[str]"
    assert not declared.by_name["unit_id"].required  # None default, but no 必填/required marker
    assert declared.by_name["evaluation_kind"].default == "单位自评"


def test_valid_values_pass(notebook: Path) -> None:
    values = {"data_path": "/x.xlsx", "object_id": "P001", "unit_id": None, "sleep": 1, "fail": False}
    assert validate_parameters(notebook, values, "test") is values


def test_every_problem_is_listed_with_its_origin(notebook: Path) -> None:
    values = {"data_path": "/x.xlsx", "objectid": "P001", "year": "2025", "fail": 1, "sleep": True}
    with pytest.raises(ParameterError) as caught:
        validate_parameters(notebook, values, "parameters/2025.yaml · 对象 P001")
    error = caught.value
    kinds = {(p.kind, p.name) for p in error.problems}
    assert kinds == {
        ("unknown", "objectid"),
        ("missing", "object_id"),
        ("type", "year"),
        ("type", "fail"),
        ("type", "sleep"),
    }
    message = str(error)
    assert "parameters/2025.yaml · 对象 P001" in message and "project.ipynb" in message
    assert "未知参数 objectid" in message and "缺少必填参数 object_id" in message


def test_required_parameter_cannot_be_null(notebook: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        validate_parameters(notebook, {"data_path": "/x", "object_id": None}, "o")
    assert [(p.kind, p.name) for p in caught.value.problems] == [("missing", "object_id")]


def test_values_papermill_cannot_inject_literally_are_refused(notebook: Path) -> None:
    import datetime

    with pytest.raises(ParameterError, match="请加引号"):
        validate_parameters(notebook, {"data_path": "/x", "object_id": datetime.date(2025, 6, 30)}, "o")


def test_a_line_papermill_would_skip_is_an_error(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "bad.ipynb",
        [("code", "year: int = 2025  # 年度\nname: str | None = None  # 名称", ["parameters"])],
    )
    with pytest.raises(NotebookParametersError, match="第2行.*name.*papermill 无法识别"):
        read_parameters(path)


def test_notebook_without_kernelspec_or_file(tmp_path: Path) -> None:
    import nbformat

    path = tmp_path / "nokernel.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    with pytest.raises(NotebookParametersError, match="kernelspec"):
        read_parameters(path)
    with pytest.raises(NotebookParametersError, match="不存在"):
        read_parameters(tmp_path / "missing.ipynb")


def test_notebook_without_parameters_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "plain.ipynb", [("code", "x = 1")])
    declared = read_parameters(path)
    assert declared.cell_index == -1 and declared.parameters == ()
    with pytest.raises(ParameterError, match="未知参数 x"):
        validate_parameters(declared, {"x": 2}, "o")


def test_pbm_params_command(notebook: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["params", str(notebook)]) == 0
    text = capsys.readouterr().out
    assert "object_id" in text and "必填：项目编码" in text and "Optional[str]" in text
    assert main(["params", str(notebook), "--json"]) == 0
    content = json.loads(capsys.readouterr().out)
    by_name = {p["name"]: p for p in content["parameters"]}
    assert by_name["object_id"]["required"] is True
    assert by_name["year"] == {**by_name["year"], "type": "int", "default": 2025, "required": False}


def test_pbm_params_error_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["params", str(tmp_path / "none.ipynb")]) == 2
    assert "笔记本不存在" in capsys.readouterr().err


def test_record_bundle_is_plain_json_and_read_back() -> None:
    bundle = result_bundle({"score": np.float64(87.5), "grade": "良", "n": np.int64(3), "bad": float("nan")})
    assert bundle == {RESULT_MIME: {"score": 87.5, "grade": "良", "n": 3, "bad": None}}
    nb = {
        "cells": [
            {"outputs": [{"output_type": "display_data", "data": bundle}]},
            {"outputs": [{"output_type": "display_data", "data": {RESULT_MIME: {"grade": "优"}}}]},
        ]
    }
    assert read_results(nb) == {"score": 87.5, "grade": "优", "n": 3, "bad": None}
    with pytest.raises(TypeError, match="不能写入 JSON"):
        result_bundle({"x": object()})
