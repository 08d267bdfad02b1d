"""Matching free-text indicator names (三级指标) to library indicators.

Real forms name the same indicator in many ways: 验收合格率, 项目(工程)验收合格率, 工程竣工验收合格率,
"指标3:验收合格率"; 经常参加体育锻炼人数比例 and …人数率; 购置医疗设备数量 and …设备数. A name is
first normalised (:func:`normalise_name`): NFKC (full-width forms), leading numbering (一、 1、 指标1:)
removed, bracketed qualifiers removed (项目(工程) → 项目; the bracket's content and the name with the
brackets merely dropped are tried as well), punctuation removed, 比例/比率/占比 → 率, a trailing
数量/个数/人数 → 数, a trailing 指标/情况/状况 dropped. The library side (names and aliases) is
normalised the same way, so the rules act on both sides alike.

Each name is then scored against every name and alias (a *term*) of the indicators offered to its
sector (:func:`pbm_lib.library.loader.sector_mask`). Chinese indicator names are head-final (the last
word says what is measured: …满意度, …验收合格率, …成本), which the scores follow:

- an identical term scores 1;
- a term contained in the name scores ``0.6 + 0.4·r`` when it ends the name (验收合格率 in
  工程质量验收合格率) and ``0.45 + 0.3·r`` when it sits inside it, ``r`` being the share of the
  name it covers; a name contained in a term is scored the same way;
- otherwise the best of two Dice coefficients: of the character bigram sets, ``2|A∩B|/(|A|+|B|)``,
  and of the longest common subsequence, ``2·LCS/(len a + len b)`` (保护人口 in 保护下游人口); the
  subsequence is computed for the :data:`TOP_TERMS` best terms by bigrams only;
- a name joining the subjects of two or more terms of one indicator (水稻侧深施肥+缓控释肥: 侧深施肥 of
  侧深施肥推广面积 and 缓控释肥 of 缓控释肥推广面积) scores ``0.45 + 0.3·c`` (:data:`JOINED_BASE`, :data:`JOINED_MAX`), ``c`` being the share of the
  name those pieces (each at least :data:`PIECE_MIN` characters, not overlapping) cover
  (:func:`_joined_cover`; ``method`` ``joined``); one piece alone is not enough (水标尺宽度 is not
  安装水标尺);
- numbers are qualifiers (产后7天 and 产后42天, 0-6岁, 65岁): when the name has numbers, a term that
  shares one is scored × :data:`NUMBER_AGREE` (staying below 1) and a term whose numbers are all
  different × :data:`NUMBER_CONFLICT`; years (2024年) do not count;
- an indicator's regular-expression ``patterns`` (满意度$ for 服务对象满意度) give at least
  :data:`PATTERN_SCORE`, a fall-back for the generic common indicators;
- when the unit of the name is known (the row's 计量单位, or the unit written in its target) and it
  cannot be the indicator's unit, the score is multiplied by :data:`UNIT_PENALTY` (a rate against a
  count, a quantity against a qualitative indicator) or :data:`UNIT_PENALTY_MINOR` (two different
  count units, 处 against 米).

The best indicator is taken if its score reaches the threshold (:data:`DEFAULT_THRESHOLD`); in the
ranking a sector indicator gets :data:`SECTOR_BONUS` over a common one, since the sector systems
specialise the framework. A numbered child row (1、2、 under a parent row) that matches nothing takes
its parent's indicator when ``parents`` are given. Everything runs once per *distinct* name: the
bigram intersections of all names and terms are one matrix product, and only the pairs the product
allows are checked for containment.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..indicators import UNIT_ALIASES, normalise_word, unit_family
from ..workbook.values import BLANK_MARKERS
from .loader import COMMON, load_library, sector_mask

#: Minimum score for a match (toolkit policy, checked against the sample and the cases in tests/test_library.py).
DEFAULT_THRESHOLD = 0.6
#: Score given by an indicator's regular-expression pattern.
PATTERN_SCORE = 0.6
#: Factor applied when the name's unit and the indicator's differ in kind: a rate (%) against a count or
#: an amount, or a quantity against a qualitative indicator.
UNIT_PENALTY = 0.8
#: Factor applied when both are quantities in different units (处 against 米, 人 against 户).
UNIT_PENALTY_MINOR = 0.95
#: Ranking bonus of a sector indicator over a common one (a sector system specialises the framework).
SECTOR_BONUS = 0.05
#: Terms per name re-scored by the longest common subsequence.
TOP_TERMS = 12
#: Weight of the variants of a name: brackets removed with their content, brackets dropped, bracket content.
VARIANT_WEIGHTS = (1.0, 0.97, 0.95)
#: Rows of names scored per block (bounds memory: rows × terms floats).
BLOCK = 2048
#: Distinct name variants whose scores are kept per library.
CACHE_SIZE = 200_000
#: Factor for a term that carries a number of the name (42天 in 孕产妇42天访视数 and 产后42天健康检查数):
#: numbers are qualifiers that tell indicators apart. Scores stay below 1 (identical terms only).
NUMBER_AGREE = 1.05
#: Factor for a term whose numbers are all different from the name's (产后7天内访视 for a 42天 name).
NUMBER_CONFLICT = 0.85
#: Shortest piece of a term that counts towards a joined name's coverage (:func:`_joined_cover`).
PIECE_MIN = 3
#: Score of a joined name covering none of itself / all of itself (as a term inside a name).
JOINED_BASE, JOINED_MAX = 0.45, 0.75
#: Values of ``method``.
METHODS = ("exact", "contains", "similar", "joined", "pattern", "parent")

_NUMBERING = re.compile(
    r"^(?:指标\d+[:.、]?|[一二三四五六七八九十]+[、.:]|\d{1,2}[、.:)](?!\d)|\(\d{1,2}\)|第[一二三四五六七八九十\d]+[项条][:、]?)"
)
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_BRACKET_CHARS = re.compile(r"[()\[\]【】〔〕]")
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]")
_SYNONYMS = ((re.compile(r"(比例|比率|占比)"), "率"), (re.compile(r"(数量|个数|人数)$"), "数"))
_DROP_SUFFIX = re.compile(r"(指标|情况|状况)$")
#: A number with the character after it (42天, 65岁, 06岁 from 0-6岁); years (2024年) are not qualifiers.
_NUMBER = re.compile(r"\d+[^\d]?")
_YEAR = re.compile(r"^(19|20)\d\d")


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    text = _NOT_WORD.sub("", text.lower())
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text)
    if len(text) > 4:
        text = _DROP_SUFFIX.sub("", text)
    return text


def _prepare(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    for _ in range(2):
        text = _NUMBERING.sub("", text)
    return text or None


def _variants(value: object) -> list[tuple[str, float]]:
    """Normalised variants of one name with their weights (see the module docstring)."""
    text = _prepare(value)
    if text is None:
        return []
    found = [
        (_clean(_BRACKETS.sub("", text)), VARIANT_WEIGHTS[0]),
        (_clean(_BRACKET_CHARS.sub("", text)), VARIANT_WEIGHTS[1]),
    ]
    found += [(_clean(m[1:-1]), VARIANT_WEIGHTS[2]) for m in _BRACKETS.findall(text)]
    out: dict[str, float] = {}
    for variant, weight in found:
        if len(variant) >= (3 if weight == VARIANT_WEIGHTS[2] else 1) and weight > out.get(variant, 0.0):
            out[variant] = weight
    return list(out.items())


def normalise_name(value: object) -> str | None:
    """The comparable form of an indicator name (see the module docstring); None when empty.

    >>> normalise_name("指标3：项目（工程）验收合格率")
    '项目验收合格率'
    >>> normalise_name("经常参加体育锻炼人数比例")
    '经常参加体育锻炼人数率'
    """
    variants = _variants(value)
    return variants[0][0] if variants else None


# ---------------------------------------------------------------------------------------------
# Similarities
# ---------------------------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    return {text} if len(text) < 2 else {text[i : i + 2] for i in range(len(text) - 1)}


def _lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence of two short strings."""
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if ch == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _numbers(text: str) -> frozenset[str]:
    """The number qualifiers of a normalised name (``孕产妇42天访视数`` → {42天})."""
    return frozenset(m for m in _NUMBER.findall(text) if not (len(m) >= 4 and _YEAR.match(m)))


def _longest_common(a: str, b: str) -> tuple[int, int]:
    """Start in ``a`` and length of the longest substring of ``a`` that is also in ``b``."""
    best = (0, 0)
    previous = [0] * (len(b) + 1)
    for i, ch in enumerate(a):
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b):
            if ch == other:
                current[j + 1] = previous[j] + 1
                if current[j + 1] > best[1]:
                    best = (i - current[j + 1] + 1, current[j + 1])
        previous = current
    return best


def _joined_cover(name: str, terms: Sequence[str]) -> float:
    """Share of ``name`` covered by pieces of two or more of one indicator's terms, else 0.

    A name may join the subjects of several aliases of one indicator: 水稻侧深施肥+缓控释肥 is
    侧深施肥 (of 侧深施肥推广面积) and 缓控释肥 (of 缓控释肥推广面积), both 新型肥料和施肥技术推广面积.
    Each term gives its longest common piece with the name (at least :data:`PIECE_MIN` characters);
    the longest pieces that do not overlap are kept; with two or more, their share of the name.
    """
    pieces = sorted(
        (piece for piece in (_longest_common(name, t) for t in terms) if piece[1] >= PIECE_MIN),
        key=lambda p: -p[1],
    )
    taken: list[tuple[int, int]] = []
    for start, length in pieces:
        if all(start + length <= s or s + n <= start for s, n in taken):
            taken.append((start, length))
    return sum(n for _s, n in taken) / len(name) if len(taken) >= 2 else 0.0


def _containment(part: str, whole: str) -> float:
    """Score of ``part`` found inside ``whole`` (head-final: ending the whole counts more)."""
    ratio = len(part) / len(whole)
    return 0.6 + 0.4 * ratio if whole.endswith(part) else 0.45 + 0.3 * ratio


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------


def _canonical_unit(value: object) -> str | None:
    if isinstance(value, str):
        return _canonical_text_unit(value)
    return _canonical_text_unit(normalise_word(value))


@functools.lru_cache(maxsize=4096)
def _canonical_text_unit(value: str | None) -> str | None:
    text = normalise_word(value)
    if text is None or text in BLANK_MARKERS:
        return None
    text = re.sub(r"\(.*?\)", "", text)
    return UNIT_ALIASES.get(text, text) or None


def _families(unit: str | None) -> tuple[str | None, str | None]:
    """Family of a unit and of its numerator (元/平方米 → money)."""
    if unit is None:
        return (None, None)
    family = unit_family(unit)[0]
    head = unit.split("/", 1)[0] if "/" in unit else None
    return (family, unit_family(UNIT_ALIASES.get(head, head))[0] if head else None)


@functools.lru_cache(maxsize=65536)
def _unit_factor(name_unit: str | None, library_unit: str) -> float:
    """1 when the name's unit can be the indicator's, else :data:`UNIT_PENALTY` or :data:`UNIT_PENALTY_MINOR`."""
    if name_unit is None:
        return 1.0
    if library_unit == "定性":
        return UNIT_PENALTY
    a, a_head = _families(name_unit)
    b, b_head = _families(_canonical_unit(library_unit))
    if a == b or (b_head is not None and a == b_head) or (a_head is not None and a_head == b):
        return 1.0
    return UNIT_PENALTY if "percent" in (a, b) else UNIT_PENALTY_MINOR


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


class _Terms:
    """Every normalised name and alias of the library, grouped by indicator, with their bigram matrix.

    Built once per distinct library (:func:`_terms_for`); keeps the per-indicator scores of every
    variant it has scored, so that a second look-up of the same names is free.
    """

    def __init__(self, library: pd.DataFrame):
        self.cache: dict[str, np.ndarray] = {}
        texts: list[str] = []
        owner: list[int] = []
        for i, (name, aliases) in enumerate(zip(library["name"], library["aliases"], strict=True)):
            for term in dict.fromkeys(filter(None, (normalise_name(t) for t in (name, *aliases)))):
                texts.append(term)
                owner.append(i)
        self.texts = texts
        self.owner = np.asarray(owner, dtype=np.intp)
        self.n_indicators = len(library)
        self.starts = np.minimum(
            np.searchsorted(self.owner, np.arange(self.n_indicators)), max(len(texts) - 1, 0)
        )
        counts = np.bincount(self.owner, minlength=self.n_indicators)
        self.has_terms = counts > 0
        self.ends = self.starts + counts
        vocabulary: dict[str, int] = {}
        rows = [[vocabulary.setdefault(g, len(vocabulary)) for g in _bigrams(t)] for t in texts]
        self.vocabulary = vocabulary
        self.matrix = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
        for r, cols in enumerate(rows):
            self.matrix[r, cols] = 1.0
        self.sizes = np.asarray([len(_bigrams(t)) for t in texts], dtype=np.float32)
        self.lengths = np.asarray([len(t) for t in texts])
        self.exact: dict[str, list[int]] = {}
        for r, t in enumerate(texts):
            self.exact.setdefault(t, []).append(r)
        self.patterns = [(i, re.compile(p)) for i, ps in enumerate(library["patterns"]) for p in ps]
        self.numbers = [_numbers(t) for t in texts]
        self.numbered_terms = np.flatnonzero([bool(n) for n in self.numbers])

    def score(self, variants: list[str]) -> np.ndarray:
        """Per variant × term: 1 (identical), containment, else the best bigram or subsequence Dice."""
        n = len(variants)
        grams = np.zeros((n, len(self.vocabulary)), dtype=np.float32)
        sizes = np.empty(n, dtype=np.float32)
        for r, v in enumerate(variants):
            g = _bigrams(v)
            sizes[r] = len(g)
            grams[r, [self.vocabulary[x] for x in g if x in self.vocabulary]] = 1.0
        shared = grams @ self.matrix.T
        scores = 2.0 * shared / (sizes[:, None] + self.sizes[None, :])
        lengths = np.asarray([len(v) for v in variants])
        term_in_name = (shared == self.sizes[None, :]) & (self.lengths[None, :] >= 2) & (shared > 0)
        name_in_term = (shared == sizes[:, None]) & (lengths[:, None] >= 3) & (shared > 0)
        for r, t in zip(*np.nonzero(term_in_name | name_in_term), strict=True):
            v, term = variants[r], self.texts[t]
            if v == term:
                scores[r, t] = 1.0
            elif term in v:
                scores[r, t] = max(scores[r, t], _containment(term, v))
            elif v in term:
                scores[r, t] = max(scores[r, t], _containment(v, term))
        k = min(TOP_TERMS, scores.shape[1])
        if k:
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            for r, v in enumerate(variants):
                for t in top[r]:
                    if 0 < scores[r, t] < 1.0:
                        term = self.texts[t]
                        scores[r, t] = max(scores[r, t], 2.0 * _lcs(v, term) / (len(v) + len(term)))
                # A name joining the subjects of several terms of one indicator (scores at most
                # JOINED_MAX: only worth computing when nothing scores as much already).
                if len(v) < 2 * PIECE_MIN or scores[r].max() >= JOINED_MAX:
                    continue
                for i in dict.fromkeys(self.owner[top[r]]):
                    own = self.texts[self.starts[i] : self.ends[i]]
                    cover = _joined_cover(v, own) if len(own) >= 2 else 0.0
                    if cover:
                        t = self.starts[i]
                        scores[r, t] = max(scores[r, t], JOINED_BASE + (JOINED_MAX - JOINED_BASE) * cover)
        for r, v in enumerate(variants):
            mine = _numbers(v)
            if mine and len(self.numbered_terms):
                t = self.numbered_terms
                factor = np.asarray(
                    [NUMBER_AGREE if self.numbers[j] & mine else NUMBER_CONFLICT for j in t], dtype=np.float32
                )
                scores[r, t] = np.minimum(scores[r, t] * factor, np.where(scores[r, t] < 1.0, 0.999, 1.0))
        for r, v in enumerate(variants):
            for t in self.exact.get(v, ()):
                scores[r, t] = 1.0
        return scores

    def per_indicator(self, variants: list[str]) -> np.ndarray:
        """Per variant × indicator: the best of the indicator's terms (cached per variant)."""
        todo = list(dict.fromkeys(v for v in variants if v not in self.cache))
        if todo and self.texts:
            best = np.maximum.reduceat(self.score(todo), self.starts, axis=1)
            best[:, ~self.has_terms] = 0.0
            if len(self.cache) + len(todo) > CACHE_SIZE:
                self.cache.clear()
            self.cache.update(zip(todo, best, strict=True))
        elif todo:
            self.cache.update((v, np.zeros(self.n_indicators, dtype=np.float32)) for v in todo)
        if not variants:
            return np.zeros((0, self.n_indicators), dtype=np.float32)
        return np.stack([self.cache[v] for v in variants])


_TERMS: dict[tuple, _Terms] = {}


def _terms_for(library: pd.DataFrame) -> _Terms:
    """The term index of a library, shared by every call with the same names, aliases and patterns."""
    key = (
        tuple(library["id"]),
        tuple(library["name"]),
        tuple(library["aliases"]),
        tuple(library["patterns"]),
    )
    if key not in _TERMS:
        if len(_TERMS) >= 8:
            _TERMS.clear()
        _TERMS[key] = _Terms(library)
    return _TERMS[key]


def _method(variants: list[tuple[str, float]], terms: _Terms, indicator: int, score: float) -> str:
    own = [terms.texts[t] for t in np.flatnonzero(terms.owner == indicator)]
    if any(v == t for v, _w in variants for t in own):
        return "exact"
    if any(t in v or (len(v) >= 3 and v in t) for v, _w in variants for t in own):
        return "contains"
    covers = [(_joined_cover(v, own), w) for v, w in variants] if len(own) >= 2 else []
    if any(c > 0 and (JOINED_BASE + (JOINED_MAX - JOINED_BASE) * c) * w >= score - 1e-6 for c, w in covers):
        return "joined"
    if score <= PATTERN_SCORE + 1e-6 and any(
        p.search(variants[0][0]) for i, p in terms.patterns if i == indicator
    ):
        return "pattern"
    return "similar"


def _aligned(value: object, index: pd.Index, what: str) -> np.ndarray:
    n = len(index)
    if value is None or isinstance(value, str):
        return np.full(n, value, dtype=object)
    if isinstance(value, pd.Series):
        return value.reindex(index).to_numpy(dtype=object)
    values = np.asarray(list(value), dtype=object)
    if len(values) != n:
        raise ValueError(f"match_indicators: {what} has {len(values)} values for {n} names")
    return values


def _codes(values: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes from 0 for missing (None/NaN) and 1… for the distinct values; the list starts with None."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes + 1, [None, *uniques]


def match_indicators(
    names: pd.Series | Sequence[object],
    library: pd.DataFrame | None = None,
    sector: str | pd.Series | Sequence[object] | None = None,
    *,
    units: pd.Series | Sequence[object] | None = None,
    parents: pd.Series | Sequence[object] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Map free-text indicator names to library indicators, with a score.

    Parameters
    ----------
    names : Series or sequence
        Indicator names as printed (三级指标).
    library : DataFrame, optional
        :func:`pbm_lib.library.load_library` (loaded when not given).
    sector : str or Series, optional
        The project's sector: a workbook 行业领域 code (农林水 …), a library sector (水利 …), 共性, or
        None for the whole library; one value for all names or one per name (aligned on the index).
    units : Series or sequence, optional
        The unit of each name's values (计量单位, or the unit written in the target); names whose unit
        cannot be the indicator's unit are penalised (:data:`UNIT_PENALTY`, :data:`UNIT_PENALTY_MINOR`).
    parents : Series or sequence, optional
        For numbered child rows, the name of the parent row (None elsewhere); a child row without a
        match of its own takes its parent's (``method`` ``parent``).
    threshold : float
        Minimum score for a match.

    Returns
    -------
    DataFrame
        Same index as ``names``: ``name``, ``key`` (normalised name), ``library_id``,
        ``library_name``, ``library_sector`` (None below the threshold), ``score`` (of the best
        candidate, after the unit factor), ``method`` (:data:`METHODS`; None without a candidate),
        ``candidate_id`` and ``candidate_name`` (the best candidate, even below the threshold).

    Raises
    ------
    LibraryError
        An unknown sector.
    """
    if library is None:
        library = load_library()
    names = names if isinstance(names, pd.Series) else pd.Series(list(names), dtype=object)
    index = names.index
    sector_codes, sector_values = _codes(_aligned(sector, index, "sector"))
    unit_codes, unit_values = _codes(
        np.asarray([_canonical_unit(u) for u in _aligned(units, index, "units")], dtype=object)
    )

    name_codes, distinct = pd.factorize(names.to_numpy(dtype=object), use_na_sentinel=True)
    variants = [_variants(v) for v in distinct]
    terms = _terms_for(library)
    n_ind = len(library)
    best = np.zeros((len(distinct), n_ind), dtype=np.float32)
    flat = [(i, v, w) for i, vs in enumerate(variants) for v, w in vs]
    for start in range(0, len(flat), BLOCK):
        block = flat[start : start + BLOCK]
        scores = terms.per_indicator([v for _i, v, _w in block])
        weights = np.asarray([w for _i, _v, w in block], dtype=np.float32)
        rows = np.asarray([i for i, _v, _w in block], dtype=np.intp)
        np.maximum.at(best, rows, scores * weights[:, None])
    for i, vs in enumerate(variants):
        if vs:
            for j, pattern in terms.patterns:
                if best[i, j] < PATTERN_SCORE and pattern.search(vs[0][0]):
                    best[i, j] = PATTERN_SCORE

    # One decision per distinct (name, sector, unit).
    combined = (name_codes.astype(np.int64) + 1) * (len(sector_values) * len(unit_values)) + (
        sector_codes * len(unit_values) + unit_codes
    )
    _combos, combo_codes, first = _first_rows(combined)
    bonus = np.where((library["sector"] == COMMON).to_numpy(), 0.0, SECTOR_BONUS)
    masks: dict[object, np.ndarray] = {}
    factors: dict[object, np.ndarray] = {}
    lib_units = library["unit"].tolist()
    results: list[tuple[int, float, str | None]] = []
    for row in first:
        name_code = name_codes[row]
        sector_key = sector_values[sector_codes[row]]
        unit = unit_values[unit_codes[row]]
        if name_code < 0 or not variants[name_code] or not n_ind:
            results.append((-1, np.nan, None))
            continue
        if sector_key not in masks:
            masks[sector_key] = sector_mask(library, sector_key).to_numpy()
        if unit not in factors:
            factors[unit] = np.asarray([_unit_factor(unit, u) for u in lib_units])
        raw = best[name_code] * factors[unit]
        ranking = np.where(masks[sector_key] & (raw > 0), raw + bonus, -1.0)
        j = int(np.argmax(ranking))
        if ranking[j] < 0:
            results.append((-1, 0.0, None))
            continue
        score = float(raw[j])
        results.append((j, score, _method(variants[name_code], terms, j, float(best[name_code, j]))))
    candidate = np.asarray([results[c][0] for c in combo_codes], dtype=np.intp)
    score = np.asarray([results[c][1] for c in combo_codes], dtype=float)
    method = np.asarray([results[c][2] for c in combo_codes], dtype=object)
    accepted = (candidate >= 0) & (np.nan_to_num(score) >= threshold - 1e-9)

    if parents is not None:
        parent_names = _aligned(parents, index, "parents")
        has_parent = pd.notna(parent_names) & ~accepted
        if has_parent.any():
            parent_sectors = np.asarray(sector_values, dtype=object)[sector_codes[has_parent]]
            parent_match = match_indicators(
                pd.Series(parent_names[has_parent], dtype=object),
                library,
                pd.Series(parent_sectors, dtype=object),
                threshold=threshold,
            )
            taken = parent_match["library_id"].notna().to_numpy()
            ids = library["id"].to_numpy(dtype=object)
            position = pd.Index(ids).get_indexer(parent_match["library_id"].to_numpy(dtype=object))
            rows = np.flatnonzero(has_parent)[taken]
            candidate[rows] = position[taken]
            score[rows] = parent_match["score"].to_numpy(dtype=float)[taken]
            method[rows] = "parent"
            accepted[rows] = True

    key_per_name = [vs[0][0] if vs else None for vs in variants]
    has = candidate >= 0
    safe = np.where(has, candidate, 0)

    def pick(column: str, mask: np.ndarray) -> np.ndarray:
        values = library[column].to_numpy(dtype=object)
        return np.where(mask, values[safe] if n_ind else None, None)

    return pd.DataFrame(
        {
            "name": names.to_numpy(dtype=object),
            "key": [key_per_name[c] if c >= 0 else None for c in name_codes],
            "library_id": pick("id", accepted),
            "library_name": pick("name", accepted),
            "library_sector": pick("sector", accepted),
            "score": score,
            "method": method,
            "candidate_id": pick("id", has),
            "candidate_name": pick("name", has),
        },
        index=index,
    )


def _first_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct keys, each row's code, and the first row of each key."""
    distinct, codes = np.unique(keys, return_inverse=True)
    first = np.zeros(len(distinct), dtype=np.intp)
    first[codes[::-1]] = np.arange(len(keys))[::-1]
    return distinct, codes, first


def rank_indicators(
    text: object,
    library: pd.DataFrame | None = None,
    sector: str | None = None,
    *,
    limit: int = 10,
    threshold: float = 0.45,
) -> pd.DataFrame:
    """The library indicators most similar to one text, best first (scored as in :func:`match_indicators`).

    Returns
    -------
    DataFrame
        Up to ``limit`` rows with a score of at least ``threshold``: ``id``, ``name``, ``sector``, ``score``.
    """
    if library is None:
        library = load_library()
    variants = _variants(text)
    columns = ["id", "name", "sector", "score"]
    if not variants or not len(library):
        return pd.DataFrame(columns=columns)
    terms = _terms_for(library)
    weights = np.asarray([w for _v, w in variants], dtype=np.float32)
    scores = (terms.per_indicator([v for v, _w in variants]) * weights[:, None]).max(axis=0)
    for j, pattern in terms.patterns:
        if scores[j] < PATTERN_SCORE and pattern.search(variants[0][0]):
            scores[j] = PATTERN_SCORE
    scores = np.where(sector_mask(library, sector).to_numpy(), scores, -1.0)
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] >= threshold][:limit]
    out = library.iloc[order][["id", "name", "sector"]].copy()
    out["score"] = scores[order].astype(float)
    return out.reset_index(drop=True)
