"""Scoring schemes as versioned data (pbm_lib.schemes; rules.md §0, §3)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from pbm_lib.errors import PbmError
from pbm_lib.schemes import (
    DEFAULT_SCHEME_ID,
    SchemeError,
    available_schemes,
    load_scheme,
    register_section,
    scheme_ids,
    select_scheme,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_schemes_load_and_cite_sources():
    shipped = available_schemes()
    ids = {s["id"] for s in shipped}
    assert sorted(ids) == scheme_ids()
    assert {"cz2020-10-self", "cz2020-10-evaluation", "yunnan-county-self", "sichuan-dept-self",
            "yongde-self"} <= ids
    for info in shipped:
        scheme = load_scheme(f"{info['id']}@{info['version']}")
        assert scheme.id == info["id"] and scheme.version == info["version"]
        assert scheme.sources and all(s.title and s.evidence for s in scheme.sources)
        assert Path(scheme.files[-1]).name == Path(info["path"]).name
        assert (scheme.budget.weight or 0) + scheme.indicators_total == scheme.total == 100


def test_default_scheme_is_10hao_self_evaluation():
    scheme = load_scheme()
    assert scheme.id == DEFAULT_SCHEME_ID
    assert scheme.kind == "self_evaluation"
    assert [(x.name, x.weight) for x in scheme.level1] == [("产出指标", 50), ("效益指标", 30), ("满意度指标", 10)]
    assert scheme.budget.weight == 10 and scheme.budget.denominator == "annual" and scheme.budget.cap == 1
    rules = scheme.rules
    assert (rules.reverse, rules.equal, rules.default_direction) == ("linear_2t", "one_sided", "positive")
    assert (rules.over_achievement.policy, rules.over_achievement.threshold) == ("require_note", 1.3)
    assert rules.over_achievement.zero_target_threshold == 30
    assert rules.rescale_not_applicable is False
    assert dict(scheme.qualitative.bands) == {"达成": (0.8, 1.0), "部分达成": (0.6, 0.8), "未达成": (0.0, 0.6)}
    assert scheme.qualitative.synonyms["达成预期指标"] == "达成"
    assert scheme.qualitative.synonyms["及时"] == "达成"
    assert scheme.grades.grades == ("优", "良", "中", "差")
    assert scheme.grades.minimums == (90, 80, 60, 0)
    assert scheme.review.score_tolerance == 0.5 and scheme.review.rate_tolerance == 0.1


def test_variants():
    evaluation = load_scheme("cz2020-10-evaluation")
    assert evaluation.kind == "evaluation"
    assert [x.name for x in evaluation.level1] == ["决策", "过程", "产出", "效益"]
    assert evaluation.budget.weight is None and evaluation.indicators_total == 100
    assert evaluation.min_output_outcome == 60
    assert evaluation.level1[1].level2[0]["level3"][1] == "预算执行率"
    # inherited rules and provenance from the scheme it extends
    assert evaluation.rules.reverse == "linear_2t"
    assert any("10号" in s.title for s in evaluation.sources)
    yunnan = load_scheme("yunnan-county-self")
    assert yunnan.budget.weight == 20 and yunnan.indicators_total == 80
    assert all(x.weight is None for x in yunnan.level1)
    sichuan = load_scheme("sichuan-dept-self")
    assert sichuan.budget.explain_below == 0.9 and sichuan.indicators_total == 90
    yongde = load_scheme("yongde-self")
    assert [x.weight for x in yongde.level1] == [40, 30, 20]


def test_scheme_is_frozen():
    scheme = load_scheme()
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        scheme.qualitative.synonyms["新词"] = "达成"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.budget.cap = 2  # type: ignore[misc]


def test_user_file_extends_and_overrides(tmp_path):
    path = write(tmp_path, "my_city.yaml", """
        extends: cz2020-10-self
        title: 某市自评方案
        sources:
          - {title: 某市财政局通知, url: null, evidence: published}
        budget:
          weight: 20
        weights:
          indicators_total: 80
          level1:
            - {name: 产出指标, weight: 40}
            - {name: 效益指标, weight: 30}
            - {name: 满意度指标, weight: 10}
        scoring:
          reverse: ratio
          over_achievement: {policy: deduct, deduction_k: 0.5}
    """)
    scheme = load_scheme(path)
    assert scheme.id == "my_city" and scheme.version == 1
    assert scheme.budget.weight == 20 and scheme.budget.denominator == "annual"  # merged key by key
    assert scheme.rules.reverse == "ratio"
    assert scheme.rules.over_achievement.policy == "deduct"
    assert scheme.rules.over_achievement.threshold == 1.3  # inherited
    assert scheme.sources[0].title == "某市财政局通知"
    assert len(scheme.sources) > 1  # the parent's sources are kept after the file's own
    assert scheme.files[-1] == str(path)


def test_user_file_extends_a_relative_path(tmp_path):
    write(tmp_path, "base.yaml", """
        id: base
        extends: cz2020-10-self@1
        scoring: {equal: two_sided}
    """)
    child = write(tmp_path, "child.yaml", """
        id: child
        extends: base.yaml
        review: {score_tolerance: 1}
    """)
    scheme = load_scheme(child)
    assert scheme.rules.equal == "two_sided" and scheme.review.score_tolerance == 1
    assert len(scheme.files) == 3


def test_extra_sections_are_kept_frozen_and_can_be_validated(tmp_path, monkeypatch):
    import pbm_lib.schemes as schemes

    # A registry entry made here must not leak into other tests.
    monkeypatch.setattr(schemes, "_SECTION_VALIDATORS", dict(schemes._SECTION_VALIDATORS))
    path = write(tmp_path, "stage.yaml", """
        extends: cz2020-10-self
        example_stage:
          lights: {red: 60, yellow: 80}
    """)
    scheme = load_scheme(path)
    assert scheme.section("example_stage")["lights"]["red"] == 60
    assert scheme.section("not_there") is None
    with pytest.raises(TypeError):
        scheme.section("example_stage")["lights"]["red"] = 1

    def check(value, where):
        if value["lights"]["red"] >= value["lights"]["yellow"]:
            raise SchemeError(f"{where}: red must be below yellow")

    register_section("example_stage", check)
    assert load_scheme(path).section("example_stage")["lights"]["yellow"] == 80
    bad = write(tmp_path, "bad_stage.yaml", """
        extends: cz2020-10-self
        example_stage:
          lights: {red: 90, yellow: 80}
    """)
    with pytest.raises(SchemeError, match="bad_stage.yaml · example_stage: red must be below yellow"):
        load_scheme(bad)
    with pytest.raises(ValueError):
        register_section("scoring", check)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("scoring: {reverse: quadratic}", "scoring.reverse"),
        ("scoring: {speling: 1}", "scoring.speling"),
        ("budget: {denominator: monthly}", "budget.denominator"),
        ("budget: {cap: -1}", "budget.cap"),
        ("budget: {weight: 15}", "budget.weight"),
        ("weights: {level1: [{name: 产出指标, weight: 60}, {name: 效益指标, weight: 40}]}", "weights.level1"),
        ("qualitative: {bands: {达成: [0.8, 1.0], 部分达成: [0.5, 0.8], 未达成: [0, 0.6]}}", "qualitative.bands"),
        ("qualitative: {levels: {达成: [及时], 未达成: [及时]}}", "qualitative.levels.未达成"),
        ("grades: {bands: [{grade: 优, min: 90}, {grade: 良, min: 95}, {grade: 差, min: 0}]}", "grades.bands"),
        ("scoring: {over_achievement: {policy: deduct}}", "scoring.over_achievement.deduction_k"),
        ("scoring: {negative_target: deduction}", "scoring.deduction_per_unit"),
        ("kind: audit", "kind"),
        ("applies_to: {jurisdiction: '('}", "applies_to.jurisdiction"),
    ],
)
def test_validation_errors_name_the_file_and_key(tmp_path, body, where):
    path = write(tmp_path, "bad.yaml", "extends: cz2020-10-self\n" + body + "\n")
    with pytest.raises(SchemeError) as error:
        load_scheme(path)
    assert f"bad.yaml · {where}:" in str(error.value)
    assert isinstance(error.value, PbmError)


def test_a_scheme_without_sources_is_refused(tmp_path):
    path = write(tmp_path, "nosource.yaml", "id: x\nkind: self_evaluation\n")
    with pytest.raises(SchemeError, match="nosource.yaml · sources: .*cite"):
        load_scheme(path)


def test_loading_errors(tmp_path):
    with pytest.raises(SchemeError, match="未知的方案「nope」"):
        load_scheme("nope")
    with pytest.raises(SchemeError, match="unknown scheme"):
        load_scheme("cz2020-10-self@99")
    with pytest.raises(SchemeError, match="not found"):
        load_scheme(tmp_path / "missing.yaml")
    bad = write(tmp_path, "broken.yaml", "id: x\nweights: [1, 2\n")
    with pytest.raises(SchemeError, match=r"broken.yaml · 第\d+行: YAML"):
        load_scheme(bad)
    listed = write(tmp_path, "list.yaml", "- 1\n- 2\n")
    with pytest.raises(SchemeError, match="mapping"):
        load_scheme(listed)
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(SchemeError, match="circular"):
        load_scheme(a)


def test_evaluation_weights_below_60_percent_warn(tmp_path):
    path = write(tmp_path, "eval.yaml", """
        extends: cz2020-10-evaluation
        weights:
          level1:
            - {name: 决策, weight: 30}
            - {name: 过程, weight: 20}
            - {name: 产出, weight: 30}
            - {name: 效益, weight: 20}
    """)
    scheme = load_scheme(path)
    assert scheme.warnings and "低于 60" in scheme.warnings[0]


@pytest.mark.parametrize(
    ("jurisdiction", "title", "budget_weight", "expected"),
    [
        ("四川省眉山市青神县", "部门预算项目支出绩效自评表（2023年度）", 10, "sichuan-dept-self"),
        ("四川省德阳市中江县", "绩效目标自评表（2022年度）", 10, "cz2020-10-self"),
        ("云南省保山市隆阳区", "2022年度项目支出绩效自评表", 20, "yunnan-county-self"),
        ("云南省丽江市古城区", "项目支出绩效自评表", 10, "cz2020-10-self"),
        ("云南省临沧市永德县", "项目支出绩效自评表", 10, "yongde-self"),
        ("湖北省", "省直项目支出绩效自评表", 20, "yunnan-county-self"),
        ("上海市普陀区", None, 10, "cz2020-10-self"),
        (None, None, None, "cz2020-10-self"),
    ],
)
def test_select_scheme(jurisdiction, title, budget_weight, expected):
    assert select_scheme(jurisdiction, title, budget_weight).id == expected


def test_evaluation_framework_tables_select_the_evaluation_scheme():
    assert select_scheme("宁夏银川市", "项目支出绩效评价评分表", 10, ["决策(10分)", "管理", "产出", "效益"]).id == (
        "cz2020-10-evaluation")
    assert select_scheme("上海市", "项目支出绩效自评表", 10, ["产出指标", "效益指标"]).id == "cz2020-10-self"
