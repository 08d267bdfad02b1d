"""A notebook's declared parameters, and checking values against them before any kernel starts.

Parameters are declared the papermill way: assignments in the cell tagged ``parameters``, read with
papermill's own Python translator (:meth:`papermill.translators.PythonTranslator.inspect`), so what
pbm sees is exactly what papermill injects against. Each line gives a name, an optional type
annotation, a default and a trailing comment that documents it::

    year: int = 2025  # 年度 / fiscal year
    object_id: str = None  # 必填：项目编码 / required: project id
    evaluation_kind: str = "单位自评"  # 评价类型：单位自评、财政评价或第三方评价
    months: list = [6, 12]  # 监控月份 / months

**Required parameters.** A parameter is *required* when its default is ``None`` and its comment
starts with ``必填`` or ``required`` (any case). Every job must then give it a value that is not
``None``. Any other parameter whose default is ``None`` is optional and accepts ``None``.

**Types** come from the annotation (``str``, ``int``, ``float``, ``bool``, ``list``, ``dict``,
``list[str]``, ``Optional[int]``, ``Any``) or, without one, from the default's literal type. An
``int`` is accepted where a ``float`` is declared; ``bool`` is never taken for a number. Values must
be what papermill can inject literally: ``None``, text, numbers, booleans, and lists or dicts of
these (a YAML date such as ``2025-06-30`` must be quoted).
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NotebookParametersError, ParameterError

#: Comment prefixes that mark a ``None`` default as required.
REQUIRED_MARKERS = ("必填", "required")

_NO_LITERAL = object()  # default that is not a Python literal (e.g. ``Path("x")``)


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter declared in a notebook's ``parameters`` cell."""

    name: str
    type_name: str  # the annotation as written, "" when none
    default_source: str  # the default as written
    help: str  # the trailing comment
    required: bool
    line: int  # 1-based line in the parameters cell

    @property
    def default(self) -> Any:
        """The default value when it is a Python literal, else the source text."""
        value = _literal(self.default_source)
        return self.default_source if value is _NO_LITERAL else value

    @property
    def kind(self) -> str:
        """The checked type: the annotation, else the default's type, else ``any``."""
        if self.type_name and self.type_name not in ("None",):
            return self.type_name
        value = _literal(self.default_source)
        if value is _NO_LITERAL or value is None:
            return "any"
        return type(value).__name__

    def check(self, value: Any) -> str | None:
        """Return why ``value`` does not fit this parameter, or ``None`` when it does."""
        if value is None:
            if self.required:
                return "必填参数不能为空 / required, got None"
            if _literal(self.default_source) is None or _is_optional(self.kind) or self.kind == "any":
                return None
            return f"不能为空，应为 {self.kind} / expected {self.kind}, got None"
        why = _translatable(value)
        if why:
            return why
        if not _fits(self.kind, value):
            return f"类型不符：得到 {type(value).__name__} {value!r}，应为 {self.kind} / expected {self.kind}"
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly description (``pbm params --json``)."""
        value = _literal(self.default_source)
        return {
            "name": self.name,
            "type": self.kind,
            "annotation": self.type_name,
            "default": None if value is _NO_LITERAL else value,
            "default_source": self.default_source,
            "required": self.required,
            "help": self.help,
            "line": self.line,
        }


@dataclass(frozen=True)
class NotebookParameters:
    """Everything about one notebook that planning needs, read once."""

    path: Path
    kernel_name: str
    language: str
    cell_index: int  # index of the ``parameters`` cell, -1 when the notebook has none
    parameters: tuple[NotebookParameter, ...]
    sha256: str  # of the notebook file's bytes
    by_name: dict[str, NotebookParameter] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({p.name: p for p in self.parameters})

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def required(self) -> list[str]:
        return [p.name for p in self.parameters if p.required]


@dataclass(frozen=True)
class ParameterProblem:
    """One finding of :func:`validate_parameters`: ``kind`` is ``unknown``, ``missing`` or ``type``."""

    kind: str
    name: str
    message: str


def _literal(source: str) -> Any:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NO_LITERAL


def _is_optional(kind: str) -> bool:
    return kind.startswith("Optional[") or kind in ("any", "Any", "object")


_SCALARS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list,),
    "List": (list,),
    "tuple": (list,),
    "dict": (dict,),
    "Dict": (dict,),
    "Path": (str,),
}


def _fits(kind: str, value: Any) -> bool:
    """Whether ``value`` fits the annotation ``kind`` (unknown annotations accept anything)."""
    kind = kind.replace(" ", "")
    if kind in ("any", "Any", "object"):
        return True
    match = re.fullmatch(r"(\w+)\[(.*)\]", kind)
    if match:
        outer, inner = match.groups()
        if outer == "Optional":
            return value is None or _fits(inner, value)
        if outer in ("list", "List", "tuple", "Tuple", "Sequence"):
            return isinstance(value, list) and all(_fits(inner.split(",")[0], v) for v in value)
        if outer in ("dict", "Dict", "Mapping"):
            parts = inner.split(",", 1)
            value_kind = parts[1] if len(parts) == 2 else "any"
            return isinstance(value, dict) and all(_fits(value_kind, v) for v in value.values())
        return True
    types = _SCALARS.get(kind)
    if types is None:
        return True  # an annotation pbm does not know (a class): papermill injects the literal as is
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _translatable(value: Any, where: str = "") -> str | None:
    """Why papermill's translator could not inject ``value`` as a literal, or ``None``."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            why = _translatable(v, f"{where}[{i}]")
            if why:
                return why
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"字典的键 {k!r} 应为文本 / dict keys must be text"
            why = _translatable(v, f"{where}[{k!r}]")
            if why:
                return why
        return None
    return (
        f"值 {value!r}{where} 的类型 {type(value).__name__} 不能作为参数注入；"
        "应为文本、数字、布尔值、null 或其列表/字典（YAML 日期请加引号）/ unsupported type"
    )


_CACHE: dict[tuple[str, int, int], NotebookParameters] = {}


def read_parameters(path: str | Path) -> NotebookParameters:
    """Read a notebook's declared parameters from its cell tagged ``parameters``.

    Parameters
    ----------
    path : str or Path
        The notebook (``.ipynb``).

    Returns
    -------
    NotebookParameters
        Kernel name, language, the parameters in declaration order, and the file's SHA-256.

    Raises
    ------
    NotebookParametersError
        The file does not exist or is not a notebook, its metadata names no kernel, or a line of the
        parameters cell assigns a name in a form papermill cannot read (so it would be silently ignored).
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotebookParametersError(f"{path}: 笔记本不存在 / notebook not found") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _CACHE:
        return _CACHE[key]
    data = path.read_bytes()
    from .imports import defer_iri_grammar

    defer_iri_grammar()
    import nbformat
    from papermill.translators import papermill_translators
    from papermill.utils import find_first_tagged_cell_index

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # nbformat raises several unrelated types
        raise NotebookParametersError(
            f"{path}: 不是有效的 Jupyter 笔记本 / not a notebook ({error})"
        ) from None
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    kernel_name = nb.metadata.get("kernelspec", {}).get("name")
    language = nb.metadata.get("language_info", {}).get("name") or nb.metadata.get("kernelspec", {}).get(
        "language"
    )
    if not kernel_name or not language:
        raise NotebookParametersError(
            f"{path}: 元数据缺少 kernelspec（内核名和语言）；请在 Jupyter 中选择 Python 3 内核后保存 / "
            "no kernelspec in the notebook metadata"
        )
    index = find_first_tagged_cell_index(nb, "parameters")
    parameters: list[NotebookParameter] = []
    if index >= 0:
        cell = nb.cells[index]
        translator = papermill_translators.find_translator(kernel_name, language)
        found = translator.inspect(cell)
        lines = _assignment_lines(cell.source, path)
        seen = {p.name for p in found}
        missed = [name for name in lines if name not in seen]
        if missed:
            name = missed[0]
            raise NotebookParametersError(
                f"{path} · parameters 单元格第{lines[name]}行: 参数 {name} 的写法 papermill 无法识别，会被忽略；"
                "请写成一行 `名称: 类型 = 默认值  # 说明`（类型用 Optional[str] 而非 str | None）/ "
                "papermill cannot parse this assignment"
            )
        for p in found:
            help_text = p.help
            required = _literal(p.default) is None and help_text.lower().startswith(REQUIRED_MARKERS)
            parameters.append(
                NotebookParameter(
                    name=p.name,
                    type_name="" if p.inferred_type_name == "None" else p.inferred_type_name,
                    default_source=p.default,
                    help=help_text,
                    required=required,
                    line=lines.get(p.name, 0),
                )
            )
    result = NotebookParameters(
        path=path,
        kernel_name=kernel_name,
        language=language,
        cell_index=index,
        parameters=tuple(parameters),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    _CACHE[key] = result
    return result


def _assignment_lines(source: str, path: Path) -> dict[str, int]:
    """Top-level names assigned in the parameters cell, with their line numbers (via :mod:`ast`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise NotebookParametersError(
            f"{path} · parameters 单元格第{error.lineno}行: 语法错误 / syntax error: {error.msg}"
        ) from None
    lines: dict[str, int] = {}
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                lines.setdefault(target.id, node.lineno)
    return lines


def validate_parameters(
    notebook: NotebookParameters | str | Path, values: dict[str, Any], origin: str
) -> dict[str, Any]:
    """Check parameter values against a notebook's declaration, before any kernel starts.

    Parameters
    ----------
    notebook : NotebookParameters or path
        The notebook, or what :func:`read_parameters` returned for it.
    values : dict
        The values that will be injected.
    origin : str
        Where the values come from, used in messages, e.g.
        ``"parameters/2025.yaml · 报告 project_evaluation · 对象 P001"``.

    Returns
    -------
    dict
        ``values`` unchanged, for chaining.

    Raises
    ------
    ParameterError
        Listing every unknown name, missing required value and wrong type; ``error.problems`` has one
        :class:`ParameterProblem` each.
    """
    if not isinstance(notebook, NotebookParameters):
        notebook = read_parameters(notebook)
    problems: list[ParameterProblem] = []
    for name in values:
        if name not in notebook:
            known = "、".join(notebook.names) or "（无）"
            problems.append(
                ParameterProblem(
                    "unknown", name, f"未知参数 {name}；笔记本声明的参数为：{known} / unknown parameter"
                )
            )
    for p in notebook.parameters:
        if p.name not in values:
            if p.required:
                problems.append(
                    ParameterProblem(
                        "missing", p.name, f"缺少必填参数 {p.name}（{p.help}）/ missing required parameter"
                    )
                )
            continue
        why = p.check(values[p.name])
        if why:
            problems.append(
                ParameterProblem(
                    "missing" if p.required and values[p.name] is None else "type",
                    p.name,
                    f"参数 {p.name}: {why}",
                )
            )
    if problems:
        lines = "\n".join(f"  - {p.message}" for p in problems)
        raise ParameterError(
            f"{origin} · 笔记本 {notebook.path.name}: 参数有误 / invalid parameters\n{lines}", problems
        )
    return values
