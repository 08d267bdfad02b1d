"""Problems found in an input file, each with its location, collected and then raised once."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PbmError

ERROR = "错误"
WARNING = "警告"


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Problem:
    """One problem in an input file.

    Rendered as ``文件 · 工作表 · 第N行 · 列名（X列）: what is wrong; what was expected``.
    ``row`` is the row number the user sees in Excel (1-based, header included); ``None`` when
    the problem concerns a whole sheet or file.
    """

    severity: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str
    column_index: int | None = None

    @property
    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            letter = f"（{column_letter(self.column_index)}列）" if self.column_index is not None else ""
            parts.append(f"{self.column}{letter}")
        return " · ".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class InputFileError(PbmError):
    """An input file has errors; carries every problem found, errors and warnings."""

    def __init__(self, problems: list[Problem], path: str):
        self.problems = problems
        self.path = path
        errors = [p for p in problems if p.is_error]
        lines = [
            f"{path}: 发现 {len(errors)} 处错误，未生成任何输出 / {len(errors)} error(s), nothing written"
        ]
        lines += [f"  [{p.severity}] {p}" for p in problems]
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]
