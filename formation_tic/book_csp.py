"""The book at ``/livre/`` is served with a Content-Security-Policy that forbids inline script.

The book shares its origin with the learner app, so a script that slipped into a page
(whatever the scenario checker and the build missed) must not run. The theme writes a few
small inline scripts of its own (colour mode, toggle labels, the page name for search);
those, and only those, are allowed by their SHA-256 hash, page by page. Anything else
inline, and every event-handler attribute but the theme's print button, is refused by the
browser.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

THEME_INLINE_SCRIPTS = tuple(
    re.compile(pattern, re.S)
    for pattern in (
        r'\s*document\.documentElement\.dataset\.mode = localStorage\.getItem\("mode"\) \|\| "";'
        r'\s*document\.documentElement\.dataset\.theme = localStorage\.getItem\("theme"\) \|\| "";\s*',
        r"let toggleHint(?:Show|Hide) = '[^'<>\\]*';",
        r"let toggleOpenOnPrint = '(?:true|false)';",
        r"var togglebuttonSelector = '[^'<>\\]*';",
        r"DOCUMENTATION_OPTIONS\.pagename = '[A-Za-z0-9_./-]*';",
        r"DOCUMENTATION_OPTIONS\.search_as_you_type = (?:true|false);",
        r"kernelName = '[a-z0-9_-]*'",
        r'const THEBE_JS_URL = "[^"<>]*"; const thebe_selector = "[^"<>]*"; '
        r'const thebe_selector_input = "[^"<>]*"; const thebe_selector_output = "[^"<>]*"',
    )
)
"""The theme's own inline scripts (sphinx-book-theme, togglebutton, Sphinx), matched whole."""

THEME_HANDLERS = ("window.print()",)
"""Event-handler attributes the theme writes (its print button)."""

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)([^>]*)>(.*?)</script>", re.S | re.I)
_EXECUTABLE_TYPE = re.compile(
    r"""\btype\s*=\s*["']?(?!text/javascript|module|application/javascript)""", re.I
)


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def allowed_inline_hashes(page: str) -> list[str]:
    """CSP hashes of the theme's inline scripts found in ``page`` (never of anything else)."""
    hashes = []
    for attributes, source in _INLINE_SCRIPT.findall(page):
        if _EXECUTABLE_TYPE.search(attributes):
            continue  # e.g. text/x-thebe-config: data, not script
        if any(p.fullmatch(source) for p in THEME_INLINE_SCRIPTS):
            hashes.append(_hash(source))
    return sorted(set(hashes))


def policy(script_hashes: list[str]) -> str:
    """The whole policy: same-origin resources, inline script only by hash, no plugins, no framing."""
    handlers = " ".join(_hash(h) for h in THEME_HANDLERS)
    scripts = " ".join(["'self'", "'unsafe-hashes'", handlers, *script_hashes])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'self'"
    )


@lru_cache(maxsize=512)
def _page_policy(path: str, mtime_ns: int) -> str:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return policy(allowed_inline_hashes(text))


def page_policy(path: Path) -> str:
    """The policy of one built page (cached until the file changes)."""
    return _page_policy(str(path), path.stat().st_mtime_ns)


def book_handler() -> type:
    """A static file handler for the book that sends the policy with every response."""
    import tornado.web

    class BookFileHandler(tornado.web.StaticFileHandler):
        def set_extra_headers(self, path: str) -> None:
            absolute = Path(self.absolute_path) if self.absolute_path else None
            if absolute is not None and absolute.suffix == ".html":
                self.set_header("Content-Security-Policy", page_policy(absolute))
            else:
                self.set_header("Content-Security-Policy", policy([]))
            self.set_header("X-Content-Type-Options", "nosniff")

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            from .kernel_guard import french_error_page

            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(french_error_page(status_code))

    return BookFileHandler
