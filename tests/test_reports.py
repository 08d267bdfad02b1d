"""Tests for pbm_lib.reports: what each report notebook shows, checked against the library's own numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_META, tiny_tables

from pbm_lib import reports
from pbm_lib.batch.record import result_bundle
from pbm_lib.data import SAMPLE_WORKBOOK
from pbm_lib.report import table
from pbm_lib.scoring import grade_points, score_year
from pbm_lib.workbook.writer import write_workbook

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_UNIT = '"); import os; os.system("touch /tmp/pwned") #'
HOSTILE_ID = '");open("/tmp/pwned","w")#'


@pytest.fixture(scope="module")
def sample() -> reports.Inputs:
    return reports.load_inputs("", 2025, "cz2020-10-self")


@pytest.fixture(scope="module")
def scored(sample):
    return score_year(sample.data, sample.scheme)


def _all_html(obj) -> str:
    """Every fragment a builder offers, concatenated (what a notebook would display)."""
    parts = []
    for name in dir(obj):
        if name.startswith("_") or name in ("results",):
            continue
        attr = getattr(type(obj), name, None)
        if callable(attr):
            try:
                value = getattr(obj, name)()
            except TypeError:
                continue
            if isinstance(value, reports.HtmlFragment):
                parts.append(value.html)
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Inputs and small helpers
# ---------------------------------------------------------------------------------------------


def test_empty_data_path_is_the_bundled_sample() -> None:
    assert reports.resolve_data_path("") == SAMPLE_WORKBOOK
    assert reports.resolve_data_path(None) == SAMPLE_WORKBOOK
    assert reports.resolve_data_path("  ") == SAMPLE_WORKBOOK
    assert str(reports.resolve_data_path("x.xlsx")) == "x.xlsx"


def test_wrong_year_is_refused(sample) -> None:
    with pytest.raises(reports.ReportInputError, match="年度"):
        reports.load_inputs("", 2024, "cz2020-10-self")
    assert reports.load_inputs("", None, "cz2020-10-self").year == 2025


def test_unknown_objects_and_kinds_are_refused(sample) -> None:
    with pytest.raises(reports.ReportInputError, match="没有项目"):
        reports.project_evaluation(sample, "999-999")
    with pytest.raises(reports.ReportInputError, match="project_id"):
        reports.project_evaluation(sample, None)
    with pytest.raises(reports.ReportInputError, match="没有单位"):
        reports.target_review(sample, "999")
    with pytest.raises(reports.ReportInputError, match="评价类型"):
        reports.project_evaluation(sample, "104-001", "自我评价")
    with pytest.raises(reports.ReportInputError, match="没有第三方评价"):
        reports.project_evaluation(sample, "104-001", "第三方评价")
    for month in (0, 13, True, 6.0, "6"):
        with pytest.raises(reports.ReportInputError, match="month"):
            reports.monitoring_report(sample, "101", month)


def test_chart_labels_wrap_and_keep_the_place_in_brackets() -> None:
    assert reports._clip("短名称", 16) == "短名称"
    wrapped = reports._clip("义务教育薄弱环节改善与能力提升(城关第一小学)", 16)
    assert wrapped.endswith("\n(城关第一小学)") and "…" not in wrapped
    assert wrapped.replace("\n", "") == "义务教育薄弱环节改善与能力提升(城关第一小学)"
    assert reports._clip("一" * 40, 16).count("\n") == 2


def test_interval_format_shows_points_and_intervals_and_keeps_numbers_numeric() -> None:
    frame = pd.DataFrame({"rule_lo": [10.0, 45.371, np.nan], "rule_hi": [10.0, 65.371, np.nan]})
    shown = reports.interval_format(frame)(frame["rule_lo"])
    assert shown.tolist() == ["10.00", "45.37–65.37", "—"]
    html = table(frame, {"rule_lo": "得分"}, {"rule_lo": reports.interval_format(frame)}).html
    assert 'class="num"' in html  # right-aligned like the other scores


def test_points_round_half_up() -> None:
    assert reports.points(89.995) == "90.00"
    assert reports.points(None) == "—"
    assert reports.wan(1234.5) == "1,234.50万元"
    assert reports.pct(0.93456) == "93.46%"


def test_project_stem() -> None:
    assert reports.project_stem("农村公路提质改造(东湖镇)") == "农村公路提质改造"
    assert reports.project_stem("农村公路提质改造（东湖镇）") == "农村公路提质改造"
    assert reports.project_stem("城乡环卫一体化") == "城乡环卫一体化"


# ---------------------------------------------------------------------------------------------
# 项目支出绩效评价报告
# ---------------------------------------------------------------------------------------------


def test_self_evaluation_score_and_grade_are_score_years(sample, scored) -> None:
    ev = reports.project_evaluation(sample, "104-001", "单位自评")
    comparison = scored["comparison"].set_index("project_id").loc["104-001"]
    projects = scored["projects"].set_index("project_id").loc["104-001"]
    assert ev.score == pytest.approx(comparison["self_total"])
    assert ev.grade == comparison["self_grade"] == grade_points([ev.score], sample.scheme)[0]
    assert ev.rule_lo == pytest.approx(projects["total_lo"])
    assert ev.rule_hi == pytest.approx(projects["total_hi"])
    total = ev.level1[ev.level1["category"] == "合计"].iloc[0]
    assert total["self_score"] == pytest.approx(ev.score)
    assert total["weight"] == pytest.approx(100.0)
    budget = sample.data.project_budget().set_index("project_id").loc["104-001"]
    assert ev.annual == pytest.approx(budget["annual"]) and ev.executed == pytest.approx(budget["executed"])
    assert len(ev.indicators) == int((sample.data.indicators["project_id"] == "104-001").sum())


def test_external_evaluations_take_the_recorded_total(sample) -> None:
    ev = reports.project_evaluation(sample, "105-001", "财政评价")
    assert ev.score == pytest.approx(74.9) and ev.grade == "中"
    assert ev.issuer == "示范市财政局" and "财政局" in ev.evaluator
    third = reports.project_evaluation(sample, "102-002", "第三方评价")
    assert third.score == pytest.approx(98.0) and third.grade == "优"
    assert third.issuer == third.evaluator == "示范华诚资产评估有限公司"
    # 105-001 copies its targets into the actuals: the rule total is an interval spanning grades
    assert ev.rule_lo < 60 < 90 < ev.rule_hi
    labels = set(ev.signals["label"])
    assert "实际完成值照抄目标值" in labels


def test_a_workbench_file_is_the_third_party_evaluation(sample, tmp_path) -> None:
    from pbm_lib import workbench

    state = workbench.EvaluationState.new(
        sample.data, "101-002", evaluator="李评价", organisation="示范评估所"
    )
    for seq in state.qualitative_seqs:
        state.set_level(seq, "部分达成")
    path = workbench.save(state, tmp_path / "incomplete.yaml").path
    with pytest.raises(reports.ReportInputError, match="尚未完成"):
        reports.project_evaluation(sample, "101-002", "第三方评价", path)
    for seq in state.qualitative_seqs:
        state.set_score(seq, state.band(seq, "部分达成").lo)
    path = workbench.save(state, tmp_path / "101-002.yaml").path
    ev = reports.project_evaluation(sample, "101-002", "第三方评价", path)
    assert ev.score == pytest.approx(state.result().total) and ev.grade == state.result().grade
    assert ev.evaluator == "示范评估所" and ev.workbench["revision"] >= 1
    assert "evaluator_score" in ev.indicator_columns and "第三方评价工作台" in ev.method().html
    qualitative = ev.indicators[ev.indicators["seq"].isin(state.qualitative_seqs)]
    assert np.allclose(
        qualitative["evaluator_score"], [state.band(q, "部分达成").lo for q in qualitative["seq"]]
    )
    with pytest.raises(reports.ReportInputError, match="不能用于项目"):
        reports.project_evaluation(sample, "101-003", "第三方评价", path)
    with pytest.raises(reports.ReportInputError, match="只能与"):
        reports.project_evaluation(sample, "101-002", "单位自评", path)


def test_a_project_without_targets_gets_no_score(sample) -> None:
    ev = reports.project_evaluation(sample, "105-004")
    assert not ev.has_indicators and ev.score is None and ev.grade is None
    assert ev.uncertainty is None and ev.draws is None
    assert ev.results()["summary"] == "未设置绩效目标，未评价"
    assert "未设置绩效目标" in ev.summary().html


def test_peers_by_dea_equal_relative_unit_costs(sample) -> None:
    ev = reports.project_evaluation(sample, "104-001")
    peers = ev.peers
    assert set(peers["project_id"]) == {"104-001", "104-002", "104-003", "2001-001", "2002-001"}
    assert ev.peer_unit == "公里" and "农村公路提质改造里程" in ev.peer_output
    # one input, one output, constant returns: efficiency = best unit cost / own unit cost
    expected = peers["unit_cost"].min() / peers["unit_cost"]
    assert np.allclose(peers["efficiency"], expected)
    me = peers[peers["is_self"]].iloc[0]
    assert me["target_input"] == pytest.approx(me["input"] * me["efficiency"])
    assert reports.project_evaluation(sample, "110-001").peers is None  # no comparable projects


def test_alternatives_sit_on_the_frontier_of_the_cost_module(sample) -> None:
    from pbm_lib.cost import icer_frontier

    ev = reports.project_evaluation(sample, "104-006")
    chosen = ev.alternatives[ev.alternatives["proposal"]].iloc[0]
    assert chosen["name"] == "二级公路改建(推荐)" and chosen["status"] == "frontier"
    alts = sample.data.alternatives[sample.data.alternatives["project_id"] == "104-006"]
    frontier = icer_frontier(alts.rename(columns={"alternative": "name"})[["name", "cost", "effect"]])
    assert np.allclose(
        ev.alternatives["icer"].to_numpy(dtype=float),
        frontier["icer"].astype(float).to_numpy(),
        equal_nan=True,
    )
    assert "有效前沿" in ev.cost_effectiveness_text().html


def test_grade_uncertainty_is_the_uncertainty_modules(sample) -> None:
    from pbm_lib.uncertainty import grade_distribution

    ev = reports.project_evaluation(sample, "101-002")
    rows = sample.data.indicators[sample.data.indicators["project_id"] == "101-002"]
    summary, _ = grade_distribution(rows, sample.data.project_budget(), sample.scheme, draws=10_000, seed=0)
    assert ev.uncertainty["p_良"] == pytest.approx(summary["p_良"].iloc[0])
    assert ev.grade_probabilities["probability"].sum() == pytest.approx(1.0)
    assert "蒙特卡罗" in ev.uncertainty_text().html
    gap = reports.project_evaluation(sample, "2003-002")
    text = gap.uncertainty_text().html
    assert "区间跨越等级分界" in text and "证据不足" in text


def test_results_are_json_for_the_batch(sample) -> None:
    for kind, pid in (("单位自评", "104-001"), ("财政评价", "105-001"), ("单位自评", "105-004")):
        results = reports.project_evaluation(sample, pid, kind).results()
        bundle = result_bundle(results)
        json.dumps(bundle, ensure_ascii=False, allow_nan=False)
        assert set(results) >= {"score", "grade", "summary"}


# ---------------------------------------------------------------------------------------------
# The other reports
# ---------------------------------------------------------------------------------------------


def test_ex_ante_numbers_are_the_stages(sample) -> None:
    from pbm_lib.process import ex_ante

    tables = ex_ante.run(sample.data, sample.scheme)
    row = tables["projects"].set_index("project_id").loc["104-006"]
    ea = reports.ex_ante_assessment(sample, "104-006")
    assert ea.score == pytest.approx(row["score"]) and ea.conclusion == row["conclusion"] == "予以支持"
    assert ea.appraisal["npv"] == pytest.approx(row["npv"])
    assert ea.appraisal["bcr"] == pytest.approx(row["bcr"])
    assert len(ea.experts) == ea.n_experts == 5
    assert list(ea.dimensions["dimension"]) == [
        "立项必要性",
        "投入经济性",
        "绩效目标合理性",
        "实施方案可行性",
        "筹资合规性",
    ]
    assert ea.dimensions.set_index("dimension").loc["投入经济性", "used"] == pytest.approx(row["economy"])
    missing = reports.ex_ante_assessment(sample, "102001-001")
    assert not missing.assessed and missing.score is None and missing.flag == "缺少事前绩效评估报告"
    assert "必备要件" in missing.summary().html and missing.results()["score"] is None


def test_target_review_counts_are_the_stages(sample) -> None:
    from pbm_lib.process import targets

    review = targets.run(sample.data, sample.scheme)["projects"]
    tr = reports.target_review(sample, "2002")
    mine = review[review["unit_id"] == "2002"]
    counts = tr.counts()
    for grade in ("优", "良", "中", "差"):
        assert counts[grade] == int((mine["grade"] == grade).sum())
    assert set(tr.blocked["project_id"]) == {"2002-003"}
    assert tr.department["status"] == "未设置"
    assert "部门整体绩效目标未设置" in tr.opinions().html
    points = sum(tr.projects[f"points_{c}"] for c in tr.check_points)
    assert np.allclose(points, tr.projects["points"])


def test_monitoring_shows_nothing_after_its_month(sample) -> None:
    june = reports.monitoring_report(sample, "101", 6)
    monthly = sample.data.monthly
    ids = set(sample.data.projects.loc[sample.data.projects["unit_id"] == "101", "project_id"])
    spent = monthly[(monthly["month"] == 6) & monthly["project_id"].isin(ids)]["executed_cum"].sum()
    assert june.executed == pytest.approx(spent)
    assert june.curve["month"].max() == 6 and june.time_progress == pytest.approx(0.5)
    assert june.midyear is not None and june.december is None and june.projection is not None
    assert "actual_rate" not in june.projection.columns  # December's actuals are not known in June
    december = reports.monitoring_report(sample, "2002", 12)
    assert december.projection is None and december.december is not None and december.midyear is None
    march = reports.monitoring_report(sample, "104", 3)
    assert march.midyear is None and march.results()["month"] == 3


def test_self_evaluation_review_opinions(sample, scored) -> None:
    street = reports.self_evaluation_review(sample, "2003")
    opinions = street.projects.set_index("project_id")["opinion"]
    assert opinions["2003-002"] == "补充佐证材料"  # an empty actual was scored 20
    assert opinions["2003-001"] == "认可自评结果"
    self_totals = scored["comparison"].set_index("project_id")["self_total"]
    for r in street.projects.itertuples():
        assert r.self_total == pytest.approx(self_totals[r.project_id], abs=1e-6)
    water = reports.self_evaluation_review(sample, "105")
    opinions = water.projects.set_index("project_id")["opinion"]
    assert opinions["105-001"] == "补充佐证材料"  # actuals copy the targets
    assert opinions["105-002"] == "规范填报"  # level-1 weights differ from the scheme, the score does not
    assert list(water.not_submitted["project_id"]) == ["105-004"]
    assert set(water.flags["problem"]) >= {"完成值照抄目标", "分值设置不符"}


def test_department_score_is_the_stages(sample) -> None:
    from pbm_lib.process import department

    departments = department.run(sample.data, sample.scheme)["departments"].set_index("unit_id")
    for uid in ("101", "2002"):
        de = reports.department_evaluation(sample, uid)
        assert de.score == pytest.approx(departments.loc[uid, "department_total"])
        assert de.grade == departments.loc[uid, "department_grade"]
    township = reports.department_evaluation(sample, "2002")
    assert not township.has_targets and township.unit["unit_kind"] == "乡镇"
    assert "未设置部门整体绩效目标" in township.summary().html
    total = township.money.set_index("item")
    assert total.loc["合计", "annual"] == pytest.approx(
        total.loc["基本支出", "annual"] + total.loc["项目支出", "annual"]
    )


def test_city_summary_totals_are_the_stages(sample) -> None:
    cs = reports.city_summary(sample)
    assert cs.n_projects == 65 and cs.n_units == 15
    assert cs.total_cut == pytest.approx(cs.stages["results"]["units"]["total_cut"].sum())
    grades = cs.grades.set_index("grade")["n_projects"]
    graded = grades[["优", "良", "中", "差"]]
    assert cs.good_share == pytest.approx((grades["优"] + grades["良"]) / graded.sum())
    assert "其他项目（无专项类别）" in set(cs.special_categories["special_category"])
    json.dumps(result_bundle(cs.results()), ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------------------------
# Text from the workbook never becomes markup
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path) -> reports.Inputs:
    tables = tiny_tables()
    tables["projects"].loc[0, "project_name"] = HOSTILE_NAME
    tables["projects"].loc[0, "goal"] = HOSTILE_NAME
    tables["units"].loc[1, "unit_name"] = HOSTILE_UNIT
    tables["indicators"].loc[0, "level3"] = HOSTILE_NAME
    tables["indicators"].loc[2, "deviation_note"] = HOSTILE_NAME
    path = tmp_path / "hostile.xlsx"
    write_workbook(path, tables, TINY_META)
    return reports.load_inputs(path, 2025, "cz2020-10-self")


def test_hostile_names_are_escaped_everywhere(hostile) -> None:
    built = [
        reports.project_evaluation(hostile, "P001"),
        reports.project_evaluation(hostile, "P002"),
        reports.target_review(hostile, "201"),
        reports.self_evaluation_review(hostile, "101"),
        reports.department_evaluation(hostile, "201"),
        reports.monitoring_report(hostile, "101", 6),
    ]
    seen = False
    for obj in built:
        html = _all_html(obj)
        assert "<script" not in html.lower()
        seen |= "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&quot;); import os" in html
    assert seen
    header = reports.project_evaluation(hostile, "P001").header().html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in header
