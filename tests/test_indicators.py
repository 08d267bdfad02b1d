"""Targets and actuals as people write them (pbm_lib.indicators; rules.md §3.4, §5 loader rules)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbm_lib.indicators import (
    KINDS,
    OPERATOR_WORDS,
    SUFFIX_WORDS,
    UNIT_STATUSES,
    VALUE_PATTERN,
    _canonical_unit,
    align_units,
    factorize,
    map_levels,
    normalise_text,
    normalise_word,
    normalise_words,
    parse_distinct,
    parse_text,
    parse_values,
)
from pbm_lib.workbook.values import BLANK_MARKERS


def parse_one(value, direction=None, unit=None) -> dict:
    frame = parse_values(
        pd.Series([value], dtype=object),
        None if direction is None else pd.Series([direction], dtype=object),
        None if unit is None else pd.Series([unit], dtype=object),
    )
    row = frame.iloc[0].to_dict()
    # Text fields are categoricals: their missing entries come back as NaN; show them as None.
    return {k: (None if k != "value" and not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}


@pytest.mark.parametrize(
    ("written", "operator", "direction", "value", "unit"),
    [
        ("≥95%", "≥", "positive", 95.0, "%"),
        ("≧735人次", "≥", "positive", 735.0, "人次"),
        ("═100%", "=", "equal", 100.0, "%"),
        ("﹦100%", "=", "equal", 100.0, "%"),
        ("＝100%", "=", "equal", 100.0, "%"),
        ("≤30天", "≤", "reverse", 30.0, "天"),
        ("≤90万元", "≤", "reverse", 90.0, "万元"),
        ("98%以上", "≥", "positive", 98.0, "%"),
        ("不低于90%", "≥", "positive", 90.0, "%"),
        ("不少于12种", "≥", "positive", 12.0, "种"),
        ("不超过5%", "≤", "reverse", 5.0, "%"),
        ("30天以内", "≤", "reverse", 30.0, "天"),
        ("20万元", None, None, 20.0, "万元"),
        ("735", None, None, 735.0, None),
        (735, None, None, 735.0, None),
        (95.0, None, None, 95.0, None),
        (">=90%", "≥", "positive", 90.0, "%"),
        ("<=3天", "≤", "reverse", 3.0, "天"),
        (">0", ">", "positive_strict", 0.0, None),
        ("<5%", "<", "reverse_strict", 5.0, "%"),
        ("≥100百分比", "≥", "positive", 100.0, "%"),
        ("≤-5%", "≤", "reverse", -5.0, "%"),
        ("=0", "=", "equal", 0.0, None),
        ("≥ ９５ ％", "≥", "positive", 95.0, "%"),  # full-width digits and spaces
        ("215,457.6元", None, None, 215457.6, "元"),  # thousands separator
        ("3个月内", "≤", "reverse", 3.0, "月"),
        ("100%(含)", None, None, 100.0, "%"),
    ],
)
def test_written_values_parse(written, operator, direction, value, unit):
    row = parse_one(written)
    assert row["kind"] == "number"
    assert row["operator"] == operator
    assert row["direction"] == direction
    assert row["value"] == pytest.approx(value)
    assert row["unit"] == unit


@pytest.mark.parametrize("word", ["及时", "有效", "显著提升", "达成", "部分达成", "未达成", "达成预期指标",
                                  "严格执行相关制度规定", "完成10个村"])
def test_words_are_qualitative_text(word):
    row = parse_one(word)
    assert row["kind"] == "text"
    assert row["direction"] == "qualitative"
    assert np.isnan(row["value"])
    assert row["raw"] == word


@pytest.mark.parametrize(("cell", "kind"), [(None, "blank"), ("", "blank"), ("  ", "blank"), ("/", "not_applicable"),
                                            ("—", "not_applicable"), ("-", "not_applicable"),
                                            ("——", "not_applicable")])
def test_blank_and_not_applicable_are_never_zero(cell, kind):
    row = parse_one(cell)
    assert row["kind"] == kind
    assert np.isnan(row["value"])


def test_raw_text_is_kept_beside_the_parsed_value():
    frame = parse_values(pd.Series(["≥ ９５％", 735, None], dtype=object))
    assert frame["raw"].tolist()[:2] == ["≥ ９５％", 735]
    assert frame["text"].tolist()[:2] == ["≥95%", "735"]


def test_direction_column_wins_and_conflict_is_reported():
    row = parse_one("≥95%", direction="≤")
    assert row["direction"] == "reverse"
    assert row["direction_conflict"]
    row = parse_one("100", direction="=")
    assert row["direction"] == "equal"
    assert not row["direction_conflict"]
    assert parse_one("100", direction="正向")["direction"] == "positive"
    assert parse_one("5", direction="反向")["direction"] == "reverse"
    assert parse_one("100%", direction="定性")["direction"] == "qualitative"
    # 定量 names no direction: the text's operator stands
    assert parse_one("≤5天", direction="定量")["direction"] == "reverse"


def test_unit_column_is_used_only_where_the_text_has_no_unit():
    assert parse_one(100, unit="%")["unit"] == "%"
    row = parse_one("100人", unit="%")
    assert row["unit"] == "人"
    assert row["unit_given"]
    assert not parse_one(100, unit="%")["unit_given"]


def test_claim_operators_anywhere_in_an_actual():
    frame = parse_values(pd.Series(["≥266米", "98%以上", "实际≥90%", "不低于90%", "100%", "在计划时间内完成"]))
    assert frame["claim"].tolist() == [True, True, True, True, False, False]


def test_parse_is_vectorised_and_same_as_row_by_row():
    cells = ["≥95%", "≤30天", None, "及时", "/", "≥95%", 100, "20万元"] * 50
    bulk = parse_values(pd.Series(cells, dtype=object))
    for i in (0, 1, 2, 3, 4, 6, 7):
        one = parse_one(cells[i])
        assert bulk["kind"].iloc[i] == one["kind"]
        assert (np.isnan(bulk["value"].iloc[i]) and np.isnan(one["value"])) or bulk["value"].iloc[i] == one["value"]
        direction = bulk["direction"].iloc[i]
        assert (None if pd.isna(direction) else direction) == one["direction"]
    assert list(bulk["kind"].cat.categories) == list(KINDS)


def test_normalise_text_categorical():
    text = normalise_text(pd.Series(["达成预期指标。", " 达成预期指标", "ＡＢ"], dtype=object))
    assert text.tolist() == ["达成预期指标", "达成预期指标", "AB"]


def units(values):
    return pd.Categorical(values)


@pytest.mark.parametrize(
    ("t", "tu", "a", "au", "reverse", "expected", "status"),
    [
        (30, "天", 1, "月", False, 30.0, "converted"),  # 一个月按30天
        (90, "万元", 900000, "元", True, 90.0, "converted"),
        (1, "年", 6, "月", False, 0.5, "converted"),
        (5, "公顷", 15, "亩", False, 1.0, "converted"),
        (2, "万人", 15000, "人", False, 1.5, "converted"),
        (95, "%", 0.97, None, False, 97.0, "fraction_to_percent"),
        (0.95, None, 97, "%", False, 97.0, "fraction_to_percent"),  # target scaled, actual kept
        (95, "%", 97, None, False, 97.0, "assumed"),
        (50, None, 50, "个", False, 50.0, "assumed"),
        (95, "%", 97, "%", False, 97.0, "same"),
        (5, None, 3, None, False, 3.0, "none"),
        (300, "户", 300, "人", False, np.nan, "mismatch"),
        (5, "%", 0.5, None, True, np.nan, "ambiguous"),  # ≤5% against 0.5: 0.5 % or 50 %?
        (5, "%", 0, None, True, 0.0, "assumed"),  # zero is zero in either reading
    ],
)
def test_align_units(t, tu, a, au, reverse, expected, status):
    out = align_units(np.array([t], float), units([tu]), np.array([a], float), units([au]), np.array([reverse]))
    assert out["unit_status"].iloc[0] == status
    got = out["actual_value"].iloc[0]
    if status == "fraction_to_percent" and au == "%":
        assert out["target_value"].iloc[0] == pytest.approx(95.0)
        assert got == pytest.approx(97.0)
    elif np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected)
    assert list(out["unit_status"].cat.categories) == list(UNIT_STATUSES)


def test_map_levels_uses_the_scheme_table_exactly():
    synonyms = {"达成": "达成", "达成预期指标": "达成", "及时": "达成", "部分达成": "部分达成", "未达成": "未达成"}
    text = normalise_text(pd.Series(["达成预期指标", "及时", "部分达成", "未达成", "很好", None], dtype=object))
    levels = map_levels(text, synonyms, ("达成", "部分达成", "未达成"))
    assert levels.astype(object).tolist()[:4] == ["达成", "达成", "部分达成", "未达成"]
    assert pd.isna(levels[4]) and pd.isna(levels[5])


OPERATORS = {"≥": "positive", "≧": "positive", ">=": "positive", "≤": "reverse", "≦": "reverse",
             "<=": "reverse", "=": "equal", "═": "equal", "﹦": "equal", ">": "positive_strict",
             "<": "reverse_strict", "不低于": "positive", "不超过": "reverse", "": None}


@given(
    operator=st.sampled_from(sorted(OPERATORS)),
    number=st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["", "%", "人", "万元", "天", "个", "亩"]),
)
def test_any_operator_number_unit_round_trips(operator, number, unit):
    text = f"{operator}{number}{unit}"
    row = parse_one(text)
    assert row["kind"] == "number"
    assert row["value"] == pytest.approx(float(number))
    assert row["direction"] == OPERATORS[operator]
    assert row["unit"] == (unit or None)


# parse_text reads VALUE_PATTERN in faster steps; the one regular expression is the reference.
_REFERENCE = re.compile(VALUE_PATTERN)
_PIECES = st.sampled_from(
    [*OPERATOR_WORDS, *SUFFIX_WORDS, "%", "人次", "万元", "天", "个", "约", "实际", ",", ".", "-", "+", "1", "0",
     "95", "3.5", ".5", "1,234", "٣", "及时", "以", "上", "内", "/"]
)


def _reference_parse(text: str) -> tuple:
    found = _REFERENCE.match(text)
    if found is None:
        return (1, None, None, None)
    op, suffix = found["op"], found["suffix"]
    operator = OPERATOR_WORDS[op] if op else SUFFIX_WORDS[suffix] if suffix else None
    return (0, operator, float(found["num"].replace(",", "")), found["unit"] or None)


@given(st.lists(_PIECES, min_size=1, max_size=5).map("".join))
def test_parse_text_agrees_with_the_value_pattern(text):
    kind, operator, number, unit, _claim = parse_text(text)
    if text in BLANK_MARKERS:
        assert kind == KINDS.index("not_applicable")
        return
    expected = _reference_parse(text)
    got = (kind, operator, None if kind else number, unit)
    if kind == 0 and math.isnan(number):  # beyond a float's range: no value
        expected = (*expected[:2], None, expected[3])
        got = (*got[:2], None, got[3])
    assert got == expected


@given(st.lists(st.lists(_PIECES, min_size=1, max_size=8).map("".join), min_size=1, max_size=30, unique=True))
def test_parse_distinct_agrees_with_the_value_pattern(texts):
    parsed = parse_distinct(texts)
    for i, text in enumerate(texts):
        kind = int(parsed["kind"][i])
        if text in BLANK_MARKERS:
            assert kind == KINDS.index("not_applicable")
            continue
        number = parsed["number"][i]
        expected = _reference_parse(text)
        if kind == 0 and expected[0] == 0:
            assert number == expected[2] or (math.isnan(number) and math.isinf(expected[2])), text
        operator = parsed["operator"][i]
        assert (kind, operator) == expected[:2], text
        unit = parsed["unit"][i]
        assert unit == (_canonical_unit(expected[3]) if expected[3] else None), text
        assert bool(parsed["claim"][i]) == parse_text(text)[4], text


def test_parse_distinct_edge_cases_agree_with_the_value_pattern():
    texts = ["1,", "-.5", "+5%", ".5.", "١٢人", "≥-5天", "1a2", ",5", "1,234.5万元", "1.,2", "<=.5", "95%以上",
             "30天内", "12345678901234567890", "1234567890123456", "≥95%", "≧735人次", "及时", "/", "0", "-0",
             "3.14159265358979", "不低于90%", "≥1e5", "x" * 40 + "5", "≥95% ", "大于或等于5个"]
    test_parse_distinct_agrees_with_the_value_pattern.hypothesis.inner_test(texts)


_PLAIN_PIECES = st.sampled_from(
    ["0", "1", "7", "95", "3.5", "1,234", "12345678", ",", ".", "..", "%", "人次", "万元", "万元以上", "个百分点以上",
     "以内", "天", "٣", "３", "\U0001d7d9", "\x00", "😀", "e5", "-", "+", "", "约", "≥"]
)


@given(st.lists(st.tuples(st.sampled_from(["1", "9", "0", "12", "3.25"]), st.lists(_PLAIN_PIECES, max_size=8))
                .map(lambda p: p[0] + "".join(p[1])), max_size=40, unique=True))
def test_plain_numbers_read_on_code_points_as_parse_text_does(texts):
    # Texts led by a digit take the numpy reader (_read_plain_numbers): numbers must be the very doubles
    # float() gives, tails and claims the same, and what it cannot read left to the regular expression.
    _assert_read_as_parse_text_reads(texts)


def test_plain_numbers_edge_cases():
    texts = ["123456789012345", "1234567890123456", "999999999999999.9", "0.1", "0.30000000000000004", "1,2,3.4,5",
             "5.%", "5.", "12,", "7.25万元以上", "1٣", "1.٣", "2٣%", "4%٣", "8人次以上以内", "1\U0001d7d9", "3个百分点以上啊",
             "0001.5000", "6" * 15 + ".5", "1.5" + "0" * 20]
    test_plain_numbers_read_on_code_points_as_parse_text_does.hypothesis.inner_test(texts)


def test_cjk_block_holds_no_decimal_digit():
    # _read_plain_numbers looks for decimal digits other than 0-9 outside U+3000–U+9FFF only.
    assert not [c for c in range(0x3000, 0xA000) if chr(c).isdecimal()]


def _same_parse(got: tuple, expected: tuple) -> bool:
    return all(g == e or (isinstance(g, float) and math.isnan(g) and math.isnan(e)) for g, e in zip(got, expected, strict=True))


def _assert_read_as_parse_text_reads(texts: list) -> None:
    """parse_distinct of the texts gives, text by text, what parse_text gives (the reference)."""
    parsed = parse_distinct(texts)
    for i, text in enumerate(texts):
        kind, operator, number, unit, claim = parse_text(text)
        got = (int(parsed["kind"][i]), parsed["operator"][i], float(parsed["number"][i]), parsed["unit"][i],
               bool(parsed["claim"][i]))
        assert _same_parse(got, (kind, operator, number, _canonical_unit(unit) if unit else None, claim)), text


@given(st.lists(st.one_of(st.none(), st.lists(st.one_of(_PIECES, st.sampled_from(["\n", "", "\r", " ", "一"])),
                                              max_size=8).map("".join)), max_size=30, unique=True))
def test_parse_distinct_reads_each_text_as_parse_text_does(texts):
    # parse_distinct reads many texts with one regular expression; parse_text, one at a time, is the reference.
    _assert_read_as_parse_text_reads(texts)


_CELLS = st.one_of(
    st.text(), st.text(alphabet=st.sampled_from(["\x00", "\x1c", "\u3000", "\u00a0", " ", "−", "。", "，", ".", "Ａ", "①",
                                                 "\u0301", "e", "１", "ｶ", "ﾞ", "\u1100", "\u1161", "%", "≥", "\n"])),
    st.none(), st.floats(allow_nan=True), st.integers(),
)


@given(st.lists(_CELLS, max_size=20))
def test_normalise_words_agrees_with_normalise_word(values):
    # normalise_words normalises the strings joined as one text; normalise_word, one at a time, is the reference.
    assert normalise_words(values) == [normalise_word(v) for v in values]


def _pandas_codes(cells) -> tuple[list, list]:
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object), use_na_sentinel=True)
    return [int(c) if c >= 0 else len(uniques) for c in codes], [*uniques.tolist(), None]


_FACTOR_CELLS = st.one_of(st.sampled_from(["达成", "95%", "≥95%", "", "a"]), st.text(max_size=3), st.none(),
                          st.just(np.nan), st.just(pd.NA), st.integers(-3, 3), st.floats(allow_nan=False),
                          st.just(b"x"), st.just(np.str_("95%")))


@settings(max_examples=80, deadline=None)
@given(st.lists(_FACTOR_CELLS, max_size=40), st.integers(0, 3), st.sampled_from(["spread", "runs"]))
def test_factorize_agrees_with_pandas(cells, copies, layout):
    # factorize takes shortcuts (UTF-8 hashing of text, runs of equal neighbours, empty columns) by looking
    # at a sample: on long columns where the odd cell lies outside the sample, codes must still be pandas'.
    column = cells * (400 * copies + 1) if layout == "spread" else [c for c in cells for _ in range(400 * copies + 1)]
    column = column + [3.5] if copies and cells else column  # a number after the sample
    codes, uniques = factorize(pd.Series(column, dtype=object))
    expected_codes, expected_uniques = _pandas_codes(column)
    assert codes.tolist() == expected_codes
    assert [u if not isinstance(u, float) or u == u else "nan" for u in uniques] == \
        [u if not isinstance(u, float) or u == u else "nan" for u in expected_uniques]


def test_factorize_text_column_with_gaps_and_a_late_number():
    texts = np.asarray(["95%", None, "达成", np.nan, "95%"] * 5000 + [95.0], dtype=object)
    codes, uniques = factorize(pd.Series(texts, dtype=object))
    assert uniques == ["95%", "达成", 95.0, None]
    assert codes[:5].tolist() == [0, 3, 1, 3, 0] and codes[-1] == 2


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(_CELLS, st.lists(_PIECES, max_size=5).map("".join),
                          st.lists(_PLAIN_PIECES, max_size=4).map(lambda p: "7" + "".join(p))), max_size=30))
def test_parse_values_reads_each_cell_as_parse_text_does(cells):
    # parse_values runs the bulk path (normalising the distinct cells joined, reading that join once);
    # each cell normalised and read alone is the reference.
    parsed = parse_values(pd.Series(cells, dtype=object))
    for i, cell in enumerate(cells):
        kind, operator, number, unit, claim = parse_text(normalise_word(cell))
        row = parsed.iloc[i]
        got_unit = row["unit"] if isinstance(row["unit"], str) else None
        got_operator = row["operator"] if isinstance(row["operator"], str) else None
        assert (KINDS.index(row["kind"]), got_operator, got_unit, bool(row["claim"])) == \
            (kind, operator, _canonical_unit(unit) if unit else None, claim), cell
        assert row["value"] == number or (math.isnan(row["value"]) and math.isnan(number)), cell


@pytest.mark.parametrize("values", [["a。", "b"], ["b", "a，"], ["95%.", "达成;", "x"], ["。", "b"], ["a", "b"],
                                    ["a。", 5.0, "b"], ["完成。。", "", "c,"]])
def test_normalise_words_strips_trailing_stops_of_every_piece(values):
    assert normalise_words(values) == [normalise_word(v) for v in values]


def test_empty_columns_are_recognised_by_pointer_or_by_isna():
    from pbm_lib.indicators import _all_none

    column = np.full(20_000, None, dtype=object)
    assert _all_none(column)
    column[7] = np.nan  # still empty, found by pd.isna
    assert _all_none(column)
    column[9] = ""
    assert not _all_none(column)
    strided = np.full((3, 20_000), None, dtype=object)[:, 5]  # not contiguous: pd.isna
    assert _all_none(strided)
    codes, uniques = factorize(pd.Series(np.full(20_000, None, dtype=object)))
    assert uniques == [None] and not codes.any()
