"""Review of self-evaluation tables (pbm_lib.review; rules.md §5 and shared/cases)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pbm_lib.review import (
    FLAG_CODES,
    ReviewInputError,
    choose_scheme,
    infer_parents,
    load_table,
    review_table,
    table_from_mapping,
    write_table_xlsx,
)
from pbm_lib.schemes import load_scheme

CASES_DIR = Path(os.environ.get("PBM_CASES_DIR") or Path(__file__).resolve().parents[2] / "shared" / "cases")
EXPECTS = sorted(CASES_DIR.glob("*.expect.yaml"))
CASE_IDS = [p.name.removesuffix(".expect.yaml") for p in EXPECTS]


def test_the_shared_cases_are_there():
    assert CASES_DIR.is_dir(), f"shared cases not found at {CASES_DIR} (set PBM_CASES_DIR)"
    assert EXPECTS, f"no *.expect.yaml in {CASES_DIR}"


def case_files(name: str) -> tuple[Path, dict]:
    expect = yaml.safe_load((CASES_DIR / f"{name}.expect.yaml").read_text(encoding="utf-8"))
    return CASES_DIR / f"{name}.yaml", expect


def check_against_expect(review, expect) -> None:
    got = review.flag_codes
    expected, possible = set(expect["flags_expected"]), set(expect.get("flags_possible") or [])
    assert expected <= got, f"missing flags: {sorted(expected - got)}"
    assert got <= expected | possible, f"unexpected flags: {sorted(got - expected - possible)}"
    assert set(got) <= set(FLAG_CODES)
    wanted = expect["budget_rule_score"]
    if wanted is None:
        assert review.budget_score is None
    else:
        assert review.budget_score is not None and round(review.budget_score, 2) == pytest.approx(wanted)


@pytest.mark.parametrize("name", CASE_IDS)
def test_case_flags_and_budget_score(name):
    path, expect = case_files(name)
    check_against_expect(review_table(load_table(path)), expect)


@pytest.mark.parametrize("name", CASE_IDS)
def test_case_as_excel_sheet_gives_the_same_review(name, tmp_path):
    path, expect = case_files(name)
    table = load_table(path)
    sheet = write_table_xlsx(table, tmp_path / f"{name}.xlsx")
    again = load_table(sheet)
    assert again.to_mapping() == table.to_mapping()
    from_yaml, from_xlsx = review_table(table), review_table(again)
    check_against_expect(from_xlsx, expect)
    assert [f.to_dict() for f in from_xlsx.flags] == [f.to_dict() for f in from_yaml.flags]


@pytest.mark.parametrize("name", CASE_IDS)
def test_every_finding_names_its_row(name):
    path, _ = case_files(name)
    review = review_table(load_table(path))
    for f in review.flags:
        assert f.message
        if f.section == "indicators":
            assert f.row.startswith(f"绩效指标第{f.index}行")
        elif f.section == "budget":
            assert f.row.startswith(f"预算执行第{f.index}行")
        else:
            assert f.row == "全表" and f.index is None


def review_case(prefix: str):
    matches = [n for n in CASE_IDS if n.startswith(prefix)]
    if not matches:
        pytest.fail(f"case {prefix} missing from {CASES_DIR}")
    return review_table(load_table(CASES_DIR / f"{matches[0]}.yaml"))


def test_case_01_details():
    review = review_case("01_")
    assert review.rule_total == 98.62 and review.rule_grade == "优"
    assert review.evidence_share == 1.0
    assert review.scheme.id == "cz2020-10-self"


def test_case_08_details():
    review = review_case("08_")
    assert review.scheme.id == "yunnan-county-self"
    by_code = {}
    for f in review.flags:
        by_code.setdefault(f.code, []).append(f.index)
    assert by_code["parent-child-double"] == [1, 5]
    assert by_code["over-achievement"] == [10]
    assert review.rule_total is None  # no per-row weights: no total, and no guess


def test_case_15_details():
    review = review_case("15_")
    above = [f for f in review.flags if f.code == "score-above-rule"]
    assert [f.index for f in above] == [23] and "1.25" in above[0].message
    assert [f.index for f in review.flags if f.code == "over-achievement"] == [6]


def test_case_16_details():
    review = review_case("16_")
    copies = [f.index for f in review.flags if f.code == "actual-copies-target"]
    assert copies == [1, 2, 4, 5, 8, 10]
    assert "110" in next(f.message for f in review.flags if f.code == "total-mismatch")


# ---------------------------------------------------------------------------------------------
# Each flag on a small hand-made table
# ---------------------------------------------------------------------------------------------

BASE = {
    "format": "pbm-self-evaluation/1",
    "title": "项目支出绩效自评表（2024年度）",
    "jurisdiction": "某省某县",
    "year": 2024,
    "money_unit": "万元",
    "budget": [
        {"row": "年度资金总额", "initial": 100, "annual": 100, "executed": 100, "weight": 10,
         "rate_reported": "100%", "score_reported": 10},
        {"row": "其中：当年财政拨款", "initial": 100, "annual": 100, "executed": 100},
    ],
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "level3": "培训人数", "target": "≥100人", "actual": "105人",
         "weight": 30, "score_reported": 30},
        {"level1": "产出指标", "level2": "质量指标", "level3": "合格率", "target": "=100%", "actual": "100%",
         "weight": 20, "score_reported": 20},
        {"level1": "效益指标", "level2": "社会效益指标", "level3": "服务水平", "target": "显著提升",
         "actual": "达成", "weight": 30, "score_reported": 30},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "level3": "满意度", "target": "≥90%",
         "actual": "95%", "weight": 10, "score_reported": 10},
    ],
    "total_reported": 100,
    "grade_reported": "优",
}


def review_of(change=None, scheme=None):
    data = copy.deepcopy(BASE)
    if change:
        change(data)
    return review_table(table_from_mapping(data), scheme)


def codes(review) -> set[str]:
    return review.flag_codes


def test_clean_table_has_no_flags():
    review = review_of()
    assert codes(review) == set()
    assert review.rule_total == 100 and review.rule_grade == "优"


def test_score_over_weight():
    def change(d):
        d["indicators"][0]["score_reported"] = 32
        d["budget"][0]["score_reported"] = 11
        d["total_reported"] = 103
    review = review_of(change)
    over = [f for f in review.flags if f.code == "score-over-weight"]
    assert {(f.section, f.index) for f in over} == {("indicators", 1), ("budget", 1)}


def test_qualitative_band():
    def change(d):
        d["indicators"][2].update(actual="部分达成", score_reported=27)  # 部分达成 band is [18, 24)
        d["total_reported"] = 97
    review = review_of(change)
    assert codes(review) == {"qualitative-band"}
    assert review.rule_total == 94  # clamped to the band edge 24 for the rule total


def test_actual_copies_target():
    def operator(d):
        d["indicators"][0]["actual"] = "≥100人"
    assert "actual-copies-target" in codes(review_of(operator))

    def sentence(d):
        d["indicators"][2].update(target="严格执行相关制度规定", actual="严格执行相关制度规定")
    flags = [f for f in review_of(sentence).flags if f.code == "actual-copies-target"]
    assert len(flags) == 1 and flags[0].severity == "warning"

    def equal_numbers(d):  # equal numbers without an operator are not a copy
        d["indicators"][0].update(target="100人", actual="100人")
    assert "actual-copies-target" not in codes(review_of(equal_numbers))

    def short_word(d):  # a short achievement word of the scheme repeated counts as 达成
        d["indicators"][2].update(target="及时", actual="及时")
    assert codes(review_of(short_word)) == set()


def test_missing_value_scored():
    def change(d):
        d["indicators"][0]["target"] = None
        d["indicators"][1]["actual"] = "/"
    review = review_of(change)
    assert [f.index for f in review.flags if f.code == "missing-value-scored"] == [1, 2]


def test_docked_without_note_and_below_rule():
    def change(d):
        d["indicators"][0]["score_reported"] = 27  # met, docked 3
        d["indicators"][2]["score_reported"] = 27  # qualitative 达成, in band, docked
        d["total_reported"] = 94
    review = review_of(change)
    docked = [f.index for f in review.flags if f.code == "docked-without-note"]
    assert docked == [1, 3]
    assert [f.index for f in review.flags if f.code == "score-below-rule"] == [1]  # qualitative rows excluded

    def with_note(d):
        change(d)
        d["indicators"][0]["deviation_note"] = "部分培训未按计划完成质量考核"
    assert [f.index for f in review_of(with_note).flags if f.code == "docked-without-note"] == [3]


def test_score_below_rule_case_14_row():
    def change(d):  # 参合人数 99.1 % of target scored 13 of 15 (rule 15 × 0.991 = 14.865 → 14.87)
        d["indicators"][0].update(target="1000人", actual="991人", weight=15, score_reported=13)
        d["indicators"][1].update(weight=35, score_reported=35)
        d["total_reported"] = 98
    review = review_of(change)
    below = [f for f in review.flags if f.code == "score-below-rule"]
    assert [f.index for f in below] == [1] and "14.87" in below[0].message
    assert "docked-without-note" not in codes(review)  # not met: a shortfall, not a docking


def test_rate_and_budget_score_mismatch():
    def change(d):  # case 14: 65.07/65.66 = 99.10 % printed "99%", scored 9 (rule 9.91)
        d["budget"][0].update(annual=65.66, executed=65.07, rate_reported="99%", score_reported=9)
        d["budget"][1].update(annual=65.66, executed=65.07)
        d["total_reported"] = 99
    review = review_of(change)
    assert {"rate-mismatch", "budget-score-mismatch"} <= codes(review)
    assert [f.index for f in review.flags if f.code == "rate-mismatch"] == [1]

    def within(d):  # case 01: 86.19 % printed against 86.18 %
        d["budget"][0].update(annual=250000, executed=215457.6, rate_reported="86.19%", score_reported=8.62)
        d["budget"][1].update(annual=250000, executed=215457.6)
        d["total_reported"] = 98.62
    assert codes(review_of(within)) == set()


def test_zero_total_with_money_in_sub_rows_is_recomputed_for_the_rule_only():
    def change(d):  # case 06: total row zero while 本年财政拨款 carries 202.64 / 132.912
        d["budget"][0].update(initial=0, annual=0, executed=0, rate_reported=0, score_reported=0)
        d["budget"][1].update(initial=202.64, annual=202.64, executed=132.912)
        d["total_reported"] = 90
    review = review_of(change)
    assert {"zero-total", "budget-score-mismatch"} <= codes(review)
    assert review.budget_score == pytest.approx(10 * 132.912 / 202.64)
    assert any("分项合计重新计算" in n for n in review.notes)


def test_grade_mismatch():
    def change(d):
        d["indicators"][0]["score_reported"] = 15
        d["total_reported"] = 85
    assert "grade-mismatch" in codes(review_of(change))
    d = copy.deepcopy(BASE)
    d["grade_reported"] = "优秀"
    assert codes(review_table(table_from_mapping(d))) == set()


def test_weights_sum_variants():
    def total_110(d):
        d["indicators"][0]["weight"] = 40
        d["indicators"][0]["score_reported"] = 40
        d["total_reported"] = 110
    assert "weights-sum" in codes(review_of(total_110))

    def header(d):  # case 03: a header says 80 but its rows total 100
        for row in d["indicators"]:
            row["level1"] = "年度绩效目标(80分)"
    review = review_of(header)
    assert [f.index for f in review.flags if f.code == "weights-sum"][0] == 1

    def profile(d):  # 60/20/10 + 10: total 100 but 产出 and 效益 off the 50/30 profile
        d["indicators"][0].update(weight=40, score_reported=40)
        d["indicators"][2].update(weight=20, score_reported=20)
    flagged = [f for f in review_of(profile).flags if f.code == "weights-sum"]
    assert len(flagged) == 2
    assert review_of(profile, load_scheme("sichuan-dept-self")).flag_codes == set()  # free split


def test_blank_table_and_output_spend():
    def blank(d):
        for row in d["indicators"]:
            row.update(actual=None, score_reported=None)
        d["total_reported"] = None
        d["grade_reported"] = None
    review = review_of(blank)
    assert codes(review) == {"blank-table"}
    assert review.rule_grade is None and review.grade_status == "blank"

    def low_spend(d):
        d["budget"][0].update(executed=40, rate_reported="40%", score_reported=4)
        d["budget"][1].update(executed=40)
        d["total_reported"] = 94
    assert codes(review_of(low_spend)) == {"output-spend-mismatch"}

    def half_spend(d):
        d["budget"][0].update(executed=50, rate_reported="50%", score_reported=5)
        d["budget"][1].update(executed=50)
        d["total_reported"] = 95
    assert codes(review_of(half_spend)) == set()


def test_over_achievement_needs_a_note():
    def change(d):
        d["indicators"][0]["actual"] = "130人"
    assert codes(review_of(change)) == {"over-achievement"}

    def noted(d):
        change(d)
        d["indicators"][0]["deviation_note"] = "上级追加培训任务"
    assert codes(review_of(noted)) == set()


def test_an_evaluation_framework_table_is_reviewed_under_that_framework():
    def change(d):  # 决策 10 / 过程 15 (+ budget 10 inside it) / 产出 30 / 效益 35, as in case 09
        d["indicators"] = [
            {"level1": "决策", "level2": "项目立项", "level3": "立项依据充分性", "target": "充分", "actual": "达成",
             "weight": 10, "score_reported": 10},
            {"level1": "过程", "level2": "组织实施", "level3": "管理制度健全性", "target": "健全", "actual": "健全",
             "weight": 15, "score_reported": 15},
            {"level1": "产出", "level2": "产出数量", "level3": "实际完成率", "target": "≥95%", "actual": "98%",
             "weight": 30, "score_reported": 30},
            {"level1": "效益", "level2": "项目效益", "level3": "社会效益", "target": "显著提升", "actual": "达成",
             "weight": 35, "score_reported": 35},
        ]
    review = review_of(change)
    assert review.scheme.id == "cz2020-10-evaluation"
    assert review.flag_codes == set()  # 30/35 are not held against the 50/30 self-evaluation profile
    assert review.rule_total == 100


def test_template_placeholders_are_noted():
    def change(d):
        d["indicators"].append({"level1": "满意度指标", "level2": "服务对象满意度指标", "level3": "指标2:"})
        d["indicators"].append({"level1": "满意度指标", "level2": "服务对象满意度指标", "level3": "……"})
        d["goals"] = {"expected": "保障运转", "achieved": "对照年度目标，说明相关任务目标的完成情况（100字以内）"}
    review = review_of(change)
    placeholders = [n for n in review.notes if "模板占位" in n]
    assert len(placeholders) == 2 and any("模板提示" in n for n in review.notes)


def test_ocr_garbled_numbers_are_kept_raw_and_never_guessed(tmp_path):
    def change(d):  # case 09: "IO" for 10, "M.8" for 14.8
        d["indicators"][0].update(weight="IO", score_reported="M.8")
        d["total_reported"] = "9B"
    data = copy.deepcopy(BASE)
    change(data)
    table = table_from_mapping(data, "ocr.yaml")
    assert table.indicators["weight"].isna().iloc[0] and table.cell("indicators", 0, "weight") == "IO"
    review = review_table(table)
    garbled = [n for n in review.notes if "无法读取为数字" in n]
    assert len(garbled) == 3 and any("「IO」" in n for n in garbled) and any("总分" in n for n in garbled)
    assert review.rule_total is None  # an unreadable weight leaves the total open, not guessed
    assert "total-mismatch" not in review.flag_codes
    again = load_table(write_table_xlsx(table, tmp_path / "ocr.xlsx"))
    assert again.to_mapping() == table.to_mapping() and again.unreadable == table.unreadable


def test_parents_inferred_from_numbering():
    level3 = pd.Series(["一、示范区", "1、水稻", "2、玉米", "二、试验", "1、肥料", "受益户数"])
    parent = pd.Series([None, None, None, None, "given", None])
    level1 = pd.Series(["产出"] * 5 + ["效益"])
    assert infer_parents(level3, parent, level1).tolist() == [None, "一、示范区", "一、示范区", None, "given", None]


# ---------------------------------------------------------------------------------------------
# Input errors
# ---------------------------------------------------------------------------------------------


def test_input_errors_are_located(tmp_path):
    with pytest.raises(ReviewInputError, match="文件不存在"):
        load_table(tmp_path / "missing.yaml")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("format: pbm-self-evaluation/0\nindicators: []\n", encoding="utf-8")
    with pytest.raises(ReviewInputError, match=r"wrong.yaml · format"):
        load_table(wrong)
    bad = tmp_path / "bad.yaml"
    data = copy.deepcopy(BASE)
    data["indicators"][1]["weight"] = [20]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReviewInputError, match=r"bad.yaml · indicators\[1\]\.weight: 「\[20\]」应为数字"):
        load_table(bad)
    data = copy.deepcopy(BASE)
    data["indicators"][0]["score"] = 3
    with pytest.raises(ReviewInputError, match=r"indicators\[0\]\.score: 不认识的字段"):
        table_from_mapping(data, "t.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: [\n", encoding="utf-8")
    with pytest.raises(ReviewInputError, match=r"broken.yaml · 第\d+行第\d+列: YAML"):
        load_table(broken)
    text = tmp_path / "table.csv"
    text.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(ReviewInputError, match="不支持的文件类型"):
        load_table(text)
    not_xlsx = tmp_path / "table.xlsx"
    not_xlsx.write_text("hello", encoding="utf-8")
    with pytest.raises(ReviewInputError, match="无法作为 Excel"):
        load_table(not_xlsx)


def test_excel_without_indicator_header_is_refused(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["项目支出绩效自评表"])
    wb.active.append(["总分", 100])
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    with pytest.raises(ReviewInputError, match="找不到绩效指标表头"):
        load_table(path)


@pytest.mark.parametrize("name", CASE_IDS)
def test_case_in_the_official_printed_layout_gives_the_same_review(name, tmp_path):
    """Merged cells, header notes (年度指标值（A）), no parent column (parents are inferred from the
    numbering, as for the YAML): the same table and the same flags."""
    from official_layout import write_official_layout

    path, expect = case_files(name)
    table = load_table(path)
    again = load_table(write_official_layout(table, tmp_path / f"{name}.xlsx"))
    original, read = table.to_mapping(), again.to_mapping()
    for key in ("year", "money_unit", "department", "unit", "budget", "goals", "total_reported", "grade_reported"):
        assert read[key] == original[key], key
    assert read["title"] == original["title"]
    printed = ("level1", "level2", "level3", "direction", "unit", "target", "actual", "weight", "score_reported",
               "deviation_note")
    assert [{k: r[k] for k in printed} for r in read["indicators"]] == [
        {k: r[k] for k in printed} for r in original["indicators"]]
    scheme, _ = choose_scheme(table)  # the sheet has no 行政区划: choose as for the YAML
    from_yaml, from_xlsx = review_table(table, scheme), review_table(again, scheme)
    check_against_expect(from_xlsx, expect)
    assert [f.to_dict() for f in from_xlsx.flags] == [f.to_dict() for f in from_yaml.flags]
