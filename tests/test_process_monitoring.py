"""Double monitoring: lights at their band edges, roll-up, projection, December rush, mid-year check, sanctions."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import numpy as np
import pandas as pd
import pytest

from pbm_lib.process import monitoring
from pbm_lib.schemes import load_scheme

SCHEME = load_scheme()


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


def budget(**annual: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": list(annual),
            "initial": list(annual.values()),
            "annual": list(annual.values()),
            "executed": np.nan,
        }
    )


def test_time_progress_by_month_and_by_day(tmp_path):
    assert monitoring.time_progress([6, 12], SCHEME).tolist() == [0.5, 1.0]
    by_day = user_scheme(tmp_path, "monitoring:\n  time_progress: day\n")
    assert monitoring.time_progress([1, 2, 12], by_day, 2025) == pytest.approx([31 / 365, 59 / 365, 1.0])
    assert monitoring.time_progress([2], by_day, 2024) == pytest.approx([60 / 366])
    with pytest.raises(ValueError):
        monitoring.time_progress([2], by_day)


@pytest.mark.parametrize(
    ("executed", "value", "light"),
    [
        (35.99, 59.9833, "红灯"),
        (36.0, 60.0, "黄灯"),
        (47.99, 79.9833, "黄灯"),
        (48.0, 80.0, "绿灯"),
        (90.0, 150.0, "绿灯"),
    ],
)
def test_execution_light_against_time_progress(executed, value, light):
    monthly = pd.DataFrame({"project_id": ["P"], "month": [6], "executed_cum": [executed]})
    row = monitoring.execution_lights(monthly, budget(P=120.0), SCHEME).iloc[0]
    assert row["rate"] == pytest.approx(executed / 120)
    assert row["value"] == pytest.approx(value, abs=1e-4)
    assert row["light"] == light  # execution has no blue band


def indicator(seq: int, direction: str, target: str, unit: str | None, name: str = "指标") -> dict:
    return {
        "project_id": "P",
        "seq": seq,
        "level1": "产出指标",
        "level2": "数量指标",
        "level3": name,
        "direction": direction,
        "target": target,
        "measure_unit": unit,
        "weight": 10.0,
    }


INDICATORS = pd.DataFrame(
    [
        indicator(1, "≥", "≥1200人", "人", "受益人数"),
        indicator(2, "≥", "≥90%", "%", "合格率"),
        indicator(3, "≤", "≤30天", "天", "办理时限"),
        indicator(4, "定性", "显著改善", None, "群众生活"),
        indicator(5, "≥", "≥0起", "起", "新增设施"),
        indicator(6, "≥", "≥90%", "%", "预算执行率"),
    ]
)


def lights_of(values: dict[int, str], month: int, scheme=SCHEME) -> pd.Series:
    progress = pd.DataFrame(
        {"project_id": "P", "seq": list(values), "month": month, "value": list(values.values())}
    )
    out = monitoring.indicator_lights(INDICATORS, progress, scheme)
    return out.set_index("seq")


@pytest.mark.parametrize(
    ("value", "ratio", "light"),
    [
        ("359", 59.833, "红灯"),
        ("360", 60.0, "黄灯"),
        ("480", 80.0, "绿灯"),
        ("719", 119.833, "绿灯"),
        ("720", 120.0, "蓝灯"),
    ],
)
def test_cumulative_positive_indicator_against_the_pro_rata_target(value, ratio, light):
    row = lights_of({1: value}, 6).loc[1]  # target 1200 · 6/12 = 600
    assert row["kind"] == "cumulative"
    assert row["ratio"] == pytest.approx(ratio, abs=1e-3)
    assert row["light"] == light


def test_rates_are_levels_unless_the_scheme_pro_rates_them(tmp_path):
    row = lights_of({2: "85%"}, 3).loc[2]
    assert row["kind"] == "level" and row["ratio"] == pytest.approx(100 * 85 / 90) and row["light"] == "绿灯"
    deployed = user_scheme(tmp_path, "monitoring:\n  cumulative:\n    rates: true\n")
    row = lights_of({2: "85%"}, 3, deployed).loc[2]
    assert row["kind"] == "cumulative" and row["ratio"] == pytest.approx(100 * 85 / (90 * 0.25))
    assert row["light"] == "蓝灯"


def test_execution_rates_accumulate_by_name():
    row = lights_of({6: "40%"}, 6).loc[6]
    assert (
        row["kind"] == "cumulative"
        and row["ratio"] == pytest.approx(100 * 40 / 45)
        and row["light"] == "绿灯"
    )


def test_reverse_qualitative_and_zero_target_lights(tmp_path):
    out = lights_of({3: "30", 4: "部分达成", 5: "0"}, 6)
    assert out.loc[3, "light"] == "绿灯" and out.loc[4, "light"] == "黄灯" and out.loc[5, "light"] == "绿灯"
    out = lights_of({3: "31天", 4: "未达成", 5: "2起"}, 6)
    assert out.loc[3, "light"] == "红灯" and out.loc[4, "light"] == "红灯" and out.loc[5, "light"] == "红灯"
    assert lights_of({4: "达成"}, 6).loc[4, "light"] == "绿灯"
    always_red = user_scheme(tmp_path, "monitoring:\n  zero_target: red\n")
    assert lights_of({5: "0"}, 6, always_red).loc[5, "light"] == "红灯"


def test_an_unreadable_value_has_no_light_unless_the_scheme_gives_one(tmp_path):
    row = lights_of({1: "进展顺利"}, 6).loc[1]
    assert pd.isna(row["light"]) and row["light_code"] == -1
    strict = user_scheme(tmp_path, "monitoring:\n  missing: 黄灯\n")
    assert lights_of({1: "进展顺利"}, 6, strict).loc[1, "light"] == "黄灯"


def test_project_light_is_the_worst_of_its_indicators_and_its_execution(tmp_path):
    monthly = pd.DataFrame({"project_id": ["P", "P"], "month": [6, 7], "executed_cum": [36.0, 70.0]})
    execution = monitoring.execution_lights(monthly, budget(P=120.0), SCHEME)  # 黄灯 in June, 绿灯 in July
    progress = pd.DataFrame(
        {"project_id": "P", "seq": [1, 2, 1, 2], "month": [6, 6, 7, 7], "value": ["720", "95%", "720", "95%"]}
    )
    ind = monitoring.indicator_lights(INDICATORS, progress, SCHEME)  # June: 蓝 + 绿; July: 绿 (102.9) + 绿
    out = monitoring.project_lights(execution, ind, SCHEME).set_index("month")
    assert out.loc[6, "indicator_light"] == "绿灯" and out.loc[6, "execution_light"] == "黄灯"
    assert out.loc[6, "light"] == "黄灯" and out.loc[6, "n_蓝灯"] == 1
    assert out.loc[7, "light"] == "绿灯"
    indicators_only = user_scheme(tmp_path, "monitoring:\n  include_execution: false\n")
    assert (
        monitoring.project_lights(execution, ind, indicators_only).set_index("month").loc[6, "light"]
        == "绿灯"
    )


def test_unit_and_department_take_their_worst_project():
    lights = pd.DataFrame({"project_id": ["A", "B", "C"], "month": [6, 6, 6], "light_code": [2, 1, 0]})
    projects = pd.DataFrame({"project_id": ["A", "B", "C"], "unit_id": ["101", "101", "101001"]})
    units = pd.DataFrame({"unit_id": ["101", "101001"], "parent_unit_id": [None, "101"]})
    per_unit = monitoring.unit_lights(lights, projects, units).set_index("unit_id")
    assert per_unit["light"].to_dict() == {"101": "黄灯", "101001": "红灯"}
    per_department = monitoring.unit_lights(lights, projects, units, "department")
    assert per_department["unit_id"].tolist() == ["101"] and per_department.iloc[0]["light"] == "红灯"
    assert per_department.iloc[0][["n_红灯", "n_黄灯", "n_绿灯"]].tolist() == [1, 1, 1]


CURVE = pd.DataFrame(
    {
        "project_id": "P",
        "month": range(1, 13),
        "executed_cum": [10, 20, 30, 40, 50, 75, 80, 85, 90, 95, 60 + 40, 100 + 60],
    }
)


def test_projection_recent_pace_and_linear(tmp_path):
    row = monitoring.projection(CURVE, budget(P=120.0), SCHEME).iloc[0]
    assert row["as_of"] == 9 and row["executed_as_of"] == 90
    assert row["projected"] == pytest.approx(90 + 3 * (90 - 75) / 3)  # 105: the last quarter's pace
    assert row["projected_rate"] == pytest.approx(0.875) and row["warn"]
    assert row["actual_rate"] == pytest.approx(160 / 120)
    linear = user_scheme(tmp_path, "monitoring:\n  projection:\n    method: linear\n")
    row = monitoring.projection(CURVE, budget(P=120.0), linear).iloc[0]
    assert row["projected"] == pytest.approx(120.0) and not row["warn"]
    assert monitoring.projection(CURVE, budget(P=120.0), SCHEME, as_of=2).iloc[0][
        "projected"
    ] == pytest.approx(120)


def test_december_rush_share_and_threshold(tmp_path):
    row = monitoring.december_rush(CURVE, budget(P=200.0), SCHEME).iloc[0]
    assert row["december"] == 60 and row["december_share"] == pytest.approx(60 / 160)
    assert row["december_of_budget"] == pytest.approx(0.3) and row["rush"]
    tolerant = user_scheme(tmp_path, "monitoring:\n  december_rush:\n    max_share: 0.4\n")
    assert not monitoring.december_rush(CURVE, budget(P=200.0), tolerant).iloc[0]["rush"]
    no_november = CURVE[CURVE["month"] != 11]
    assert np.isnan(monitoring.december_rush(no_november, budget(P=200.0), SCHEME).iloc[0]["december_share"])


def test_midyear_whole_department_check():
    targets = pd.DataFrame(
        {
            "unit_id": ["101", "101", "101", "102"],
            "seq": [1, 2, 3, 1],
            "dimension": ["管理效率", "履职效能", "运行成本", "管理效率"],
            "indicator": ["预算执行率", "培训人次", "“三公”经费变动率", "预算执行率"],
            "direction": ["≥", "≥", "≤", "≥"],
            "target": ["≥90%", "≥200人次", "≤0%", "≥90%"],
            "measure_unit": ["%", "人次", "%", "%"],
            "weight": [10.0, 5.0, 5.0, 10.0],
            "mid_actual": ["40%", "90人次", "-3%", "20%"],
        }
    )
    check = monitoring.midyear_check(targets, SCHEME)
    assert check["ratio"].round(3).tolist()[:2] == [pytest.approx(88.889, abs=1e-3), 90.0]
    assert check["light"].tolist() == ["绿灯", "绿灯", "绿灯", "红灯"]
    units = monitoring.midyear_units(check).set_index("unit_id")
    assert units["light"].to_dict() == {"101": "绿灯", "102": "红灯"}
    assert units.loc["101", "on_track_share"] == 1.0


def test_sanctions_suspend_and_stop_with_their_reasons(tmp_path):
    months = range(1, 10)
    monthly = pd.DataFrame(
        {
            "project_id": ["slow"] * 9 + ["stalled"] * 9 + ["fine"] * 9,
            "month": list(months) * 3,
            "executed_cum": [4.0 * m for m in months]
            + [2.0 * m for m in months]
            + [10.0 * m for m in months],
        }
    )
    execution = monitoring.execution_lights(monthly, budget(slow=120.0, stalled=120.0, fine=120.0), SCHEME)
    lights = monitoring.project_lights(execution, execution.iloc[0:0].assign(seq=[]), SCHEME)
    out = monitoring.sanctions(lights, execution, SCHEME).set_index("project_id")
    assert sorted(out.index) == ["slow", "stalled"]
    # slow: 36/120 = 30 % by September, v = 40: red for months 7–9, not below 30 %.
    assert out.loc["slow", "action"] == "暂缓拨款"
    assert out.loc["slow", "reasons"] == "预算执行连续3个月红灯（7–9月）"
    # stalled: 18/120 = 15 % by September.
    assert out.loc["stalled", "action"] == "停止拨款"
    assert out.loc["stalled", "reasons"] == "预算执行连续3个月红灯（7–9月）；9月末预算执行率15.0%，低于30%"
    assert out.loc["stalled", "at_stake"] == pytest.approx(102.0)
    assert out.index[0] == "stalled"  # ranked by the money held back
    lenient = user_scheme(
        tmp_path,
        """
        monitoring:
          sanctions:
            - {rule: execution_below, month: 9, percent: 20, action: 暂缓拨款}
    """,
    )
    out = monitoring.sanctions(lights, execution, lenient)
    assert out["project_id"].tolist() == ["stalled"] and out.iloc[0]["action"] == "暂缓拨款"


def test_no_spending_rule_and_rules_after_the_review_month(tmp_path):
    monthly = pd.DataFrame({"project_id": "P", "month": [3, 6], "executed_cum": [0.0, 0.0]})
    execution = monitoring.execution_lights(monthly, budget(P=100.0), SCHEME)
    lights = monitoring.project_lights(execution, execution.iloc[0:0].assign(seq=[]), SCHEME)
    out = monitoring.sanctions(lights, execution, SCHEME, as_of=6)
    assert out.iloc[0]["reasons"] == "截至6月末未发生支出" and out.iloc[0]["action"] == "暂缓拨款"
    assert monitoring.sanctions(lights, execution, SCHEME, as_of=5).empty
