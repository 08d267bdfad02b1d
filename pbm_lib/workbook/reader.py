"""Read and validate one year's workbook (or the equivalent folder of CSV files).

``read_year(path)`` returns a :class:`YearData` of validated pandas tables with English column
names, or raises :class:`InputFileError` listing every problem at once, each located as
``文件 · 工作表 · 第N行 · 列``. Warnings (data that is legal but suspicious) travel with the result.
"""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .problems import ERROR, WARNING, InputFileError, Problem
from .values import is_blank, match_codes, parse_numbers, per_unique, text_series

HEADER_SEARCH_ROWS = 5  # a title line or two above the header row is common in real files


@dataclass
class RawSheet:
    """A sheet as found in the file: header texts, the cells below them, and where they start."""

    file: str
    title: str
    headers: list[str]
    rows: list[list[object]]
    first_row: int  # Excel row number of the first data row


@dataclass
class YearData:
    """One fiscal year's validated tables (English column names, money in 万元)."""

    year: int
    jurisdiction: str | None
    source: str
    sha256: str
    tables: dict[str, pd.DataFrame]
    warnings: list[Problem] = field(default_factory=list)
    money_unit: str = "万元"

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def project_budget(self) -> pd.DataFrame:
        """Per project: 年初预算数, 全年预算数 and 全年执行数 summed over funding sources, and the rate.

        ``execution_rate`` = 全年执行数 ÷ 全年预算数 (rules.md §3.7), NaN where the budget is zero.
        """
        totals = self.budget.groupby("project_id")[["initial", "annual", "executed"]].sum(min_count=1)
        totals = self.projects[["project_id"]].merge(totals, on="project_id", how="left")
        annual = totals["annual"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(annual > 0, totals["executed"].to_numpy(dtype=float) / annual, np.nan)
        totals["execution_rate"] = rate
        return totals


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files in name order (for CSV folders)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(f.name.encode())
        with open(f, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Loading raw cells
# ---------------------------------------------------------------------------------------------


def _normalise_header(text: object) -> str:
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    t = "".join(t.split()).replace("*", "")
    # "年初预算数(万元)" → "年初预算数": a unit in brackets after the header is common.
    for bracket in ("(",):
        if bracket in t and t.endswith(")"):
            t = t[: t.index(bracket)]
    return t


def _split_header(title: str, file: str, table: list[list[object]], sheet: schema.Sheet | None) -> RawSheet:
    """Find the header row (it may sit under a title line) and return the cells below it."""
    header_index = 0
    if sheet is not None:
        wanted = {c.header for c in sheet.columns}
        best = -1
        for i, row in enumerate(table[:HEADER_SEARCH_ROWS]):
            hits = len(wanted & {_normalise_header(c) for c in row})
            if hits > best:
                best, header_index = hits, i
    headers = [_normalise_header(c) for c in table[header_index]] if table else []
    return RawSheet(file, title, headers, table[header_index + 1 :], first_row=header_index + 2)


def _read_xlsx(path: Path) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    tables = {}
    for name in workbook.sheet_names:
        # Empty cells come back as "": the value parsers treat them as blank.
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        tables[unicodedata.normalize("NFKC", name).strip()] = rows
    return tables


def decode_csv(raw: bytes) -> str:
    """The text of a CSV file saved as UTF-8 (with or without BOM) or, as Chinese Excel does, GBK."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")  # pragma: no cover - gb18030 decodes any byte string


def _read_csv(path: Path) -> list[list[object]]:
    text = decode_csv(path.read_bytes())
    return [[c if c != "" else None for c in row] for row in csv.reader(text.splitlines())]


def load_raw(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    """Load every known sheet of a workbook or CSV folder as raw cells."""
    problems: list[Problem] = []
    if path.is_dir():
        tables = {p.stem.strip(): _read_csv(p) for p in sorted(path.glob("*.csv"))}
        files = {p.stem.strip(): f"{path.name}/{p.name}" for p in sorted(path.glob("*.csv"))}
    else:
        try:
            tables = _read_xlsx(path)
        except Exception as error:  # calamine raises several types for damaged or non-Excel files
            problems.append(
                Problem(
                    ERROR,
                    str(path),
                    None,
                    None,
                    None,
                    f"无法作为 Excel 工作簿打开（{error}）；应为 .xlsx 文件",
                )
            )
            return {}, problems
        files = dict.fromkeys(tables, path.name)
    raw = {}
    for title, table in tables.items():
        sheet = schema.SHEETS_BY_TITLE.get(title)
        raw[title] = _split_header(title, files[title], table, sheet)
    return raw, problems


# ---------------------------------------------------------------------------------------------
# Parsing one sheet
# ---------------------------------------------------------------------------------------------

KIND_EXPECTED = {
    "money": "金额（万元），如 120.5",
    "number": "数字，如 95 或 95%",
    "int": "整数",
    "id": "编码",
    "text": "文字",
    "value": "指标值，如 ≥95%、及时",
}


class _SheetParser:
    def __init__(self, sheet: schema.Sheet, raw: RawSheet, money_unit: str, problems: list[Problem]):
        self.sheet, self.raw, self.money_unit, self.problems = sheet, raw, money_unit, problems
        self.position = {h: i for i, h in reversed(list(enumerate(raw.headers))) if h}

    def add(self, severity: str, row: int | None, column: schema.Column | None, message: str) -> None:
        index = self.position.get(column.header) if column is not None else None
        header = column.header if column is not None else None
        self.problems.append(Problem(severity, self.raw.file, self.raw.title, row, header, message, index))

    def parse(self) -> pd.DataFrame:
        sheet, raw = self.sheet, self.raw
        missing = [c for c in sheet.columns if c.required and c.header not in self.position]
        for c in missing:
            self.problems.append(
                Problem(
                    ERROR,
                    raw.file,
                    raw.title,
                    raw.first_row - 1,
                    c.header,
                    f"缺少必填列「{c.header}」；应在表头行",
                )
            )
        known = set(sheet.headers)
        for h in raw.headers:
            if h and h not in known:
                self.problems.append(
                    Problem(WARNING, raw.file, raw.title, raw.first_row - 1, h, "不认识的列，已忽略")
                )
        width = max(len(raw.headers), max((len(r) for r in raw.rows), default=0))
        cells = raw.rows
        if any(len(r) != width for r in cells):  # CSV rows may be ragged; calamine's are not
            cells = [r + [None] * (width - len(r)) for r in cells]
        frame = (
            pd.DataFrame(cells, columns=range(width), dtype=object)
            if cells
            else pd.DataFrame(columns=range(width), dtype=object)
        )
        # Only the schema's columns count: a row whose known cells are all empty is not data.
        used = sorted({self.position[c.header] for c in sheet.columns if c.header in self.position})
        texts = pd.DataFrame({j: text_series(frame[j]) for j in used}, index=frame.index)
        keep = ~texts.isna().all(axis=1) if used else pd.Series(False, index=frame.index)
        frame, texts = frame[keep], texts[keep]
        excel_rows = pd.Series(frame.index.to_numpy() + raw.first_row, index=frame.index)
        out = pd.DataFrame(index=frame.index)
        for column in sheet.columns:
            if column.header in self.position:
                j = self.position[column.header]
                out[column.name] = self.parse_column(column, frame[j], texts[j], excel_rows)
            else:
                out[column.name] = self._empty(column, len(frame), frame.index)
        out["row"] = excel_rows.astype(int)
        if not missing:  # with a key column missing, its rows cannot be checked for duplicates
            self.check_keys(out)
        return out.reset_index(drop=True)

    @staticmethod
    def _empty(column: schema.Column, n: int, index) -> pd.Series:
        if column.kind in ("money", "number"):
            return pd.Series(np.nan, index=index, dtype=float)
        if column.kind == "int":
            return pd.Series(pd.NA, index=index, dtype="Int64")
        return pd.Series([None] * n, index=index, dtype=object)

    def parse_column(
        self, column: schema.Column, raw: pd.Series, text: pd.Series, rows: pd.Series
    ) -> pd.Series:
        blank = is_blank(text)
        if column.required:
            aliases = schema.ALIASES.get(column.codes, {}) if column.kind == "code" else {}
            if "" not in aliases:
                for r in rows[blank]:
                    expected = self.expected(column)
                    self.add(ERROR, int(r), column, f"必填项为空；应填{expected}")
        if column.kind in ("money", "number", "int"):
            values, bad = parse_numbers(raw, self.money_unit if column.kind == "money" else None)
            for r, t in zip(rows[bad], text[bad], strict=True):
                self.add(ERROR, int(r), column, f"「{t}」不是数字；应为{self.expected(column)}")
            if column.kind == "int":
                fractional = values.notna() & (values != np.floor(values))
                for r, v in zip(rows[fractional], values[fractional], strict=True):
                    self.add(ERROR, int(r), column, f"{v:g} 不是整数；应为{self.expected(column)}")
                values = values.where(~fractional)
            self.check_bounds(column, values, rows)
            if column.kind == "int":
                return values.round().astype("Int64")
            return values.astype(float)
        if column.kind == "code":
            codes, unknown = match_codes(text, column.codes, schema.ALIASES.get(column.codes))
            for r, t in zip(rows[unknown], text[unknown], strict=True):
                self.add(ERROR, int(r), column, f"「{t}」不在代码表中；应为{self.expected(column)}")
            return codes
        if column.kind == "id":
            ids = text.where(~blank, None)
            return pd.Series(
                per_unique(ids, lambda t: "".join(t.split()), None), index=text.index, dtype=object
            )
        # text and value: keep the text as written (normalised), blank markers as None
        return text.where(~blank, None).astype(object)

    def check_bounds(self, column: schema.Column, values: pd.Series, rows: pd.Series) -> None:
        if column.minimum is not None:
            low = values < column.minimum
            for r, v in zip(rows[low], values[low], strict=True):
                what = "负数" if column.minimum == 0 else "过小"
                self.add(ERROR, int(r), column, f"{what} {v:g}；应不小于 {column.minimum:g}")
        if column.maximum is not None:
            high = values > column.maximum
            for r, v in zip(rows[high], values[high], strict=True):
                self.add(
                    ERROR, int(r), column, f"{v:g} 超出范围；应在 {column.minimum:g}–{column.maximum:g} 之间"
                )

    def check_keys(self, table: pd.DataFrame) -> None:
        if not self.sheet.key:
            return
        key = list(self.sheet.key)
        complete = table[key].notna().all(axis=1)
        keyed = table[complete]
        duplicated = keyed.duplicated(key, keep="first")
        if not duplicated.any():
            return
        first_rows = keyed[~duplicated].set_index(key)["row"]
        last = self.sheet.column(key[-1])
        for _, record in keyed[duplicated].iterrows():
            value = tuple(record[k] for k in key)
            first = first_rows.loc[value if len(key) > 1 else value[0]]
            shown = " / ".join(str(v) for v in value)
            names = "、".join(self.sheet.column(k).header for k in key)
            self.add(
                ERROR, int(record["row"]), last, f"重复的{names}「{shown}」，已在第{int(first)}行出现；应唯一"
            )

    @staticmethod
    def expected(column: schema.Column) -> str:
        if column.kind == "code":
            return "以下之一：" + "、".join(column.codes)
        if column.kind == "int" and column.minimum is not None and column.maximum is not None:
            return f"{column.minimum:g}–{column.maximum:g} 的整数"
        return KIND_EXPECTED[column.kind]


# ---------------------------------------------------------------------------------------------
# The whole year
# ---------------------------------------------------------------------------------------------


def _read_meta(raw: RawSheet | None, file: str, problems: list[Problem]) -> dict[str, object]:
    meta: dict[str, object] = {"money_unit": "万元", "year": None, "jurisdiction": None}
    if raw is None:
        return meta
    parser = _SheetParser(schema.META, raw, "万元", problems)
    table = parser.parse()
    for _, record in table.iterrows():
        field_name = schema.META_FIELDS.get(record["field"] or "")
        if field_name:
            meta[field_name] = record["value"]
    year_col = schema.META.column("value")
    year_rows = table.loc[table["field"] == "年度", "row"]
    year_row = int(year_rows.iloc[0]) if len(year_rows) else None
    values, bad = parse_numbers(pd.Series([meta["year"]], dtype=object))
    year = values.iloc[0]
    if meta["year"] is None or bad.iloc[0] or not (1990 <= year <= 2100) or year != int(year):
        parser.add(ERROR, year_row, year_col, f"年度「{meta['year'] or ''}」无效；应为四位年份，如 2025")
        meta["year"] = None
    else:
        meta["year"] = int(year)
    if meta["money_unit"] is None:
        meta["money_unit"] = "万元"
    if meta["money_unit"] not in schema.MONEY_UNITS:
        rows = table.loc[table["field"] == "金额单位", "row"]
        parser.add(
            ERROR,
            int(rows.iloc[0]) if len(rows) else None,
            year_col,
            f"金额单位「{meta['money_unit']}」无效；应为 万元 或 元",
        )
        meta["money_unit"] = "万元"
    return meta


def validate_year(path: str | Path) -> tuple[YearData | None, list[Problem]]:
    """Read a year workbook (.xlsx) or CSV folder and return its tables and every problem found.

    Returns ``(None, problems)`` when any problem is an error.
    """
    path = Path(path)
    shown = path.name
    if not path.exists():
        return None, [
            Problem(ERROR, str(path), None, None, None, "文件不存在；应为年度数据工作簿 .xlsx 或 CSV 文件夹")
        ]
    raw, problems = load_raw(path)
    if problems:
        return None, problems
    meta = _read_meta(raw.get(schema.META.title), shown, problems)
    if schema.META.title not in raw:
        problems.append(
            Problem(ERROR, shown, schema.META.title, None, None, "缺少工作表；应含「年度」等基本信息")
        )
    money_unit = str(meta["money_unit"])
    tables: dict[str, pd.DataFrame] = {}
    parsers: dict[str, _SheetParser] = {}
    for sheet in schema.SHEETS[1:]:
        if sheet.title not in raw:
            if sheet.required:
                problems.append(
                    Problem(
                        ERROR,
                        shown,
                        sheet.title,
                        None,
                        None,
                        f"缺少工作表「{sheet.title}」；请按模板（pbm template）补齐",
                    )
                )
            empty = RawSheet(shown, sheet.title, sheet.headers, [], 2)
            parsers[sheet.name] = _SheetParser(sheet, empty, money_unit, [])
            tables[sheet.name] = parsers[sheet.name].parse()
            continue
        raw_sheet = raw[sheet.title]
        parsers[sheet.name] = _SheetParser(sheet, raw_sheet, money_unit, problems)
        tables[sheet.name] = parsers[sheet.name].parse()
    _check_references(tables, parsers)
    _check_across_sheets(tables, parsers)
    problems.sort(key=_reading_order)
    if any(p.is_error for p in problems):
        return None, problems
    _fill_defaults(tables)
    tables = {name: table.drop(columns="row") for name, table in tables.items()}
    data = YearData(
        year=int(meta["year"]),
        jurisdiction=meta.get("jurisdiction"),
        source=str(path),
        sha256=file_sha256(path),
        tables=tables,
        warnings=[p for p in problems if not p.is_error],
    )
    return data, problems


_SHEET_ORDER = {sheet.title: i for i, sheet in enumerate(schema.SHEETS)}


def _reading_order(problem: Problem) -> tuple:
    """Errors before warnings, then in the order a user reads the workbook: sheet, row, column."""
    return (
        not problem.is_error,
        _SHEET_ORDER.get(problem.sheet or "", -1),
        problem.row or 0,
        problem.column_index if problem.column_index is not None else -1,
    )


def read_year(path: str | Path) -> YearData:
    """Read and validate a year workbook; raise :class:`InputFileError` listing every problem on error.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook in the layout written by ``pbm template``, or a folder holding one
        ``<工作表名>.csv`` per sheet (UTF-8 or GBK).

    Returns
    -------
    YearData
        Tables ``units``, ``projects``, ``budget``, ``monthly``, ``indicators``, ``progress``,
        ``department_targets``, ``ex_ante``, ``cash_flows``, ``alternatives``, ``evaluations``,
        ``history``, ``government`` with the English column names of :mod:`pbm_lib.workbook.schema`.
    """
    data, problems = validate_year(path)
    if data is None:
        raise InputFileError(problems, str(path))
    return data


def _check_references(tables: dict[str, pd.DataFrame], parsers: dict[str, _SheetParser]) -> None:
    for name, parser in parsers.items():
        for column_name, (target_table, target_column) in parser.sheet.refs.items():
            known = set(tables[target_table][target_column].dropna())
            values = tables[name][column_name]
            unknown = values.notna() & ~values.isin(known)
            column = parser.sheet.column(column_name)
            target_title = schema.SHEETS_BY_NAME[target_table].title
            target_header = schema.SHEETS_BY_NAME[target_table].column(target_column).header
            for r, v in zip(tables[name].loc[unknown, "row"], values[unknown], strict=True):
                parser.add(
                    ERROR,
                    int(r),
                    column,
                    f"未知的{column.header}「{v}」；应为「{target_title}」工作表中已有的{target_header}",
                )


def _check_across_sheets(tables: dict[str, pd.DataFrame], parsers: dict[str, _SheetParser]) -> None:
    budget, monthly, indicators, projects = (
        tables[n] for n in ("budget", "monthly", "indicators", "projects")
    )
    bp = parsers["budget"]
    # Execution far above budget is legal (追加 not yet recorded) but must be looked at.
    ratio = budget["executed"] / budget["annual"].where(budget["annual"] > 0)
    high = ratio > schema.EXECUTION_WARNING_RATIO
    for r, x in zip(budget.loc[high, "row"], ratio[high], strict=True):
        bp.add(
            WARNING,
            int(r),
            bp.sheet.column("executed"),
            f"执行数为全年预算数的 {x:.0%}，超过 {schema.EXECUTION_WARNING_RATIO:.0%}；请核实是否漏记预算调整",
        )
    spent_without_budget = (budget["annual"] == 0) & (budget["executed"] > 0)
    for r in budget.loc[spent_without_budget, "row"]:
        bp.add(WARNING, int(r), bp.sheet.column("executed"), "全年预算数为 0 而有执行数；请核实")

    mp = parsers["monthly"]
    ordered = monthly.dropna(subset=["project_id", "month"]).sort_values(["project_id", "month"])
    falls = ordered.groupby("project_id")["executed_cum"].diff() < -1e-9
    for r in ordered.loc[falls, "row"]:
        mp.add(WARNING, int(r), mp.sheet.column("executed_cum"), "累计执行数比上月减少；累计数应逐月不减")
    december = ordered[ordered["month"] == 12].set_index("project_id")["executed_cum"]
    executed = budget.groupby("project_id")["executed"].sum()
    gap = (december - executed.reindex(december.index)).abs() > np.maximum(
        0.005 * executed.reindex(december.index), 0.01
    )
    for pid in gap[gap].index:
        r = ordered.loc[(ordered["project_id"] == pid) & (ordered["month"] == 12), "row"].iloc[0]
        mp.add(
            WARNING,
            int(r),
            mp.sheet.column("executed_cum"),
            f"12月累计执行数 {december[pid]:g} 与「预算执行」全年执行数合计 {executed[pid]:g} 不一致",
        )

    ip = parsers["indicators"]
    quantitative = indicators["direction"].isin(["≥", ">", "≤", "<", "="])
    no_digit = ~indicators["target"].fillna("").str.contains(r"\d", regex=True)
    for r, d, t in zip(
        indicators.loc[quantitative & no_digit, "row"],
        indicators.loc[quantitative & no_digit, "direction"],
        indicators.loc[quantitative & no_digit, "target"],
        strict=True,
    ):
        if t is not None:
            ip.add(
                ERROR,
                int(r),
                ip.sheet.column("target"),
                f"指标方向为「{d}」但目标值「{t}」没有数值；应填数值，如 95，或把方向改为 定性",
            )

    pp = parsers["projects"]
    with_budget = set(budget["project_id"].dropna())
    with_targets = set(indicators["project_id"].dropna())
    for r, pid in zip(projects["row"], projects["project_id"], strict=True):
        if pid is None:
            continue
        if pid not in with_budget:
            pp.add(WARNING, int(r), pp.sheet.column("project_id"), f"项目「{pid}」在「预算执行」中没有预算行")
        if pid not in with_targets:
            pp.add(
                WARNING,
                int(r),
                pp.sheet.column("project_id"),
                f"项目「{pid}」没有绩效目标（无绩效目标不安排预算）",
            )

    progress = tables["progress"]
    if len(progress):
        gp = parsers["progress"]
        known = pd.MultiIndex.from_frame(indicators[["project_id", "seq"]].astype(object))
        keyed = progress["project_id"].notna() & progress["seq"].notna()
        listed = pd.MultiIndex.from_frame(progress[["project_id", "seq"]].astype(object)).isin(known)
        orphans = progress[keyed & ~listed]
        for r, pid, seq in zip(orphans["row"], orphans["project_id"], orphans["seq"], strict=True):
            gp.add(
                ERROR,
                int(r),
                gp.sheet.column("seq"),
                f"项目「{pid}」没有序号为 {seq} 的绩效指标；应为「绩效指标」工作表中的指标序号",
            )


def _fill_defaults(tables: dict[str, pd.DataFrame]) -> None:
    projects, units = tables["projects"], tables["units"]
    unit_sector = units.set_index("unit_id")["sector"]
    missing = projects["sector"].isna()
    projects.loc[missing, "sector"] = projects.loc[missing, "unit_id"].map(unit_sector)
