"""`startup`: whole process, start to main window shown (offscreen), beside a bare PySide6 window process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from . import CaseCannotRun, CaseResult, median_p95
from .context import BenchContext

BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1200, 780); w.show()
QTimer.singleShot(0, app.quit)
app.exec()
"""


def _time(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def run(ctx: BenchContext) -> CaseResult:
    db = Path(ctx.cache_dir) / "startup.db"
    return _race(ctx, [sys.executable, "-m", "desktop", "gui", "--db", f"sqlite:///{db}", "--quit-after-shown"])


def bundle_executable() -> Path:
    """The built one-folder app: EMR_BUNDLE (the executable or its folder) or dist/ClinicEMR in the checkout."""
    given = os.environ.get("EMR_BUNDLE")
    path = Path(given) if given else Path(__file__).resolve().parents[2] / "dist" / "ClinicEMR"
    return path / "ClinicEMR" if path.is_dir() else path


def run_bundle(ctx: BenchContext) -> CaseResult:
    """`startup_bundle`: the PyInstaller build to its login window, beside the bare PySide6 window process."""
    exe = bundle_executable()
    if not exe.is_file():
        raise CaseCannotRun(f"no built app at {exe}: build it with `pyinstaller build.spec` (or set EMR_BUNDLE)")
    db = Path(ctx.cache_dir) / "startup-bundle.db"
    result = _race(ctx, [str(exe), "--db", f"sqlite:///{db}", "--quit-after-shown"])
    result.extra["executable"] = str(exe)
    return result


def _race(ctx: BenchContext, app_cmd: list[str]) -> CaseResult:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EMR_DATA_DIR": str(ctx.cache_dir)}
    bare_cmd = [sys.executable, "-c", BARE]
    _time(app_cmd, env), _time(bare_cmd, env)  # warm the OS file cache for both
    app, bare = [], []
    for _ in range(max(3, ctx.repeat // 2)):  # interleaved, so load on the machine hits both alike
        app.append(_time(app_cmd, env))
        bare.append(_time(bare_cmd, env))
    ms, p95 = median_p95(app)
    ref, _ = median_p95(bare)
    return CaseResult(ms, p95, ref, {"reference": "bare PySide6 QMainWindow process, same screen size",
                                     "samples": len(app)})
