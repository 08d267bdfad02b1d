"""The ``pbm`` command as a user meets it: real subprocesses, exit codes, messages, nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

PBM = [sys.executable, "-c", "import sys; from pbm_lib.cli import main; sys.exit(main())"]


def pbm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([*PBM, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize("command", ["run", "validate", "template", "synth"])
def test_help_is_in_chinese_and_english(command: str) -> None:
    result = pbm(command, "--help")
    assert result.returncode == 0
    first = result.stdout
    assert any("\u4e00" <= ch <= "\u9fff" for ch in first), first  # Chinese
    assert "/" in first and any(word in first.lower() for word in ("workbook", "year", "run")), first


def test_validate_valid_workbook_exits_zero(tiny_workbook: Path) -> None:
    result = pbm("validate", str(tiny_workbook))
    assert result.returncode == 0, result.stderr
    assert "校验通过：2025 年度，2 个单位，3 个项目，4 条绩效指标" in result.stdout


def test_validate_broken_workbook_lists_problems_without_traceback(tiny_workbook: Path) -> None:
    wb = openpyxl.load_workbook(tiny_workbook)
    wb["预算执行"]["D3"] = "abc"
    wb["项目"]["C3"] = "999"
    wb.save(tiny_workbook)
    result = pbm("validate", str(tiny_workbook))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "[错误] 测试县2025.xlsx · 预算执行 · 第3行 · 全年预算数（D列）: 「abc」不是数字" in result.stdout
    assert "[错误] 测试县2025.xlsx · 项目 · 第3行 · 单位编码（C列）: 未知的单位编码「999」" in result.stdout
    assert "校验未通过：2 处错误" in result.stdout


def test_validate_json(tiny_workbook: Path) -> None:
    wb = openpyxl.load_workbook(tiny_workbook)
    wb["月度执行"]["B2"] = 13
    wb.save(tiny_workbook)
    result = pbm("validate", str(tiny_workbook), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["valid"] is False and report["errors"] == 1
    (problem,) = [p for p in report["problems"] if p["severity"] == "错误"]
    assert (problem["sheet"], problem["row"], problem["column"]) == ("月度执行", 2, "月份")


def test_run_on_invalid_workbook_writes_nothing(tmp_path: Path, tiny_workbook: Path) -> None:
    wb = openpyxl.load_workbook(tiny_workbook)
    wb["预算执行"]["D2"] = -1
    wb.save(tiny_workbook)
    out = tmp_path / "outputs"
    result = pbm("run", str(tiny_workbook), "--out", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_run_on_valid_workbook_writes_summary(tmp_path: Path, tiny_workbook: Path) -> None:
    out = tmp_path / "outputs"
    result = pbm("run", str(tiny_workbook), "--out", str(out), "--summary-only")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "2025" / "summary.json").read_text(encoding="utf-8"))
    assert summary["projects"] == 3 and summary["units"] == 2
    general = next(b for b in summary["budgets"] if b["budget_type"] == "一般公共预算")
    assert general["projects"] == 2
    assert general["annual"] == pytest.approx(640.0)
    assert general["execution_rate"] == pytest.approx(590.0 / 640.0)
    assert str((out / "2025").resolve()) in result.stdout
    assert not list((out / "2025").glob(".~*"))  # no temporary files left behind


def test_template_writes_a_workbook_that_validates_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    assert pbm("template", str(path), "--year", "2026").returncode == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["填表说明", "代码表", "基本信息"]
    assert [c.value for c in wb["项目"][1]][:3] == ["项目编码", "项目名称", "单位编码"]
    formulas = {dv.formula1 for dv in wb["项目"].data_validations.dataValidation}
    assert any("代码表" in f for f in formulas)
    assert pbm("validate", str(path)).returncode == 0
    before = path.read_bytes()
    again = pbm("template", str(path))
    assert again.returncode != 0
    assert "文件已存在，未覆盖" in again.stderr
    assert "Traceback" not in again.stderr
    assert path.read_bytes() == before


def test_bad_arguments_exit_nonzero_without_traceback(tmp_path: Path) -> None:
    result = pbm("synth", "--projects", "0", "--out", str(tmp_path / "x.xlsx"))
    assert result.returncode != 0
    assert "项目数应为正整数" in result.stderr and "Traceback" not in result.stderr


def test_written_files_are_world_readable(tmp_path: Path) -> None:
    from pbm_lib.iorw import write_text

    path = write_text(tmp_path / "公开.txt", "预决算公开")
    assert path.stat().st_mode & 0o044 == 0o044  # group and others may read a published file
