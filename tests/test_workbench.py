"""The evaluator's workbench: state validation, scoring parity, save/load, atomicity, UI, notebook."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pbm_lib import scoring, workbench
from pbm_lib.data import SAMPLE_WORKBOOK
from pbm_lib.schemes import load_scheme
from pbm_lib.workbench import (
    FORMAT,
    EvaluationFileError,
    EvaluationFileWarning,
    EvaluationState,
    WorkbenchError,
    default_path,
    load,
    read_record,
    save,
    third_party_indicator_scores,
    third_party_scores,
)
from pbm_lib.workbook.reader import read_year

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "workbench.ipynb"

# Sample projects used below (示范市 2025):
#   101-002: one qualitative row, 序号 7「学校办学条件」(weight 10), everything else measured.
#   101-001: two qualitative rows, 序号 6 (weight 20) and 7 (weight 10).
#   110-001: qualitative rows 5 and 6 whose actuals copy the target (claimed, no evidence).
#   105-001: every quantitative actual copies its target (claimed).
ONE_QUAL, TWO_QUAL, CLAIMED_QUAL, CLAIMED_QUANT = "101-002", "101-001", "110-001", "105-001"


@pytest.fixture(scope="module")
def year():
    return read_year(SAMPLE_WORKBOOK)


@pytest.fixture
def state(year):
    return EvaluationState.new(
        year, ONE_QUAL, "cz2020-10-self", evaluator="张三", organisation="示范华诚资产评估有限公司"
    )


def rule_totals(indicators: pd.DataFrame, budget: pd.DataFrame, scheme) -> pd.Series:
    """The annual scoring of the same inputs, straight from scoring.py."""
    scored = scoring.score_indicators(indicators, scheme)
    return scoring.score_totals(scored, scoring.score_budget(budget, scheme), scheme).iloc[0]


def hand_inputs(year, project_id: str, entries: dict[int, tuple[str, float | None]], budget_weight=None):
    """The project's rows with qualitative entries written in by hand, unit self scores removed."""
    rows = (
        year.indicators[year.indicators["project_id"] == project_id].sort_values("seq").reset_index(drop=True)
    )
    rows["self_score"] = np.nan
    rows["actual"] = rows["actual"].astype(object)
    for seq, (level, score) in entries.items():
        i = rows.index[rows["seq"] == seq][0]
        rows.loc[i, "actual"] = level
        rows.loc[i, "self_score"] = np.nan if score is None else score
    budget = year.project_budget().query("project_id == @project_id").reset_index(drop=True)
    if budget_weight is not None:
        budget["weight"] = budget_weight
    return rows, budget


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def test_qualitative_rows_and_levels(state):
    assert state.qualitative_seqs == [7]
    assert state.levels == ("达成", "部分达成", "未达成")
    assert state.entries[7].level is None and state.entries[7].score is None


def test_score_outside_band_is_rejected_naming_the_row(state):
    state.set_level(7, "部分达成")
    with pytest.raises(WorkbenchError) as error:
        state.set_score(7, 9)
    message = str(error.value)
    assert "「学校办学条件」（序号 7）" in message
    assert "部分达成" in message and "[6, 8)" in message
    assert state.entries[7].score is None
    # The band is half-open below the top level: 8 belongs to 达成, 6 to 部分达成.
    with pytest.raises(WorkbenchError):
        state.set_score(7, 8)
    state.set_score(7, 6)
    assert state.entries[7].score == 6
    state.set_level(7, "达成")  # 6 is outside [8, 10]: the score is cleared, not carried over
    assert state.entries[7].score is None
    state.set_score(7, 10)  # the top band includes its upper edge
    assert state.band(7).closed and not state.band(7, "部分达成").closed


def test_other_rejected_edits(state):
    with pytest.raises(WorkbenchError, match="请先为指标「学校办学条件」（序号 7）选择达成等级"):
        state.set_score(7, 7)
    with pytest.raises(WorkbenchError, match="达成等级「优秀」无效"):
        state.set_level(7, "优秀")
    with pytest.raises(WorkbenchError, match="「改造校舍面积」（序号 1）是定量指标"):
        state.set_level(1, "达成")
    with pytest.raises(WorkbenchError, match="是定量指标"):
        state.set_score(1, 10)
    with pytest.raises(WorkbenchError, match="没有序号为 99 的指标"):
        state.set_note(99, "x")
    with pytest.raises(WorkbenchError, match="是定性指标"):
        state.set_verified_actual(7, "达成")


def test_negative_and_non_numeric_weights_are_rejected(state):
    with pytest.raises(WorkbenchError, match="「改造校舍面积」（序号 1）分值不能为负数"):
        state.set_weight(1, -1)
    with pytest.raises(WorkbenchError, match="不是"):
        state.set_weight(1, float("nan"))
    with pytest.raises(WorkbenchError, match="不是数字"):
        state.set_weight(1, "十五")
    with pytest.raises(WorkbenchError, match="预算执行率分值不能为负数"):
        state.set_budget_weight(-0.5)
    assert state.entries[1].weight == 15 and state.budget_weight == 10


def test_block_sums_are_problems(state):
    assert state.problems() == []
    state.set_weight(1, 16)
    problems = state.problems()
    assert any("一级指标「产出指标」分值合计 51" in p and "规定 50" in p for p in problems)
    assert any("分值合计 101" in p and "应为 100" in p for p in problems)
    state.set_weight(2, 6)  # 产出 back to 50, total back to 100
    assert state.problems() == []


def test_weight_change_keeps_the_score_share(state):
    state.set_level(7, "部分达成")
    state.set_score(7, 7)
    state.set_weight(7, 20)
    assert state.entries[7].score == pytest.approx(14)
    assert state.problems()  # 效益 block and total no longer sum as the scheme says


def test_scheme_change_reports_weights_against_the_new_scheme(state):
    state.set_scheme("yongde-self")  # 产出 40 / 效益 30 / 满意度 20 / 预算 10
    problems = " ".join(state.problems())
    assert "产出指标」分值合计 50" in problems and "规定 40" in problems
    assert "满意度指标」分值合计 10" in problems and "规定 20" in problems
    state.set_scheme("cz2020-10-evaluation")  # no budget row, level-1 决策/过程/产出/效益
    assert state.budget_weight == 0
    problems = " ".join(state.problems())
    assert "「满意度指标」不是方案 cz2020-10-evaluation@1 的一级指标" in problems
    assert "分值合计 90" in problems


# ---------------------------------------------------------------------------------------------
# Totals and grades are scoring.py's
# ---------------------------------------------------------------------------------------------


def test_fresh_state_total_is_the_rule_interval(year, state):
    scheme = state.scheme
    rows, budget = hand_inputs(year, ONE_QUAL, {})
    expected = rule_totals(rows, budget, scheme)
    result = state.result()
    assert result.total_lo == pytest.approx(expected["total_lo"])
    assert result.total_hi == pytest.approx(expected["total_hi"])
    assert result.total_hi - result.total_lo == pytest.approx(2.0)  # 部分达成 band [6, 8) of weight 10
    assert result.total is None and result.unscored == (7,)
    assert result.grade == expected["grade"]
    assert not state.complete


@pytest.mark.parametrize(
    ("project_id", "entries", "scheme_id"),
    [
        (ONE_QUAL, {7: ("部分达成", 7.3)}, "cz2020-10-self"),
        (ONE_QUAL, {7: ("未达成", 2.5)}, "yongde-self"),
        (TWO_QUAL, {6: ("达成", 17.5), 7: ("部分达成", 6.4)}, "cz2020-10-self"),
        (CLAIMED_QUAL, {5: ("达成", 19), 6: ("未达成", 3)}, "cz2020-10-self"),
    ],
)
def test_total_and_grade_equal_scoring_on_the_same_inputs(year, project_id, entries, scheme_id):
    state = EvaluationState.new(year, project_id, scheme_id)
    for seq, (level, score) in entries.items():
        state.set_level(seq, level)
        state.set_score(seq, score)
    scheme = load_scheme(scheme_id)
    rows, budget = hand_inputs(year, project_id, entries, budget_weight=scheme.budget.weight)
    expected = rule_totals(rows, budget, scheme)
    result = state.result()
    assert result.total_lo == pytest.approx(expected["total_lo"], abs=1e-9)
    assert result.total_hi == pytest.approx(expected["total_hi"], abs=1e-9)
    assert result.total == pytest.approx(float(scoring.round_half_up([expected["rule_total"]], 2)[0]))
    assert result.grade == expected["grade"] == scoring.grade_points([result.total], scheme)[0]
    assert result.unscored == ()


def test_claimed_rows_become_measured_with_the_evaluators_entries(year):
    state = EvaluationState.new(year, CLAIMED_QUANT, "cz2020-10-self")
    assert set(state.indicator_table()["state"]) == {"claimed"}
    assert state.result().total is None  # no evidence: [0, w] per row
    state.set_verified_actual(1, "5.3公里")
    table = state.indicator_table().set_index("seq")
    assert table.loc[1, "state"] == "measured" and table.loc[1, "points_lo"] == 15
    assert table.loc[1, "actual"] == "≥5.1公里"  # the unit's reported actual is shown unchanged
    state.set_verified_actual(1, "")
    assert state.indicator_table().set_index("seq").loc[1, "state"] == "claimed"


def test_weights_and_budget_weight_enter_the_scoring(year, state):
    state.set_level(7, "达成")
    state.set_score(7, 9)
    state.set_weight(1, 10)
    state.set_budget_weight(15)
    rows, budget = hand_inputs(year, ONE_QUAL, {7: ("达成", 9)}, budget_weight=15)
    rows.loc[rows["seq"] == 1, "weight"] = 10
    expected = rule_totals(rows, budget, state.scheme)
    assert state.result().total_lo == pytest.approx(expected["total_lo"])
    assert state.result().budget_weight == 15


def test_uncertainty_is_one_call_into_the_monte_carlo(state):
    state.set_level(7, "部分达成")
    state.set_score(7, 7)
    info = state.uncertainty(draws=500)
    assert info is not None and "error" not in info
    assert sum(info["probabilities"].values()) == pytest.approx(1.0)
    assert info["grade"] in info["probabilities"] and info["text"].startswith(info["grade"])
    state.set_weight(2, 0)  # the Monte Carlo needs positive weights: reported, not raised
    assert "error" in state.uncertainty(draws=200)


# ---------------------------------------------------------------------------------------------
# Save and load
# ---------------------------------------------------------------------------------------------


def scored_state(year) -> EvaluationState:
    state = EvaluationState.new(
        year, TWO_QUAL, "cz2020-10-self", evaluator="张三", organisation="示范正衡工程咨询有限公司"
    )
    state.set_level(6, "达成")
    state.set_score(6, 17.25)
    state.set_level(7, "部分达成")
    state.set_score(7, 6.5)
    state.set_note(6, "抽查 12 所学校，营养餐记录完整")
    state.set_note(1, "受益人数按资助名单核实")
    state.set_verified_actual(2, "205天")
    state.opinion = "项目总体实施较好。"
    return state


def test_save_load_round_trip_restores_every_value(year, tmp_path):
    state = scored_state(year)
    path = default_path(tmp_path, state.project_id)
    saved = save(state, path)
    assert saved.path == path and saved.previous is None and saved.revision == 1
    record = read_record(path)
    assert record["format"] == FORMAT and record["evaluation_kind"] == "第三方评价"
    assert record["evaluator"] == {"name": "张三", "organisation": "示范正衡工程咨询有限公司"}
    assert record["saved_at"].endswith("+08:00")
    assert record["data"]["sha256"] == year.sha256
    assert record["scheme"]["id"] == "cz2020-10-self" and record["scheme"]["version"] == 1
    assert [i["seq"] for i in record["indicators"]] == state.seqs
    assert record["result"]["complete"] is True and record["result"]["total"] == state.result().total
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same data, same rules: no warning
        loaded = load(path, year)
    assert loaded.entries == state.entries
    assert loaded.budget_weight == state.budget_weight
    assert loaded.scheme.ref == state.scheme.ref
    assert (loaded.evaluator, loaded.organisation, loaded.opinion) == (
        state.evaluator,
        state.organisation,
        state.opinion,
    )
    assert loaded.revision == 1
    assert loaded.result() == state.result()
    assert loaded.warnings == []


def test_load_reads_the_recorded_data_file_when_none_is_given(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    assert load(path).result() == load(path, year).result()


def test_saving_twice_keeps_the_previous_version(year, tmp_path):
    state = scored_state(year)
    path = tmp_path / "101-001.yaml"
    save(state, path)
    first = path.read_bytes()
    state.set_score(7, 7.5)
    saved = save(state, path)
    assert saved.revision == 2
    assert saved.previous == tmp_path / "history" / "101-001.v1.yaml"
    assert saved.previous.read_bytes() == first
    assert read_record(path)["revision"] == 2
    assert load(path, year).entries[7].score == 7.5
    save(state, path)
    assert workbench.history(path) == [tmp_path / "history" / f"101-001.v{n}.yaml" for n in (1, 2)]
    assert read_record(workbench.history(path)[1])["revision"] == 2


def test_a_failure_during_serialisation_leaves_the_previous_file_intact(year, tmp_path, monkeypatch):
    state = scored_state(year)
    path = tmp_path / "101-001.yaml"
    save(state, path)
    before = path.read_bytes()

    def broken_dump(record, handle):
        handle.write("format: pbm-third-party-evaluation/1\nindicators:\n- seq: 1\n")  # half a file
        raise RuntimeError("disk full")

    monkeypatch.setattr(workbench, "_dump", broken_dump)
    state.set_score(7, 7.9)
    with pytest.raises(RuntimeError, match="disk full"):
        save(state, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["101-001.yaml"]  # no temporary file, no history
    assert state.revision == 1


def test_a_failure_of_yaml_itself_or_of_the_rename_leaves_the_file_intact(year, tmp_path, monkeypatch):
    state = scored_state(year)
    path = tmp_path / "101-001.yaml"
    save(state, path)
    before = path.read_bytes()
    with monkeypatch.context() as patch:
        patch.setattr(
            yaml, "safe_dump", lambda *a, **k: (_ for _ in ()).throw(yaml.YAMLError("cannot represent"))
        )
        with pytest.raises(yaml.YAMLError):
            save(state, path)
    assert path.read_bytes() == before
    with monkeypatch.context() as patch:

        def no_rename(src, dst):
            raise OSError("rename failed")

        patch.setattr(os, "replace", no_rename)
        with pytest.raises(OSError, match="rename failed"):
            save(state, path)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("format: pbm-third-party-evaluation/1\nindicators: [\n  - seq: 1\n", "不是有效的 YAML"),
        ("just some text", "不是第三方评价文件"),
        ("format: pbm-self-evaluation/1\n", "不是第三方评价文件格式"),
        (b"\xff\xfe\x00garbage", "无法读取"),
    ],
)
def test_corrupted_files_raise_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(EvaluationFileError, match=message) as error:
        read_record(path)
    assert str(path) in str(error.value)
    assert isinstance(error.value, workbench.PbmError)


def edited(path: Path, change) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_damaged_fields_are_located(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # truncated
    with pytest.raises(EvaluationFileError):
        load(path, year)
    path = save(scored_state(year), tmp_path / "f.yaml").path
    edited(path, lambda d: d["indicators"][2].update(weight="abc"))
    with pytest.raises(EvaluationFileError, match=r"indicators\[2\]\.weight: 「abc」不是数字"):
        read_record(path)
    path = save(scored_state(year), tmp_path / "g.yaml").path
    edited(path, lambda d: d["indicators"][1].update(seq=1))
    with pytest.raises(EvaluationFileError, match="指标序号 1 重复"):
        read_record(path)
    path = save(scored_state(year), tmp_path / "h.yaml").path
    edited(path, lambda d: d.pop("indicators"))
    with pytest.raises(EvaluationFileError, match="indicators: 缺少或不是指标列表"):
        read_record(path)


def test_mismatched_files(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    with pytest.raises(EvaluationFileError, match="这是项目「101-001」的评价文件，而当前项目为「101-002」"):
        load(path, year, project_id="101-002")
    other = edited(Path(path), lambda d: d["project"].update(project_id="999-999"))
    with pytest.raises(EvaluationFileError, match="数据中没有项目「999-999」"):
        load(other, year)
    path = save(scored_state(year), tmp_path / "f.yaml").path
    edited(path, lambda d: d["indicators"][0].update(level3="别的指标"))
    with pytest.raises(EvaluationFileError, match="序号 1 在文件中是「别的指标」"):
        load(path, year)
    path = save(scored_state(year), tmp_path / "g.yaml").path
    edited(path, lambda d: d["indicators"].pop())
    with pytest.raises(EvaluationFileError, match="数据中的指标序号 8 不在文件中"):
        load(path, year)


def test_save_never_replaces_another_projects_file(year, tmp_path):
    path = save(scored_state(year), tmp_path / "shared.yaml").path
    before = path.read_bytes()
    with pytest.raises(
        EvaluationFileError, match="该文件是项目「101-001」的评价，不能用项目「101-002」的评价覆盖"
    ):
        save(EvaluationState.new(year, ONE_QUAL), path)
    assert path.read_bytes() == before and workbench.history(path) == []


def test_entries_on_the_wrong_kind_of_row_are_refused(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    edited(path, lambda d: d["indicators"][0].update(level="达成", score=15))
    with pytest.raises(EvaluationFileError, match="序号 1 是定量指标"):
        load(path, year)
    path = save(scored_state(year), tmp_path / "f.yaml").path
    edited(path, lambda d: d["indicators"][5].update(verified_actual="达成"))
    with pytest.raises(EvaluationFileError, match="序号 6 是定性指标"):
        load(path, year)


def test_different_data_hash_is_a_warning(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    edited(path, lambda d: d["data"].update(sha256="0" * 64))
    with pytest.warns(EvaluationFileWarning, match="数据.*不同"):
        state = load(path, year)
    assert state.warnings and "SHA-256" in state.warnings[0]
    assert state.entries == scored_state(year).entries


def test_recomputed_total_differs_is_a_warning(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    edited(path, lambda d: d["result"].update(total=12.34))
    with pytest.warns(EvaluationFileWarning, match="重算的总分 .* 与文件记录的 12.34 不同"):
        load(path, year)


# ---------------------------------------------------------------------------------------------
# For the batch
# ---------------------------------------------------------------------------------------------


def test_third_party_scores_for_the_batch(year, tmp_path):
    complete = scored_state(year)
    save(complete, default_path(tmp_path, complete.project_id))
    save(complete, default_path(tmp_path, complete.project_id))  # a history file that must be ignored
    draft = EvaluationState.new(year, ONE_QUAL, evaluator="李四")
    save(draft, default_path(tmp_path, ONE_QUAL))
    with pytest.warns(EvaluationFileWarning, match="101-002.*尚未完成，未采用"):
        frame = third_party_scores(tmp_path)
    assert list(frame["project_id"]) == ["101-001"]
    row = frame.iloc[0]
    assert row["evaluation_kind"] == "第三方评价"
    assert row["evaluator"] == "示范正衡工程咨询有限公司" and row["evaluator_name"] == "张三"
    assert row["total"] == complete.result().total and row["grade"] == complete.result().grade
    assert row["revision"] == 2 and row["scheme"] == "cz2020-10-self@1"
    assert row["indicator_scores"][6] == 17.25 and row["indicator_scores"][7] == 6.5
    assert set(row["indicator_scores"]) == set(complete.seqs)

    both = third_party_scores([tmp_path], include_incomplete=True)
    assert list(both["project_id"]) == ["101-001", "101-002"]
    draft_row = both.set_index("project_id").loc["101-002"]
    assert not draft_row["complete"] and np.isnan(draft_row["total"]) and draft_row["evaluator"] == "李四"

    # The batch appends the frame to the 评价结果 table: compare_evaluations reads it as 第三方评价.
    evaluations = pd.concat(
        [year.evaluations, frame[["project_id", "evaluation_kind", "evaluator", "total", "grade"]]]
    )
    comparison = scoring.compare_evaluations(evaluations, complete.scheme).set_index("project_id")
    assert comparison.loc["101-001", "third_party_total"] == row["total"]

    long = third_party_indicator_scores(tmp_path)
    assert len(long) == len(complete.seqs) + len(draft.seqs)
    assert (
        long.set_index(["project_id", "seq"]).loc[("101-001", 6), "note"] == "抽查 12 所学校，营养餐记录完整"
    )


def test_third_party_scores_warns_about_other_data(year, tmp_path):
    path = save(scored_state(year), tmp_path / "e.yaml").path
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(third_party_scores(path, year=year)) == 1
    edited(path, lambda d: d["data"].update(sha256="f" * 64))
    with pytest.warns(EvaluationFileWarning, match="保存时所用数据与本次数据（SHA-256）不同"):
        assert len(third_party_scores(path, year=year)) == 1


def test_two_files_for_one_project_are_an_error(year, tmp_path):
    state = scored_state(year)
    save(state, tmp_path / "a.yaml")
    save(state, tmp_path / "b.yaml")
    with pytest.raises(EvaluationFileError, match="已有第三方评价文件"):
        third_party_scores(tmp_path)
    with pytest.raises(EvaluationFileError, match="不存在"):
        third_party_scores(tmp_path / "missing")


# ---------------------------------------------------------------------------------------------
# The UI, headless
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def bench(year, tmp_path):
    from pbm_lib.workbench_ui import Workbench

    return Workbench(
        year, evaluator="王五", organisation="示范评估所", save_dir=tmp_path, project_id=ONE_QUAL
    )


def test_ui_widgets_drive_the_state_and_the_total_label(bench):
    assert bench.state.project_id == ONE_QUAL and bench.unit.value == "101"
    assert "（区间）" in bench.total_label.value and "尚有 1 项定性指标未打分" in bench.total_label.value
    row = bench.rows[7]
    assert row.score.disabled
    row.level.value = "部分达成"
    assert (row.score.min, row.score.max) == (6.0, 7.99) and not row.score.disabled
    assert bench.state.entries[7].score is None and row.confirm.layout.display is None  # 确认 shown
    row.score.value = 7.3
    assert bench.state.entries[7].score == pytest.approx(7.3) and row.confirm.layout.display == "none"
    assert f"总分：{bench.state.result().total:g}</b>" in bench.total_label.value
    assert "良" in bench.grade_label.value
    assert "概率" in bench.uncertainty_label.value
    assert "评价完整" in bench.problems_label.value
    before = bench.total_label.value
    bench.rows[1].weight.value = 10  # 产出 block now 45: the total and the problems update
    assert bench.total_label.value != before
    assert "分值合计 45" in bench.problems_label.value
    bench.rows[1].weight.value = 15
    bench.budget_weight.value = 20
    assert bench.state.budget_weight == 20
    bench.budget_weight.value = 10


def test_ui_confirm_scores_at_the_slider_default(bench):
    row = bench.rows[7]
    row.level.value = "达成"
    assert bench.state.entries[7].score is None and row.score.value == 8.0
    row.confirm.click()
    assert bench.state.entries[7].score == 8.0
    assert "（区间）" not in bench.total_label.value


def test_ui_rejected_edit_shows_the_message_and_reverts(bench):
    bench.rows[1].weight.value = -5
    assert "分值不能为负数" in bench.status.value and "改造校舍面积" in bench.status.value
    assert bench.rows[1].weight.value == 15 and bench.state.entries[1].weight == 15
    bench.on_score(7, {"new": 9.0})  # no level yet
    assert "请先为指标" in bench.status.value


def test_ui_scheme_and_project_switches(bench):
    bench.scheme.value = "yongde-self@1"
    assert bench.state.scheme.ref == "yongde-self@1"
    assert "规定 40" in bench.problems_label.value
    bench.unit.value = "102"
    assert bench.state.project_id.startswith("102") and bench.project.value == bench.state.project_id
    last = bench.project.options[-1][1]
    bench.project.value = last
    assert bench.state.project_id == last and set(bench.rows) == set(bench.state.seqs)
    bench.select(ONE_QUAL)  # back: the edited state is kept in memory
    assert bench.state.scheme.ref == "yongde-self@1"


def test_ui_save_and_load_restore_the_widgets(year, bench, tmp_path):
    from pbm_lib.workbench_ui import Workbench

    bench.rows[7].level.value = "部分达成"
    bench.rows[7].score.value = 6.8
    bench.rows[7].note.value = "部分学校改造未完工"
    bench.opinion.value = "总体较好"
    bench.save_button.click()
    assert "已保存" in bench.status.value and "第 1 版" in bench.status.value
    bench.rows[7].score.value = 7.9
    bench.save_button.click()
    assert "上一版本已保存为" in bench.status.value
    bench.rows[7].score.value = 6.1  # unsaved
    bench.load_button.click()
    assert "已载入" in bench.status.value
    assert (
        bench.rows[7].score.value == pytest.approx(7.9) and bench.rows[7].note.value == "部分学校改造未完工"
    )
    assert bench.opinion.value == "总体较好" and bench.evaluator.value == "王五"

    fresh = Workbench(year, save_dir=tmp_path, project_id=ONE_QUAL)  # autoload of the saved file
    assert fresh.rows[7].level.value == "部分达成" and fresh.rows[7].score.value == pytest.approx(7.9)
    assert fresh.evaluator.value == "王五" and "已载入保存的评价" in fresh.status.value

    bench.path.value = str(tmp_path / "nothing.yaml")
    bench.load_button.click()
    assert "载入失败" in bench.status.value and "评价文件不存在" in bench.status.value


def test_ui_load_of_another_projects_file_switches_project(year, bench, tmp_path):
    other = scored_state(year)
    path = save(other, tmp_path / "other.yaml").path
    bench.path.value = str(path)
    bench.load_button.click()
    assert bench.state.project_id == TWO_QUAL and bench.project.value == TWO_QUAL
    assert "已切换到该项目" in bench.status.value
    assert bench.rows[6].score.value == pytest.approx(17.25)


def test_ui_displays(bench):
    assert "application/vnd.jupyter.widget-view+json" in bench._repr_mimebundle_()


# ---------------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------------


def test_workbench_notebook_runs_headless_under_papermill(tmp_path):
    papermill = pytest.importorskip("papermill")
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    for name in ('data_path: str = ""', 'evaluator: str = ""', 'save_dir: str = "outputs/workbench"'):
        assert name in tagged[0].source
    out = tmp_path / "workbench.out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"save_dir": str(tmp_path / "saved"), "evaluator": "测试人员", "project_id": ONE_QUAL},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    widget = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widget, "the workbench widget is displayed"
