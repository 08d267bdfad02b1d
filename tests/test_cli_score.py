"""``pbm score`` (pbm_lib.commands.score): JSON, the Chinese report, scheme choice, located input errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbm_lib.cli import main
from pbm_lib.review import load_table, write_table_xlsx

CASES_DIR = Path(os.environ.get("PBM_CASES_DIR") or Path(__file__).resolve().parents[2] / "shared" / "cases")


def case(prefix: str) -> Path:
    found = sorted(p for p in CASES_DIR.glob(f"{prefix}*.yaml") if not p.name.endswith(".expect.yaml"))
    if not found:
        pytest.fail(f"case {prefix} missing from {CASES_DIR} (set PBM_CASES_DIR)")
    return found[0]


def run_json(capsys, *args: str) -> dict:
    assert main(["score", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_documented_fields(capsys):
    data = run_json(capsys, str(case("01_")))
    for key in ("rule_total", "rule_grade", "reported_total", "budget_score", "indicators", "flags"):
        assert key in data
    assert data["rule_total"] == 98.62 and data["rule_grade"] == "优"
    assert data["reported_total"] == 98.62 and data["budget_score"] == 8.62
    assert data["flags"] == []
    first = data["indicators"][0]
    for key in ("level3", "weight", "rule_score", "score_reported", "state"):
        assert key in first
    assert first["level3"] == "与委托运营方结算完成率" and first["rule_score"] == 10 and first["state"] == "measured"
    assert data["scheme"]["id"] == "cz2020-10-self"


def test_json_flags_name_rows(capsys):
    data = run_json(capsys, str(case("16_")))
    assert {f["code"] for f in data["flags"]} == {"weights-sum", "total-mismatch", "actual-copies-target"}
    for f in data["flags"]:
        assert set(f) >= {"code", "row", "message"} and f["row"] and f["message"]
    copies = [f for f in data["flags"] if f["code"] == "actual-copies-target"]
    assert copies[0]["row"] == "绩效指标第1行「安装坡面水标尺」"
    states = {row["state"] for row in data["indicators"]}
    assert {"claimed", "measured", "not_applicable"} <= states
    assert data["rule_total"] is None and data["rule_total_interval"] == [50.0, 110.0]


def test_readable_chinese_report(capsys):
    assert main(["score", str(case("08_"))]) == 0
    out = capsys.readouterr().out
    for text in ("自评表复核", "评分方案", "预算执行", "三级指标", "规则得分", "规则总分", "发现问题",
                 "[parent-child-double]", "[over-achievement]", "「三、土样植株化验」"):
        assert text in out
    assert "2.15" in out


def test_scheme_by_id_and_by_file(capsys, tmp_path):
    data = run_json(capsys, str(case("12_")), "--scheme", "cz2020-10-self")
    assert data["scheme"]["id"] == "cz2020-10-self"
    assert "weights-sum" in {f["code"] for f in data["flags"]}  # 60/30 is off the 50/30/10 profile
    auto = run_json(capsys, str(case("12_")))
    assert auto["scheme"]["id"] == "sichuan-dept-self"
    assert {f["code"] for f in auto["flags"]} == {"blank-table"}
    user = tmp_path / "strict.yaml"
    user.write_text("extends: cz2020-10-self\nreview: {rate_tolerance: 0.001}\n", encoding="utf-8")
    data = run_json(capsys, str(case("01_")), "--scheme", str(user))
    assert data["scheme"]["id"] == "strict"
    assert {f["code"] for f in data["flags"]} == {"rate-mismatch"}  # 86.19 % vs 86.18 %


def test_excel_input(capsys, tmp_path):
    sheet = write_table_xlsx(load_table(case("15_")), tmp_path / "table.xlsx")
    data = run_json(capsys, str(sheet))
    assert {f["code"] for f in data["flags"]} == {"score-above-rule", "over-achievement"}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.yaml", "文件不存在"),
        ("format: other/1\nindicators: []\n", "wrong.yaml", "wrong.yaml · format"),
        ("format: [\n", "broken.yaml", "broken.yaml · 第"),
        ("not a workbook", "fake.xlsx", "无法作为 Excel"),
        ("a,b\n", "table.txt", "不支持的文件类型"),
    ],
)
def test_bad_input_is_a_located_message_without_traceback(capsys, tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["score", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unknown_scheme(capsys):
    assert main(["score", str(case("01_")), "--scheme", "no-such-scheme"]) == 2
    assert "未知的方案「no-such-scheme」" in capsys.readouterr().err


def test_as_a_subprocess():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "pbm_lib.cli", "score", str(case("05_")), "--json"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [f["code"] for f in data["flags"]] == ["zero-total"] and data["budget_score"] is None
    done = subprocess.run([sys.executable, "-m", "pbm_lib.cli", "score", "/nonexistent/table.yaml"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "文件不存在" in done.stderr
