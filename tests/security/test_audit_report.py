"""Audit report: filter by user, patient and dates; paged; CSV with a header row; administrators only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from desktop.services import audit_report, patients
from desktop.services.audit_report import CSV_HEADER, AuditFilter
from desktop.services.errors import PermissionDenied


@pytest.fixture
def history(db, as_role, add_patient):
    """Two patients; the physician opens both charts, the nurse one; one row moved 40 days back."""
    from desktop.models import AuditEntry

    a = add_patient(given="Alma", family="Reyes")
    b = add_patient(given="Bert", family="Olsen")
    with as_role("physician") as uow:
        patients.record_chart_open(uow, a.id)
        patients.record_chart_open(uow, b.id)
    with as_role("nurse") as uow:
        patients.record_chart_open(uow, a.id)
    with db.uow() as uow:  # date filtering needs an old row; the chain is not the point of this test
        oldest = uow.session.query(AuditEntry).order_by(AuditEntry.id).first()
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == oldest.id)
                            .values(ts=datetime.now(UTC) - timedelta(days=40)))
    return a, b


def test_filter_by_user_patient_and_dates(as_role, history):
    a, b = history
    with as_role("admin") as uow:
        mine = audit_report.search_audit(uow, AuditFilter(username="nquinn"))
        assert [(r.action, r.patient_id) for r in mine.rows] == [("view", a.id)]
        about_a = audit_report.search_audit(uow, AuditFilter(patient_id=a.id))
        assert {r.username for r in about_a.rows} == {"drlima", "nquinn"}
        assert {r.action for r in about_a.rows} == {"create", "view"}
        assert all(r.patient_name == "Reyes, Alma" and r.patient_mrn == a.mrn for r in about_a.rows)
        views_a = audit_report.search_audit(uow, AuditFilter(patient_id=a.id, action="view"))
        assert views_a.total == 2
        both = audit_report.search_audit(uow, AuditFilter(username="drlima", patient_id=b.id, action="view"))
        assert both.total == 1 and both.rows[0].patient_name == "Olsen, Bert"
        today = audit_report.search_audit(uow, AuditFilter(date_from=date.today(), date_to=date.today()))
        everything = audit_report.search_audit(uow, AuditFilter())
        assert today.total == everything.total - 1  # the row moved 40 days back is not "today"
        old = audit_report.search_audit(uow, AuditFilter(date_to=date.today() - timedelta(days=30)))
        assert [r.id for r in old.rows] == [min(r.id for r in everything.rows)]
        assert "nquinn" in audit_report.audit_usernames(uow) and "view" in audit_report.audit_actions(uow)


def test_paged_newest_first(as_role, history):
    with as_role("admin") as uow:
        total = audit_report.search_audit(uow, AuditFilter()).total
        seen: list[int] = []
        page = 0
        while True:
            p = audit_report.search_audit(uow, AuditFilter(), page=page, page_size=2)
            assert p.total == total and len(p.rows) <= 2
            seen += [r.id for r in p.rows]
            if not p.has_next:
                break
            page += 1
    assert seen == sorted(seen, reverse=True) and len(seen) == total == len(set(seen))
    assert p.pages == page + 1


def test_bad_date_range_is_refused(as_role):
    from desktop.services.errors import ValidationError

    with as_role("admin") as uow, pytest.raises(ValidationError):
        audit_report.search_audit(uow, AuditFilter(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1)))


def test_csv_export_has_a_header_the_filtered_rows_and_is_audited(db, as_role, history, tmp_path):
    a, _b = history
    out = tmp_path / "audit.csv"
    with as_role("admin") as uow:
        count = audit_report.export_csv(uow, AuditFilter(patient_id=a.id), out)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_HEADER
    body = rows[1:]
    assert len(body) == count == 3
    assert [r[0] for r in body] == sorted((r[0] for r in body), key=int)  # oldest first
    assert {r[CSV_HEADER.index("patient_mrn")] for r in body} == {a.mrn}
    assert {r[CSV_HEADER.index("user")] for r in body} == {"drlima", "nquinn"}
    assert not list(tmp_path.glob("*.partial"))
    with as_role("admin") as uow:
        last = audit_report.search_audit(uow, AuditFilter(action="export")).rows[0]
    assert last.username == "admin" and "3 rows" in last.summary and f"patient {a.id}" in last.summary


def test_csv_cells_cannot_become_spreadsheet_formulas(db, as_role, add_patient):
    with as_role("physician") as uow:
        uow.audit("note", "test", None, summary="=HYPERLINK(\"http://x\")")
    with as_role("admin") as uow:
        text = audit_report.export_csv_text(uow, AuditFilter(action="note"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][CSV_HEADER.index("summary")] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("role", ["physician", "nurse", "front_desk"])
def test_only_admin_reads_the_audit_log(as_role, role, tmp_path):
    with as_role(role) as uow:
        with pytest.raises(PermissionDenied, match="administrator"):
            audit_report.search_audit(uow, AuditFilter())
        with pytest.raises(PermissionDenied):
            audit_report.export_csv(uow, AuditFilter(), tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
