"""A piece of report HTML that Jupyter displays as HTML, never as a raw repr."""

from __future__ import annotations


class HtmlFragment:
    """Ready-made, already escaped HTML with a short plain-text stand-in.

    Jupyter shows ``_repr_html_``; :func:`pbm_lib.report.export.notebook_to_html` drops the
    ``text/plain`` stand-in because a richer output exists.

    Parameters
    ----------
    html : str
        The markup; it must already be escaped.
    text : str
        What plain-text front ends show; keep it free of run-dependent values.
    """

    __slots__ = ("html", "text")

    def __init__(self, html: str, text: str) -> None:
        self.html = html
        self.text = text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HtmlFragment) and other.html == self.html

    def __hash__(self) -> int:
        return hash(self.html)
