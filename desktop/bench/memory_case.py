"""`memory`: the app's resident memory with 10 large charts opened one after another (each kept open, its Summary,
Vitals and Encounters tabs shown, as a physician flips through a morning's patients), then all closed.

Runs in a child process so the figures are that process's own. Targets: under 400 MB with the ten open;
closing them gives back at least half of what opening them took.
ms            time to open the ten charts (each until its tabs have their data)
reference_ms  the same steps for the empty chart, ten times
extra         rss_start_mb (app and one chart opened and closed: imports, fonts, knowledge base warm),
              rss_open_mb, rss_closed_mb, returned (fraction of the growth given back)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import CaseCannotRun, CaseResult
from .context import BenchContext, cached_database

N_CHARTS = 10
TABS = ("summary", "vitals", "encounters")


def rss_mb() -> float:
    """This process's resident set now (Linux /proc; elsewhere the peak, which only overstates)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _database(cache: Path):
    from .chart_open import _build

    return cached_database(cache, f"memory-{N_CHARTS}", lambda db: _build(db, large=N_CHARTS))


def _open(app_ctx, app, patient_id: int):
    """A chart with its tabs shown, each waited for until its data arrived."""
    from desktop.views.chart_view import ChartView

    view = ChartView(app_ctx, patient_id)
    view.resize(1280, 820)
    view.show()
    for key in TABS:
        view.show_tab(key)
        app.processEvents()
        app_ctx.ops.wait_idle(30_000)
        app.processEvents()
    return view


def child(cache_dir: str) -> None:
    """The measured process: prints one JSON line."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from desktop.memory import release_freed_memory
    from desktop.models import Patient, User
    from desktop.ops import Ops
    from desktop.services.uow import CurrentUser
    from desktop.views.context import AppContext
    from desktop.widgets.messages import RecordingMessages

    app = QApplication.instance() or QApplication(["bench"])
    db = _database(Path(cache_dir))
    with db.uow() as uow:
        uid = uow.session.execute(select(User.id).where(User.username == "bench-doc")).scalar_one()
        ids = dict(uow.session.execute(select(Patient.given_name, Patient.id)).all())
    user = CurrentUser(id=uid, username="bench-doc", display_name="Dr. Bench", role="physician")
    app_ctx = AppContext(ops=Ops(db, user), messages=RecordingMessages())
    large = [ids["Large"]] + [ids[f"Large{n}"] for n in range(2, N_CHARTS + 1)]

    def close(views) -> None:
        for v in views:
            v.close()
            v.deleteLater()
        app_ctx.ops.wait_idle(10_000)
        app.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as the event loop would
        release_freed_memory()  # what the workspace does a second after a chart tab closes

    close([_open(app_ctx, app, ids["Empty"]), _open(app_ctx, app, large[0])])  # warm: imports, fonts, caches
    start = rss_mb()
    t0 = time.perf_counter()
    views = [_open(app_ctx, app, pid) for pid in large]
    opened_ms = (time.perf_counter() - t0) * 1000
    open_mb = rss_mb()
    close(views)
    closed_mb = rss_mb()
    t0 = time.perf_counter()
    close([_open(app_ctx, app, ids["Empty"]) for _ in range(N_CHARTS)])
    empty_ms = (time.perf_counter() - t0) * 1000
    db.dispose()
    widgets = len(app.allWidgets())
    print(json.dumps({"widgets_left": widgets, "opened_ms": opened_ms, "empty_ms": empty_ms, "start": start, "open": open_mb,
                      "closed": closed_mb}))


def run(ctx: BenchContext) -> CaseResult:
    _database(Path(ctx.cache_dir)).dispose()  # built here (not timed, not counted in the child's memory)
    code = f"from desktop.bench.memory_case import child; child({str(ctx.cache_dir)!r})"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EMR_DATA_DIR": str(ctx.cache_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise CaseCannotRun(f"the memory child process failed: {out.stderr.strip()[-600:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    growth = r["open"] - r["start"]
    returned = (r["open"] - r["closed"]) / growth if growth > 0 else 1.0
    return CaseResult(r["opened_ms"], r["opened_ms"], r["empty_ms"], {
        "reference": f"the same steps for the empty chart, {N_CHARTS} times",
        "charts": N_CHARTS, "tabs": list(TABS),
        "rss_start_mb": round(r["start"], 1), "rss_open_mb": round(r["open"], 1),
        "rss_closed_mb": round(r["closed"], 1), "returned": round(returned, 3),
        "targets": {"rss_open_mb": 400, "returned": 0.5},
    })
