"""Demo charts get laboratory panels over several years; the large patient has 3,000 results in 300 panels."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from desktop.models import AuditEntry, LabResult, Patient
from desktop.services import demo, demo_chart
from desktop.services import results as svc
from desktop.services.database import Database
from tests.conftest import user_for


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-labs") / "demo.db"
    db = Database.open(f"sqlite:///{path}", create=True)
    with db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.ensure_named_demo_patients(uow)
        ids = demo.add_patients(uow, 20, seed=3)
    with db.uow() as uow:
        stats = demo_chart.fill_demo_charts(uow, ids, seed=3)
    yield db, stats
    db.dispose()


def test_large_patient_has_3000_results_in_300_panels(demo_db):
    db, stats = demo_db
    with db.uow() as uow:
        s = uow.session
        harold = s.execute(select(Patient.id).where(Patient.family_name == "Bennett",
                                                    Patient.birth_date == date(1948, 3, 30))).scalar_one()
        n, panels, first, last = s.execute(
            select(func.count(), func.count(func.distinct(LabResult.panel_id)), func.min(LabResult.collected_at),
                   func.max(LabResult.collected_at)).where(LabResult.patient_id == harold)).one()
        audited = s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "lab_result", AuditEntry.patient_id == harold)).scalar()
    assert (n, panels) == (3000, 300)
    assert (last - first).days > 365 * 15
    assert audited == 1  # the bulk path writes one audit row for the batch
    with db.uow(user_for("physician")) as uow:
        view = svc.results_view(uow, harold, panels=None)
        page = svc.results_view(uow, harold)
        latest = {r.short: r for r in svc.latest_key_results(uow, harold)}
        a1c = svc.trend(uow, harold, "4548-4")
    assert len(view.panels) == 300 and view.panels[0].collected_at > view.panels[-1].collected_at
    assert len(page.panels) == svc.PAGE_PANELS and page.has_more and page.total_panels == 300
    assert page.panels == view.panels[:svc.PAGE_PANELS]
    assert {"HbA1c", "Creat", "eGFR", "K", "Glucose", "LDL"} <= set(latest)
    assert any(p.abnormal_count for p in view.panels)  # realistic: some values outside the default ranges
    assert 25 <= len(a1c.clinic) <= 35 and all(6.0 <= p.value <= 9.0 for p in a1c.clinic)


def test_other_adult_demo_patients_get_yearly_panels(demo_db):
    db, stats = demo_db
    with db.uow() as uow:
        per_patient = dict(uow.session.execute(
            select(LabResult.patient_id, func.count()).group_by(LabResult.patient_id)).all())
    assert stats.results == sum(per_patient.values())
    others = [n for pid, n in per_patient.items() if pid != stats.large_patient_id]
    assert len(others) >= 5 and all(n >= 2 * 23 for n in others)  # at least two years of BMP + CBC + lipids


def test_demo_globulin_is_calculated_from_protein_and_albumin():
    """A calculated globulin that disagrees with its own panel's protein and albumin would mislead a reader."""
    import random

    from desktop.services.demo_labs import large_chart_panels

    panels = large_chart_panels(date(1948, 3, 30), date(2026, 12, 4), random.Random(7))
    cmp_panels = [{r.loinc: r.value for r in p.results} for p in panels if p.panel_code == "24323-8"]
    assert cmp_panels
    for values in cmp_panels:
        assert values["10834-0"] == pytest.approx((values["2885-2"] - values["1751-7"]) * 10, abs=0.051)
