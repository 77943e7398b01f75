"""One date form for people, on paper and on screen (issue 17 review: the PDFs said "19 Nov 2026" while the
screens said "2026-11-19"): desktop.domain.dates, ISO 8601."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from desktop.domain.dates import show_date, show_datetime
from desktop.printing import render_summary

from .conftest import flat, pdf_text
from .test_render import _summary


def test_the_form_is_iso_with_minutes():
    assert show_date(date(2026, 11, 19)) == "2026-11-19"
    assert show_date(datetime(2026, 11, 19, 23, 59)) == "2026-11-19"
    assert show_datetime(datetime(2026, 11, 19, 9, 5, 7)) == "2026-11-19 09:05"
    assert show_datetime(datetime(2026, 11, 19, 9, 5, 7), seconds=True) == "2026-11-19 09:05:07"
    assert show_date(None) == "" and show_date(None, "—") == "—"


def test_the_summary_pdf_and_the_chart_header_show_the_birth_date_alike(qtbot):
    from desktop.widgets.patient_banner import PatientBanner
    from desktop.widgets.table_model import display

    text = flat(pdf_text(render_summary(_summary())))
    assert "1950-03-14" in text and "14 Mar 1950" not in text  # date of birth, on paper
    assert "2015-04-01" in text and "2025-01-06" in text  # a problem's onset, an encounter's day
    banner = PatientBanner()
    qtbot.addWidget(banner)
    data = SimpleNamespace(sex="female", birth_date=date(1950, 3, 14), phone_mobile=None, phone_home=None)
    banner.set_patient(SimpleNamespace(data=data, display_name="Zoë Müller", age="75 y", mrn="MRN000777",
                                       allergy_status="penicillins", has_allergies=True))
    assert "DOB 1950-03-14" in banner.details.text()
    assert display(date(1950, 3, 14)) == "1950-03-14"  # every list's date column
