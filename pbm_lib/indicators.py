"""Targets and actuals as people write them: ``≥95%``, ``≧735人次``, ``98%以上``, ``≤30天``, ``及时``.

Reads an indicator value (年度指标值 or 实际完成值) into an operator, a direction, a number and a unit,
keeping the raw text beside them (rules.md §3.4 and the loader rules of §5), and reconciles the
units of a target and its actual (元 vs 万元, 天 vs 月, 85% vs 0.85).

Everything is vectorised over pandas Series. Real tables repeat the same few hundred texts
("≥95%", "100%", "及时"), so each column is factorised once, the regular expression and the
dictionary look-ups run once per *distinct* text, and results travel back to the rows as
categorical codes (text fields) or ``take`` (numbers). Nothing here raises on user data: what
cannot be read is reported in the ``kind`` and ``unit_status`` columns.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .workbook.values import BLANK_MARKERS, to_text

try:  # pandas' hash table of UTF-8 strings (see _factorize_texts); private, so optional
    from pandas._libs.hashtable import StringHashTable as _StringHashTable
except ImportError:  # pragma: no cover - a pandas without it: pd.factorize is used
    _StringHashTable = None

# ---------------------------------------------------------------------------------------------
# Operators and directions (rules.md §3.4)
# ---------------------------------------------------------------------------------------------

#: Canonical operator for each way of writing it before the value.
OPERATOR_WORDS: dict[str, str] = {
    ">=": "≥", "≥": "≥", "≧": "≥", "不少于": "≥", "不低于": "≥", "不小于": "≥", "大于等于": "≥", "大于或等于": "≥",
    "达到": "≥",
    ">": ">", "大于": ">", "高于": ">", "多于": ">", "超过": ">",
    "<=": "≤", "≤": "≤", "≦": "≤", "不超过": "≤", "不高于": "≤", "不大于": "≤", "不多于": "≤", "小于等于": "≤",
    "小于或等于": "≤",
    "<": "<", "小于": "<", "低于": "<", "少于": "<",
    "=": "=", "═": "=", "﹦": "=", "＝": "=", "==": "=", "等于": "=",
}
#: Bound words written after the value: ``98%以上``, ``30天以内``.
SUFFIX_WORDS: dict[str, str] = {
    "及以上": "≥", "以上": "≥", "或以上": "≥",
    "及以下": "≤", "以下": "≤", "或以下": "≤", "以内": "≤", "之内": "≤", "内": "≤",
}
#: Directions, in the order of their categorical codes.
DIRECTIONS = ("positive", "positive_strict", "reverse", "reverse_strict", "equal", "qualitative")
#: Direction of each canonical operator.
OPERATOR_DIRECTIONS: dict[str, str] = {
    "≥": "positive", ">": "positive_strict", "≤": "reverse", "<": "reverse_strict", "=": "equal",
}
#: Values of a separate 指标性质 (direction) column; None means "quantitative, read the operator".
DIRECTION_COLUMN_WORDS: dict[str, str | None] = {
    **{k: OPERATOR_DIRECTIONS[v] for k, v in OPERATOR_WORDS.items()},
    "正向": "positive", "正向指标": "positive", "反向": "reverse", "反向指标": "reverse",
    "定性": "qualitative", "定性指标": "qualitative",
    "定量": None, "定量指标": None,
}
#: Operators and bound words that mark an *actual* as a claim rather than a measurement (rules.md §5,
#: ``actual-copies-target``). Narrower than :data:`OPERATOR_WORDS`: "达到" or "内" inside an actual's
#: sentence say nothing about a copied target.
CLAIM_WORDS = (
    "≥", "≧", ">=", ">", "≤", "≦", "<=", "<", "=", "═", "﹦", "＝",
    "以上", "以下", "以内", "不少于", "不低于", "不小于", "不超过", "不高于", "不大于", "不多于",
)


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+"
#: One value: optional operator, number, optional unit, optional bound word, nothing else.
VALUE_PATTERN = (
    rf"^(?P<op>{_alternation(OPERATOR_WORDS)})?"
    rf"(?P<num>{_NUMBER})"
    rf"(?P<unit>[^\d]*?)"
    rf"(?P<suffix>{_alternation(SUFFIX_WORDS)})?$"
)
# parse_text's faster reading of VALUE_PATTERN (a test checks they agree).
# The operator alternation is entered only when the first character can start an operator.
_OPERATOR = rf"(?=[{re.escape(''.join(sorted({w[0] for w in OPERATOR_WORDS})))}])(?:{_alternation(OPERATOR_WORDS)})"
_OPERATOR_NUMBER_TAIL = re.compile(rf"(?:(?P<op>{_OPERATOR}))?(?P<num>{_NUMBER})(?P<tail>\D*)")
# The same grammar a line at a time, for parse_distinct: a line (with its newline) that is no value
# still matches, its groups None, so a split gives three groups per line.
_LINES = re.compile(rf"^(?:({_OPERATOR})?({_NUMBER})([^\d\n]*)$)?.*\n", re.MULTILINE)
_SUFFIXES = sorted(SUFFIX_WORDS, key=len, reverse=True)
_SUFFIX_ENDINGS = frozenset(w[-1] for w in SUFFIX_WORDS)
_CLAIMS = frozenset(CLAIM_WORDS)
_INFINITIES = (math.inf, -math.inf)
_CLAIM_RE = re.compile(_alternation(CLAIM_WORDS))
_PARENTHESES = re.compile(r"\(.*?\)")
_TRAILING = "。.;；,，"  # stripped from the end of a cell (normalise_word)

# ---------------------------------------------------------------------------------------------
# Units (toolkit policy: the conventions are stated beside each factor)
# ---------------------------------------------------------------------------------------------

#: Spellings of the same unit.
UNIT_ALIASES: dict[str, str] = {
    "百分比": "%", "百分点": "%", "个百分点": "%",
    "日": "天", "个月": "月", "星期": "周", "个工作日": "工作日", "时": "小时",
    "公斤": "千克", "公里": "千米", "平方千米": "平方公里", "㎡": "平方米", "m2": "平方米",
}
#: Unit → (family, factor to the family's base unit). Months and years follow the 30/360-day
#: convention of Chinese financial practice (一个月按30天, 一年按360天): toolkit policy.
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "%": ("percent", 1.0), "‰": ("percent", 0.1),
    "小时": ("time", 1.0 / 24.0), "天": ("time", 1.0), "周": ("time", 7.0), "月": ("time", 30.0),
    "季度": ("time", 90.0), "年": ("time", 360.0),
    "元": ("money", 1.0), "千元": ("money", 1e3), "万元": ("money", 1e4), "百万元": ("money", 1e6),
    "亿元": ("money", 1e8),
    "克": ("mass", 1.0), "千克": ("mass", 1e3), "斤": ("mass", 500.0), "吨": ("mass", 1e6),
    "毫米": ("length", 1e-3), "厘米": ("length", 1e-2), "米": ("length", 1.0), "千米": ("length", 1e3),
    "平方米": ("area", 1.0), "亩": ("area", 10000.0 / 15.0), "公顷": ("area", 1e4), "平方公里": ("area", 1e6),
}
#: Multiplier prefixes on any other unit: 万人 = 10 000 人 (亿元 and 万元 are listed above).
UNIT_PREFIXES: dict[str, float] = {"万": 1e4, "亿": 1e8}

#: Kinds of a parsed value, in the order of their categorical codes.
KINDS = ("number", "text", "blank", "not_applicable")
#: Outcomes of reconciling a target's unit with its actual's (:func:`align_units`).
UNIT_STATUSES = ("none", "same", "assumed", "converted", "fraction_to_percent", "mismatch", "ambiguous")


# ---------------------------------------------------------------------------------------------
# Per-distinct-value machinery
# ---------------------------------------------------------------------------------------------


def factorize(values: pd.Series | pd.Categorical) -> tuple[np.ndarray, list]:
    """Codes and distinct values of a column; missing cells get the extra code ``len(uniques)``.

    The distinct list ends with ``None`` so that ``per_unique[codes]`` works for every row.
    Columns grouped in runs (a project's id, a level-1 name on consecutive rows) are factorised by
    their runs: one comparison of neighbours, then hashing only each run's first value.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.array
    if isinstance(values, pd.Categorical):
        codes = values.codes.astype(np.intp)
        uniques = values.categories.to_numpy(dtype=object).tolist()
    else:
        array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
        # An empty column: skip the hashing. A thousand cells spread over the column rule out most
        # columns before the full (slow, object-wise) test.
        sample = array[:: max(1, len(array) // 1000)]
        sample_missing = pd.isna(sample)
        if len(array) and array[0] is None and sample_missing.all() and _all_none(array):
            return np.zeros(len(array), dtype=np.intp), [None]
        if len(array) > 10_000:
            runs = _factorize_runs(array)
            if runs is not None:
                return runs
        found = _factorize_texts(array, sample, sample_missing)
        if found is None:
            codes, index = pd.factorize(array, use_na_sentinel=True)
        else:
            codes, index = found
        uniques = np.asarray(index, dtype=object).tolist()
    codes[codes < 0] = len(uniques)
    return codes, uniques + [None]


def _all_none(array: np.ndarray) -> bool:
    """Whether every cell of an object array is missing (an optional column left empty).

    An object array holds pointers, and ``None`` is one object: comparing the pointers with
    ``id(None)`` (CPython's address of it) answers for ``None`` cells in one integer pass, where
    ``pd.isna`` asks every cell. Anything else (NaN, a view that is not contiguous) takes ``pd.isna``.
    """
    pointers = _pointers(array)
    if pointers is not None and (pointers == id(None)).all():
        return True
    return bool(pd.isna(array).all())


def _pointers(array: np.ndarray) -> np.ndarray | None:
    """The object pointers an object array holds, as integers (a CPython detail: ``id`` is the
    address), or None where they cannot be read so (a view that is not contiguous)."""
    try:
        return np.frombuffer(array, dtype=np.uintp)
    except (TypeError, ValueError, BufferError):
        return None


def _neighbours_differ(array: np.ndarray) -> np.ndarray:
    """``array[1:] != array[:-1]`` for an object array, comparing values only where the neighbours are
    not the same object (one cell repeated, as a shared string of a workbook or a broadcast value).

    The same object counts as no change, also for NaN: a run of one NaN factorises as missing, as
    NaN cells do anyway.
    """
    pointers = _pointers(array)
    if pointers is None:
        return array[1:] != array[:-1]
    differ = pointers[1:] != pointers[:-1]
    where = np.flatnonzero(differ)
    differ[where] = array[1:][where] != array[:-1][where]
    return differ


def _factorize_texts(array: np.ndarray, sample: np.ndarray,
                     sample_missing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes (-1 for missing) and distinct values of a column of text, hashed as UTF-8 strings, or None
    when the column holds other values.

    ``pd.factorize`` hashes text as UTF-8 (pandas' ``StringHashTable``), several times faster than
    as Python objects, only after a pass that finds no missing cell; a column of actuals always has
    some. The table is used here directly: it codes every value that is not a string as missing, so
    the result stands only if all the cells coded missing are missing (checked on those cells only).
    ``sample`` (a thousand cells spread over the column) and its missing cells rule out columns of
    numbers at once.
    """
    if _StringHashTable is None:
        return None
    if not all(isinstance(v, str) for v, missing in zip(sample, sample_missing, strict=True) if not missing):
        return None
    try:
        index, codes = _StringHashTable(max(16, len(array) // 8)).factorize(array)
    except (TypeError, ValueError):  # a changed private signature: the public way
        return None
    holes = np.flatnonzero(codes < 0)
    if len(holes) and not pd.isna(array[holes]).all():
        return None  # numbers or other values among the text
    return codes.astype(np.intp, copy=False), index


def _factorize_runs(array: np.ndarray) -> tuple[np.ndarray, list] | None:
    """:func:`factorize` of an object array through its runs of equal neighbours (exact for any order:
    a value that comes back in a later run gets its first code again), or None when the first
    thousand cells do not run (or hold a value without a truth of equality, such as ``pd.NA``)."""
    head = array[:1000]
    try:
        if np.count_nonzero(head[1:] != head[:-1]) >= len(head) // 4:
            return None
        starts = np.empty(len(array), dtype=bool)
        starts[0] = True
        starts[1:] = _neighbours_differ(array)
    except TypeError:
        return None
    first = np.flatnonzero(starts)
    run_codes, index = pd.factorize(array[first], use_na_sentinel=True)
    uniques = np.asarray(index, dtype=object).tolist()
    run_codes[run_codes < 0] = len(uniques)
    return np.repeat(run_codes.astype(np.intp, copy=False), np.diff(first, append=len(array))), uniques + [None]


def categorical(per_unique: list, codes: np.ndarray, categories: tuple[str, ...] | None = None) -> pd.Categorical:
    """Rows' categorical from one value per distinct input (None for missing) and the input codes."""
    small, index = pd.factorize(np.asarray(per_unique, dtype=object), use_na_sentinel=True)
    result = pd.Categorical.from_codes(small[codes], categories=pd.Index(index, dtype=object))
    if categories is not None:
        result = result.set_categories(list(categories))
    return result


def recode(values: pd.Series | pd.Categorical, function: Callable[[object], object],
           categories: tuple[str, ...] | None = None) -> pd.Categorical:
    """Apply ``function`` once per distinct value and return the rows' result as a categorical."""
    codes, uniques = factorize(values)
    return categorical([function(u) for u in uniques], codes, categories)


def per_row(values: pd.Series | pd.Categorical, function: Callable[[object], object], dtype=float) -> np.ndarray:
    """Apply ``function`` once per distinct value and return the rows' result as a numpy array."""
    codes, uniques = factorize(values)
    return np.asarray([function(u) for u in uniques], dtype=dtype)[codes]


def normalise_word(value: object) -> str | None:
    """One cell as comparable text: NFKC (full-width digits and signs), spaces and a trailing full stop
    removed, None when empty. Numbers become their plain text (``95.0`` → ``"95"``), via
    :func:`pbm_lib.workbook.values.to_text`. Also used for the scheme's word tables."""
    text = value if isinstance(value, str) else to_text(value)
    if text is None:
        return None
    return _compact(text).rstrip(_TRAILING) or None


def _compact(text: str) -> str:
    """NFKC (full-width digits and signs), every kind of whitespace removed, "−" as "-": the first
    steps of :func:`normalise_word`, for one cell or for many joined by NUL (see :func:`normalise_words`)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = "".join(text.split())  # split/join: several times faster than str.translate
    return text.replace("−", "-") if "−" in text else text


def normalise_words(values: list) -> list[str | None]:
    """:func:`normalise_word` of each value, the strings in bulk.

    The strings are joined by NUL and normalised as one text: NFKC leaves NUL alone and never
    composes across it (a starter that combines with nothing), and NUL is no whitespace, so the
    pieces are each string's own normalisation. Other values (numbers) take :func:`normalise_word`.
    """
    return _normalise_joined(values)[0]


def _normalise_joined(values: list) -> tuple[list[str | None], str | None]:
    """:func:`normalise_words`, and the normalised strings joined by NUL when every value is a string
    and the pieces are exactly the joined text's (None otherwise): :func:`parse_cells` reads them
    without joining them again."""
    if set(map(type, values)) == {str}:  # the usual case: no numbers, no missing cells
        strings, out = range(len(values)), [None] * len(values)
    else:
        strings = [i for i, v in enumerate(values) if isinstance(v, str)]
        out = [None if isinstance(v, str) else normalise_word(v) for v in values]
    joined = "\x00".join(values if isinstance(strings, range) else [values[i] for i in strings])
    if joined.count("\x00") != len(strings) - 1:
        for i in strings:  # a string holds NUL itself: one at a time
            out[i] = normalise_word(values[i])
        return out, None
    joined = _compact(joined)  # NUL is no whitespace: the pieces stay apart
    pieces = joined.split("\x00")
    # Trailing full stops and commas are rare: strip them only when some piece ends with one.
    if joined.endswith(tuple(_TRAILING)) or any(c + "\x00" in joined for c in _TRAILING):
        pieces = [text.rstrip(_TRAILING) for text in pieces]
        joined = None
    if "" in pieces:
        pieces = [text or None for text in pieces]
    if isinstance(strings, range):
        return pieces, joined
    for i, text in zip(strings, pieces, strict=True):
        out[i] = text
    return out, None


def normalise_text(raw: pd.Series) -> pd.Categorical:
    """A column of cells as normalised text (see :func:`normalise_word`), as a categorical."""
    return recode(raw, normalise_word)


def _canonical_unit(value: object) -> str | None:
    text = normalise_word(value)
    if text is None or text in BLANK_MARKERS:
        return None
    text = _PARENTHESES.sub("", text)
    return UNIT_ALIASES.get(text, text) or None


def unit_family(unit: object) -> tuple[str | None, float]:
    """Family (``time``, ``money``, ``percent`` …) of one canonical unit and its factor to the base unit.

    Units outside :data:`UNIT_FACTORS` form a family of their own (``人`` is comparable only with
    ``人``); a 万/亿 prefix multiplies (``万人`` = 10 000 ``人``). No unit gives ``(None, nan)``.
    """
    if unit is None:
        return (None, np.nan)
    if unit in UNIT_FACTORS:
        return UNIT_FACTORS[unit]
    head, rest = unit[:1], unit[1:]
    if head in UNIT_PREFIXES and rest:
        base = UNIT_ALIASES.get(rest, rest)
        family, factor = UNIT_FACTORS.get(base, (f"unit:{base}", 1.0))
        return (family, factor * UNIT_PREFIXES[head])
    return (f"unit:{unit}", 1.0)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def parse_text(text: str | None) -> tuple[int, str | None, float, str | None, bool]:
    """Parse one normalised text: the code of its kind in :data:`KINDS`, the canonical operator, the
    number, the unit as written (not yet canonical) and whether it is a claim.

    The grammar of :data:`VALUE_PATTERN`, read faster: the operator alternation is entered only when
    the first character can start an operator, and the bound word (以上, 以内 …) is split off the
    tail by ``endswith``, longest word first, only when the tail ends like one (what the pattern's
    lazy unit group gives).
    """
    if text is None:
        return (2, None, math.nan, None, False)
    if text in BLANK_MARKERS:
        return (3, None, math.nan, None, False)
    found = _OPERATOR_NUMBER_TAIL.fullmatch(text)
    if found is None:
        return (1, None, math.nan, None, _CLAIM_RE.search(text) is not None)
    op, num, tail = found.groups()
    suffix, unit = _split_tail(tail) if tail and tail[-1] in _SUFFIX_ENDINGS else (None, tail or None)
    operator = OPERATOR_WORDS[op] if op else SUFFIX_WORDS[suffix] if suffix else None
    value = float(num.replace(",", "")) if "," in num else float(num)
    if value in _INFINITIES:  # more digits than a float holds
        value = math.nan
    return (0, operator, value, unit, op in _CLAIMS or suffix in _CLAIMS)


def parse_distinct(texts: list) -> dict[str, np.ndarray]:
    """Parse a list of distinct normalised texts (None allowed), as :func:`parse_text` does one.

    Arrays ``kind`` (int8 codes of :data:`KINDS`), ``operator`` (object), ``number`` (float), ``unit``
    (canonical, object) and ``claim`` (bool: a comparison operator or bound word of
    :data:`CLAIM_WORDS` occurs anywhere). Real years repeat few texts many times, so parsing runs
    once per distinct text. The texts are joined by newlines; those that start with a digit (most
    actuals: ``95.3%``, ``735人次``) are read on the code points by :func:`_read_plain_numbers`, the
    rest by *one* ``split`` of the :func:`parse_text` grammar, a line at a time; operators and tails
    (few distinct) are then read once each. Texts holding a newline, blanks and ``None`` take
    :func:`parse_text`. (On the 78 563 distinct actuals of the scoring benchmark: 66 ms, against
    163 ms when every text went through the split.)
    """
    texts = list(texts)  # a tuple or an array too
    return _parse_distinct(texts, "\n".join([text or "" for text in texts]))


def _parse_distinct(texts: list, joined: str) -> dict[str, np.ndarray]:
    """:func:`parse_distinct` of a list of texts given with their join by newlines (None as "")."""
    n = len(texts)
    kind = np.ones(n, dtype=np.int8)
    operator = np.full(n, None, dtype=object)
    number = np.full(n, math.nan)
    written = np.full(n, None, dtype=object)
    claim = np.zeros(n, dtype=bool)
    if joined.count("\n") != n - 1:  # some text holds a newline: read each text alone
        for i, text in enumerate(texts):
            kind[i], operator[i], number[i], written[i], claim[i] = parse_text(text)
    elif n:
        # Plain numbers ("95.3%", "735人次", most actuals) are read in bulk on the code points; the
        # others by one split of the regular expression over their lines joined by newlines, which
        # gives [before, op, num, tail, between, op, …]: a flat list of strings (a list of match tuples
        # would wake the garbage collector).
        plain, plain_values, plain_tail_codes, plain_tails = _read_plain_numbers(joined, n)
        others = np.ones(n, dtype=bool)
        others[plain] = False
        others = np.flatnonzero(others)
        parts = _LINES.split("\n".join([texts[i] or "" for i in others]) + "\n") if len(others) else [""]
        ops, nums, tails = parts[1::4], parts[2::4], parts[3::4]
        is_number = np.fromiter(map(bool, nums), dtype=bool, count=len(others))  # no match: all groups are empty
        words = others[~is_number]  # not a value: a claim is any claim word inside
        if len(words):
            line_ends = np.cumsum([len(texts[i] or "") + 1 for i in words])
            in_words = "\n".join([texts[i] or "" for i in words])
            hits = np.fromiter((m.start() for m in _CLAIM_RE.finditer(in_words)), dtype=np.intp)
            claim[words[np.unique(np.searchsorted(line_ends, hits, side="right"))]] = True
        read = others[is_number]
        # Operators and tails repeat: each distinct one is read once (operator code -1: none).
        op_codes = np.full(len(plain), -1, dtype=np.intp)
        tail_codes, tail_words = plain_tail_codes, plain_tails
        op_words: list = []
        if len(read):
            # float() as parse_text calls it (commas dropped): exact, and it reads any decimal digits.
            digits = "\n".join(filter(None, nums))
            values = np.fromiter(map(float, (digits.replace(",", "") if "," in digits else digits).split("\n")),
                                 dtype=float, count=len(read))
            number[read] = np.where(np.isinf(values), math.nan, values)  # more digits than a float holds
            read_ops, op_words = pd.factorize(np.asarray(ops, dtype=object)[is_number])
            read_tails, read_words = pd.factorize(np.asarray(tails, dtype=object)[is_number])
            op_codes = np.concatenate([op_codes, read_ops])
            tail_codes = np.concatenate([tail_codes, read_tails + len(tail_words)])
            tail_words = [*tail_words, *read_words]
        number[plain] = plain_values
        where = np.concatenate([plain, read])
        if len(where):
            kind[where] = 0
            split = [_split_tail(t) for t in tail_words]
            op_words = [*op_words, None]
            operator[where] = np.where(
                op_codes >= 0, np.asarray([OPERATOR_WORDS.get(o) for o in op_words], dtype=object)[op_codes],
                np.asarray([SUFFIX_WORDS.get(w) for w, _ in split], dtype=object)[tail_codes])
            written[where] = np.asarray([u for _, u in split], dtype=object)[tail_codes]
            claim[where] = (np.asarray([o in _CLAIMS for o in op_words], dtype=bool)[op_codes]
                            | np.asarray([w in _CLAIMS for w, _ in split], dtype=bool)[tail_codes])
        # Blanks and markers ("/", "无数据") hold no digit, so they were read as words: mark them.
        blanks = BLANK_MARKERS.intersection(texts) | ({None} if None in texts else set())
        for i in (texts.index(blank) for blank in blanks):  # texts are distinct
            kind[i], operator[i], number[i], written[i], claim[i] = parse_text(texts[i])
    unit_codes, unit_words = pd.factorize(written)
    canonical = np.asarray([_canonical_unit(u) for u in unit_words] + [None], dtype=object)
    return {"kind": kind, "operator": operator, "number": number, "unit": canonical[unit_codes], "claim": claim}


#: Powers of ten as exact doubles (10**22 is the largest one).
_POWERS_OF_TEN = np.asarray([float(10**k) for k in range(23)])
#: Most digits of a plain number read on code points: below 2**53, so every step is exact.
_PLAIN_DIGITS = 15


def _read_plain_numbers(joined: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The lines of ``joined`` (``n`` lines, no newline inside one) that start with an ASCII digit,
    read as :data:`VALUE_PATTERN` reads them but without the regular expression.

    Such a line has no operator: its number is the longest run of digits and commas, then ``.`` and
    digits if a digit follows the point; the rest is the tail, which must hold no digit. All of this
    is found on the code points with numpy. The value is :math:`m / 10^k` for the integer ``m`` of
    the number's digits and ``k`` decimals: with at most 15 digits, ``m`` and :math:`10^k` are exact
    doubles and the division is correctly rounded, so the value is the double ``float()`` gives.
    Lines with a non-ASCII decimal digit (``٣``), a digit in the tail, or more digits are left to
    the regular expression.

    Returns
    -------
    rows : ndarray of intp
        The lines read.
    values : ndarray of float
        Their numbers.
    tail_codes : ndarray of intp
        Per line read, the code of its tail in ``tails``.
    tails : list of str
        The distinct tails: what follows a number ("" for none).
    """
    code = np.frombuffer((joined + "\n").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ends = np.flatnonzero(code == 10)
    starts = np.empty(n, dtype=np.intp)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    digit = np.zeros(len(code) + 1, dtype=bool)  # one more: what follows the last newline
    np.less(code - 48, 10, out=digit[:-1])  # unsigned: code points below "0" wrap round to large numbers
    rows = np.flatnonzero(digit[starts])  # an empty line starts on its newline: not a digit
    # Other decimal digits (٣, full-width ３ in text not normalised) are digits to the pattern: such
    # lines are left out. CJK symbols, kana and ideographs (U+3000–U+9FFF) hold none (a test checks).
    high = code[code > 127]
    high = high[(high < 0x3000) | (high > 0x9FFF)]
    if len(high):
        others = [c for c in np.unique(high).tolist() if chr(c).isdecimal()]
        if others:
            lines = np.searchsorted(ends, np.flatnonzero(np.isin(code, others)))
            rows = np.setdiff1d(rows, lines)
    start, end = starts[rows], ends[rows]
    stops = np.flatnonzero(~(digit[:-1] | (code == 44)))  # not a digit, not a comma
    point = stops[np.searchsorted(stops, start)]
    decimals = (code[point] == 46) & digit[point + 1]  # each line's newline ends every search
    non_digits = np.flatnonzero(~digit[:-1])
    stop = point.copy()
    fractions = np.flatnonzero(decimals)
    stop[fractions] = non_digits[np.searchsorted(non_digits, point[fractions] + 1)]
    seen = np.zeros(len(code) + 1, dtype=np.intp)  # seen[i]: digits before position i
    np.cumsum(digit[:-1], out=seen[1:])
    count = seen[stop] - seen[start]
    keep = (seen[end] == seen[stop]) & (count <= _PLAIN_DIGITS)
    rows, start, end, point, stop = rows[keep], start[keep], end[keep], point[keep], stop[keep]
    # Every character of every number, with its line, then the digits among them.
    lengths = stop - start
    line = np.repeat(np.arange(len(rows)), lengths)
    position = np.arange(len(line)) + np.repeat(start - (np.cumsum(lengths) - lengths), lengths)
    is_digit = digit[position]
    line, position = line[is_digit], position[is_digit]
    exponent = seen[stop[line]] - seen[position] - 1  # digits after this one in its number
    terms = (code[position] - 48) * _POWERS_OF_TEN[exponent]
    mantissa = np.bincount(line, weights=terms, minlength=len(rows))  # exact: integers below 2**53
    values = mantissa / _POWERS_OF_TEN[np.where(decimals[keep], stop - point - 1, 0)]
    # Tails repeat ("%", "人次"): each is keyed by its first six code points (21 bits each, plus one so
    # that a key tells lengths apart), and only one line of each key is sliced into a string.
    length = end - stop
    keys = np.zeros((2, len(rows)), dtype=np.int64)
    for j in range(6):
        has = np.flatnonzero(length > j)
        keys[j // 3, has] |= (code[stop[has] + j].astype(np.int64) + 1) << (21 * (j % 3))
    first, first_keys = pd.factorize(keys[0])
    second, second_keys = pd.factorize(keys[1])
    combined = first * len(second_keys) + second
    long = np.flatnonzero(length > 6)  # longer tails are keyed by their line: each is sliced
    combined[long] = -1 - long
    tail_codes, distinct = pd.factorize(combined)
    one_line = np.zeros(len(distinct), dtype=np.intp)
    one_line[tail_codes] = np.arange(len(rows))  # any line of a key: they share its tail
    tails = [joined[a:b] for a, b in zip(stop[one_line].tolist(), end[one_line].tolist(), strict=True)]
    return rows, values, tail_codes.astype(np.intp, copy=False), tails


def _split_tail(tail: str) -> tuple[str | None, str | None]:
    """(bound word, unit as written) of what follows a number: ``%以上`` → (``以上``, ``%``)."""
    if tail and tail[-1] in _SUFFIX_ENDINGS:
        for word in _SUFFIXES:
            if tail.endswith(word):
                return word, tail[: -len(word)] or None
    return None, tail or None


@dataclass(frozen=True)
class ParsedCells:
    """Parsed cells in their compact form: codes into the distinct texts, and arrays per distinct text.

    The fast path behind :func:`parse_values`, used directly by the scorer so that a year's million
    rows are only ever touched as integer codes and numpy ``take``.

    Attributes
    ----------
    rows : ndarray of intp
        Row → index into ``distinct`` (missing cells point at its last entry, ``None``).
    distinct : list
        Distinct normalised texts, ending with ``None``.
    kind : ndarray of int8
        Per distinct text, the code of its kind in :data:`KINDS`.
    operator, number, claim : ndarray
        Per distinct text (see :func:`parse_distinct`).
    direction : ndarray of int8
        Per row, the code of its direction in :data:`DIRECTIONS` (-1 for none): the 指标性质 column
        where it names one, else the text's operator (``qualitative`` for words).
    direction_conflict : ndarray of bool
        Per row, the 指标性质 column contradicts the text's operator.
    unit : ndarray of int32
        Per row, the code of its canonical unit in ``units`` (-1 for none): the text's own unit, else
        the 度量单位 column.
    unit_given : ndarray of bool
        Per row, the unit came from the text itself.
    units : list of str
        The unit vocabulary.
    """

    rows: np.ndarray
    distinct: list
    kind: np.ndarray
    operator: np.ndarray
    number: np.ndarray
    claim: np.ndarray
    direction: np.ndarray
    direction_conflict: np.ndarray
    unit: np.ndarray
    unit_given: np.ndarray
    units: list


def parse_cells(raw: pd.Series, direction: pd.Series | None = None, unit: pd.Series | None = None) -> ParsedCells:
    """Parse indicator values into :class:`ParsedCells`; see :func:`parse_values` for the rules."""
    codes, uniques = factorize(raw)
    normalised, joined = _normalise_joined(uniques[:-1])
    if None not in normalised and len(set(normalised)) == len(normalised):  # the usual case: no two merge
        text_codes, distinct = np.arange(len(uniques), dtype=np.intp), [*normalised, None]
    else:
        text_codes, distinct = factorize(pd.Series([*normalised, None], dtype=object))
        joined = None
    rows = codes if joined is not None else text_codes[codes]
    # Normalised texts hold no whitespace: the NUL-joined text, with newlines, is their join (and the
    # final None an empty line).
    parsed = (parse_distinct(distinct) if joined is None
              else _parse_distinct(distinct, joined.replace("\x00", "\n") + "\n"))
    kind_codes = parsed["kind"]

    # Direction: one code per distinct text, then the rows; a 指标性质 column wins where it names one.
    operator_codes, operators = factorize(pd.Series(parsed["operator"], dtype=object))
    # Row-length codes are small integers (int8, int32): every later pass over them is cheaper.
    operator_direction = np.asarray([_code(OPERATOR_DIRECTIONS.get(o), DIRECTIONS) for o in operators], dtype=np.int8)
    text_direction = np.where(kind_codes == 1, DIRECTIONS.index("qualitative"), operator_direction[operator_codes])
    direction_codes = text_direction.astype(np.int8)[rows]
    conflict = np.zeros(len(rows), dtype=bool)
    if direction is not None:
        column_codes = per_row(direction.reindex(raw.index),
                               lambda d: _code(DIRECTION_COLUMN_WORDS.get(normalise_word(d)), DIRECTIONS), np.int8)
        if (column_codes >= 0).any():
            conflict = (column_codes >= 0) & (direction_codes >= 0) & (column_codes != direction_codes)
            direction_codes = np.where(column_codes >= 0, column_codes, direction_codes)

    # Units: a small vocabulary shared by the text's units and the 度量单位 column.
    text_unit_codes, units = factorize(pd.Series(parsed["unit"], dtype=object))
    units = units[:-1]
    text_unit_codes = np.where(text_unit_codes < len(units), text_unit_codes, -1).astype(np.int32)
    unit_codes = text_unit_codes[rows]
    unit_given = unit_codes >= 0
    if unit is not None:
        column_codes, column_units = factorize(unit.reindex(raw.index))
        canonical = [_canonical_unit(u) for u in column_units[:-1]]
        vocabulary = {u: i for i, u in enumerate(units)}
        for u in canonical:
            if u is not None and u not in vocabulary:
                vocabulary[u] = len(vocabulary)
        units = list(vocabulary)
        remap = np.asarray([vocabulary[u] if u is not None else -1 for u in canonical] + [-1], dtype=np.int32)
        if (remap >= 0).any():  # the column names some unit: it fills the rows whose text has none
            unitless = np.flatnonzero(~unit_given)
            unit_codes[unitless] = remap[column_codes[unitless]]
    return ParsedCells(
        rows=rows, distinct=distinct, kind=kind_codes, operator=parsed["operator"], number=parsed["number"],
        claim=parsed["claim"], direction=direction_codes, direction_conflict=conflict, unit=unit_codes,
        unit_given=unit_given, units=units)


def parse_values(
    raw: pd.Series,
    direction: pd.Series | None = None,
    unit: pd.Series | None = None,
) -> pd.DataFrame:
    """Parse indicator values as written into operator, direction, number and unit.

    Understood forms (rules.md §3.4): an operator before the number (``≥ ≧ >= > ≤ ≦ <= < = ═ ﹦ ＝``,
    ``不少于``, ``不低于``, ``不超过``, ``不高于``, ``达到`` …), a bound word after it (``以上``, ``以下``,
    ``以内``), full-width digits, thousands separators, and a unit (``%``, ``百分比``, ``人次``, ``万元``,
    ``天`` …). A text with no number in that shape (``及时``, ``显著提升``, ``完成10个村``) is
    ``kind="text"`` and has direction ``qualitative``; ``/``, ``—`` and ``-`` are ``not_applicable``;
    empty cells are ``blank``. A number without an operator has no direction here: the scheme's
    default direction applies later (rules.md §3.4, case 07).

    Parameters
    ----------
    raw : Series
        Cells as printed (strings, numbers or empty).
    direction : Series, optional
        A separate 指标性质 column (``≥``, ``≤``, ``=``, ``正向``, ``反向``, ``定性``, ``定量``). Where it
        names a direction it wins over the operator in the text; a disagreement is reported in
        ``direction_conflict``.
    unit : Series, optional
        A separate 度量单位 column, used where the text carries no unit of its own.

    Returns
    -------
    DataFrame
        Same index as ``raw``. ``raw`` (the cell as given), ``text`` (normalised, categorical),
        ``kind`` (:data:`KINDS`), ``operator`` (``≥ > ≤ < =`` or NaN, from the text), ``direction``
        (:data:`DIRECTIONS` or NaN), ``direction_conflict`` (bool), ``value`` (float, NaN without a
        number), ``unit`` (canonical unit or NaN), ``unit_given`` (the unit came from the text itself),
        ``claim`` (the text carries a comparison operator or bound word anywhere).
    """
    cells = parse_cells(raw, direction, unit)
    rows = cells.rows
    text_categories = pd.Index(cells.distinct[:-1], dtype=object)
    return pd.DataFrame(
        {
            "raw": raw,
            "text": pd.Categorical.from_codes(np.where(rows < len(text_categories), rows, -1),
                                              dtype=pd.CategoricalDtype(text_categories)),
            "kind": pd.Categorical.from_codes(cells.kind[rows], categories=list(KINDS)),
            "operator": categorical(list(cells.operator), rows),
            "direction": pd.Categorical.from_codes(cells.direction, categories=list(DIRECTIONS)),
            "direction_conflict": cells.direction_conflict,
            "value": cells.number[rows],
            "unit": pd.Categorical.from_codes(cells.unit, categories=pd.Index(cells.units, dtype=object)),
            "unit_given": cells.unit_given,
            "claim": cells.claim[rows],
        },
        index=raw.index,
    )


def _code(value: str | None, categories: tuple[str, ...]) -> int:
    return categories.index(value) if value is not None else -1


def align_units(
    target_value: np.ndarray,
    target_unit: pd.Categorical,
    actual_value: np.ndarray,
    actual_unit: pd.Categorical,
    reverse: np.ndarray | None = None,
) -> pd.DataFrame:
    """Express each actual in its target's unit, converting where the units are comparable.

    Rules, per row (rules.md §3.4, "convert units before comparing"):

    - one side has no unit: it is taken to be in the other side's unit (``assumed``), except a
      unitless share ``0 < v ≤ 1`` against a percentage above 1, read as ``100·v`` %
      (``fraction_to_percent``). On a reverse row that reading is a guess (``≤5%`` against ``0.5``
      could be 0.5 % or 50 %), so it is ``ambiguous`` and gives no value;
    - the same unit: ``same``; the same family (天/月, 元/万元, 亩/公顷): ``converted`` with the factors
      of :data:`UNIT_FACTORS`;
    - otherwise ``mismatch`` and no value ("if they cannot be reconciled, there is no rule score").

    Returns
    -------
    DataFrame
        ``target_value``, ``actual_value`` (in the target's unit; NaN where not reconciled) and
        ``unit_status`` (categorical of :data:`UNIT_STATUSES`; ``none`` when neither side has a unit).
    """
    categories = list(dict.fromkeys(list(target_unit.categories) + list(actual_unit.categories)))
    tu = target_unit.set_categories(categories).codes
    au = actual_unit.set_categories(categories).codes
    t, a, status = align_unit_codes(target_value, tu, actual_value, au, categories, reverse)
    return pd.DataFrame(
        {
            "target_value": t,
            "actual_value": a,
            "unit_status": pd.Categorical.from_codes(status, categories=list(UNIT_STATUSES)),
        }
    )


def align_unit_codes(
    target_value: np.ndarray,
    target_unit: np.ndarray,
    actual_value: np.ndarray,
    actual_unit: np.ndarray,
    categories: list[str],
    reverse: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`align_units` on unit codes into one shared ``categories`` list (-1 for no unit).

    Returns the target values, the actual values in the target's unit and the codes of
    :data:`UNIT_STATUSES`.
    """
    t = np.asarray(target_value, dtype=float)
    a = np.asarray(actual_value, dtype=float)
    tu = np.asarray(target_unit)
    au = np.asarray(actual_unit)
    n = len(t)
    reverse = np.zeros(n, dtype=bool) if reverse is None else np.asarray(reverse, dtype=bool)
    families = [unit_family(u) for u in categories] + [(None, np.nan)]
    family_codes, _ = pd.factorize(np.asarray([f for f, _ in families], dtype=object))
    factors = np.asarray([f for _, f in families], dtype=float)
    percent = categories.index("%") if "%" in categories else -2

    t_has, a_has = tu >= 0, au >= 0
    both = t_has & a_has
    same = both & (tu == au)
    # Rows with two different units are few: their families are compared on those rows only.
    differ = np.flatnonzero(both & ~same)
    in_family = family_codes[tu[differ]] == family_codes[au[differ]]
    family_rows, mismatch_rows = differ[in_family], differ[~in_family]
    one_side = t_has ^ a_has
    # The status codes of UNIT_STATUSES: same, one side, family and mismatch are disjoint.
    status = same.astype(np.int8)
    status[one_side] = 2
    status[family_rows] = 3
    status[mismatch_rows] = 5
    # Conversions touch few rows: computed on those rows only, into copies.
    a, t = a.copy(), t.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = family_rows
        a[rows] = a[rows] * factors[au[rows]] / factors[tu[rows]]
        rows = np.flatnonzero(one_side & ((tu == percent) | (au == percent)))
        ar, tr = a[rows], t[rows]
        a_fraction = (tu[rows] == percent) & (ar > 0) & (ar <= 1) & (tr > 1)
        t_fraction = (au[rows] == percent) & (tr > 0) & (tr <= 1) & (ar > 1)
    fraction = a_fraction | t_fraction
    guess = reverse[rows]
    a[rows[a_fraction & ~guess]] *= 100.0
    t[rows[t_fraction & ~guess]] *= 100.0
    a[rows[fraction & guess]] = np.nan
    a[mismatch_rows] = np.nan
    status[rows[fraction]] = np.where(guess[fraction], 6, 4)
    return t, a, status


def map_levels(text: pd.Categorical | pd.Series, synonyms: Mapping[str, str],
               levels: tuple[str, ...]) -> pd.Categorical:
    """Qualitative achievement level of each normalised text (rules.md §3.5), NaN when unmapped.

    ``synonyms`` maps a normalised label or word to its level (the scheme's ``qualitative.levels``
    table); the look-up is exact, a hash join of the distinct texts against the word table.
    """
    codes, uniques = factorize(text)
    return pd.Categorical.from_codes(level_codes_of(uniques, synonyms, levels)[codes], categories=list(levels))


def level_codes_of(texts: list, synonyms: Mapping[str, str], levels: tuple[str, ...]) -> np.ndarray:
    """Code in ``levels`` of each distinct normalised text (-1 when unmapped or None)."""
    level_of = {word: levels.index(level) for word, level in synonyms.items()}
    # A dict look-up per distinct text (map runs in C): cheaper than building an index of the texts.
    return np.fromiter(map(level_of.get, texts, itertools.repeat(-1)), dtype=np.intp, count=len(texts))
