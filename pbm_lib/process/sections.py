"""Scheme sections of the whole-process stages: their shape, checked when a scheme loads.

Every threshold and weight of :mod:`pbm_lib.process` lives in one of these top-level sections of a
scheme (see the shipped ``cz2020-10-self`` profile for the values and their sources). The checks
are registered with :func:`pbm_lib.schemes.register_section`; :func:`pbm_lib.schemes.load_scheme`
imports this module before it validates a file, so a misspelt key or a bad band in a user file is
reported at load time with its location (``file · section.key``), like the core sections.

Bands are lists ``[{<label key>: name, min: x}, …]`` with strictly decreasing ``min`` and the last
``min`` equal to 0; a value ``v`` falls in the band ``[min_i, min_{i−1})`` (half-open, rules.md §0),
the top band is unbounded above.

The stage modules read a section with :func:`get`, which raises :class:`~pbm_lib.schemes.SchemeError`
when the scheme has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..schemes import Scheme, SchemeError, register_section
from ..workbook.schema import DEPARTMENT_DIMENSIONS, EX_ANTE_DIMENSIONS, GRADES

#: Monitoring lights (运行监控预警), most severe first: red > yellow > green > blue (rules.md §3.12).
LIGHTS = ("红灯", "黄灯", "绿灯", "蓝灯")
#: Sanctions available during monitoring (rules.md §2 step 10), most severe first.
SANCTIONS = ("停止拨款", "暂缓拨款")
#: Kinds of sanction rule (``monitoring.sanctions[].rule``).
SANCTION_RULES = ("execution_below", "red_streak", "no_spending")
#: Evaluation sources that can decide a project's final score (``results.score_priority``).
SCORE_SOURCES = ("财政评价", "第三方评价", "rule", "self")


# ---------------------------------------------------------------------------------------------
# Small typed checks with located messages
# ---------------------------------------------------------------------------------------------


def _fail(where: str, key: str, message: str) -> None:
    raise SchemeError(f"{where}{'.' + key if key else ''}: {message}")


def _mapping(
    value: Any, where: str, key: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict:
    if not isinstance(value, Mapping):
        _fail(where, key, "应为键值映射 / must be a mapping")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        _fail(
            where,
            f"{key + '.' if key else ''}{unknown[0]}",
            f"不认识的键 / unknown key; 应为 / expected one of: {', '.join(required + optional)}",
        )
    missing = [k for k in required if k not in value]
    if missing:
        _fail(where, f"{key + '.' if key else ''}{missing[0]}", "必填 / required")
    return dict(value)


def _number(
    value: Any,
    where: str,
    key: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    optional: bool = False,
) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(where, key, f"「{value}」不是数字 / not a number")
    if minimum is not None and value < minimum:
        _fail(where, key, f"{value} 小于 {minimum} / below {minimum}")
    if maximum is not None and value > maximum:
        _fail(where, key, f"{value} 大于 {maximum} / above {maximum}")
    return float(value)


def _integer(value: Any, where: str, key: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        _fail(
            where, key, f"「{value}」应为 {minimum}–{maximum} 的整数 / must be an integer {minimum}–{maximum}"
        )
    return value


def _choice(value: Any, where: str, key: str, options: tuple) -> Any:
    if value not in options:
        shown = " | ".join("null" if o is None else str(o) for o in options)
        _fail(where, key, f"「{value}」不是可选值 / not an option; 应为 / expected: {shown}")
    return value


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(where, key, "应为非空文本 / must be non-empty text")
    return value


def _bool(value: Any, where: str, key: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, key, "应为 true 或 false / must be true or false")
    return value


def _bands(
    value: Any,
    where: str,
    key: str,
    label: str,
    labels: tuple[str, ...] | None = None,
    extra: tuple[str, ...] = (),
) -> list[dict]:
    """``[{label: name, min: x, …extra}]``: ``min`` strictly decreasing, the last 0."""
    if not isinstance(value, list) or not value:
        _fail(where, key, f"应为 {{{label}, min}} 列表 / must list {{{label}, min}}")
    items = []
    for i, item in enumerate(value):
        at = f"{key}[{i}]"
        item = _mapping(item, where, at, (label, "min"), extra)
        if labels is not None:
            _choice(item[label], where, f"{at}.{label}", labels)
        elif not isinstance(item[label], (str, int, float)) or isinstance(item[label], bool):
            _fail(where, f"{at}.{label}", "应为文本或数字 / must be text or a number")
        _number(item["min"], where, f"{at}.min", minimum=0)
        items.append(item)
    minimums = [x["min"] for x in items]
    if any(a <= b for a, b in zip(minimums, minimums[1:], strict=False)):
        _fail(where, key, "下限应从高到低严格递减 / minimums must decrease strictly")
    if minimums[-1] != 0:
        _fail(where, key, "最低一档的下限应为 0 / the lowest band must start at 0")
    return items


def _weights(
    value: Any, where: str, key: str, names: tuple[str, ...], total: float | None = 100.0, exact: bool = True
) -> dict:
    if not isinstance(value, Mapping) or not value:
        _fail(where, key, "应为 名称: 分值 映射 / must map name → weight")
    for name, weight in value.items():
        _choice(name, where, key, names)
        _number(weight, where, f"{key}.{name}", minimum=0)
    if exact and set(value) != set(names):
        missing = [n for n in names if n not in value]
        _fail(where, key, f"缺少 / missing: {'、'.join(missing)}")
    if total is not None and abs(sum(value.values()) - total) > 1e-9:
        _fail(where, key, f"分值合计 {sum(value.values()):g}，应为 {total:g} / weights must total {total:g}")
    return dict(value)


# ---------------------------------------------------------------------------------------------
# One validator per section
# ---------------------------------------------------------------------------------------------


def check_ex_ante(value: Any, where: str) -> None:
    """``ex_ante``: dimension weights, aggregation, dispersion check, conclusions, economy evidence."""
    s = _mapping(
        value,
        where,
        "",
        ("dimensions", "aggregate", "min_experts", "dispersion", "conclusions", "economy", "required_when"),
    )
    _weights(s["dimensions"], where, "dimensions", EX_ANTE_DIMENSIONS)
    _choice(s["aggregate"], where, "aggregate", ("mean", "median"))
    _integer(s["min_experts"], where, "min_experts", 1, 100)
    d = _mapping(s["dispersion"], where, "dispersion", ("max_deviation", "max_cv", "exclude_flagged"))
    _number(d["max_deviation"], where, "dispersion.max_deviation", minimum=0, maximum=100)
    _number(d["max_cv"], where, "dispersion.max_cv", minimum=0, optional=True)
    _bool(d["exclude_flagged"], where, "dispersion.exclude_flagged")
    _bands(s["conclusions"], where, "conclusions", "conclusion")
    e = _mapping(
        s["economy"],
        where,
        "economy",
        ("discount_rate", "model_weight", "bcr_points", "unit_cost_points", "conflict_points"),
    )
    _number(e["discount_rate"], where, "economy.discount_rate", minimum=-0.99, maximum=1)
    _number(e["model_weight"], where, "economy.model_weight", minimum=0, maximum=1)
    for key in ("bcr_points", "unit_cost_points"):
        for i, item in enumerate(_bands(e[key], where, f"economy.{key}", "points")):
            _number(item["points"], where, f"economy.{key}[{i}].points", minimum=0, maximum=100)
    _number(e["conflict_points"], where, "economy.conflict_points", minimum=0, maximum=100)
    r = s["required_when"]
    if not isinstance(r, Mapping) or not r:
        _fail(where, "required_when", "应为 列名: 取值 映射 / must map a 项目 column to its value")
    for column, wanted in r.items():
        _choice(column, where, "required_when", ("new_or_continuing", "major", "project_kind"))
        _text(wanted, where, f"required_when.{column}")


def check_target_review(value: Any, where: str) -> None:
    """``target_review``: required categories, check points, grade bands and their consequences."""
    s = _mapping(
        value,
        where,
        "",
        (
            "required",
            "min_quantified_share",
            "weight_tolerance",
            "points",
            "grades",
            "consequences",
            "no_targets",
            "department_dimensions",
        ),
        ("library",),
    )
    req = s["required"]
    if not isinstance(req, Mapping) or not req:
        _fail(where, "required", "应为 一级指标: [二级关键词…] 映射 / must map level 1 → level-2 keywords")
    for level1, words in req.items():
        _text(level1, where, "required")
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            _fail(
                where,
                f"required.{level1}",
                "应为关键词列表（可为空）/ must be a list of keywords (may be empty)",
            )
    _number(s["min_quantified_share"], where, "min_quantified_share", minimum=0, maximum=1)
    _number(s["weight_tolerance"], where, "weight_tolerance", minimum=0)
    _weights(s["points"], where, "points", ("categories", "quantified", "weights", "basis", "not_below_last"))
    bands = _bands(s["grades"], where, "grades", "grade", GRADES)
    consequences = s["consequences"]
    if not isinstance(consequences, Mapping) or set(consequences) != {b["grade"] for b in bands}:
        _fail(where, "consequences", "应为每个审核等级给出处理结果 / must give a consequence for each grade")
    for grade, text in consequences.items():
        _text(text, where, f"consequences.{grade}")
    _text(s["no_targets"], where, "no_targets")
    dims = s["department_dimensions"]
    if not isinstance(dims, list) or not dims:
        _fail(where, "department_dimensions", "应为维度列表 / must list the dimensions")
    for dim in dims:
        _choice(dim, where, "department_dimensions", DEPARTMENT_DIMENSIONS)
    if "library" in s:
        _check_target_library(s["library"], where)


#: Benchmark statistics, indicator kinds and comparable groups of ``target_review.library``.
LIBRARY_STATISTICS = ("p25", "median", "p75", "mean")
LIBRARY_KINDS = ("rate", "level", "count", "amount", "unit_cost", "standard", "duration")
LIBRARY_GROUPS = ("sector_size", "sector", "all")


def _check_target_library(value: Any, where: str) -> None:
    """``target_review.library``: the indicator library's benchmark and core-indicator checks (issue 8)."""
    key = "library"
    s = _mapping(
        value,
        where,
        key,
        (
            "extension",
            "min_match_score",
            "benchmark",
            "benchmark_kinds",
            "groups",
            "min_projects",
            "tolerance",
            "min_field_rows",
            "deduct",
        ),
    )
    if s["extension"] is not None:
        _text(s["extension"], where, f"{key}.extension")
    _number(s["min_match_score"], where, f"{key}.min_match_score", minimum=0, maximum=1)
    _choice(s["benchmark"], where, f"{key}.benchmark", LIBRARY_STATISTICS)
    for name, options in (("benchmark_kinds", LIBRARY_KINDS), ("groups", LIBRARY_GROUPS)):
        items = s[name]
        if not isinstance(items, list) or not items or len(set(items)) != len(items):
            _fail(where, f"{key}.{name}", "应为不重复的非空列表 / must be a non-empty list without repeats")
        for item in items:
            _choice(item, where, f"{key}.{name}", options)
    _integer(s["min_projects"], where, f"{key}.min_projects", 1, 1000)
    _number(s["tolerance"], where, f"{key}.tolerance", minimum=0, maximum=1)
    _integer(s["min_field_rows"], where, f"{key}.min_field_rows", 1, 100)
    deduct = _mapping(s["deduct"], where, f"{key}.deduct", ("below_benchmark", "missing_core"))
    for name, points in deduct.items():
        _number(points, where, f"{key}.deduct.{name}", minimum=0, maximum=100)


def check_monitoring(value: Any, where: str) -> None:
    """``monitoring``: light bands, rules per indicator kind, projection, December rush, sanctions."""
    s = _mapping(
        value,
        where,
        "",
        (
            "time_progress",
            "execution_bands",
            "indicator_bands",
            "cumulative",
            "zero_target",
            "qualitative",
            "missing",
            "include_execution",
            "projection",
            "december_rush",
            "midyear_month",
            "review_month",
            "sanctions",
        ),
    )
    _choice(s["time_progress"], where, "time_progress", ("month", "day"))
    _bands(s["execution_bands"], where, "execution_bands", "light", LIGHTS)
    _bands(s["indicator_bands"], where, "indicator_bands", "light", LIGHTS)
    c = _mapping(s["cumulative"], where, "cumulative", ("rates", "rate_keywords"))
    _bool(c["rates"], where, "cumulative.rates")
    words = c["rate_keywords"]
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        _fail(
            where,
            "cumulative.rate_keywords",
            "应为关键词列表（可为空）/ must be a list of words (may be empty)",
        )
    _choice(s["zero_target"], where, "zero_target", ("green_if_equal", "red"))
    q = _mapping(s["qualitative"], where, "qualitative", ("达成", "部分达成", "未达成"))
    for level, light in q.items():
        _choice(light, where, f"qualitative.{level}", LIGHTS)
    _choice(s["missing"], where, "missing", (None, *LIGHTS))
    _bool(s["include_execution"], where, "include_execution")
    p = _mapping(s["projection"], where, "projection", ("method", "window", "warn_below"))
    _choice(p["method"], where, "projection.method", ("linear", "recent"))
    _integer(p["window"], where, "projection.window", 1, 11)
    _number(p["warn_below"], where, "projection.warn_below", minimum=0, maximum=2)
    r = _mapping(s["december_rush"], where, "december_rush", ("max_share",))
    _number(r["max_share"], where, "december_rush.max_share", minimum=0, maximum=1)
    _integer(s["midyear_month"], where, "midyear_month", 1, 12)
    _integer(s["review_month"], where, "review_month", 1, 11)
    rules = s["sanctions"]
    if not isinstance(rules, list):
        _fail(where, "sanctions", "应为规则列表（可为空）/ must be a list of rules (may be empty)")
    for i, rule in enumerate(rules):
        at = f"sanctions[{i}]"
        if not isinstance(rule, Mapping):
            _fail(where, at, "应为键值映射 / must be a mapping")
        kind = _choice(rule.get("rule"), where, f"{at}.rule", SANCTION_RULES)
        keys = {
            "execution_below": ("month", "percent"),
            "red_streak": ("months", "light"),
            "no_spending": ("month",),
        }[kind]
        rule = _mapping(rule, where, at, ("rule", "action", *keys))
        _choice(rule["action"], where, f"{at}.action", SANCTIONS)
        if "month" in rule:
            _integer(rule["month"], where, f"{at}.month", 1, 12)
        if "months" in rule:
            _integer(rule["months"], where, f"{at}.months", 1, 12)
        if "light" in rule:
            _choice(rule["light"], where, f"{at}.light", ("execution", "project"))
        if "percent" in rule:
            _number(rule["percent"], where, f"{at}.percent", minimum=0, maximum=100)


def check_department(value: Any, where: str) -> None:
    """``department``: dimensions, weight total, roll-up weights and the blend of the two scores."""
    s = _mapping(value, where, "", ("dimensions", "total", "weight_tolerance", "rollup_weight", "blend"))
    dims = s["dimensions"]
    if not isinstance(dims, list) or not dims:
        _fail(where, "dimensions", "应为维度列表 / must list the dimensions")
    for dim in dims:
        _choice(dim, where, "dimensions", DEPARTMENT_DIMENSIONS)
    _number(s["total"], where, "total", minimum=0)
    _number(s["weight_tolerance"], where, "weight_tolerance", minimum=0)
    _choice(s["rollup_weight"], where, "rollup_weight", ("annual", "executed"))
    b = _mapping(s["blend"], where, "blend", ("framework", "projects"))
    _number(b["framework"], where, "blend.framework", minimum=0, maximum=1)
    _number(b["projects"], where, "blend.projects", minimum=0, maximum=1)
    if abs(b["framework"] + b["projects"] - 1) > 1e-9:
        _fail(where, "blend", "framework + projects 应为 1 / must sum to 1")


def check_results(value: Any, where: str) -> None:
    """``results``: score priority, per-grade direction and cut, balances, carry-over, appraisal."""
    s = _mapping(
        value,
        where,
        "",
        (
            "score_priority",
            "base",
            "grades",
            "poor_first_time",
            "ungraded",
            "balance_cut_rate",
            "recover_unused_carryover",
            "slow_execution",
            "appraisal",
        ),
    )
    prio = s["score_priority"]
    if not isinstance(prio, list) or not prio or len(set(prio)) != len(prio):
        _fail(where, "score_priority", "应为不重复的来源列表 / must list distinct sources")
    for source in prio:
        _choice(source, where, "score_priority", SCORE_SOURCES)
    _choice(s["base"], where, "base", ("annual", "initial"))
    g = s["grades"]
    if not isinstance(g, Mapping) or set(g) != set(GRADES):
        _fail(where, "grades", f"应为 {'/'.join(GRADES)} 各给出 direction 和 cut_rate / one entry per grade")
    for grade, rule in g.items():
        rule = _mapping(rule, where, f"grades.{grade}", ("direction", "cut_rate"))
        _text(rule["direction"], where, f"grades.{grade}.direction")
        _number(rule["cut_rate"], where, f"grades.{grade}.cut_rate", minimum=0, maximum=1)
    _text(s["poor_first_time"], where, "poor_first_time")
    u = _mapping(s["ungraded"], where, "ungraded", ("direction", "cut_rate"))
    _text(u["direction"], where, "ungraded.direction")
    _number(u["cut_rate"], where, "ungraded.cut_rate", minimum=0, maximum=1)
    _number(s["balance_cut_rate"], where, "balance_cut_rate", minimum=0, maximum=1)
    _bool(s["recover_unused_carryover"], where, "recover_unused_carryover")
    if s["slow_execution"] is not None:
        x = _mapping(s["slow_execution"], where, "slow_execution", ("below", "share"))
        _number(x["below"], where, "slow_execution.below", minimum=0, maximum=1)
        _number(x["share"], where, "slow_execution.share", minimum=0, maximum=1)
    a = _mapping(s["appraisal"], where, "appraisal", ("weights",))
    _weights(a["weights"], where, "appraisal.weights", ("department", "projects", "execution", "process"))


def check_audit(value: Any, where: str) -> None:
    """``audit``: the margins beyond which a self-evaluation is a signal."""
    s = _mapping(
        value,
        where,
        "",
        ("self_vs_rule", "self_vs_external", "min_copied_rows", "min_low_rows", "grade_jump"),
    )
    _number(s["self_vs_rule"], where, "self_vs_rule", minimum=0, maximum=100)
    _number(s["self_vs_external"], where, "self_vs_external", minimum=0, maximum=100)
    _integer(s["min_copied_rows"], where, "min_copied_rows", 1, 1000)
    _integer(s["min_low_rows"], where, "min_low_rows", 1, 1000)
    _bool(s["grade_jump"], where, "grade_jump")


VALIDATORS = {
    "ex_ante": check_ex_ante,
    "target_review": check_target_review,
    "monitoring": check_monitoring,
    "department": check_department,
    "results": check_results,
    "audit": check_audit,
}
for _name, _check in VALIDATORS.items():
    register_section(_name, _check)


def get(scheme: Scheme, name: str) -> Mapping[str, Any]:
    """The stage section ``name`` of ``scheme`` (validated at load time).

    Raises
    ------
    SchemeError
        The scheme has no such section (a user file that neither defines nor inherits it).
    """
    value = scheme.section(name)
    if value is None:
        raise SchemeError(
            f"方案「{scheme.ref}」缺少「{name}」部分；请 extends 内置方案（如 cz2020-10-self）或自行填写 / "
            f"scheme has no `{name}` section"
        )
    return value
