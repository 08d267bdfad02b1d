"""Loading and validating the indicator library (绩效指标库) and a city's own extension files.

The shipped library is a set of versioned YAML files in ``pbm_lib/library/data``: ``common.v1.yaml``
(the common framework, 共性绩效指标框架) and one file per sector system (分行业指标体系). A city adds
or overrides indicators with files of the same format (:func:`load_library` ``extensions``); it
never edits the shipped files. The format is described in ``pbm_lib/library/README.md``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import PbmError
from ..workbook.schema import SECTORS, VALUE_BASES

#: Format tag every library file carries.
FORMAT = "pbm-indicator-library/1"
#: Folder of the shipped library files.
DATA_DIR = Path(__file__).with_name("data")
#: The file holding the common framework; loaded first.
COMMON_FILE = "common.v1.yaml"
#: Sector name of the common indicators.
COMMON = "共性"
#: Directions of an indicator (指标方向), as in the workbook's 指标方向 column.
DIRECTIONS = ("≥", "≤", "=", "定性")
#: Spellings accepted for a direction and their canonical form.
DIRECTION_ALIASES = {
    ">=": "≥",
    "≧": "≥",
    ">": "≥",
    "正向": "≥",
    "<=": "≤",
    "≦": "≤",
    "<": "≤",
    "反向": "≤",
    "＝": "=",
    "等于": "=",
    "定性指标": "定性",
}
#: Kinds of indicator. ``rate``, ``level``, ``unit_cost`` and ``duration`` are intensive (comparable
#: across projects of different size); ``count`` and ``amount`` are extensive; ``standard`` is a
#: per-object amount fixed by policy (补助标准); ``qualitative`` is assessed in levels.
KINDS = ("rate", "level", "count", "amount", "unit_cost", "standard", "duration", "qualitative")
#: Kinds that a benchmark may be drawn for by default (intensive quantities).
INTENSIVE_KINDS = ("rate", "level", "unit_cost", "duration")
#: Columns of the library DataFrame, in order.
COLUMNS = (
    "id",
    "name",
    "aliases",
    "sector",
    "budget_sectors",
    "field",
    "level1",
    "level2",
    "unit",
    "direction",
    "kind",
    "core",
    "cost_driver",
    "comparable",
    "definition",
    "formula",
    "basis",
    "guidance",
    "patterns",
    "source",
)

_FILE_REQUIRED = ("format", "id", "version", "sector", "indicators")
_FILE_OPTIONAL = (
    "title",
    "description",
    "sources",
    "framework",
    "budget_sectors",
    "fields",
    "guidance",
    "remove",
)
_ENTRY_REQUIRED = ("id", "name", "level1", "level2", "unit", "direction", "kind")
_ENTRY_OPTIONAL = (
    "aliases",
    "definition",
    "formula",
    "basis",
    "guidance",
    "patterns",
    "field",
    "core",
    "cost_driver",
    "comparable",
    "sector",
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
#: libyaml's loader when available (several times faster than the pure-Python one).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LibraryError(PbmError, ValueError):
    """A library file that cannot be used; the message names the file and the entry."""


# ---------------------------------------------------------------------------------------------
# Reading one file
# ---------------------------------------------------------------------------------------------


def _fail(file: str, where: str, message: str) -> None:
    raise LibraryError(f"{file}{' · ' + where if where else ''}: {message}")


def _read_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LOADER)
    except FileNotFoundError:
        raise LibraryError(f"{path}: 文件不存在 / file not found") from None
    except yaml.YAMLError as error:
        raise LibraryError(f"{path.name}: 不是有效的 YAML / not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        _fail(path.name, "", "应为键值映射 / must be a mapping")
    return dict(data)


def _text(value: Any, file: str, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(file, where, f"{key} 应为非空文本 / `{key}` must be non-empty text")
    return value.strip()


def _texts(value: Any, file: str, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(file, where, f"{key} 应为文本列表 / `{key}` must be a list of texts")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _check_file(data: dict, file: str, *, shipped: bool) -> None:
    unknown = sorted(set(data) - set(_FILE_REQUIRED) - set(_FILE_OPTIONAL))
    if unknown:
        _fail(
            file,
            unknown[0],
            f"不认识的键 / unknown key; 应为 / expected one of: {', '.join(_FILE_REQUIRED + _FILE_OPTIONAL)}",
        )
    missing = [k for k in _FILE_REQUIRED if k not in data]
    if missing:
        _fail(file, missing[0], "必填 / required")
    if data["format"] != FORMAT:
        _fail(file, "format", f"「{data['format']}」不是 {FORMAT} / unsupported format")
    if isinstance(data["version"], bool) or not isinstance(data["version"], int) or data["version"] < 1:
        _fail(file, "version", "应为正整数 / must be a positive integer")
    _text(data["id"], file, "id", "id")
    _text(data["sector"], file, "sector", "sector")
    if not isinstance(data["indicators"], list):
        _fail(file, "indicators", "应为指标列表 / must be a list of indicators")
    for code in _texts(data.get("budget_sectors"), file, "budget_sectors", "budget_sectors"):
        if code not in SECTORS:
            _fail(
                file,
                "budget_sectors",
                f"「{code}」不是行业领域代码 / not a sector code; 应为 / expected one of: "
                f"{'、'.join(SECTORS)}",
            )
    fields = data.get("fields")
    if fields is not None and not isinstance(fields, Mapping):
        _fail(file, "fields", "应为 领域: 说明 映射 / must map field → description")
    if "framework" in data and not (shipped and data["sector"] == COMMON):
        _fail(
            file,
            "framework",
            "一级/二级指标结构只能由共性框架文件定义 / only the common framework file defines it",
        )


def _framework(data: dict, file: str) -> dict[str, tuple[str, ...]]:
    value = data.get("framework")
    if not isinstance(value, list) or not value:
        _fail(file, "framework", "应为 {level1, level2} 列表 / must list {level1, level2}")
    out: dict[str, tuple[str, ...]] = {}
    for i, item in enumerate(value):
        where = f"framework[{i}]"
        if not isinstance(item, Mapping) or "level1" not in item or "level2" not in item:
            _fail(file, where, "应含 level1 和 level2 / must have level1 and level2")
        level1 = _text(item["level1"], file, where, "level1")
        if level1 in out:
            _fail(file, where, f"一级指标「{level1}」重复 / duplicate level 1")
        out[level1] = _texts(item["level2"], file, where, "level2")
    return out


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------


def _entry_where(i: int, entry: Any) -> str:
    ident = entry.get("id") if isinstance(entry, Mapping) else None
    return f"indicators[{i}]" + (f" ({ident})" if isinstance(ident, str) else "")


def _check_entry(
    entry: dict,
    file: str,
    where: str,
    framework: Mapping[str, tuple[str, ...]],
    fields: set[str],
    guidance: Mapping[str, str],
) -> dict:
    """A complete entry, normalised: canonical direction, tuples, defaults filled."""
    for key in _ENTRY_REQUIRED:
        if key not in entry or entry[key] is None or (isinstance(entry[key], str) and not entry[key].strip()):
            label = {
                "unit": "计量单位",
                "direction": "指标方向",
                "name": "指标名称",
                "kind": "指标类型",
                "level1": "一级指标",
                "level2": "二级指标",
                "id": "编码",
            }[key]
            _fail(file, where, f"缺少{label} `{key}` / missing `{key}`")
    out = dict(entry)
    out["id"] = _text(entry["id"], file, where, "id")
    if not _ID.match(out["id"]):
        _fail(file, where, f"编码「{out['id']}」只能含字母、数字、点、下划线和连字符 / bad id")
    for key in ("name", "level1", "level2", "unit", "kind"):
        out[key] = _text(entry[key], file, where, key)
    direction = str(entry["direction"]).strip()
    direction = DIRECTION_ALIASES.get(direction, direction)
    if direction not in DIRECTIONS:
        _fail(
            file,
            where,
            f"指标方向「{entry['direction']}」应为 / direction must be one of: {' '.join(DIRECTIONS)}",
        )
    out["direction"] = direction
    if out["kind"] not in KINDS:
        _fail(file, where, f"指标类型「{out['kind']}」应为 / kind must be one of: {', '.join(KINDS)}")
    if (out["kind"] == "qualitative") != (direction == "定性"):
        _fail(
            file,
            where,
            "定性指标的 kind 应为 qualitative 且方向为「定性」/ qualitative kind ⇔ direction 定性",
        )
    if out["level1"] not in framework:
        _fail(
            file,
            where,
            f"一级指标「{out['level1']}」不在共性框架中 / level 1 not in the framework: "
            f"{'、'.join(framework)}",
        )
    if out["level2"] not in framework[out["level1"]]:
        _fail(
            file,
            where,
            f"二级指标「{out['level2']}」不在「{out['level1']}」下 / level 2 not under its level 1: "
            f"{'、'.join(framework[out['level1']])}",
        )
    out["aliases"] = tuple(
        a for a in _texts(entry.get("aliases"), file, where, "aliases") if a != out["name"]
    )
    out["basis"] = _texts(entry.get("basis"), file, where, "basis")
    for b in out["basis"]:
        if b not in VALUE_BASES:
            _fail(file, where, f"取值依据「{b}」应为 / basis must be one of: {'、'.join(VALUE_BASES)}")
    out["patterns"] = _texts(entry.get("patterns"), file, where, "patterns")
    for p in out["patterns"]:
        try:
            re.compile(p)
        except re.error as error:
            _fail(file, where, f"patterns「{p}」不是有效的正则表达式 / bad regular expression: {error}")
    for key, default in (("core", False), ("cost_driver", False), ("comparable", True)):
        value = entry.get(key, default)
        if not isinstance(value, bool):
            _fail(file, where, f"{key} 应为 true 或 false / must be true or false")
        out[key] = value
    field = entry.get("field")
    if field is not None:
        field = _text(field, file, where, "field")
        if field not in fields:
            _fail(
                file,
                where,
                f"领域「{field}」未在 fields 中声明 / field not declared in `fields`: "
                f"{'、'.join(sorted(fields)) or '（无）'}",
            )
    out["field"] = field
    if out["core"] and field is None:
        _fail(file, where, "核心指标应属于一个领域 field / a core indicator needs a field")
    for key in ("definition", "formula"):
        value = entry.get(key)
        out[key] = None if value is None else _text(value, file, where, key)
    value = entry.get("guidance")
    out["guidance"] = (
        _text(value, file, where, "guidance") if value is not None else guidance.get(out["kind"])
    )
    return out


# ---------------------------------------------------------------------------------------------
# The library
# ---------------------------------------------------------------------------------------------


def _extension_files(extensions: str | Path | Iterable[str | Path] | None) -> list[Path]:
    if extensions is None:
        return []
    items = [extensions] if isinstance(extensions, (str, Path)) else list(extensions)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise LibraryError(
                    f"{path}: 文件夹中没有 .yaml 指标库文件 / no .yaml library files in the folder"
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise LibraryError(f"{path}: 文件不存在 / file not found")
    return files


def shipped_files() -> list[Path]:
    """The shipped library files: the common framework first, then the sector systems by name."""
    others = sorted(p for p in DATA_DIR.glob("*.yaml") if p.name != COMMON_FILE)
    return [DATA_DIR / COMMON_FILE, *others]


def _stamp(paths: list[Path]) -> tuple:
    out = []
    for p in paths:
        stat = p.stat()
        out.append((str(p.resolve()), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def library_stamp(extensions: str | Path | Iterable[str | Path] | None = None) -> tuple:
    """(path, mtime, size) of every file :func:`load_library` would read: a cache key for results
    computed from the library (an edited file gives another stamp)."""
    return _stamp(shipped_files()) + _stamp(_extension_files(extensions))


def load_library(extensions: str | Path | Iterable[str | Path] | None = None) -> pd.DataFrame:
    """The indicator library as a DataFrame: shipped common framework and sector systems, plus a city's files.

    Parameters
    ----------
    extensions : path, folder or list of them, optional
        A city's own library files (same format as the shipped ones; a folder means every ``*.yaml`` in
        it, in name order). An entry whose ``id`` exists replaces the keys it gives (an override); a
        new ``id`` adds an indicator and must be complete; ``remove: [id, …]`` drops indicators. New
        indicators belong to the file's ``sector`` unless the entry names one; a new sector needs
        ``budget_sectors``.

    Returns
    -------
    DataFrame
        One row per indicator, columns :data:`COLUMNS`: ``aliases``, ``budget_sectors``, ``basis`` and
        ``patterns`` are tuples; ``sector`` is the library sector (共性 for the common indicators);
        ``source`` names the file (and version) that last defined the entry. ``attrs["library"]``
        names the loaded set of files; :func:`framework`, :func:`systems` and :func:`library_files` read
        the structure, the sector systems and the files from it (kept outside ``attrs``, which pandas
        copies on every operation).

    Raises
    ------
    LibraryError
        A file that cannot be read or an entry that fails validation (duplicate ids, missing unit or
        direction, unknown level, bad regular expression …); the message names the file and the entry.
    """
    files = shipped_files()
    extra = _extension_files(extensions)
    return _load_cached(_stamp(files), _stamp(extra)).copy()


@functools.lru_cache(maxsize=16)
def _load_cached(shipped: tuple, extra: tuple) -> pd.DataFrame:
    entries: dict[str, dict] = {}
    origin: dict[str, str] = {}
    systems: dict[str, dict] = {}
    framework: dict[str, tuple[str, ...]] = {}
    guidance: dict[str, str] = {}
    for n, (name, _mtime, _size) in enumerate(shipped + extra):
        path = Path(name)
        is_shipped = n < len(shipped)
        file = path.name
        data = _read_yaml(path)
        _check_file(data, file, shipped=is_shipped)
        if n == 0:
            if data["sector"] != COMMON:
                _fail(
                    file,
                    "sector",
                    f"第一个文件应为共性框架（sector: {COMMON}）/ the common framework comes first",
                )
            framework = _framework(data, file)
            guidance = {str(k): str(v) for k, v in (data.get("guidance") or {}).items()}
        sector = data["sector"].strip()
        label = f"{file} v{data['version']}"
        system = systems.setdefault(
            sector,
            {
                "title": data.get("title") or sector,
                "version": data["version"],
                "file": file,
                "budget_sectors": (),
                "fields": {},
                "id": data["id"],
            },
        )
        if "budget_sectors" in data:
            system["budget_sectors"] = tuple(
                dict.fromkeys(
                    system["budget_sectors"]
                    + _texts(data.get("budget_sectors"), file, "budget_sectors", "budget_sectors")
                )
            )
        system["fields"].update({str(k): str(v) for k, v in (data.get("fields") or {}).items()})
        if sector != COMMON and not system["budget_sectors"]:
            _fail(
                file,
                "budget_sectors",
                "新的行业体系应列出对应的行业领域代码 / a sector system needs budget_sectors",
            )
        for ident in _texts(data.get("remove"), file, "remove", "remove"):
            if ident not in entries:
                _fail(file, "remove", f"要删除的指标「{ident}」不存在 / no indicator with this id")
            del entries[ident]
        seen: set[str] = set()
        for i, raw in enumerate(data["indicators"]):
            where = _entry_where(i, raw)
            if not isinstance(raw, Mapping):
                _fail(file, where, "应为键值映射 / must be a mapping")
            raw = dict(raw)
            unknown = sorted(set(raw) - set(_ENTRY_REQUIRED) - set(_ENTRY_OPTIONAL))
            if unknown:
                _fail(
                    file,
                    where,
                    f"不认识的键 `{unknown[0]}` / unknown key; 应为 / expected one of: "
                    f"{', '.join(_ENTRY_REQUIRED + _ENTRY_OPTIONAL)}",
                )
            ident = raw.get("id")
            if not isinstance(ident, str) or not ident.strip():
                _fail(file, where, "缺少编码 `id` / missing `id`")
            ident = ident.strip()
            if ident in seen:
                _fail(file, where, f"编码「{ident}」在本文件中重复 / duplicate id in this file")
            seen.add(ident)
            if ident in entries:
                if is_shipped:
                    _fail(file, where, f"编码「{ident}」与 {origin[ident]} 重复 / duplicate id")
                merged = {**entries[ident], **raw}
            else:
                merged = {**raw, "sector": raw.get("sector", sector)}
            merged["sector"] = _text(merged.get("sector"), file, where, "sector")
            owner = systems.get(merged["sector"])
            if owner is None:
                _fail(file, where, f"行业体系「{merged['sector']}」不存在 / unknown sector system")
            entries[ident] = _check_entry(merged, file, where, framework, set(owner["fields"]), guidance)
            origin[ident] = label
    rows = []
    for ident, entry in entries.items():
        rows.append(
            {
                **{k: entry.get(k) for k in COLUMNS if k not in ("budget_sectors", "source")},
                "budget_sectors": systems[entry["sector"]]["budget_sectors"],
                "source": origin[ident],
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["core"] = frame["core"].astype(bool)
    frame["cost_driver"] = frame["cost_driver"].astype(bool)
    frame["comparable"] = frame["comparable"].astype(bool)
    _check_collisions(frame)
    key = f"library-{len(_META)}"
    _META[key] = {
        "framework": framework,
        "systems": {k: {**v, "fields": dict(v["fields"])} for k, v in systems.items()},
        "files": [Path(name).name for name, _m, _s in shipped + extra],
    }
    frame.attrs = {"library": key}
    return frame


#: Structure, sector systems and files of each loaded library, by ``attrs["library"]``.
_META: dict[str, dict] = {}


def _meta(library: pd.DataFrame | None) -> dict:
    library = load_library() if library is None else library
    key = library.attrs.get("library")
    if key not in _META:
        raise LibraryError("这不是 load_library() 载入的指标库 / not a library from load_library()")
    return _META[key]


def library_files(library: pd.DataFrame | None = None) -> list[str]:
    """Names of the files the library was loaded from, shipped first."""
    return list(_meta(library)["files"])


def _check_collisions(frame: pd.DataFrame) -> None:
    """Two indicators that may both be offered for one project must not share a name or alias."""
    from .matching import normalise_name  # circular at import time

    owners: dict[str, list[int]] = {}
    for i, (name, aliases) in enumerate(zip(frame["name"], frame["aliases"], strict=True)):
        for term in dict.fromkeys(filter(None, (normalise_name(t) for t in (name, *aliases)))):
            owners.setdefault(term, []).append(i)
    sectors = frame["sector"].to_numpy()
    budget = frame["budget_sectors"].to_numpy()
    for term, rows in owners.items():
        for a_pos, a in enumerate(rows):
            for b in rows[a_pos + 1 :]:
                together = (
                    sectors[a] == COMMON
                    or sectors[b] == COMMON
                    or sectors[a] == sectors[b]
                    or bool(set(budget[a]) & set(budget[b]))
                )
                if together:
                    raise LibraryError(
                        f"{frame['source'].iat[b]} · {frame['id'].iat[b]}: 名称或别名「{term}」与 "
                        f"{frame['id'].iat[a]}（{frame['source'].iat[a]}）重复，匹配时无法区分 / "
                        f"name or alias collides with another indicator offered to the same projects"
                    )


def framework(library: pd.DataFrame | None = None) -> pd.DataFrame:
    """The level-1/level-2 structure of the common framework as a table (一级指标, 二级指标, order)."""
    structure = _meta(library)["framework"]
    rows = [(l1, l2) for l1, l2s in structure.items() for l2 in l2s]
    return pd.DataFrame(rows, columns=["level1", "level2"])


def systems(library: pd.DataFrame) -> pd.DataFrame:
    """One row per sector system: sector, title, version, file, budget_sectors, fields, n_indicators, n_core."""
    counts = library.groupby("sector", sort=False).agg(n_indicators=("id", "size"), n_core=("core", "sum"))
    rows = []
    for sector, info in _meta(library)["systems"].items():
        rows.append(
            {
                "sector": sector,
                "title": info["title"],
                "version": info["version"],
                "file": info["file"],
                "budget_sectors": tuple(info["budget_sectors"]),
                "fields": tuple(info["fields"]),
                "n_indicators": int(counts["n_indicators"].get(sector, 0)),
                "n_core": int(counts["n_core"].get(sector, 0)),
            }
        )
    return pd.DataFrame(rows)


def sector_mask(library: pd.DataFrame, sector: str | None) -> pd.Series:
    """Indicators offered to a project of ``sector``: the common ones plus the matching sector systems.

    ``sector`` may be a library sector (农业农村, 水利, 生态环境 …), a workbook 行业领域 code of
    :data:`pbm_lib.workbook.schema.SECTORS` (农林水 → 农业农村 and 水利), 共性 (common only) or None (all).

    Raises
    ------
    LibraryError
        An unknown sector name.
    """
    if sector is None or (isinstance(sector, float) and pd.isna(sector)):
        return pd.Series(True, index=library.index)
    common = library["sector"] == COMMON
    by_name = library["sector"] == sector
    by_code = library["budget_sectors"].map(lambda codes: sector in codes)
    if not (by_name.any() or by_code.any() or sector == COMMON or sector in SECTORS):
        known = sorted(set(library["sector"]) | set(SECTORS))
        raise LibraryError(f"「{sector}」不是指标库的行业 / unknown sector; 可用 / known: {'、'.join(known)}")
    return common | by_name | by_code
