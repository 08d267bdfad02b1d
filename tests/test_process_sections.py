"""Scheme sections of the whole-process stages: shipped values, inheritance, located load-time errors."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from pbm_lib.process import sections
from pbm_lib.schemes import SchemeError, available_schemes, load_scheme

STAGE_SECTIONS = ("ex_ante", "target_review", "monitoring", "department", "results", "audit")


def user_scheme(tmp_path: Path, body: str):
    path = tmp_path / "city.yaml"
    path.write_text("id: city\nextends: cz2020-10-self\n" + dedent(body), encoding="utf-8")
    return load_scheme(path)


@pytest.mark.parametrize("ref", sorted({s["id"] for s in available_schemes()}))
def test_every_shipped_profile_carries_every_stage_section(ref):
    scheme = load_scheme(ref)
    for name in STAGE_SECTIONS:
        assert sections.get(scheme, name) is not None


def test_evaluation_profile_inherits_the_sections_unchanged():
    own, inherited = load_scheme("cz2020-10-self"), load_scheme("cz2020-10-evaluation")
    for name in STAGE_SECTIONS:
        assert dict(inherited.section(name)) == dict(own.section(name))


def test_shipped_defaults_match_rules_md():
    scheme = load_scheme()
    ex = scheme.section("ex_ante")
    assert [(b["conclusion"], b["min"]) for b in ex["conclusions"]] == [
        ("予以支持", 90),
        ("调整完善后予以支持", 70),
        ("不予支持", 0),
    ]
    assert dict(ex["dimensions"]) == {
        "立项必要性": 20,
        "投入经济性": 20,
        "绩效目标合理性": 20,
        "实施方案可行性": 20,
        "筹资合规性": 20,
    }
    mon = scheme.section("monitoring")
    assert [(b["light"], b["min"]) for b in mon["indicator_bands"]] == [
        ("蓝灯", 120),
        ("绿灯", 80),
        ("黄灯", 60),
        ("红灯", 0),
    ]
    assert [(b["light"], b["min"]) for b in mon["execution_bands"]] == [
        ("绿灯", 80),
        ("黄灯", 60),
        ("红灯", 0),
    ]
    assert mon["midyear_month"] == 6
    res = scheme.section("results")
    assert res["balance_cut_rate"] == 0.3 and res["recover_unused_carryover"] is True
    review = scheme.section("target_review")
    assert dict(review["consequences"]) == {
        "优": "直接进入预算安排",
        "良": "协商完善后进入预算安排",
        "中": "修改后重报",
        "差": "不得进入预算安排",
    }
    assert review["no_targets"] == "不安排预算"


def test_a_user_file_overrides_one_key_and_keeps_the_rest(tmp_path):
    scheme = user_scheme(
        tmp_path,
        """
        monitoring:
          review_month: 6
    """,
    )
    mon = scheme.section("monitoring")
    assert mon["review_month"] == 6
    assert mon["midyear_month"] == 6 and len(mon["indicator_bands"]) == 4


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("ex_ante:\n  aggregat: mean\n", "ex_ante.aggregat"),
        ("ex_ante:\n  dimensions: {立项必要性: 30}\n", "ex_ante.dimensions"),
        (
            "ex_ante:\n  conclusions:\n    - {conclusion: 予以支持, min: 90}\n    - {conclusion: 不予支持, min: 10}\n",
            "ex_ante.conclusions",
        ),
        (
            "monitoring:\n  indicator_bands:\n    - {light: 紫灯, min: 0}\n",
            "monitoring.indicator_bands[0].light",
        ),
        (
            "monitoring:\n  sanctions:\n    - {rule: red_streak, months: 3, light: execution, action: 罚款}\n",
            "monitoring.sanctions[0].action",
        ),
        ("monitoring:\n  review_month: 12\n", "monitoring.review_month"),
        ("target_review:\n  points: {categories: 50}\n", "target_review.points"),
        ("results:\n  score_priority: [财政评价, 财政评价]\n", "results.score_priority"),
        ("results:\n  grades:\n    中: {direction: 核减, cut_rate: 1.5}\n", "results.grades.中.cut_rate"),
        ("department:\n  blend: {framework: 0.7, projects: 0.7}\n", "department.blend"),
        ("audit:\n  self_vs_rule: 五\n", "audit.self_vs_rule"),
    ],
)
def test_bad_section_values_are_errors_at_load_time_with_their_location(tmp_path, body, where):
    with pytest.raises(SchemeError) as error:
        user_scheme(tmp_path, body)
    assert f"city.yaml · {where}" in str(error.value)


def test_a_stage_without_its_section_names_the_missing_section(tmp_path):
    scheme = load_scheme()
    bare = type(scheme)(**{**scheme.__dict__, "sections": {}})
    with pytest.raises(SchemeError, match="monitoring"):
        sections.get(bare, "monitoring")
