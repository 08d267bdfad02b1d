"""``pbm indicators``: help, browsing by sector, search, JSON, the .xlsx export and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from pbm_lib.cli import main
from pbm_lib.data import SAMPLE_WORKBOOK

PBM = [sys.executable, "-c", "import sys; from pbm_lib.cli import main; sys.exit(main())"]


def pbm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([*PBM, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["indicators", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_is_in_chinese_and_english():
    result = pbm("indicators", "--help")
    assert result.returncode == 0
    assert "浏览、检索和导出绩效指标库 / browse, search and export the indicator library" in result.stdout
    for option in ("--search", "--export", "--json", "--extension", "--year", "--core"):
        assert option in result.stdout
    listed = pbm("--help")
    assert "indicators" in listed.stdout


def test_a_sector_lists_the_common_and_the_sector_indicators(capsys):
    code, out, _ = run(capsys, "水利")
    assert code == 0
    assert "【共性指标】" in out and "【水利】" in out and "【教育】" not in out
    assert "water.river_length" in out and "治理河道长度（公里，≥）产出指标/数量指标［河道治理］ ★核心" in out
    code, out, _ = run(capsys, "农林水", "--core")
    assert code == 0 and "【农业农村】" in out and "【水利】" in out and "【共性指标】" not in out
    assert all("★核心" in line for line in out.splitlines() if line.startswith("  "))


def test_search_finds_names_aliases_and_similar_indicators(capsys):
    code, out, _ = run(capsys, "--search", "验收合格")
    assert code == 0 and "c.acceptance_rate" in out and "agri.toilet_acceptance" in out
    code, out, _ = run(capsys, "交通运输", "--search", "每公里提质改造费用")
    assert code == 0
    assert "相近指标" in out and out.splitlines()[2].strip().startswith("transport.upgrade_cost_per_km")
    code, out, _ = run(capsys, "教育", "--search", "没有这样的指标名称啊")
    assert code == 0 and "没有符合条件的指标" in out


def test_json_is_machine_readable(capsys):
    code, out, _ = run(capsys, "教育", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["sector"] == "教育" and report["n_indicators"] == len(report["indicators"])
    assert {i["sector"] for i in report["indicators"]} == {"共性", "教育"}
    first = {i["id"]: i for i in report["indicators"]}["edu.school_floor_area"]
    assert first["unit"] == "平方米" and first["core"] is True and "改造校舍面积" in first["aliases"]
    assert report["framework"][0] == {"level1": "产出指标", "level2": "数量指标"}
    assert report["files"][0] == "common.v1.yaml"


def test_export_writes_a_workbook_that_opens_with_openpyxl(tmp_path, capsys):
    path = tmp_path / "交通运输指标库.xlsx"
    code, out, _ = run(capsys, "交通运输", "--export", str(path), "--year", str(SAMPLE_WORKBOOK), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["export"] == str(path) and report["standards"] and report["cost_standards"]
    assert {s["sector"] for s in report["cost_standards"]} <= {"交通运输", None}
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["说明", "共性框架", "指标库", "历史标准", "成本标准"]
    assert [c.value for c in workbook["指标库"][1]][:6] == [
        "指标编码",
        "行业体系",
        "领域",
        "一级指标",
        "二级指标",
        "三级指标",
    ]
    ids = {row[0] for row in workbook["指标库"].iter_rows(min_row=2, values_only=True)}
    assert "transport.road_km_built" in ids and "edu.meal_days" not in ids
    cost = {row[0]: row for row in workbook["成本标准"].iter_rows(min_row=2, values_only=True)}
    assert cost["transport.road_km_built"][2] == "万元/公里"


def test_export_errors_are_plain_messages(tmp_path):
    existing = tmp_path / "library.xlsx"
    existing.write_bytes(b"keep me")
    result = pbm("indicators", "--export", str(existing))
    assert result.returncode == 2 and "已存在，未覆盖" in result.stderr and "Traceback" not in result.stderr
    assert existing.read_bytes() == b"keep me"
    result = pbm("indicators", "--export", str(tmp_path / "library.csv"))
    assert result.returncode == 2 and "应为 .xlsx" in result.stderr
    result = pbm("indicators", "火星")
    assert (
        result.returncode == 2
        and "「火星」不是指标库的行业" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_a_city_extension_is_listed(tmp_path, capsys):
    city = tmp_path / "city.yaml"
    city.write_text(
        "format: pbm-indicator-library/1\nid: city\nversion: 1\nsector: 水利\nindicators:\n"
        "  - {id: city.seepage, name: 渠道防渗改造长度, level1: 产出指标, level2: 数量指标, unit: 公里,"
        ' direction: "≥", kind: count}\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "水利", "--extension", str(city), "--search", "防渗")
    assert code == 0 and "city.seepage" in out and "渠道防渗改造长度（公里，≥）" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(city.read_text(encoding="utf-8").replace(" unit: 公里,", ""), encoding="utf-8")
    code, _, err = run(capsys, "--extension", str(bad))
    assert code == 2 and "bad.yaml · indicators[0] (city.seepage): 缺少计量单位" in err


def test_a_bad_extension_exits_non_zero_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: pbm-indicator-library/1\nid: city\nversion: 1\nsector: 水利\nindicators:\n"
        '  - {id: city.x, name: 甲, level1: 产出指标, level2: 数量指标, direction: "≥", kind: count}\n',
        encoding="utf-8",
    )
    result = pbm("indicators", "--extension", str(bad))
    assert result.returncode == 2
    assert "bad.yaml · indicators[0] (city.x): 缺少计量单位 `unit`" in result.stderr
    assert "Traceback" not in result.stderr
