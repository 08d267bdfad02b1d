"""The provenance footer every report ends with: which data, which scheme, which pbm, when.

Values that change from run to run (run time, data hash, pbm version) are each wrapped in
``<span class="pbm-run-dependent" data-field="…">``; :func:`nbval_sanitize_rules` and the file
``pbm_lib/report/nbval_sanitize.cfg`` give nbval the regular expressions that blank them, so an
executed notebook can be compared with a fresh run (``pytest --nbval --nbval-sanitize-with …``).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .. import __version__
from ..errors import PbmError
from .fragment import HtmlFragment

#: Class of the footer element; stable, so readers and tests can find it.
FOOTER_CLASS = "pbm-provenance"
#: Class of every run-dependent value inside the footer.
RUN_DEPENDENT_CLASS = "pbm-run-dependent"

#: (name, regex, replacement) for nbval's ``--nbval-sanitize-with`` file.
NBVAL_SANITIZE_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "pbm-run-dependent",
        r'(<span class="pbm-run-dependent" data-field="[a-z_0-9]+">)[^<]*(</span>)',
        r"\1RUN-DEPENDENT\2",
    ),
    ("iso-time-shanghai", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00", "RUN-TIME"),
    ("sha256", r"\b[0-9a-f]{64}\b", "SHA256"),
    # Warnings name the kernel's temporary cell file, which changes every run.
    ("ipykernel-cell-file", r"\S*ipykernel_\d+[/\\]\d+\.py", "IPYKERNEL-CELL"),
)


def _shanghai() -> timezone:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")  # type: ignore[return-value]
    except Exception:  # no tz database: China has kept UTC+8 without daylight saving since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


def run_time_iso(when: datetime | str | None = None) -> str:
    """An ISO 8601 time in Asia/Shanghai to the second, e.g. ``2025-11-25T18:43:00+08:00``.

    Parameters
    ----------
    when : datetime, str or None
        None means now. A naive datetime is taken as Shanghai local time; an aware one is
        converted; a string is parsed with :meth:`datetime.fromisoformat`.
    """
    tz = _shanghai()
    if when is None:
        moment = datetime.now(tz)
    else:
        if isinstance(when, str):
            try:
                when = datetime.fromisoformat(when)
            except ValueError as error:
                raise PbmError(f"运行时间“{when}”不是 ISO 格式（例如 2025-11-25T18:43:00+08:00）") from error
        moment = when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)
    return moment.replace(microsecond=0).isoformat()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 lowercase hex digits."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise PbmError(f"无法读取数据文件 {path}：{error.strerror or error}") from error
    return digest.hexdigest()


def _value(text: str, field: str | None = None) -> str:
    escaped = html.escape(text)
    if field is None:
        return escaped
    return f'<span class="{RUN_DEPENDENT_CLASS}" data-field="{field}">{escaped}</span>'


def footer_html(
    data_file: str | Path,
    scheme_id: str,
    scheme_version: str,
    run_time: datetime | str | None = None,
    *,
    data_sha256: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The provenance footer as escaped HTML.

    Parameters
    ----------
    data_file : str or Path
        The year's data file. Only its name is shown (no local directories); its SHA-256 is
        computed from the file unless ``data_sha256`` is given.
    scheme_id, scheme_version : str
        The evaluation scheme (评价方案) and its version.
    run_time : datetime, str or None
        When the report was produced; now if None (see :func:`run_time_iso`).
    data_sha256 : str, optional
        The data file's hash, when already known (the file need not exist then).
    extra : mapping, optional
        More label → value lines (e.g. {"评价方式": "第三方评价"}), shown after the standard ones.

    Returns
    -------
    str
        ``<footer class="pbm-provenance">…</footer>``.
    """
    name = Path(data_file).name
    sha = data_sha256 if data_sha256 is not None else file_sha256(data_file)
    rows = [
        ("数据文件", _value(name)),
        ("数据文件 SHA-256", _value(sha, "data_sha256")),
        ("评价方案", f"{_value(str(scheme_id))}（版本 {_value(str(scheme_version))}）"),
        ("pbm 版本", _value(__version__, "pbm_version")),
        ("生成时间", _value(run_time_iso(run_time), "run_time") + "（北京时间）"),
    ]
    rows += [(str(k), _value(str(v))) for k, v in (extra or {}).items()]
    items = "\n".join(f"<tr><th>{html.escape(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return (
        f'<footer class="{FOOTER_CLASS}">\n<p class="pbm-provenance-title">报告出处信息</p>\n'
        f'<table class="pbm-provenance-table">\n{items}\n</table>\n</footer>'
    )


def provenance_footer(
    data_file: str | Path,
    scheme_id: str,
    scheme_version: str,
    run_time: datetime | str | None = None,
    *,
    data_sha256: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> HtmlFragment:
    """Like :func:`footer_html`, but returns an object that Jupyter displays as the footer.

    Its plain-text stand-in holds no run-dependent value, so nbval compares it as is.
    """
    markup = footer_html(data_file, scheme_id, scheme_version, run_time, data_sha256=data_sha256, extra=extra)
    return HtmlFragment(markup, "[报告出处信息]")


def nbval_sanitize_config() -> str:
    """The text of an nbval ``--nbval-sanitize-with`` file for :data:`NBVAL_SANITIZE_RULES`."""
    blocks = [
        f"[{name}]\nregex: {regex}\nreplace: {replace}\n" for name, regex, replace in NBVAL_SANITIZE_RULES
    ]
    return "\n".join(blocks)


def nbval_sanitize_path() -> Path:
    """Path of the checked-in ``nbval_sanitize.cfg`` beside this module (same rules as the constant).

    Raises
    ------
    PbmError
        If the file is not there (an install that left out package data); write one with
        :func:`write_nbval_sanitize` instead.
    """
    path = Path(__file__).with_name("nbval_sanitize.cfg")
    if not path.is_file():
        raise PbmError(f"找不到 {path}；请用 pbm_lib.report.provenance.write_nbval_sanitize(路径) 生成。")
    return path


def write_nbval_sanitize(path: str | Path) -> Path:
    """Write the nbval sanitize file to ``path`` (atomically) and return it."""
    from ..iorw import write_text

    return write_text(path, nbval_sanitize_config())
