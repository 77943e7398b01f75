"""The embedded TrueType fonts (DejaVu Sans): registered once, on first use, for every document.

The standard PDF fonts cover only Latin-1 ("Łukasz" would print as boxes); DejaVu covers Latin Extended,
Greek and Cyrillic and is embedded (subset) in each PDF so the printer needs nothing installed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from desktop.config import RESOURCES

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_DIR = RESOURCES / "fonts"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

_lock = threading.Lock()
_registered = False
# reportlab keeps per-document font-subset state in the shared font objects: documents are rendered one at a
# time (each takes milliseconds), so two worker threads never interleave inside one font
RENDER_LOCK = threading.RLock()


class FontMissing(RuntimeError):
    """The shipped font files are not where the installer should have put them."""


def ensure_fonts(font_dir: Path | None = None) -> None:
    """Register the fonts with reportlab (idempotent, thread-safe, ~50 ms the first time)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = font_dir or FONT_DIR
        for name, filename in _FILES.items():
            path = folder / filename
            if not path.is_file():
                raise FontMissing(f"font file {path} is missing: reinstall the application")
            pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)
        _registered = True
