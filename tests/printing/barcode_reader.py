"""A small Code128 reader for tests: finds and decodes the barcodes on a rendered page (pdftoppm PNG).

Enough to prove the printed barcode scans to the prescription number (widths measured, checksum verified).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from reportlab.graphics.barcode.code128 import _patterns

_WIDTHS = {v: k for k, v in ((k, "".join(str("ABCDabcd".index(ch) % 4 + 1) for ch in p))
                             for k, p in _patterns.items() if isinstance(k, int) and k < 106)}
STOP = "2331112"


def rasterize(pdf_path: Path, out_prefix: Path, dpi: int = 200) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        raise RuntimeError("pdftoppm (poppler-utils) is needed to render PDFs")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf_path), str(out_prefix)], check=True)
    return sorted(out_prefix.parent.glob(out_prefix.name + "-*.png"))


def _runs(row: list[int], threshold: int = 128) -> list[tuple[bool, int]]:
    runs: list[tuple[bool, int]] = []
    for px in row:
        dark = px < threshold
        if runs and runs[-1][0] == dark:
            runs[-1] = (dark, runs[-1][1] + 1)
        else:
            runs.append((dark, 1))
    return runs


def _decode_runs(widths: list[int]) -> str | None:
    if (len(widths) - 7) % 6 or len(widths) < 19:
        return None
    n = (len(widths) - 7) // 6
    module = sum(widths) / (11 * n + 13)
    mods = [max(1, min(4, round(w / module))) for w in widths]
    symbols = []
    for i in range(n):
        key = "".join(map(str, mods[6 * i:6 * i + 6]))
        if key not in _WIDTHS:
            return None
        symbols.append(_WIDTHS[key])
    if "".join(map(str, mods[-7:])) != STOP:
        return None
    start, *data, check = symbols
    if start not in (103, 104, 105) or (start + sum(i * v for i, v in enumerate(data, 1))) % 103 != check:
        return None
    out, code = [], {103: "A", 104: "B", 105: "C"}[start]
    for v in data:
        if v == 99:
            code = "C"
        elif v == 100:
            code = "B"
        elif v == 101:
            code = "A"
        elif code == "C":
            out.append(f"{v:02d}")
        elif code == "B":
            out.append(chr(v + 32))
        else:
            out.append(chr(v + 32) if v < 64 else chr(v - 64))
    return "".join(out)


def read_barcodes(png: Path) -> set[str]:
    """Every Code128 value found on any scan line of the image."""
    from PIL import Image

    img = Image.open(png).convert("L")
    w, h = img.size
    px = img.load()
    found: set[str] = set()
    for y in range(0, h, 6):
        row = [px[x, y] for x in range(w)]
        runs = _runs(row)
        # candidate symbols: stretches of runs between wide light gaps (quiet zones)
        seq: list[tuple[bool, int]] = []
        for dark, length in runs + [(False, 10_000)]:
            if not dark and length > 25:
                while seq and not seq[0][0]:
                    seq.pop(0)
                if seq:
                    value = _decode_runs([ln for _d, ln in seq])
                    if value:
                        found.add(value)
                seq = []
            else:
                seq.append((dark, length))
    return found
