"""`labs_open`: the large patient's Results tab (3,000 results in 300 panels) until its flowsheet has painted;
offscreen Qt in this process.

ms            ResultsTab created -> flowsheet and panel list painted with the chart's results
reference_ms  the same Qt steps for a patient without results in the same database (the empty-chart reference)
extra.data_ms the tab's read alone (results view + flowsheet, the "data ready" target, <= 30 ms)
"""

from __future__ import annotations

import os
import random
import time
from datetime import date
from pathlib import Path

from . import CaseResult, median_p95
from .context import BenchContext, cached_database


def _build(db) -> None:
    """Through the results service's bulk path, with the demo builder's panels for the large patient."""
    from sqlalchemy import select

    from desktop.models import Patient, Practice, User
    from desktop.services.demo_labs import large_chart_panels
    from desktop.services.patients import make_mrn, sort_key
    from desktop.services.results import bulk_add_results

    with db.uow() as uow:
        s = uow.session
        s.add(Practice(name="Bench Practice", address_line1="1 Main St", city="Springfield", state="IL",
                       postal_code="62701", phone="(217) 555-0100"))
        s.add(User(username="bench-doc", display_name="Dr. Bench", role="physician", password_hash="-"))
        for seq, given in enumerate(("Large", "Empty"), start=1):
            s.add(Patient(mrn=make_mrn(seq), given_name=given, family_name="Labs", birth_date=date(1948, 3, 30),
                          sex="male", sort_key=sort_key("Labs", given)))
        s.flush()
        big = s.execute(select(Patient.id).where(Patient.given_name == "Large")).scalar_one()
        bulk_add_results(uow, big, large_chart_panels(date(1948, 3, 30), date(2026, 12, 1), random.Random(7)))


def _time_open(ctx, patient_id: int, app) -> float:
    from PySide6.QtCore import QEventLoop, QTimer

    from desktop.views.chart.base import ChartContext
    from desktop.views.chart.results_tab import ResultsTab

    loop = QEventLoop()
    t0 = time.perf_counter()
    tab = ResultsTab(ChartContext(app=ctx, patient_id=patient_id, refresh_banner=lambda: None))
    tab.resize(1280, 760)
    done: list[float] = []

    def ready() -> None:
        done.append(time.perf_counter())
        loop.quit()

    tab.sig_ready.connect(ready)
    tab.show()
    tab.load()
    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(loop.quit)
    timeout.start(30_000)
    if not done:
        loop.exec()
    timeout.stop()
    if not done or tab.view is None:
        raise RuntimeError("the Results tab did not paint with its data within 30 s")
    ms = (done[0] - t0) * 1000
    ctx.ops.wait_idle(10_000)
    tab.close()
    tab.deleteLater()
    app.processEvents()
    return ms


def run(ctx: BenchContext) -> CaseResult:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from desktop.models import Patient, User
    from desktop.ops import Ops
    from desktop.services.uow import CurrentUser
    from desktop.views.chart.results_tab import load_results
    from desktop.views.context import AppContext
    from desktop.widgets.messages import RecordingMessages

    app = QApplication.instance() or QApplication(["bench"])
    db = cached_database(Path(ctx.cache_dir), "labs-open", _build)
    with db.uow() as uow:
        uid = uow.session.execute(select(User.id).where(User.username == "bench-doc")).scalar_one()
        ids = dict(uow.session.execute(select(Patient.given_name, Patient.id)).all())
    user = CurrentUser(id=uid, username="bench-doc", display_name="Dr. Bench", role="physician")
    big, empty = ids["Large"], ids["Empty"]

    data: list[float] = []
    for _ in range(ctx.repeat + 1):
        t0 = time.perf_counter()
        with db.uow(user) as uow:
            view, sheet = load_results(uow, big, None, None)
        data.append((time.perf_counter() - t0) * 1000)
    data = data[1:]  # the first read warms the catalog and the statement cache

    messages = RecordingMessages()
    app_ctx = AppContext(ops=Ops(db, user), messages=messages)
    _time_open(app_ctx, big, app)  # warm-up: imports, fonts
    _time_open(app_ctx, empty, app)
    opened, reference = [], []
    for _ in range(ctx.repeat):  # interleaved, so load on the machine hits both alike
        opened.append(_time_open(app_ctx, big, app))
        reference.append(_time_open(app_ctx, empty, app))
    ms, p95 = median_p95(opened)
    ref, ref_p95 = median_p95(reference)
    data_ms, data_p95 = median_p95(data)
    db.dispose()
    return CaseResult(ms, p95, ref, {
        "reference": "the same Qt steps (ResultsTab -> flowsheet painted) for a patient without results",
        "reference_p95_ms": round(ref_p95, 3),
        "data_ms": round(data_ms, 3), "data_p95_ms": round(data_p95, 3),
        "targets": {"ms": 150, "data_ms": 30},
        "chart": {"results": view.total, "panels": len(view.panels), "flowsheet_rows": len(sheet.rows),
                  "flowsheet_columns": len(sheet.columns)},
        "database": "SQLCipher (encrypted default)",
        "errors_shown": [text for _title, text in messages.shown],
    })
