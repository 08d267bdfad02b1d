"""Scoring schemes: every rule a city may tune, as versioned YAML data (rules.md §0, §3).

A scheme is one YAML file in ``pbm_lib/schemes/profiles/`` named ``<id>.v<version>.yaml``, or a
user's own file. ``load_scheme("cz2020-10-self")`` gives the newest version of a shipped scheme,
``load_scheme("cz2020-10-self@1")`` a given version, ``load_scheme("my_city.yaml")`` a user file;
``select_scheme(...)`` picks the shipped scheme whose ``applies_to`` matches a table.

File format
-----------
Top-level keys (all sections are optional in a file that ``extends`` another):

``id`` (str), ``version`` (int), ``title`` (str), ``kind`` (``self_evaluation`` | ``evaluation``),
``description`` (str)
    Identity. A user file without ``id`` takes its file name.
``extends`` (str)
    Id (``id`` or ``id@version``) of a shipped scheme, or a path relative to the file. The file's keys
    are merged over it: mappings key by key, everything else (lists included) replaced. ``sources``
    is the exception: the file's sources come first, then the inherited ones, so provenance is kept.
``sources`` (list of ``{title, url, evidence, covers}``)
    Where each rule comes from; ``evidence`` is ``published``, ``observed``, ``unverified`` or
    ``toolkit`` (rules.md §0). At least one is required.
``applies_to`` (``{jurisdiction: regex, title: regex, level1: regex, budget_weight: number,
priority: int}`` or null)
    When :func:`select_scheme` picks this scheme: every given condition must hold; the highest
    ``priority`` wins.
``weights``
    ``total`` (100), ``indicators_total`` (points of the indicator block), ``level1`` (list of
    ``{name, weight|null, aliases, level2}``; a null weight means the block is split freely),
    ``child_tolerance``, ``min_output_outcome`` (evaluation schemes: 产出 + 效益 ≥ this, a warning).
``budget``
    ``weight`` (null: no separate budget row), ``denominator`` (``annual`` = 全年/调整后预算数 |
    ``initial`` = 年初预算数), ``cap`` (null: uncapped), ``explain_below`` (rate below which the form
    asks for an explanation).
``scoring``
    ``default_direction``, ``equal`` (``one_sided`` | ``two_sided``), ``reverse`` (``linear_2t`` |
    ``ratio``), ``zero_target`` (``full_with_note`` | ``no_score``), ``negative_target``
    (``pass_fail`` | ``deduction`` | null), ``deduction_per_unit``, ``over_achievement``
    (``{policy: none|require_note|deduct, threshold, zero_target_threshold, deduction_k}``),
    ``rescale_not_applicable``, ``row_rounding`` (``none`` | ``half_up_2`` | ``truncate_1`` |
    ``integer``), ``total_decimals``.
``qualitative``
    ``bands`` (level → ``[lo, hi]`` share of the weight) and ``levels`` (level → printed labels and
    synonyms).
``grades``
    ``max`` and ``bands`` (``{grade, min}``, highest first; half-open ``[min, next min)``, the top band
    closed at ``max``).
``review``
    ``score_tolerance``, ``rate_tolerance`` (percentage points), ``full_tolerance``,
    ``output_spend_ratio``.

Other top-level sections
    Any other top-level key is a section for a later stage (monitoring lights, ex-ante thresholds,
    results application …). It is kept, deep-frozen, in :attr:`Scheme.sections` and read with
    :meth:`Scheme.section`. A stage that wants its section checked at load time registers a validator
    with :func:`register_section`; keys inside the sections above are checked strictly (a misspelt
    key is an error).
"""

from __future__ import annotations

import copy
import functools
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ..errors import PbmError
from ..indicators import normalise_word

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PROFILES = Path(__file__).with_name("profiles")
DEFAULT_SCHEME_ID = "cz2020-10-self"
EVIDENCE_LEVELS = ("published", "observed", "unverified", "toolkit")
KINDS = ("self_evaluation", "evaluation")
_FILE_NAME = re.compile(r"^(?P<id>.+)\.v(?P<version>\d+)\.ya?ml$")
_CORE_SECTIONS = ("id", "version", "title", "kind", "description", "extends", "sources", "applies_to",
                  "weights", "budget", "scoring", "qualitative", "grades", "review")


class SchemeError(PbmError):
    """A scheme cannot be found, read or validated; the message names the file and the key."""


# ---------------------------------------------------------------------------------------------
# The frozen scheme
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None
    evidence: str
    covers: str | None = None


@dataclass(frozen=True)
class Level1:
    """A level-1 category (一级指标): its name, fixed weight (None: split freely) and aliases."""

    name: str
    weight: float | None
    aliases: tuple[str, ...] = ()
    level2: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class BudgetRule:
    """Budget-execution score ``S = weight · min(E/B, cap)`` (rules.md §3.7)."""

    weight: float | None
    denominator: str
    cap: float | None
    explain_below: float | None


@dataclass(frozen=True)
class OverAchievement:
    """Over-achievement policy (rules.md §3.6)."""

    policy: str
    threshold: float
    zero_target_threshold: float
    deduction_k: float | None


@dataclass(frozen=True)
class ScoringRules:
    """Per-indicator formulas (rules.md §3.3–§3.6)."""

    default_direction: str
    equal: str
    reverse: str
    zero_target: str
    negative_target: str | None
    deduction_per_unit: float | None
    over_achievement: OverAchievement
    rescale_not_applicable: bool
    row_rounding: str
    total_decimals: int


@dataclass(frozen=True)
class QualitativeRules:
    """Achievement levels, their bands (share of the weight) and the words that map to them (§3.5)."""

    bands: Mapping[str, tuple[float, float]]
    synonyms: Mapping[str, str]  # normalised word → level

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(self.bands)


@dataclass(frozen=True)
class GradeBands:
    """Half-open grade bands, highest first: grade ``g_i`` covers ``[min_i, min_{i-1})`` (rules.md §3.1)."""

    grades: tuple[str, ...]
    minimums: tuple[float, ...]
    maximum: float


@dataclass(frozen=True)
class ReviewTolerances:
    score_tolerance: float
    rate_tolerance: float
    full_tolerance: float
    output_spend_ratio: float


@dataclass(frozen=True)
class Scheme:
    """One validated, immutable scoring scheme."""

    id: str
    version: int
    title: str
    kind: str
    description: str
    sources: tuple[Source, ...]
    applies_to: Mapping[str, Any] | None
    total: float
    indicators_total: float
    level1: tuple[Level1, ...]
    child_tolerance: float
    min_output_outcome: float | None
    budget: BudgetRule
    rules: ScoringRules
    qualitative: QualitativeRules
    grades: GradeBands
    review: ReviewTolerances
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def section(self, name: str, default: Any = None) -> Any:
        """An extra top-level section (for later stages), deep-frozen, or ``default``."""
        return self.sections.get(name, default)

    def level1_lookup(self) -> dict[str, str]:
        """Normalised names and aliases of the level-1 categories → canonical name."""
        lookup: dict[str, str] = {}
        for item in self.level1:
            for word in (item.name, *item.aliases):
                key = normalise_word(word)
                if key:
                    lookup[key] = item.name
        return lookup

    def level1_weight(self, name: str) -> float | None:
        for item in self.level1:
            if item.name == name:
                return item.weight
        return None


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

SectionValidator = Callable[[Any, str], None]
_SECTION_VALIDATORS: dict[str, SectionValidator] = {}


#: Modules that register validators for extra sections (:func:`register_section`). They import this
#: module, so they are imported when the first scheme is built, not when this module loads.
SECTION_PROVIDERS: list[str] = ["pbm_lib.process.sections"]


def _import_section_providers() -> None:
    for name in SECTION_PROVIDERS:
        importlib.import_module(name)


def register_section(name: str, validator: SectionValidator) -> None:
    """Register a load-time check for an extra top-level section.

    ``validator(value, where)`` raises :class:`SchemeError` (``where`` is ``"file · name"``).
    """
    if name in _CORE_SECTIONS:
        raise ValueError(f"{name} is a core section")
    _SECTION_VALIDATORS[name] = validator


def scheme_ids() -> list[str]:
    """Ids of the shipped schemes, from the file names alone (no file is parsed)."""
    return sorted({m["id"] for p in PROFILES.glob("*.y*ml") if (m := _FILE_NAME.match(p.name))})


def available_schemes() -> list[dict[str, Any]]:
    """Shipped schemes: ``id``, ``version``, ``title`` and ``path``, sorted by id and version."""
    found = []
    for path in sorted(PROFILES.glob("*.y*ml")):
        match = _FILE_NAME.match(path.name)
        if not match:
            continue
        data = _read_yaml(path)
        found.append({"id": match["id"], "version": int(match["version"]), "title": data.get("title"),
                      "path": str(path)})
    return sorted(found, key=lambda s: (s["id"], s["version"]))


def load_scheme(ref: str | Path = DEFAULT_SCHEME_ID) -> Scheme:
    """Load and validate a scheme by id (``id`` or ``id@version``) or by the path of a YAML file.

    Raises
    ------
    SchemeError
        Unknown id, unreadable file, bad ``extends`` chain, or a value that fails validation; the
        message names the file and the key.
    """
    data, files = _resolve(ref, chain=())
    return _build(data, files)


def select_scheme(jurisdiction: str | None = None, title: str | None = None,
                  budget_weight: float | None = None, level1: list[str] | None = None) -> Scheme:
    """The newest shipped scheme whose ``applies_to`` matches, else the default scheme.

    Every condition given in ``applies_to`` must hold: ``jurisdiction``, ``title`` and ``level1`` are
    regular expressions searched in the table's 行政区划, its title and its level-1 names (joined by
    spaces), ``budget_weight`` equals the printed weight of the budget row. The highest ``priority``
    wins.
    """
    best: tuple[int, str] | None = None
    newest: dict[str, dict[str, Any]] = {}
    for info in available_schemes():
        newest[info["id"]] = info
    for info in newest.values():
        rule = _read_yaml(Path(info["path"])).get("applies_to")
        if not rule:
            continue
        if "jurisdiction" in rule and not re.search(rule["jurisdiction"], jurisdiction or ""):
            continue
        if "title" in rule and not re.search(rule["title"], title or ""):
            continue
        if "level1" in rule and not re.search(rule["level1"], " ".join(n for n in (level1 or []) if n)):
            continue
        if "budget_weight" in rule and (budget_weight is None or float(budget_weight) != float(rule["budget_weight"])):
            continue
        priority = int(rule.get("priority", 0))
        if best is None or priority > best[0]:
            best = (priority, info["id"])
    return load_scheme(best[1] if best else DEFAULT_SCHEME_ID)


def _read_yaml(path: Path) -> dict[str, Any]:
    """A scheme file as a fresh mapping (parsed once per file version, then copied)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise SchemeError(f"{path}: 无法读取方案文件 / cannot read scheme file ({error.strerror})") from None
    return copy.deepcopy(_parse_yaml(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=64)
def _parse_yaml(path_text: str, _mtime_ns: int, _size: int) -> dict[str, Any]:
    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SchemeError(f"{path}: 无法读取方案文件 / cannot read scheme file ({error})") from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" · 第{mark.line + 1}行" if mark is not None else ""
        raise SchemeError(f"{path}{where}: YAML 格式错误 / bad YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict):
        raise SchemeError(f"{path}: 方案文件应为键值映射 / a scheme file must be a mapping")
    return data


def _shipped_path(ref: str) -> Path:
    name, _, version = ref.partition("@")
    candidates = [s for s in available_schemes() if s["id"] == name]
    if version:
        candidates = [s for s in candidates if str(s["version"]) == version]
    if not candidates:
        known = "、".join(sorted({s["id"] for s in available_schemes()}))
        raise SchemeError(f"未知的方案「{ref}」/ unknown scheme; 可选 / available: {known}")
    return Path(candidates[-1]["path"])


def _resolve(ref: str | Path, chain: tuple[str, ...], base: Path | None = None) -> tuple[dict, tuple[str, ...]]:
    ref_text = str(ref)
    looks_like_path = isinstance(ref, Path) or ref_text.endswith((".yaml", ".yml")) or "/" in ref_text
    if looks_like_path:
        path = Path(ref_text)
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.exists():
            raise SchemeError(f"{path}: 方案文件不存在 / scheme file not found")
    else:
        path = _shipped_path(ref_text)
    key = str(path.resolve())
    if key in chain:
        raise SchemeError(f"{path}: extends 形成循环 / circular extends: {' → '.join(chain + (key,))}")
    data = _read_yaml(path)
    if "id" not in data:
        match = _FILE_NAME.match(path.name)
        data["id"] = match["id"] if match else path.stem
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data, (str(path),)
    if not isinstance(parent_ref, str):
        raise SchemeError(f"{path} · extends: 应为方案编号或文件路径 / must be a scheme id or a path")
    parent, files = _resolve(parent_ref, chain + (key,), base=path.parent)
    return _merge(parent, data), files + (str(path),)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for k, v in override.items():
        if k == "sources" and isinstance(v, list) and isinstance(base.get(k), list):
            merged[k] = v + [s for s in base[k] if s not in v]
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            merged[k] = _merge(base[k], v)
        else:
            merged[k] = v
    merged.pop("extends", None)
    return merged


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


class _Reader:
    """Typed access to a merged scheme mapping with located errors."""

    def __init__(self, data: dict, file: str):
        self.data, self.file = data, file

    def fail(self, key: str, message: str) -> None:
        raise SchemeError(f"{self.file} · {key.lstrip('.')}: {message}")

    def section(self, name: str, allowed: tuple[str, ...]) -> dict:
        value = self.data.get(name)
        if not isinstance(value, dict):
            self.fail(name, "缺少或不是键值映射 / missing or not a mapping")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            self.fail(f"{name}.{unknown[0]}", f"不认识的键 / unknown key; 应为 / expected one of: {', '.join(allowed)}")
        return value

    def number(self, mapping: dict, key: str, where: str, *, optional: bool = False,
               minimum: float | None = None, maximum: float | None = None) -> float | None:
        value = mapping.get(key)
        if value is None:
            if optional:
                return None
            self.fail(f"{where}.{key}", "必填 / required (a number)")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{where}.{key}", f"「{value}」不是数字 / not a number")
        if minimum is not None and value < minimum:
            self.fail(f"{where}.{key}", f"{value} 小于 {minimum} / below {minimum}")
        if maximum is not None and value > maximum:
            self.fail(f"{where}.{key}", f"{value} 大于 {maximum} / above {maximum}")
        return float(value)

    def choice(self, mapping: dict, key: str, where: str, options: tuple, *, optional: bool = False):
        value = mapping.get(key)
        if value is None and optional:
            return None
        if value not in options:
            shown = " | ".join("null" if o is None else str(o) for o in options)
            self.fail(f"{where}.{key}", f"「{value}」不是可选值 / not an option; 应为 / expected: {shown}")
        return value

    def text(self, mapping: dict, key: str, where: str, *, optional: bool = False) -> str | None:
        value = mapping.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}.{key}", "应为非空文本 / must be non-empty text")
        return value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _build(data: dict, files: tuple[str, ...]) -> Scheme:
    r = _Reader(data, files[-1])
    scheme_id = r.text(data, "id", "")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        r.fail("version", f"「{version}」应为正整数 / must be a positive integer")
    kind = r.choice(data, "kind", "", KINDS)

    sources_raw = data.get("sources")
    if not isinstance(sources_raw, list) or not sources_raw:
        r.fail("sources", "每个方案须注明来源 / every scheme must cite at least one source")
    sources = []
    for i, s in enumerate(sources_raw):
        where = f"sources[{i}]"
        if not isinstance(s, dict):
            r.fail(where, "应为 {title, url, evidence} / must be a mapping")
        sources.append(Source(r.text(s, "title", where), s.get("url"),
                              r.choice(s, "evidence", where, EVIDENCE_LEVELS), s.get("covers")))

    applies_to = data.get("applies_to")
    if applies_to is not None:
        if not isinstance(applies_to, dict):
            r.fail("applies_to", "应为键值映射或 null / must be a mapping or null")
        for key in ("jurisdiction", "title", "level1"):
            if key in applies_to:
                try:
                    re.compile(applies_to[key])
                except (re.error, TypeError) as error:
                    r.fail(f"applies_to.{key}", f"不是正则表达式 / not a regular expression ({error})")
        unknown = sorted(set(applies_to) - {"jurisdiction", "title", "level1", "budget_weight", "priority"})
        if unknown:
            r.fail(f"applies_to.{unknown[0]}", "不认识的键 / unknown key")

    w = r.section("weights", ("total", "indicators_total", "level1", "child_tolerance", "min_output_outcome"))
    total = r.number(w, "total", "weights", minimum=0)
    indicators_total = r.number(w, "indicators_total", "weights", minimum=0, maximum=total)
    level1 = []
    if not isinstance(w.get("level1"), list) or not w["level1"]:
        r.fail("weights.level1", "应为一级指标列表 / must list the level-1 categories")
    for i, item in enumerate(w["level1"]):
        where = f"weights.level1[{i}]"
        if not isinstance(item, dict):
            r.fail(where, "应为 {name, weight, aliases} / must be a mapping")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            r.fail(f"{where}.aliases", "应为文本列表 / must be a list of text")
        level1.append(Level1(r.text(item, "name", where), r.number(item, "weight", where, optional=True, minimum=0),
                             tuple(aliases), _freeze(item.get("level2") or [])))
    fixed = [x.weight for x in level1 if x.weight is not None]
    if len(fixed) == len(level1) and abs(sum(fixed) - indicators_total) > 1e-9:
        r.fail("weights.level1", f"一级指标分值合计 {sum(fixed):g}，应等于 indicators_total {indicators_total:g}")

    b = r.section("budget", ("weight", "denominator", "cap", "explain_below"))
    budget = BudgetRule(
        r.number(b, "weight", "budget", optional=True, minimum=0),
        r.choice(b, "denominator", "budget", ("annual", "initial")),
        r.number(b, "cap", "budget", optional=True, minimum=0),
        r.number(b, "explain_below", "budget", optional=True, minimum=0, maximum=1),
    )
    if abs((budget.weight or 0.0) + indicators_total - total) > 1e-9:
        r.fail("budget.weight", f"预算执行率分值 {budget.weight or 0:g} + 指标分值 {indicators_total:g} ≠ 总分 {total:g}")

    s = r.section("scoring", ("default_direction", "equal", "reverse", "zero_target", "negative_target",
                              "deduction_per_unit", "over_achievement", "rescale_not_applicable", "row_rounding",
                              "total_decimals"))
    o = s.get("over_achievement")
    if not isinstance(o, dict):
        r.fail("scoring.over_achievement", "应为键值映射 / must be a mapping")
    unknown = sorted(set(o) - {"policy", "threshold", "zero_target_threshold", "deduction_k"})
    if unknown:
        r.fail(f"scoring.over_achievement.{unknown[0]}", "不认识的键 / unknown key")
    over = OverAchievement(
        r.choice(o, "policy", "scoring.over_achievement", ("none", "require_note", "deduct")),
        r.number(o, "threshold", "scoring.over_achievement", minimum=1),
        r.number(o, "zero_target_threshold", "scoring.over_achievement", minimum=0),
        r.number(o, "deduction_k", "scoring.over_achievement", optional=True, minimum=0),
    )
    if over.policy == "deduct" and over.deduction_k is None:
        r.fail("scoring.over_achievement.deduction_k", "policy 为 deduct 时必填（无公开的 k 值）/ required with deduct")
    negative = r.choice(s, "negative_target", "scoring", ("pass_fail", "deduction", None))
    deduction = r.number(s, "deduction_per_unit", "scoring", optional=True, minimum=0)
    if negative == "deduction" and deduction is None:
        r.fail("scoring.deduction_per_unit", "negative_target 为 deduction 时必填 / required with deduction")
    rescale = s.get("rescale_not_applicable")
    if not isinstance(rescale, bool):
        r.fail("scoring.rescale_not_applicable", "应为 true 或 false / must be true or false")
    decimals = s.get("total_decimals")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        r.fail("scoring.total_decimals", "应为 0–6 的整数 / must be an integer 0–6")
    rules = ScoringRules(
        r.choice(s, "default_direction", "scoring", ("positive", "equal", "reverse")),
        r.choice(s, "equal", "scoring", ("one_sided", "two_sided")),
        r.choice(s, "reverse", "scoring", ("linear_2t", "ratio")),
        r.choice(s, "zero_target", "scoring", ("full_with_note", "no_score")),
        negative, deduction, over, rescale,
        r.choice(s, "row_rounding", "scoring", ("none", "half_up_2", "truncate_1", "integer")),
        decimals,
    )

    q = r.section("qualitative", ("bands", "levels"))
    bands_raw, levels_raw = q.get("bands"), q.get("levels")
    if not isinstance(bands_raw, dict) or not bands_raw:
        r.fail("qualitative.bands", "应为 等级: [下限, 上限] / must map level → [lo, hi]")
    bands = {}
    for level, pair in bands_raw.items():
        ok = isinstance(pair, list) and len(pair) == 2 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in pair)
        if not ok or not 0 <= pair[0] < pair[1] <= 1:
            r.fail(f"qualitative.bands.{level}", f"「{pair}」应为 [下限, 上限]，0 ≤ 下限 < 上限 ≤ 1")
        bands[level] = (float(pair[0]), float(pair[1]))
    ordered = sorted(bands.values())
    if ordered[0][0] != 0 or ordered[-1][1] != 1 or any(a[1] != b[0] for a, b in zip(ordered, ordered[1:], strict=False)):
        r.fail("qualitative.bands", "各等级区间应无缝覆盖 [0, 1] / bands must tile [0, 1] without gaps")
    if not isinstance(levels_raw, dict):
        r.fail("qualitative.levels", "应为 等级: [词语…] / must map level → words")
    synonyms: dict[str, str] = {}
    for level, words in levels_raw.items():
        if level not in bands:
            r.fail(f"qualitative.levels.{level}", f"等级「{level}」没有区间 / has no band")
        if not isinstance(words, list):
            r.fail(f"qualitative.levels.{level}", "应为词语列表 / must be a list of words")
        for word in words:
            key = normalise_word(word)
            if key in synonyms and synonyms[key] != level:
                r.fail(f"qualitative.levels.{level}", f"「{word}」同时属于「{synonyms[key]}」/ word in two levels")
            synonyms[key] = level

    g = r.section("grades", ("max", "bands"))
    maximum = r.number(g, "max", "grades")
    grade_list = g.get("bands")
    if not isinstance(grade_list, list) or not grade_list:
        r.fail("grades.bands", "应为 {grade, min} 列表 / must list {grade, min}")
    names, minimums = [], []
    for i, item in enumerate(grade_list):
        where = f"grades.bands[{i}]"
        if not isinstance(item, dict):
            r.fail(where, "应为 {grade, min} / must be a mapping")
        names.append(r.text(item, "grade", where))
        minimums.append(r.number(item, "min", where, maximum=maximum))
    if any(a <= b for a, b in zip(minimums, minimums[1:], strict=False)):
        r.fail("grades.bands", "下限应从高到低严格递减 / minimums must decrease strictly")
    if minimums[-1] != 0:
        r.fail("grades.bands", "最低等级的下限应为 0 / the lowest band must start at 0")

    v = r.section("review", ("score_tolerance", "rate_tolerance", "full_tolerance", "output_spend_ratio"))
    review = ReviewTolerances(*(r.number(v, k, "review", minimum=0) for k in
                                ("score_tolerance", "rate_tolerance", "full_tolerance", "output_spend_ratio")))

    warnings = []
    min_oo = r.number(w, "min_output_outcome", "weights", optional=True, minimum=0)
    if kind == "evaluation" and min_oo is not None:
        fixed_oo = [x.weight for x in level1 if x.name in ("产出", "效益")]
        if all(x is not None for x in fixed_oo) and fixed_oo and sum(fixed_oo) < min_oo:
            warnings.append(f"产出 + 效益 分值 {sum(fixed_oo):g} 低于 {min_oo:g}（原则上）")

    sections = {k: v for k, v in data.items() if k not in _CORE_SECTIONS}
    _import_section_providers()
    for name, value in sections.items():
        if name in _SECTION_VALIDATORS:
            _SECTION_VALIDATORS[name](value, f"{files[-1]} · {name}")

    return Scheme(
        id=scheme_id, version=version, title=r.text(data, "title", ""), kind=kind,
        description=(data.get("description") or "").strip(), sources=tuple(sources),
        applies_to=_freeze(applies_to) if applies_to else None, total=total, indicators_total=indicators_total,
        level1=tuple(level1), child_tolerance=r.number(w, "child_tolerance", "weights", minimum=0),
        min_output_outcome=min_oo, budget=budget, rules=rules,
        qualitative=QualitativeRules(MappingProxyType(bands), MappingProxyType(synonyms)),
        grades=GradeBands(tuple(names), tuple(minimums), maximum), review=review,
        sections=_freeze(sections), files=files, warnings=tuple(warnings),
    )
