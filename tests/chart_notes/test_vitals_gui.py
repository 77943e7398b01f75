"""The nurse types vitals: paper-form tab order, colours as she types, a slip refused at the field, Enter saves."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCharts import QLegend
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, insert, select

from desktop.models import VitalSign
from desktop.services import vitals
from desktop.views.chart.base import ChartContext
from tests.conftest import call_service

pytestmark = pytest.mark.gui


def vital_rows(db, patient_id):
    with db.uow() as uow:
        return {r.loinc: (r.value, r.unit, r.entered_unit) for r in uow.session.execute(
            select(VitalSign).where(VitalSign.patient_id == patient_id)).scalars()}


@pytest.fixture
def form_for(qtbot, app_ctx):
    def make(patient_id, role="nurse"):
        from desktop.views.vitals_form import VitalsForm

        ctx = app_ctx(role)
        form = VitalsForm(ctx, call_service(ctx, vitals.intake_context, patient_id), patient_name="Test")
        qtbot.addWidget(form)
        form.show()
        qtbot.waitExposed(form)
        form.activateWindow()
        form.inputs["systolic"].setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is form.inputs["systolic"])
        return form
    return make


def test_tab_order_follows_the_paper_form(form_for, add_patient, qtbot):
    p = add_patient()
    form = form_for(p.id)
    names = []
    for _ in range(len(form.tab_chain()) - 1):
        names.append(QApplication.focusWidget().objectName())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert names == ["systolic", "diastolic", "heart_rate", "resp_rate", "temperature", "temperature_unit", "spo2",
                     "weight", "weight_unit", "height", "height_unit", "pain", "taken_at"]
    assert QApplication.focusWidget() is form.save_button


def type_in(qtbot, form, values):
    for key, text in values.items():
        widget = form.inputs[key]
        widget.setFocus()
        qtbot.keyClicks(widget, text)


def test_typed_vitals_are_coloured_as_typed_and_enter_saves(db, form_for, add_patient, qtbot):
    p = add_patient(birth_date=date(1960, 4, 4))
    form = form_for(p.id)
    type_in(qtbot, form, {"systolic": "168", "diastolic": "96", "heart_rate": "72", "resp_rate": "16",
                          "temperature": "37.2", "spo2": "93", "weight": "82.5", "height": "178", "pain": "2"})
    assert form.inputs["systolic"].property("flag") == "high"
    assert form.inputs["spo2"].property("flag") == "low"
    assert form.inputs["heart_rate"].property("flag") == ""
    assert form.bmi_label.text().startswith("26.0 kg/m²")
    with qtbot.waitSignal(form.sig_saved, timeout=3000):
        qtbot.keyClick(form.inputs["pain"], Qt.Key.Key_Return)
    assert form.result() == form.DialogCode.Accepted
    rows = vital_rows(db, p.id)
    assert rows[vitals.SYSTOLIC][:2] == (168, "mm[Hg]")
    assert rows[vitals.WEIGHT][:2] == (82.5, "kg")
    assert rows[vitals.BMI][:2] == (26.0, "kg/m2")
    assert len(rows) == 10


def test_a_typing_slip_shows_a_message_at_the_field_and_saves_nothing(db, form_for, add_patient, qtbot, messages):
    p = add_patient()
    form = form_for(p.id)
    type_in(qtbot, form, {"systolic": "1200", "diastolic": "80", "heart_rate": "70", "weight": "7000"})
    qtbot.keyClick(form.inputs["weight"], Qt.Key.Key_Return)
    assert form.isVisible() and form.result() != form.DialogCode.Accepted
    assert form.errors["systolic"].isVisible()
    assert "1200 mmHg is not plausible" in form.errors["systolic"].text()
    assert "7000 kg is not plausible" in form.errors["weight"].text()
    assert QApplication.focusWidget() is form.inputs["systolic"]  # the first slip gets the cursor
    assert vital_rows(db, p.id) == {}
    assert messages.shown == []  # said at the field, not in a message box
    # the nurse corrects the slip: the message goes away and Enter saves
    form.inputs["systolic"].selectAll()
    qtbot.keyClicks(form.inputs["systolic"], "120")
    assert not form.errors["systolic"].isVisible()
    form.inputs["weight"].selectAll()
    qtbot.keyClicks(form.inputs["weight"], "70")
    with qtbot.waitSignal(form.sig_saved, timeout=3000):
        qtbot.keyClick(form.inputs["weight"], Qt.Key.Key_Return)
    assert vital_rows(db, p.id)[vitals.SYSTOLIC][0] == 120


def test_fahrenheit_and_pounds_are_converted_and_remembered(db, form_for, add_patient, qtbot):
    p = add_patient()
    form = form_for(p.id)
    form.units["temperature"].setCurrentIndex(form.units["temperature"].findData("[degF]"))
    form.units["weight"].setCurrentIndex(form.units["weight"].findData("[lb_av]"))
    type_in(qtbot, form, {"temperature": "100.4", "weight": "150"})
    assert form.inputs["temperature"].property("flag") == "high"  # 38.0 °C
    with qtbot.waitSignal(form.sig_saved, timeout=3000):
        qtbot.keyClick(form.inputs["weight"], Qt.Key.Key_Return)
    rows = vital_rows(db, p.id)
    assert rows[vitals.TEMPERATURE] == (38.0, "Cel", "[degF]")
    assert rows[vitals.WEIGHT][0] == pytest.approx(68.039) and rows[vitals.WEIGHT][1:] == ("kg", "[lb_av]")
    again = form_for(p.id)  # the next form starts in the units this workstation uses
    assert again.units["temperature"].currentData() == "[degF]"
    again.units["temperature"].setCurrentIndex(0)
    again.units["weight"].setCurrentIndex(0)


def test_celsius_field_with_a_fahrenheit_value_suggests_the_unit(form_for, add_patient, qtbot):
    p = add_patient()
    form = form_for(p.id)
    type_in(qtbot, form, {"temperature": "98.6"})
    form.inputs["spo2"].setFocus()  # leaving the field shows the message
    qtbot.waitUntil(lambda: form.errors["temperature"].isVisible())
    assert "did you mean °F" in form.errors["temperature"].text()


def _bulk(db, patient_id, sets=500, origin="clinic"):
    rows = []
    now = datetime.now(UTC)
    for i in range(sets):
        sid = uuid.uuid4().hex
        for loinc, value in ((vitals.SYSTOLIC, 130 + i % 20), (vitals.DIASTOLIC, 80), (vitals.HEART_RATE, 70),
                             (vitals.RESP_RATE, 14), (vitals.TEMPERATURE, 36.8), (vitals.SPO2, 97),
                             (vitals.WEIGHT, 80), (vitals.HEIGHT, 178), (vitals.BMI, 25.2), (vitals.PAIN, 0)):
            rows.append({"patient_id": patient_id, "set_id": sid, "taken_at": now - timedelta(days=7 * i),
                         "loinc": loinc, "value": value, "unit": vitals.BY_LOINC[loinc].unit, "origin": origin,
                         "version": 1})
    with db.uow() as uow:
        uow.session.execute(insert(VitalSign), rows)


def test_vitals_tab_pages_the_flowsheet_and_draws_trends(db, app_ctx, add_patient, qtbot):
    from desktop.views.chart.vitals_tab import PAGE, VitalsTab

    p = add_patient(birth_date=date(1948, 3, 30))
    _bulk(db, p.id)
    with db.uow() as uow:
        assert uow.session.execute(select(func.count(VitalSign.id))).scalar() == 5000
    ctx = app_ctx("nurse")
    tab = VitalsTab(ChartContext(app=ctx, patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    tab.show()
    tab.load()
    qtbot.waitUntil(lambda: tab.model.columnCount() == PAGE, timeout=5000)
    assert "60 of 500" in tab.count_label.text()
    assert tab.model.headerData(0, Qt.Orientation.Horizontal).startswith(f"{date.today():%Y-%m-%d}")
    index = tab.model.index(0, 0)
    assert tab.model.data(index) == "130/80"
    high = tab.model.index(0, 12)  # 142/80: coloured
    assert tab.model.data(high, Qt.ItemDataRole.BackgroundRole) is not None
    bar = tab.table.horizontalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: tab.model.columnCount() == 2 * PAGE, timeout=5000)
    qtbot.waitUntil(lambda: tab.chart_view.trend is not None, timeout=5000)
    assert tab.chart_view.point_counts == {"BP systolic, clinic": 157, "BP diastolic, clinic": 157}  # 3 years
    # issue 14.12: the band's legend entry read "Normal ra..." (Qt elides an area's from-series marker label)
    legend = tab.chart_view.chart().legend()
    band_markers = [m for m in legend.markers() if m.label() == "Normal range"]
    assert band_markers and all(m.shape() == QLegend.MarkerShape.MarkerShapeRectangle for m in band_markers)
    # the time axis reads ISO dates like the rest of the app (it said "3 Nov 2026")
    (x_axis,) = tab.chart_view.chart().axes(Qt.Orientation.Horizontal)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", x_axis.min().toString(x_axis.format()))
    tab.range_combo.setCurrentIndex(tab.range_combo.findData(0))  # all
    qtbot.waitUntil(lambda: tab.chart_view.point_counts.get("BP systolic, clinic") == 500, timeout=5000)
    tab.table.setCurrentIndex(tab.model.index(1, 0))  # heart rate row -> heart rate trend
    qtbot.waitUntil(lambda: tab.chart_view.trend.group.key == "hr", timeout=5000)


def test_device_readings_are_drawn_apart_from_clinic_ones(db, app_ctx, add_patient, qtbot):
    from desktop.views.chart.vitals_tab import VitalsTab

    p = add_patient()
    _bulk(db, p.id, sets=5)
    _bulk(db, p.id, sets=8, origin="device")
    ctx = app_ctx("physician")
    tab = VitalsTab(ChartContext(app=ctx, patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.load()
    qtbot.waitUntil(lambda: tab.chart_view.trend is not None and tab.model.columnCount() == 5, timeout=5000)
    assert tab.chart_view.point_counts == {"BP systolic, clinic": 5, "BP systolic, home/device": 8,
                                           "BP diastolic, clinic": 5, "BP diastolic, home/device": 8}
    tab.readings_box.setChecked(True)
    qtbot.waitUntil(lambda: tab.model.columnCount() == 13, timeout=5000)


def test_a_critical_bp_stops_the_save_in_the_alert_dialog(db, app_ctx, add_patient, qtbot):
    """The nurse types BP 192/104 and saves: the alert dialog (the one every path decides in) lists the alert and
    nothing is stored. Re-check goes back to the values; Acknowledge and save stores the set and the
    acknowledgement record in her name. (Replaces the old after-the-save notice: the vitals service now answers
    NeedsDecision before writing, as every alert path does.)"""
    from desktop.models import AlertOverride
    from desktop.services.alerts import ACKNOWLEDGED
    from desktop.views.chart.vitals_tab import VitalsTab
    from desktop.views.vitals_form import VitalsForm
    from tests.conftest import TEST_USERS

    p = add_patient(birth_date=date(1960, 1, 1))
    ctx = app_ctx("nurse")
    tab = VitalsTab(ChartContext(app=ctx, patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.record()  # the patient's age is read in a worker, then the form opens (window-modal, no nested loop)
    qtbot.waitUntil(lambda: isinstance(getattr(tab, "form", None), VitalsForm) and tab.form.isVisible(),
                    timeout=5000)
    form = tab.form
    form.inputs["systolic"].setText("192")
    form.inputs["diastolic"].setText("104")
    form.inputs["heart_rate"].setText("80")
    form.save()
    qtbot.waitUntil(lambda: form.alert_dialog is not None and form.alert_dialog.isVisible(), timeout=5000)
    dialog = form.alert_dialog
    assert any("Systolic blood pressure 192" in a.message for a in dialog.pending)
    assert dialog.cancel_button.text() == "Re-check" and dialog.acknowledge_button.isVisible()
    assert not dialog.override_button.isVisible() and not dialog.physician_only.isVisible()
    assert vital_rows(db, p.id) == {}  # nothing saved while undecided
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # re-check: back to the values
    qtbot.waitUntil(lambda: form.alert_dialog is None, timeout=3000)
    assert form.isVisible() and vital_rows(db, p.id) == {}
    form.save()  # the same value again: the dialog again
    qtbot.waitUntil(lambda: form.alert_dialog is not None and form.alert_dialog.isVisible(), timeout=5000)
    with qtbot.waitSignal(form.sig_saved, timeout=5000):
        qtbot.mouseClick(form.alert_dialog.acknowledge_button, Qt.MouseButton.LeftButton)
    assert vital_rows(db, p.id)[vitals.SYSTOLIC][0] == 192 and not form.isVisible()
    with db.uow() as uow:
        ack = uow.session.execute(select(AlertOverride)).scalar_one()
    assert (ack.alert_key, ack.reason, ack.user_id) == ("vital:adult-sbp-severe:192", ACKNOWLEDGED,
                                                        TEST_USERS["nurse"][0])
    assert not tab.kb_banner.isVisible()


def test_enter_saves_even_after_tabbing_through_cancel(db, form_for, add_patient, qtbot, messages):
    """Issue 14.1: Tab past Save to Cancel and back into a field; Enter saved nothing and closed the form."""
    p = add_patient()
    form = form_for(p.id)
    type_in(qtbot, form, {"systolic": "128", "diastolic": "82"})
    form.cancel_button.setFocus()  # tabbed past Save onto Cancel ...
    qtbot.keyClick(form.inputs["diastolic"], Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    form.inputs["heart_rate"].setFocus()  # ... and back into a field
    qtbot.keyClicks(form.inputs["heart_rate"], "64")
    with qtbot.waitSignal(form.sig_saved, timeout=3000):
        qtbot.keyClick(form.inputs["heart_rate"], Qt.Key.Key_Return)
    assert form.result() == form.DialogCode.Accepted
    assert vital_rows(db, p.id)[vitals.HEART_RATE][0] == 64


def test_closing_the_form_with_typed_values_asks_first(db, form_for, add_patient, qtbot, messages):
    p = add_patient()
    form = form_for(p.id)
    type_in(qtbot, form, {"systolic": "128", "diastolic": "82"})
    messages.answers[:] = [False]  # "Keep editing"
    qtbot.keyClick(form.inputs["diastolic"], Qt.Key.Key_Escape)
    assert form.isVisible() and messages.shown[-1][0] == "Record vitals"
    assert form.inputs["systolic"].text() == "128"
    form.cancel_button.setFocus()
    messages.answers[:] = [True]  # Enter on the focused Cancel: asks, then discards
    qtbot.keyClick(form.cancel_button, Qt.Key.Key_Return)
    assert not form.isVisible() and vital_rows(db, p.id) == {}


def test_every_field_checks_on_leaving_it_in_the_forms_words(form_for, add_patient, qtbot):
    """Issue 14.8: systolic 1200 was flagged only on save, the message said "bp systolic", the temperature
    message was clipped over the field above, and typing F on the unit box did not pick °F."""
    p = add_patient()
    form = form_for(p.id)
    qtbot.keyClicks(form.inputs["systolic"], "1200")
    qtbot.keyClick(form.inputs["systolic"], Qt.Key.Key_Tab)  # leaving the field, before any save
    assert form.errors["systolic"].isVisible()
    assert form.errors["systolic"].text() == \
        "1200 mmHg is not plausible for systolic blood pressure (allowed 30–320 mmHg)"
    form.inputs["temperature"].setFocus()
    qtbot.keyClicks(form.inputs["temperature"], "98.6")
    qtbot.keyClick(form.inputs["temperature"], Qt.Key.Key_Tab)
    message = form.errors["temperature"]
    assert message.isVisible() and "did you mean °F?" in message.text()
    qtbot.wait(50)
    assert message.width() >= message.sizeHint().width()  # not clipped
    above = form.inputs["temperature"].geometry()
    assert not message.geometry().intersects(above.translated(
        form.inputs["temperature"].parentWidget().mapTo(form, above.topLeft()) - above.topLeft()))
    unit = form.units["temperature"]
    unit.setFocus()
    qtbot.keyClick(unit, Qt.Key.Key_F)
    assert unit.currentData() == "[degF]"
    qtbot.keyClick(unit, Qt.Key.Key_C)
    assert unit.currentData() == "Cel"
