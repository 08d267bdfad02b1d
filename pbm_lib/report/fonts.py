"""Chinese text in charts on any machine: register the Noto Sans CJK font shipped as a Python package.

The ``noto-cjk-sans-otc`` package (a dependency of pbm) ships ``NotoSansCJK-Regular.ttc``; matplotlib
reads the collection's faces, of which "Noto Sans CJK SC" (Simplified Chinese) is the one used. No
system font is needed, so a chart looks the same on a laptop, in CI and on the batch server.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PbmError
from .style import PALETTE

#: The face used for every chart.
CJK_FAMILY = "Noto Sans CJK SC"
#: Tried after the CJK face, per glyph, for anything it lacks.
FALLBACK_FAMILIES = ("DejaVu Sans", "sans-serif")

#: Passed to every ``savefig``/inline render: no software version in the file, so bytes are stable.
SAVEFIG_METADATA = {"Software": None}

#: The report style: white background, no top/right spines, light horizontal grid, Okabe–Ito colours.
RC_PARAMS = {
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": "#222222",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.figsize": (7.0, 3.8),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.15,
    # Deterministic output: SVG ids come from this salt instead of a random one.
    "svg.hashsalt": "pbm-report",
    "svg.fonttype": "path",
}

_registered: Path | None = None


def font_path() -> Path:
    """Path of ``NotoSansCJK-Regular.ttc`` inside the ``noto-cjk-sans-otc`` package.

    Raises
    ------
    PbmError
        If the package is not installed or its font file is missing.
    """
    try:
        import noto_cjk_sans_otc
    except ImportError as error:
        raise PbmError(
            "缺少中文字体包 noto-cjk-sans-otc，图表中的中文无法显示。"
            "请在 pbm 的环境中运行：pip install noto-cjk-sans-otc（或重新安装 pbm）。"
        ) from error
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():
        raise PbmError(f"中文字体包 noto-cjk-sans-otc 不完整：找不到字体文件 {path}。请重新安装该包。")
    return path


def setup_matplotlib() -> Path:
    """Register the CJK font and set the report style for matplotlib; safe to call any number of times.

    Sets ``font.family`` to "Noto Sans CJK SC" with DejaVu Sans as per-glyph fallback,
    ``axes.unicode_minus=False``, the report style (:data:`RC_PARAMS`) and the Okabe–Ito colour
    cycle. Inside IPython it also makes inline figures PNG without the software-version metadata,
    so executed notebooks are byte-stable from run to run.

    Returns
    -------
    pathlib.Path
        The font file in use.

    Raises
    ------
    PbmError
        If the ``noto-cjk-sans-otc`` package is missing.
    """
    global _registered
    import matplotlib as mpl
    from cycler import cycler
    from matplotlib import font_manager

    path = font_path()
    known = {Path(entry.fname) for entry in font_manager.fontManager.ttflist}
    if _registered != path or path not in known:
        font_manager.fontManager.addfont(str(path))
        _registered = path
    mpl.rcParams.update(RC_PARAMS)
    mpl.rcParams["font.family"] = "sans-serif"
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f not in (CJK_FAMILY, *FALLBACK_FAMILIES)]
    mpl.rcParams["font.sans-serif"] = [CJK_FAMILY, *FALLBACK_FAMILIES[:-1], *rest]
    mpl.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))
    _configure_inline()
    return path


def _configure_inline() -> None:
    """PNG inline figures without version metadata, when running inside an IPython kernel."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - comes with ipykernel
        return
    set_matplotlib_formats("png", metadata=SAVEFIG_METADATA)
