"""``pbm cea`` and ``pbm dea`` on real CSV files: JSON content, Chinese tables, located errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbm_lib.cli import main

VECTOR_B = "name,cost,effect\nA,0,0\nB,100,1\nC,200,2\nD,200,2\nE,200,1.5\nF,300,2\nH,350,2.5\nG,400,3\n"
VECTOR_D1 = "unit,x1,x2,y\nA,4,3,1\nB,7,3,1\nC,8,1,1\nD,4,2,1\nE,2,4,1\nF,10,1,1\n"
VECTOR_D2 = "单位,投入,产出\nP,2,1\nQ,3,3\nR,6,4\nS,9,4.5\nT,5,2\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def pbm_json(capsys, *args: str) -> list[dict]:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def fails(capsys, *args: str) -> str:
    code = main(list(args))
    assert code != 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


# ---------------------------------------------------------------------------------------------
# pbm cea
# ---------------------------------------------------------------------------------------------


def test_cea_json_vector_b(tmp_path, capsys):
    records = pbm_json(capsys, "cea", str(write(tmp_path, "b.csv", VECTOR_B)))
    by = {r["name"]: r for r in records}
    assert [r["name"] for r in records] == ["A", "B", "C", "D", "E", "F", "H", "G"]
    assert {n: r["status"] for n, r in by.items()} == {
        "A": "frontier",
        "B": "frontier",
        "C": "frontier",
        "D": "dominated",
        "E": "dominated",
        "F": "dominated",
        "H": "extended-dominated",
        "G": "frontier",
    }
    assert {n: r["icer"] for n, r in by.items()} == {
        "A": None,
        "B": 100.0,
        "C": 100.0,
        "D": None,
        "E": None,
        "F": None,
        "H": None,
        "G": 200.0,
    }
    assert by["A"]["reference"] is True and by["A"]["cost"] == 0.0 and by["A"]["effect"] == 0.0
    assert by["D"]["dominated_by"] == "C"
    assert by["H"]["bracket"] == ["C", "G"]
    assert "nmb" not in by["A"]


@pytest.mark.parametrize(("wtp", "tie", "best"), [("100", "effective", "C"), ("100", "cheaper", "A"), ("200", None, "G")])
def test_cea_json_with_wtp(tmp_path, capsys, wtp, tie, best):
    args = ["cea", str(write(tmp_path, "b.csv", VECTOR_B)), "--wtp", wtp]
    if tie:
        args += ["--tie", tie]
    records = pbm_json(capsys, *args)
    assert [r["name"] for r in records if r["optimal"]] == [best]
    assert {r["name"]: r["nmb"] for r in records}["G"] == float(wtp) * 3 - 400


def test_cea_json_vector_a(tmp_path, capsys):
    text = "name,cost,effect\n" + "\n".join(
        f"{i},{c},{e}"
        for i, (c, e) in enumerate(
            [
                (14807, 9.635),
                (26041, 10.2497),
                (49706, 11.1654),
                (64266, 11.5152),
                (40022, 11.582),
                (57392, 11.6248),
                (91744, 11.6296),
                (54651, 11.6588),
            ],
            start=1,
        )
    )
    by = {r["name"]: r for r in pbm_json(capsys, "cea", str(write(tmp_path, "a.csv", text)))}
    assert by["5"]["icer"] == pytest.approx(12950.69, abs=0.005)
    assert by["8"]["icer"] == pytest.approx(190481.77, abs=0.005)
    assert by["2"]["status"] == "extended-dominated" and by["4"]["dominated_by"] == "5"


def test_cea_table_has_chinese_headers(tmp_path, capsys):
    assert main(["cea", str(write(tmp_path, "b.csv", VECTOR_B)), "--wtp", "150"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    for word in ("方案", "成本", "效果", "状态", "增量成本效果比", "净货币效益"):
        assert word in header
    assert "被扩展占优" in out and "被 C 与 G 的组合扩展占优" in out and "与 C 完全相同" in out
    assert "optimal at λ = 150: C" in out


def test_cea_understands_messy_numbers_chinese_headers_and_gbk(tmp_path, capsys):
    text = "方案 , 成本 ,效果\n甲,\"１,０００\",１.5\n乙, 2 000 ,2\n丙,3000,2.0\n\n"
    path = write(tmp_path, "gbk.csv", text, encoding="gb18030")
    by = {r["name"]: r for r in pbm_json(capsys, "cea", str(path))}
    assert by["甲"]["cost"] == 1000.0 and by["甲"]["effect"] == 1.5
    assert by["乙"]["cost"] == 2000.0
    assert by["乙"]["icer"] == pytest.approx(2000.0)
    assert by["丙"]["status"] == "dominated"


def test_cea_bad_cells_are_located(tmp_path, capsys):
    text = "name,cost,effect\na,100,1\nb,abc,2\nc,-5,\na,7,3\n"
    path = write(tmp_path, "bad.csv", text)
    err = fails(capsys, "cea", str(path))
    assert f"{path} · 第3行 · cost（B列）: 「abc」不是数字；应为数字" in err
    assert f"{path} · 第4行 · cost（B列）: -5 小于 0；应不小于 0" in err
    assert f"{path} · 第4行 · effect（C列）: 必填项为空；应为数字" in err
    assert f"{path} · 第5行 · name（A列）: 重复的名称「a」，已在第2行出现；应唯一" in err
    assert "4 error(s)" in err


def test_cea_missing_column(tmp_path, capsys):
    path = write(tmp_path, "cols.csv", "name,cost\na,1\n")
    err = fails(capsys, "cea", str(path))
    assert f"{path} · 第1行 · effect: 缺少列「effect」；表头应包含 name,cost,effect" in err


def test_cea_duplicate_header(tmp_path, capsys):
    path = write(tmp_path, "dup.csv", "name,cost,effect,cost\na,1,1,2\n")
    assert f"{path} · 第1行 · cost（D列）: 列名「cost」重复" in fails(capsys, "cea", str(path))


def test_cea_missing_and_empty_files(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert f"{missing}: 文件不存在；应为 CSV 文件的路径" in fails(capsys, "cea", str(missing))
    empty = write(tmp_path, "empty.csv", "")
    assert f"{empty} · 第1行: 文件为空" in fails(capsys, "cea", str(empty))
    header_only = write(tmp_path, "header.csv", "name,cost,effect\n")
    assert f"{header_only} · 第2行: 没有数据行" in fails(capsys, "cea", str(header_only))


def test_cea_all_equal_alternatives(tmp_path, capsys):
    path = write(tmp_path, "same.csv", "name,cost,effect\na,1,1\nb,1,1\n")
    assert "all 2 alternatives have the same cost" in fails(capsys, "cea", str(path))


def test_cea_negative_wtp(tmp_path, capsys):
    path = write(tmp_path, "b.csv", VECTOR_B)
    assert "意愿支付应为不小于 0" in fails(capsys, "cea", str(path), "--wtp", "-1")


# ---------------------------------------------------------------------------------------------
# pbm dea
# ---------------------------------------------------------------------------------------------


def test_dea_json_vector_d1(tmp_path, capsys):
    path = write(tmp_path, "d1.csv", VECTOR_D1)
    records = pbm_json(capsys, "dea", str(path), "--inputs", "x1,x2", "--outputs", "y")
    by = {r["unit"]: r for r in records}
    assert [r["unit"] for r in records] == list("ABCDEF")
    assert by["A"]["efficiency"] == pytest.approx(6 / 7)
    assert by["B"]["efficiency"] == pytest.approx(12 / 19)
    assert by["A"]["peers"] == ["D", "E"] and by["B"]["peers"] == ["C", "D"]
    assert by["A"]["lambdas"] == pytest.approx({"D": 5 / 7, "E": 2 / 7})
    assert by["F"]["status"] == "weakly-efficient" and by["F"]["slacks"]["x1"] == pytest.approx(2.0)
    assert {r["unit"]: r["status"] for r in records if r["efficiency"] == 1.0} == {
        "C": "efficient",
        "D": "efficient",
        "E": "efficient",
        "F": "weakly-efficient",
    }


def test_dea_json_super_efficiency_infeasible_is_null(tmp_path, capsys):
    path = write(tmp_path, "d2.csv", VECTOR_D2)
    records = pbm_json(capsys, "dea", str(path), "--inputs", "投入", "--outputs", "产出", "--model", "bcc", "--super")
    by = {r["unit"]: r for r in records}
    assert by["S"]["status"] == "infeasible" and by["S"]["efficiency"] is None and by["S"]["score"] is None
    assert by["S"]["peers"] == [] and "infeasible" in by["S"]["note"]
    assert by["S"]["standard_efficiency"] == 1.0
    assert round(by["Q"]["efficiency"], 4) == 1.5556
    assert round(by["R"]["efficiency"], 4) == 1.1667
    assert by["P"]["efficiency"] == pytest.approx(1.5)


def test_dea_json_output_orientation(tmp_path, capsys):
    path = write(tmp_path, "d2.csv", VECTOR_D2)
    args = ["dea", str(path), "--inputs", "投入", "--outputs", "产出", "--model", "bcc", "--orientation", "output"]
    by = {r["unit"]: r for r in pbm_json(capsys, *args)}
    assert by["T"]["score"] == pytest.approx(11 / 6)
    assert by["T"]["efficiency"] == pytest.approx(6 / 11)
    assert by["T"]["targets"]["产出"] == pytest.approx(11 / 3)
    assert by["T"]["orientation"] == "output" and by["T"]["model"] == "bcc"


def test_dea_table_has_chinese_headers(tmp_path, capsys):
    path = write(tmp_path, "d2.csv", VECTOR_D2)
    assert main(["dea", str(path), "--inputs", "投入", "--outputs", "产出", "--model", "bcc", "--super"]) == 0
    captured = capsys.readouterr()
    header = captured.out.splitlines()[0]
    for word in ("单位", "超效率", "状态", "参照单位"):
        assert word in header
    assert "不可行" in captured.out and "S: 超效率模型不可行" in captured.out
    assert "警告 / warning" in captured.err  # 5 units for 1 input and 1 output: sample-size rule of thumb


def test_dea_located_errors(tmp_path, capsys):
    text = "unit,x1,x2,y\nA,4,3,1\nB,,3,1\nC,8,-1,1\nD,0,0,1\nD,4,2,x\n"
    path = write(tmp_path, "bad.csv", text)
    err = fails(capsys, "dea", str(path), "--inputs", "x1,x2", "--outputs", "y")
    assert f"{path} · 第3行 · x1（B列）: 必填项为空；应为数字" in err
    assert f"{path} · 第4行 · x2（C列）: -1 小于 0；应不小于 0" in err
    assert f"{path} · 第6行 · unit（A列）: 重复的名称「D」，已在第5行出现；应唯一" in err
    assert f"{path} · 第6行 · y（D列）: 「x」不是数字" in err


def test_dea_zero_rows_and_columns_are_located(tmp_path, capsys):
    path = write(tmp_path, "zero.csv", "unit,x1,x2,y,z\nA,4,3,1,0\nB,0,0,1,0\nC,8,1,1,0\n")
    err = fails(capsys, "dea", str(path), "--inputs", "x1,x2", "--outputs", "y,z")
    assert f"{path} · 第3行: 单位「B」的投入全为 0" in err
    assert f"{path} · z（E列）: 所有单位的产出均为 0" in err


def test_dea_unknown_column(tmp_path, capsys):
    path = write(tmp_path, "d1.csv", VECTOR_D1)
    err = fails(capsys, "dea", str(path), "--inputs", "x1,staff", "--outputs", "y")
    assert f"{path} · 第1行 · staff: 缺少列「staff」" in err
    assert "文件中的列：unit, x1, x2, y" in err


def test_dea_column_both_input_and_output(tmp_path, capsys):
    path = write(tmp_path, "d1.csv", VECTOR_D1)
    assert "同时作为投入和产出" in fails(capsys, "dea", str(path), "--inputs", "x1,y", "--outputs", "y")


# ---------------------------------------------------------------------------------------------
# The real entry point in a subprocess
# ---------------------------------------------------------------------------------------------


def run_pbm(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-c", "import sys; from pbm_lib.cli import main; sys.exit(main())", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_subprocess_cea_and_dea(tmp_path):
    ok = run_pbm("cea", str(write(tmp_path, "b.csv", VECTOR_B)), "--json")
    assert ok.returncode == 0, ok.stderr
    assert [r["status"] for r in json.loads(ok.stdout)][:3] == ["frontier"] * 3
    bad = run_pbm("dea", str(tmp_path / "missing.csv"), "--inputs", "x", "--outputs", "y")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "文件不存在" in bad.stderr
    help_text = run_pbm("--help").stdout
    assert "cea" in help_text and "dea" in help_text


@pytest.mark.parametrize("command", ["cea", "dea"])
def test_help_is_in_chinese_and_english(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out) and ("cost" in out or "efficiency" in out)
