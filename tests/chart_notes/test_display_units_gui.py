"""Issue 14.7 on screen: a US practice reads 100.4 °F / 181 lb / 64 in in the flowsheet, the trend chart and the
summary, and the nurse types °F / lb / in by default; a user who chose metric reads metric."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop.models import VitalSign
from desktop.services import display_units, vitals
from desktop.services.vitals import VitalsInput, record_vitals
from desktop.views.chart.base import ChartContext
from tests.conftest import earlier_today

pytestmark = pytest.mark.gui


def _record_metric(as_role, patient_id):
    with as_role("nurse") as uow:
        record_vitals(uow, patient_id, VitalsInput(systolic=128, diastolic=82, temperature=38.0, weight=82.1,
                                                   height=162.6, taken_at=earlier_today()))


def _rows(tab):
    model = tab.model
    return {model.headerData(r, Qt.Orientation.Vertical): model.data(model.index(r, 0))
            for r in range(model.rowCount())}


def test_a_us_practice_reads_fahrenheit_pounds_and_inches(db, as_role, app_ctx, add_patient, qtbot):
    from desktop.views.chart.vitals_tab import VitalsTab
    from desktop.views.chart_view import ChartView

    with as_role("admin") as uow:
        display_units.set_practice_system(uow, display_units.US)
    p = add_patient(birth_date=date(1970, 1, 1))
    _record_metric(as_role, p.id)

    tab = VitalsTab(ChartContext(app=app_ctx("nurse"), patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.load()
    qtbot.waitUntil(lambda: tab.model.columnCount() == 1, timeout=5000)
    rows = _rows(tab)
    assert rows["Temperature  (°F)"] == "100.4"
    assert rows["Weight  (lb)"] == "181"
    assert rows["Height  (in)"] == "64"
    assert rows["Blood pressure  (mmHg)"] == "128/82"
    tab.groups.setCurrentRow(next(i for i, g in enumerate(vitals.TREND_GROUPS) if g.key == "temp"))
    qtbot.waitUntil(lambda: tab.chart_view.trend is not None and tab.chart_view.trend.group.key == "temp",
                    timeout=5000)
    chart = tab.chart_view.chart()
    assert "(°F)" in chart.title()
    y_axis = chart.axes(Qt.Orientation.Vertical)[0]
    assert y_axis.titleText() == "°F" and y_axis.min() <= 100.4 <= y_axis.max() and y_axis.min() > 50

    view = ChartView(app_ctx("physician"), p.id)
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    page = view.page("summary")
    with qtbot.waitSignal(page.sig_ready, timeout=10000):
        pass
    summary = page.vitals.text()
    assert "100.4 °F" in summary and "181 lb" in summary and "64 in" in summary
    assert "°C" not in summary and "kg " not in summary


def test_the_nurse_types_in_the_display_units_and_the_chart_keeps_ucum(db, as_role, app_ctx, add_patient, qtbot):
    from desktop.views.chart.vitals_tab import VitalsTab
    from desktop.views.vitals_form import VitalsForm

    p = add_patient(birth_date=date(1970, 1, 1))  # the test practice is in Springfield, IL: US by default
    tab = VitalsTab(ChartContext(app=app_ctx("nurse"), patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.record()
    qtbot.waitUntil(lambda: isinstance(getattr(tab, "form", None), VitalsForm) and tab.form.isVisible(),
                    timeout=5000)
    form = tab.form
    assert [form.units[k].currentText() for k in ("temperature", "weight", "height")] == ["°F", "lb", "in"]
    for key, text in {"temperature": "100.4", "weight": "181", "height": "64"}.items():
        form.inputs[key].setFocus()
        qtbot.keyClicks(form.inputs[key], text)
    with qtbot.waitSignal(form.sig_saved, timeout=3000):
        qtbot.keyClick(form.inputs["height"], Qt.Key.Key_Return)
    with db.uow() as uow:
        stored = {r.loinc: (round(r.value, 1), r.unit) for r in uow.session.execute(
            select(VitalSign).where(VitalSign.patient_id == p.id)).scalars()}
    assert stored[vitals.TEMPERATURE] == (38.0, "Cel") and stored[vitals.WEIGHT] == (82.1, "kg")
    assert stored[vitals.HEIGHT] == (162.6, "cm")


def test_a_user_who_chose_metric_reads_metric(db, as_role, app_ctx, add_patient, qtbot):
    from desktop.views.chart.vitals_tab import VitalsTab

    p = add_patient()
    _record_metric(as_role, p.id)
    with as_role("nurse") as uow:
        display_units.set_user_choice(uow, display_units.METRIC)
    tab = VitalsTab(ChartContext(app=app_ctx("nurse"), patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.load()
    qtbot.waitUntil(lambda: tab.model.columnCount() == 1, timeout=5000)
    rows = _rows(tab)
    assert rows["Temperature  (°C)"] == "38.0" and rows["Weight  (kg)"] == "82.1" and rows["Height  (cm)"] == "162.6"


def test_the_administrator_picks_the_practice_units_in_settings(db, as_role, app_ctx, qtbot):
    from desktop.views.admin.settings_dialog import SettingsDialog

    dialog = SettingsDialog(app_ctx("admin"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    assert dialog.unit_system.currentData() == display_units.US  # Springfield, IL
    dialog.unit_system.setCurrentIndex(dialog.unit_system.findData(display_units.METRIC))
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        dialog.save_button.click()
    with as_role("nurse") as uow:
        assert display_units.practice_system(uow) == display_units.unit_system(uow) == display_units.METRIC


def test_each_user_picks_their_own_units_in_my_preferences(db, as_role, app_ctx, qtbot):
    from desktop.views.preferences_dialog import PreferencesDialog

    dialog = PreferencesDialog(app_ctx("nurse"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    assert dialog.unit_choice.currentData() == display_units.FOLLOW_PRACTICE
    assert dialog.unit_choice.itemText(0) == "Same as the practice: US (°F, lb, in)"
    dialog.unit_choice.setCurrentIndex(dialog.unit_choice.findData(display_units.METRIC))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with as_role("nurse") as uow:
        assert display_units.unit_system(uow) == display_units.METRIC
    with as_role("physician") as uow:
        assert display_units.unit_system(uow) == display_units.US


def test_the_carried_height_for_bmi_reads_in_the_display_units(db, as_role, app_ctx, add_patient, qtbot):
    from desktop.views.vitals_form import VitalsForm
    from tests.conftest import call_service

    p = add_patient(birth_date=date(1970, 1, 1))
    with as_role("nurse") as uow:
        record_vitals(uow, p.id, VitalsInput(height=162.6, taken_at=datetime.now(UTC) - timedelta(days=30)))
    ctx = app_ctx("nurse")
    form = VitalsForm(ctx, call_service(ctx, vitals.intake_context, p.id), unit_system=display_units.US)
    qtbot.addWidget(form)
    form.show()
    form.inputs["weight"].setFocus()
    qtbot.keyClicks(form.inputs["weight"], "181")
    assert form.bmi_label.text().startswith("31.1 kg/m²  (with height 64 in from ")
