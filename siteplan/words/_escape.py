"""The one escaping rule: data becomes text in HTML, JSON and folium's templates.

Every value from data goes through :func:`esc` (a column) or :func:`esc1`
(one value) before it is placed in a page, and JSON written into a page goes
through :func:`json_data`. Both also neutralise the characters that would
break out of the JavaScript template literals folium uses for ``Tooltip``
and ``Popup`` (backtick, ``$`` and backslash) and the braces that open a
Jinja2 tag: branca renders every element's output once more as a template,
so data text must never hold ``{{``, ``{%`` or ``{#`` when it reaches the page.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["CONTROL_CHARS", "esc", "esc1", "json_data", "text"]

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;"),
            ("`", "&#96;"), ("$", "&#36;"), ("\\", "&#92;"), ("{", "&#123;"), ("}", "&#125;"))
# In JSON text a "{" followed by "{", "%" or "#" can only be inside a string.
_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")
CONTROL_CHARS = r"[\x00-\x1f\x7f]"


def text(values) -> pd.Series:
    """Values as strings ("" for missing), vectorised."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    return s.astype("string").fillna("").str.strip().reset_index(drop=True)


def esc(values) -> pd.Series:
    """HTML-escape a column of values (vectorised), safe in folium's template literals."""
    s = text(values).str.replace(CONTROL_CHARS, " ", regex=True)
    for raw, entity in _ESCAPES:
        s = s.str.replace(raw, entity, regex=False)
    return s


def esc1(value: object) -> str:
    """HTML-escape one value like :func:`esc`."""
    s = re.sub(CONTROL_CHARS, " ", "" if value is None else str(value))
    for raw, entity in _ESCAPES:
        s = s.replace(raw, entity)
    return s


def json_data(text: str) -> str:
    """JSON text made safe to embed in a page as data, never as code or template.

    ``<``, ``>``, ``&`` and ``'`` become ``\\u`` escapes (no closing ``</script>``,
    no HTML entity), and a ``{`` that would open a Jinja2 tag (``{{``, ``{%``,
    ``{#``) becomes ``\\u007b``: the page's script still reads the same string.
    """
    for raw, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(raw, code)
    return _TEMPLATE_OPEN.sub(r"\\u007b", text)
