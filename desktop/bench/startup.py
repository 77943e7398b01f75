"""`startup`: whole process, start to main window shown (offscreen), beside a bare PySide6 window process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from . import CaseResult, median_p95
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
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EMR_DATA_DIR": str(ctx.cache_dir)}
    db = Path(ctx.cache_dir) / "startup.db"
    app_cmd = [sys.executable, "-m", "desktop", "gui", "--db", f"sqlite:///{db}", "--quit-after-shown"]
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
