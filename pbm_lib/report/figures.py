"""Report figures: numbered "图N" caption and "数据来源：…" drawn under the chart, shown as a light PNG.

Typical use in a notebook cell::

    with figure("各项目预算执行率", source="2025年度预算执行数据") as (fig, ax):
        ax.bar(names, rates)

On leaving the block the caption and source are drawn below the chart and the figure is displayed
inline as one PNG (palette-compressed, no software metadata, so the bytes are stable run to run).
The figure is not registered with pyplot, so the inline backend never shows it a second time.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .fonts import SAVEFIG_METADATA
from .numbering import next_number

#: Default rendering resolution. A 7-inch-wide figure is ~840 px: sharp on screen and on A4 paper.
DEFAULT_DPI = 120
#: Width the figure is shown at, in CSS pixels (the report page's text width).
DISPLAY_WIDTH = 700

_CAPTION_SIZE = 10.5
_SOURCE_SIZE = 8.5


def caption_figure(fig: Any, title: str, source: str | None = None, *, number: int | None = None) -> str:
    """Draw "图N title" and "数据来源：source" below everything else in ``fig``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    title : str
    source : str, optional
    number : int, optional
        Use this figure number instead of the next one.

    Returns
    -------
    str
        The caption text ("图N title"), also usable as alternative text.
    """
    from matplotlib.transforms import offset_copy

    n = next_number("figure") if number is None else number
    caption = f"图{n} {title}"
    fig.text(
        0.5,
        0.0,
        caption,
        ha="center",
        va="top",
        fontsize=_CAPTION_SIZE,
        color="#111111",
        transform=offset_copy(fig.transFigure, fig=fig, y=-8, units="points"),
    )
    if source:
        fig.text(
            0.5,
            0.0,
            f"数据来源：{source}",
            ha="center",
            va="top",
            fontsize=_SOURCE_SIZE,
            color="#555555",
            transform=offset_copy(fig.transFigure, fig=fig, y=-8 - 1.6 * _CAPTION_SIZE, units="points"),
        )
    return caption


def figure_png(fig: Any, dpi: int = DEFAULT_DPI, *, palette: bool = True) -> bytes:
    """Render ``fig`` to PNG bytes: tight bounding box, white background, no metadata.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int
    palette : bool
        Reduce to a 256-colour palette (lossless-looking for charts, about a third of the size).

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    # When the palette step re-encodes the image, this first PNG is only an intermediate: skip its
    # compression (the same pixels, about a tenth less time per chart).
    fig.savefig(
        buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white", metadata=SAVEFIG_METADATA,
        pil_kwargs={"compress_level": 0} if palette else None,
    )
    data = buffer.getvalue()
    if not palette:
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        reduced = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()


def show_figure(fig: Any, alt: str | None = None, *, dpi: int = DEFAULT_DPI) -> None:
    """Display ``fig`` inline as one PNG (see :func:`figure_png`) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str, optional
        Alternative text for the image (the caption is a good choice).
    dpi : int
    """
    from IPython.display import Image, display

    data = figure_png(fig, dpi)
    width = _pixel_width(data)
    shown = min(width, round(width * DISPLAY_WIDTH / (7.0 * dpi)))
    display(Image(data=data, format="png", width=shown, alt=alt))
    _close(fig)


def _pixel_width(png: bytes) -> int:
    return int.from_bytes(png[16:20], "big")


def _close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)


@contextmanager
def figure(
    title: str,
    source: str | None = None,
    *,
    figsize: tuple[float, float] = (7.0, 3.8),
    nrows: int = 1,
    ncols: int = 1,
    number: int | None = None,
    dpi: int = DEFAULT_DPI,
    show: bool = True,
    **subplot_kw: Any,
) -> Iterator[tuple[Any, Any]]:
    """A captioned report figure: yields ``(fig, ax)``; on exit draws the caption and shows it.

    Parameters
    ----------
    title : str
        The figure title, drawn below the chart as "图N title".
    source : str, optional
        Drawn below the caption as "数据来源：source".
    figsize : (float, float)
        Inches; 7 inches wide fills the report's text width.
    nrows, ncols : int
        Subplot grid; ``ax`` is an array of Axes when either is above 1.
    number : int, optional
        Use this figure number instead of the next one.
    dpi : int
        Rendering resolution.
    show : bool
        Display the figure on exit (inside Jupyter). With False the caller shows or saves it.
    **subplot_kw
        Passed to :meth:`matplotlib.figure.Figure.subplots` (``sharex``, ``sharey``, ``width_ratios``…).

    Yields
    ------
    (matplotlib.figure.Figure, matplotlib.axes.Axes or numpy.ndarray of Axes)

    Notes
    -----
    The figure is not created through pyplot, so ``plt.gca()`` inside the block is not this
    figure: draw on ``ax``. Call :func:`pbm_lib.report.fonts.setup_matplotlib` first for Chinese text.
    If the block raises, nothing is shown and no figure number is used.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots(nrows, ncols, **subplot_kw)
    yield fig, ax
    caption = caption_figure(fig, title, source, number=number)
    if show:
        show_figure(fig, alt=caption, dpi=dpi)
