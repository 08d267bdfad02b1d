"""Make an HTML document safe to publish offline: nothing runs, nothing is fetched.

The document is parsed and written out again token by token, so only markup that the parser saw as
markup survives, and all text is re-escaped. Removed:

* elements that run code or embed other documents: ``script``, ``iframe``, ``frame``, ``frameset``,
  ``object``, ``embed``, ``applet``, ``base``, ``link``, ``noscript``, ``template``, ``form``;
  ``meta`` other than ``charset``/``name``/``viewport``;
* event-handler attributes (``on…``) and ``javascript:``/``vbscript:`` URLs;
* network references in ``src``, ``href`` (except plain ``<a>`` links, which fetch nothing),
  ``srcset``, ``poster``, ``action`` and the like; ``data:text/html`` documents;
* ``@import`` and network ``url(…)`` in CSS (``<style>`` and ``style=""``);
* HTML comments (including conditional comments).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

DROP_WITH_CONTENT = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "template", "form"}
)
DROP_TAG_ONLY = frozenset({"base", "link"})
VOID = frozenset(
    {
        "area",
        "br",
        "col",
        "hr",
        "img",
        "input",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "base",
        "link",
        "embed",
    }
)
URL_ATTRIBUTES = frozenset(
    {
        "src",
        "href",
        "srcset",
        "poster",
        "action",
        "formaction",
        "background",
        "cite",
        "data",
        "xlink:href",
        "ping",
    }
)
_KEEP_META = frozenset({"charset", "name", "content"})

_NETWORK = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:)?//|^\s*(?:https?|ftp|wss?):", re.IGNORECASE)
_SCRIPT_URL = re.compile(
    r"^\s*(?:javascript|vbscript|data:\s*text/html|data:\s*application/xhtml)", re.IGNORECASE
)
_CSS_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x20]+")


def is_network_url(value: str) -> bool:
    """True for a URL that a browser would fetch from the network (``http:``, ``https:``, ``//host``…)."""
    return bool(_NETWORK.match(_CONTROL.sub("", value)))


def clean_css(css: str) -> str:
    """CSS without ``@import`` and without ``url(…)`` pointing to the network or to scripts."""

    def url(match: re.Match[str]) -> str:
        target = match.group(2)
        return (
            "none"
            if is_network_url(target) or _SCRIPT_URL.match(_CONTROL.sub("", target))
            else match.group(0)
        )

    return _CSS_URL.sub(url, _CSS_IMPORT.sub("", css)).replace("expression(", "none(")


class _Rewriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []  # stack of dropped elements whose content is dropped too
        self.in_style = False

    # -- tags ----------------------------------------------------------------------------------
    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str | None:
        kept = []
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on") or not re.fullmatch(r"[a-z_:][a-z0-9_:.\-]*", name):
                continue
            value = "" if value is None else value
            squeezed = _CONTROL.sub("", value)
            if name in URL_ATTRIBUTES or name == "style" or name.startswith("xlink"):
                if _SCRIPT_URL.match(squeezed):
                    continue
                if name in URL_ATTRIBUTES and is_network_url(value) and not (tag == "a" and name == "href"):
                    continue
                if name == "srcset" and ("//" in value or "http" in value.lower()):
                    continue
            if name == "style":
                value = clean_css(value)
            if tag == "meta" and name not in _KEEP_META:
                return None  # http-equiv (refresh, CSP games) and anything unusual: drop the element
            if tag == "a" and name in ("target", "rel"):
                continue  # rel is set below for network links
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        if tag == "a" and any(n.lower() == "href" and is_network_url(v or "") for n, v in attrs):
            kept.append(' rel="noopener noreferrer"')
        return "".join(kept)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if self.skip:
            if tag in DROP_WITH_CONTENT and tag not in VOID:
                self.skip.append(tag)
            return
        if tag in DROP_WITH_CONTENT:
            if tag not in VOID:
                self.skip.append(tag)
            return
        if tag in DROP_TAG_ONLY:
            return
        rendered = self._attributes(tag, attrs)
        if rendered is None:
            return
        self.out.append(f"<{tag}{rendered}>")
        if tag == "style":
            self.in_style = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if self.skip or tag in DROP_WITH_CONTENT or tag in DROP_TAG_ONLY:
            return
        rendered = self._attributes(tag, attrs)
        if rendered is None:
            return
        self.out.append(f"<{tag}{rendered}>" if tag in VOID else f"<{tag}{rendered}></{tag}>")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag in DROP_WITH_CONTENT or tag in DROP_TAG_ONLY or tag in VOID:
            return
        if tag == "style":
            self.in_style = False
        self.out.append(f"</{tag}>")

    # -- content -------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.in_style:
            self.out.append(clean_css(data).replace("</", "<\\/"))
        else:
            self.out.append(html.escape(data, quote=False))

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.out.append("<!DOCTYPE html>")

    def handle_comment(self, data: str) -> None:
        return

    def handle_pi(self, data: str) -> None:
        return

    def unknown_decl(self, data: str) -> None:
        return


def make_offline(document: str) -> str:
    """Rewrite ``document`` so that it runs no script and fetches nothing from the network.

    Parameters
    ----------
    document : str
        A whole HTML document or a fragment.

    Returns
    -------
    str
    """
    rewriter = _Rewriter()
    rewriter.feed(document)
    rewriter.close()
    return "".join(rewriter.out)
